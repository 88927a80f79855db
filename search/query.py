"""Running a search: matches, visibility, facets and ranked, highlighted hits.

The number of SQL queries is fixed (one count, one per facet, one for the ranked
page, one to load its statements), whatever the number of results. Everything is
computed over Statement.objects.visible_to(user): the public never finds, nor counts,
a draft statement or a statement of an unpublished incident; annotations are not
indexed at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from incidents.models import Claim, Statement

from .backends import Hit, ParsedQuery, get_backend, parse_query

PAGE_SIZE = 20
FACET_LIMIT = 12


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str
    detail: str = ""


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue]
    clear_url: str | None = None


@dataclass
class Result:
    statement: Statement
    title_html: SafeString
    snippet_html: SafeString
    rank: float


@dataclass
class SearchOutcome:
    query: ParsedQuery
    params: dict[str, Any]
    searched: bool = False
    total: int = 0
    results: list[Result] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    page: int = 1
    pages: int = 0
    backend: str = ""
    hint: str = ""

    def page_url(self, page: int) -> str:
        return build_url({**self.params, "page": page})

    @property
    def previous_url(self) -> str | None:
        return self.page_url(self.page - 1) if self.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.page_url(self.page + 1) if self.page < self.pages else None

    @property
    def first_number(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1


def build_url(params: dict[str, Any]) -> str:
    from django.urls import reverse

    clean = {
        k: v for k, v in params.items() if v not in (None, "") and not (k == "page" and v == 1)
    }
    return reverse("search:results") + ("?" + urlencode(clean) if clean else "")


def apply_filters(qs: QuerySet[Statement], params: dict[str, Any], skip: str = "") -> QuerySet:
    if "conflict" in params and skip != "conflict":
        qs = qs.filter(incident__conflict__slug=params["conflict"])
    if "party" in params and skip != "party":
        qs = qs.filter(party__slug=params["party"])
    if "actor" in params and skip != "actor":
        qs = qs.filter(actor__slug=params["actor"])
    if "type" in params and skip != "type":
        qs = qs.filter(statement_type=params["type"])
    if "point" in params and skip != "point":
        # A subquery, not a join: a statement with two claims on a point counts once.
        qs = qs.filter(pk__in=Claim.objects.filter(point_id=params["point"]).values("statement"))
    if "year" in params and skip != "year":
        qs = qs.filter(issued_on__year=params["year"])
    return qs


def run_search(user: Any, params: dict[str, Any]) -> SearchOutcome:
    params = {k: v for k, v in params.items() if v not in (None, "")}
    query = parse_query(str(params.get("q", "")))
    outcome = SearchOutcome(query=query, params=params)
    has_filter = any(k in params for k in ("conflict", "party", "actor", "type", "point", "year"))
    if not query.is_searchable and not has_filter:
        if params.get("q"):
            outcome.hint = (
                "Add at least one word to look for: a query made only of excluded words "
                "or punctuation finds nothing."
            )
        return outcome

    backend = get_backend()
    outcome.backend = backend.name
    outcome.searched = True
    visible = Statement.objects.visible_to(user)
    if query.is_searchable:
        visible = visible.filter(pk__in=backend.matching_ids(query))

    candidates = apply_filters(visible, params)
    outcome.total = candidates.count()
    outcome.pages = max(1, -(-outcome.total // PAGE_SIZE))
    outcome.page = min(int(params.get("page", 1)), outcome.pages)
    offset = (outcome.page - 1) * PAGE_SIZE
    outcome.facets = facets(visible, params)
    if not outcome.total:
        return outcome

    if query.is_searchable:
        compiled = candidates.order_by().values("pk").query.sql_with_params()
        hits = backend.ranked(query, compiled, PAGE_SIZE, offset)
    else:
        ids = candidates.order_by("-issued_on", "-pk").values_list("pk", flat=True)
        page_ids = list(ids[offset : offset + PAGE_SIZE])
        hits = [Hit(pk, 0.0, SafeString(""), SafeString("")) for pk in page_ids]
    statements = (
        Statement.objects.select_related("actor", "party", "incident__conflict")
        .only(
            "text", "kind", "statement_type", "status", "issued_on", "published_at",
            "actor__name", "actor__slug", "actor__role", "party__name", "party__slug",
            "party__short_name", "incident__title", "incident__slug", "incident__status",
            "incident__conflict__name", "incident__conflict__slug",
        )
        .in_bulk([h.statement_id for h in hits])
    )  # fmt: skip
    for hit in hits:
        statement = statements.get(hit.statement_id)
        if statement is None:  # deleted between the two queries
            continue
        title = hit.title_html or escape(statement.incident.title)
        snippet = hit.snippet_html or escape(Truncator(statement.text).words(40))
        outcome.results.append(Result(statement, mark_safe(title), mark_safe(snippet), hit.rank))  # noqa: S308
    return outcome


def facets(visible: QuerySet[Statement], params: dict[str, Any]) -> list[Facet]:
    """Counts per value of each facet, among the visible matches with every *other*
    facet's filter applied (so a chosen value can be swapped for another)."""

    def base(skip: str) -> QuerySet[Statement]:
        return apply_filters(visible, params, skip=skip).order_by()

    def make(name: str, title: str, rows: list[tuple[Any, str, int, str]]) -> Facet:
        chosen = params.get(name)
        values = [
            FacetValue(
                value=str(value),
                label=label,
                count=count,
                selected=str(value) == str(chosen),
                url=build_url({**params, name: value, "page": None}),
                detail=detail,
            )
            for value, label, count, detail in rows
        ]
        clear = build_url({**params, name: None, "page": None}) if chosen else None
        return Facet(name, title, values, clear)

    out = []
    rows = (
        base("conflict")
        .values_list("incident__conflict__slug", "incident__conflict__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "incident__conflict__name")[:FACET_LIMIT]
    )
    out.append(make("conflict", "Conflict", [(s, nm, n, "") for s, nm, n in rows]))
    rows = (
        base("party")
        .values_list("party__slug", "party__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "party__name")[:FACET_LIMIT]
    )
    out.append(make("party", "Party", [(s, nm, n, "") for s, nm, n in rows]))
    rows = (
        base("actor")
        .values_list("actor__slug", "actor__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "actor__name")[:FACET_LIMIT]
    )
    out.append(make("actor", "Speaker", [(s, nm, n, "") for s, nm, n in rows]))
    labels = dict(Statement.Type.choices)
    rows = (
        base("type")
        .values_list("statement_type")
        .annotate(n=Count("pk"))
        .order_by("-n", "statement_type")[:FACET_LIMIT]
    )
    out.append(make("type", "Statement type", [(t, labels.get(t, t), n, "") for t, n in rows]))
    points = (
        Claim.objects.filter(statement__in=base("point").values("pk"))
        .values_list("point_id", "point__label", "point__incident__title")
        .annotate(n=Count("statement", distinct=True))
        .order_by("-n", "point__label")[:FACET_LIMIT]
    )
    out.append(make("point", "Point of contention", [(p, lb, n, t) for p, lb, t, n in points]))
    rows = (
        base("year")
        .values_list("issued_on__year")
        .annotate(n=Count("pk"))
        .order_by("-issued_on__year")[:FACET_LIMIT]
    )
    out.append(make("year", "Year", [(y, str(y), n, "") for y, n in rows]))
    return out
