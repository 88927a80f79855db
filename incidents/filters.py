"""The incident filters, one rule for every place that narrows a list of incidents:
the list page (incidents.forms.IncidentFilterForm), the JSON API and the exports
(api.filters.IncidentQueryForm). The forms validate their input in their own way
(the page ignores a bad value, the API answers 400); what each value means is
decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import IncidentQuerySet, Statement


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
