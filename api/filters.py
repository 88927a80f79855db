"""Query-string filters shared by the JSON API and the CSV/JSON exports.

Each form validates the query string (a bad date or page is a 400 with the form's
messages, never a 500) and narrows a queryset that the caller has *already* limited
with `visible_to(user)`: filters only ever remove rows, so no filter can reveal
something the user may not see. Parameters the forms do not know are ignored
(cache-busters, tracking parameters), as documented in docs/api.md.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from incidents.filters import filter_incidents, filter_statements
from incidents.models import (
    Actor,
    Annotation,
    Incident,
    IncidentQuerySet,
    Party,
    PartyQuerySet,
    Source,
    Statement,
)
from search.backends import MAX_QUERY_CHARS, ParsedQuery, get_backend, parse_query
from search.query import title_matches

ISO_DATE = ["%Y-%m-%d"]
MAX_PAGE_SIZE = 200


class PageForm(forms.Form):
    """`page`, `page_size`, `cursor` and `sort` for every paginated list (the sorts
    each list offers are its filter form's SORTS, checked by api.cursor)."""

    # Upper bounds keep absurd numbers away from the database (SQLite and PostgreSQL
    # integers overflow: a server error instead of a clear message).
    page = forms.IntegerField(required=False, min_value=1, max_value=10**9)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)
    cursor = forms.CharField(required=False, max_length=1000)
    sort = forms.CharField(required=False, max_length=40)


class UpdatedSinceMixin(forms.Form):
    updated_since = forms.DateTimeField(
        required=False, help_text="ISO 8601 date and time: rows changed at or after it."
    )

    def since(self, qs: Any) -> Any:
        if self.cleaned_data.get("updated_since"):
            return qs.filter(updated_at__gte=self.cleaned_data["updated_since"])
        return qs


class DateRangeMixin(forms.Form):
    date_from = forms.DateField(required=False, input_formats=ISO_DATE)
    date_to = forms.DateField(required=False, input_formats=ISO_DATE)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("date_from must not be after date_to.")
        return cleaned


def _choice(choices: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(required=False, choices=[("", "any"), *choices])


class SearchField(forms.CharField):
    """`q`: the search box's websearch syntax (words, "phrases", OR, -exclusions),
    matched by the search app's full-text index (PostgreSQL text search, SQLite FTS5)
    over statement text, speaker and source; incidents also by their titles."""

    def __init__(self) -> None:
        super().__init__(required=False, max_length=MAX_QUERY_CHARS, strip=True)

    def clean(self, value: Any) -> ParsedQuery | None:
        text = super().clean(value)
        if not text:
            return None
        parsed = parse_query(text)
        if not parsed.is_searchable:
            raise forms.ValidationError(
                "Add at least one word to look for: a query made only of excluded words "
                "or punctuation finds nothing."
            )
        return parsed


def matching(qs: QuerySet[Statement], parsed: ParsedQuery) -> QuerySet[Statement]:
    return qs.filter(pk__in=get_backend().matching_ids(parsed))


class IncidentQueryForm(UpdatedSinceMixin, DateRangeMixin):
    """The incident parameters of the API and the exports, validated strictly (a bad
    value is a 400). What each filter means is incidents.filters.filter_incidents,
    the rule the list page's IncidentFilterForm uses too."""

    conflict = forms.SlugField(required=False)
    party = forms.SlugField(
        required=False, help_text="A side of its conflict, or a party with a statement on it."
    )
    actor = forms.SlugField(required=False, help_text="An actor with a statement on it.")
    place = forms.SlugField(required=False)
    status = _choice(Incident.Status.choices)
    q = SearchField()

    # The first is the default.
    SORTS = ["-date_start", "date_start", "-updated_at", "updated_at", "title", "-title"]

    def filter(self, qs: IncidentQuerySet, user: Any) -> IncidentQuerySet:
        d = self.cleaned_data
        # The list page's rule (incidents.filters), plus the API's own search.
        qs = self.since(filter_incidents(qs, user, d))
        if d.get("q"):
            # Incidents whose title matches, or with a statement the user may see that
            # matches.
            spoken = Statement.objects.visible_to(user)
            by_statement = matching(spoken, d["q"]).values("incident_id")
            qs = qs.filter(Q(pk__in=by_statement) | title_matches(d["q"]))
        return qs


class StatementFilterForm(UpdatedSinceMixin, DateRangeMixin):
    conflict = forms.SlugField(required=False)
    incident = forms.SlugField(required=False)
    party = forms.SlugField(required=False)
    actor = forms.SlugField(required=False)
    place = forms.SlugField(required=False, help_text="Where the statement's incident happened.")
    source = forms.IntegerField(
        required=False, min_value=1, max_value=2**62, help_text="A source's id."
    )
    status = _choice(Statement.Status.choices)
    type = _choice(Statement.Type.choices)
    kind = _choice(Statement.Kind.choices)
    q = SearchField()

    SORTS = ["issued_on", "-issued_on", "updated_at", "-updated_at"]

    def filter(self, qs: QuerySet[Statement], user: Any) -> QuerySet[Statement]:
        d = self.cleaned_data
        qs = filter_statements(self.since(qs), d)
        if d.get("q"):
            qs = matching(qs, d["q"])
        return qs


class ActorFilterForm(forms.Form):
    party = forms.SlugField(required=False)
    kind = _choice(Actor.Kind.choices)
    q = forms.CharField(required=False, max_length=200, strip=True)

    SORTS = ["name", "-name"]

    def filter(self, qs: QuerySet[Actor], user: Any) -> QuerySet[Actor]:
        d = self.cleaned_data
        if d.get("party"):
            qs = qs.filter(party__slug=d["party"])
        if d.get("kind"):
            qs = qs.filter(kind=d["kind"])
        if d.get("q"):
            qs = qs.filter(name__icontains=d["q"])
        return qs


class PartyFilterForm(forms.Form):
    conflict = forms.SlugField(required=False, help_text="Sides and third parties of it.")
    kind = _choice(Party.Kind.choices)

    SORTS = ["name", "-name"]

    def filter(self, qs: PartyQuerySet, user: Any) -> PartyQuerySet:
        d = self.cleaned_data
        if d.get("conflict"):
            qs = qs.of_conflict(slug=d["conflict"])
        if d.get("kind"):
            qs = qs.filter(kind=d["kind"])
        return qs


class SourceFilterForm(UpdatedSinceMixin, DateRangeMixin):
    kind = _choice(Source.Kind.choices)
    publisher = forms.CharField(required=False, max_length=200, strip=True)
    q = forms.CharField(required=False, max_length=200, strip=True)

    SORTS = ["title", "-title", "updated_at", "-updated_at"]

    def filter(self, qs: QuerySet[Source], user: Any) -> QuerySet[Source]:
        d = self.cleaned_data
        qs = self.since(qs)
        if d.get("kind"):
            qs = qs.filter(kind=d["kind"])
        if d.get("publisher"):
            qs = qs.filter(publisher__iexact=d["publisher"])
        if d.get("date_from"):
            qs = qs.filter(published_on__gte=d["date_from"])
        if d.get("date_to"):
            qs = qs.filter(published_on__lte=d["date_to"])
        if d.get("q"):
            qs = qs.filter(title__icontains=d["q"])
        return qs


class AnnotationFilterForm(UpdatedSinceMixin):
    tag = _choice(Annotation.Tag.choices)
    visibility = _choice(Annotation.Visibility.choices)

    def filter(self, qs: QuerySet[Annotation], user: Any) -> QuerySet[Annotation]:
        d = self.cleaned_data
        qs = self.since(qs)
        if d.get("tag"):
            qs = qs.filter(tag=d["tag"])
        if d.get("visibility"):
            qs = qs.filter(visibility=d["visibility"])
        return qs
