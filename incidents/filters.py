"""The incident and statement filters, one rule for every place that narrows a list:
the list page (incidents.forms.IncidentFilterForm), the JSON API and the exports
(api.filters), and search's facets (search.query). The forms validate their input in
their own way (the page ignores a bad value, the API answers 400); what each value
means is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from .models import Claim, Incident, IncidentQuerySet, Statement


def filter_incidents(
    qs: IncidentQuerySet, user: Any, values: Mapping[str, Any]
) -> IncidentQuerySet:
    """Narrow `qs` (already limited to what `user` may see) by the filter values
    present: conflict, party, place, actor (slugs), status, date_from, date_to.
    Filters only remove rows, so none can reveal what the user may not see."""
    if conflict := values.get("conflict"):
        qs = qs.filter(conflict__slug=conflict)
    if party := values.get("party"):
        qs = qs.involving(party, user)
    if place := values.get("place"):
        qs = qs.filter(places__slug=place)
    if actor := values.get("actor"):
        # Through statements the user may see: a draft statement must not make a
        # published incident turn up under its speaker.
        spoken = Statement.objects.visible_to(user).filter(actor__slug=actor)
        qs = qs.filter(pk__in=spoken.values("incident_id"))
    if status := values.get("status"):
        qs = qs.filter(status=status)
    return qs.overlapping(values.get("date_from"), values.get("date_to"))


def filter_statements(
    qs: QuerySet[Statement], values: Mapping[str, Any], skip: str = ""
) -> QuerySet[Statement]:
    """Narrow statements (already limited to what the user may see) by the values
    present: conflict, incident, party, actor, place (slugs), source, point (ids),
    type, kind, status, year, date_from, date_to. `skip` leaves one filter out (a
    facet counts what its own choice would give). Filters only remove rows."""

    def given(name: str) -> Any:
        return None if name == skip else values.get(name)

    if conflict := given("conflict"):
        qs = qs.filter(incident__conflict__slug=conflict)
    if incident := given("incident"):
        qs = qs.filter(incident__slug=incident)
    if party := given("party"):
        qs = qs.filter(party__slug=party)
    if actor := given("actor"):
        qs = qs.filter(actor__slug=actor)
    if source := given("source"):
        qs = qs.filter(source_id=source)
    if place := given("place"):
        qs = qs.filter(incident__in=Incident.objects.filter(places__slug=place).values("pk"))
    if point := given("point"):
        # A subquery, not a join: a statement with two claims on a point counts once.
        qs = qs.filter(pk__in=Claim.objects.filter(point_id=point).values("statement"))
    if statement_type := given("type"):
        qs = qs.filter(statement_type=statement_type)
    if kind := given("kind"):
        qs = qs.filter(kind=kind)
    if status := given("status"):
        qs = qs.filter(status=status)
    if year := given("year"):
        qs = qs.filter(issued_on__year=year)
    if date_from := given("date_from"):
        qs = qs.filter(issued_on__gte=date_from)
    if date_to := given("date_to"):
        qs = qs.filter(issued_on__lte=date_to)
    return qs
