"""Running a search: matches, visibility, facets and ranked, highlighted hits.

The number of SQL queries is fixed (the first matching ids, the count with five facets
or, without a filter, the names the facets show, the points of contention, the ranked
page, its statements), whatever the number of results. All of it is
computed over Statement.objects.visible_to(user): the public never finds, nor counts,
a draft statement or a statement of an unpublished incident; annotations are not
indexed at all.

Statements are found by their own words, speaker, party and source; incidents by their
titles, listed apart (a word of a title would otherwise match every statement of the
incident). Each hit says where its words were found.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import ExtractYear
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from incidents.filters import filter_statements
from incidents.models import Actor, Claim, Conflict, Incident, Party, PointOfContention, Statement

from . import title_index
from .backends import Hit, ParsedQuery, get_backend, parse_query

PAGE_SIZE = 20
FACET_LIMIT = 12
MATCH_CAP = 1000
INCIDENT_LIMIT = 5
# Ids read from the full-text index per search, before visibility: twice the cap, so
# that a visitor who may not see some matches still gets MATCH_CAP of them.
INDEX_READ = 2 * (MATCH_CAP + 1)
# What the facets count of a match, read with its id when there is no filter
# (facets_of_rows).
FACET_FIELDS = (
    "pk",
    "incident__conflict_id",
    "party_id",
    "actor_id",
    "statement_type",
    "issued_on",
)


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
    # Where the words were found when the snippet does not show them.
    found_in: str = ""


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
    # True when the query matched more than MATCH_CAP visible statements: counts,
    # facets and ranking then cover the first MATCH_CAP matches only, and the page
    # says so.
    capped: bool = False
    cap: int = 0
    # Incidents whose title has the words (at most INCIDENT_LIMIT).
    incidents: list[Incident] = field(default_factory=list)

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


def build_url(params: dict[str, Any], path: str = "") -> str:
    """The search page's URL with these parameters (`path`: the page's path, when the
    caller has it already: a page has ~60 facet links, and reverse() cost more than the
    rest of each link)."""
    from django.urls import reverse

    clean = {
        k: v for k, v in params.items() if v not in (None, "") and not (k == "page" and v == 1)
    }
    return (path or reverse("search:results")) + ("?" + urlencode(clean) if clean else "")


def apply_filters(qs: QuerySet[Statement], params: dict[str, Any], skip: str = "") -> QuerySet:
    return filter_statements(qs, params, skip)


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
        outcome.incidents = matching_incidents(user, query, params)
        # A very common word matches tens of thousands of statements; counting,
        # grouping and ranking all of them costs seconds (docs/performance.md). Read at
        # most MATCH_CAP + 1 visible matching ids, and when there are more, work on the
        # first MATCH_CAP and tell the reader to narrow down. The ids come from the
        # full-text index alone, then are checked for visibility by primary key.
        # Without a filter the same rows bring what the facets count (FACET_FIELDS): the
        # statements and incidents are looked up once, not again for the facets.
        fields = FACET_FIELDS if not has_filter else ("pk",)
        from_index = visible.filter(pk__in=backend.first_ids(query, INDEX_READ)).order_by()
        rows = list(from_index.values_list(*fields)[: MATCH_CAP + 1])
        if len(rows) <= MATCH_CAP and backend.has_more(query, INDEX_READ):
            # Most of the index's first matches are hidden from this visitor: all of them.
            matching = visible.filter(pk__in=backend.matching_ids(query)).order_by()
            rows = list(matching.values_list(*fields)[: MATCH_CAP + 1])
        if len(rows) > MATCH_CAP:
            outcome.capped, outcome.cap = True, MATCH_CAP
            rows = rows[:MATCH_CAP]
        first_ids = [row[0] for row in rows]
        if not first_ids:
            # Nothing matches: no count or facet query to run (and an empty id list
            # cannot be compiled into the facet query's SQL).
            return outcome
        # The visible matches as a list of ids from here on: every later query reads
        # at most MATCH_CAP rows by primary key instead of repeating the text search.
        match_ids = backend.listed_ids(first_ids)
        visible = Statement.objects.filter(pk__in=match_ids)
    else:
        match_ids, rows = None, []

    candidates = apply_filters(visible, params)
    if match_ids is not None and not has_filter:
        outcome.total, outcome.facets = len(rows), facets_of_rows(rows, params, match_ids)
    else:
        outcome.total, outcome.facets = facets(visible, params, match_ids)
    outcome.pages = max(1, -(-outcome.total // PAGE_SIZE))
    outcome.page = min(int(params.get("page", 1)), outcome.pages)
    offset = (outcome.page - 1) * PAGE_SIZE
    if not outcome.total:
        return outcome

    if query.is_searchable:
        if candidates is visible and match_ids is not None:
            # No filter: the candidates are the listed visible matches themselves,
            # ranked without looking each up in the statements again.
            compiled = (match_ids.sql, tuple(match_ids.params))
        else:
            compiled = candidates.order_by().values("pk").query.sql_with_params()
        hits = backend.ranked(query, compiled, PAGE_SIZE, offset)
    else:
        ids = candidates.order_by("-issued_on", "-pk").values_list("pk", flat=True)
        page_ids = list(ids[offset : offset + PAGE_SIZE])
        hits = [Hit(pk, 0.0, SafeString(""), SafeString("")) for pk in page_ids]
    statements = (
        Statement.objects.select_related("actor", "party", "incident__conflict")
        .only(
            "text", "kind", "statement_type", "status", "issued_on", "issued_precision",
            "published_at",
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
        found_in = ""
        if query.is_searchable and "<mark>" not in snippet:
            found_in = "Found by the speaker's, party's or source's name."
        outcome.results.append(
            Result(statement, mark_safe(title), mark_safe(snippet), hit.rank, found_in)  # noqa: S308
        )
    return outcome


def title_matches(query: ParsedQuery, field: str = "title") -> Q:
    """Incidents whose title has the words (whole words, any case): how a title is
    searched (the search page's list of incidents, the API's incident filter).

    `field` is the path to an incident's title, ending in "title". The regular
    expressions decide; the title index (search.title_index) only spares trying them
    on titles that cannot match."""
    # A word boundary in each database's regular expressions.
    edge = r"\y" if connection.vendor == "postgresql" else r"\b"

    def has(term: Any) -> Q:
        # Words are letters and digits only: nothing for the regular expression to parse.
        return Q(**{f"{field}__iregex": edge + r"\W+".join(term.words) + edge})

    found = Q()
    candidates = title_index.title_candidates(query)
    if candidates is not None:
        # First, so that SQLite tries the expressions on the candidates only.
        found &= Q(**{field.removesuffix("title") + "pk__in": candidates})
    for group in query.groups:
        either = Q()
        for term in group:
            either |= has(term)
        found &= either
    for term in query.excluded:
        found &= ~has(term)
    return found


def matching_incidents(user: Any, query: ParsedQuery, params: dict[str, Any]) -> list[Incident]:
    """Visible incidents whose title has the words, newest first: what a word of a
    title finds, instead of every statement of the incident."""
    incidents = Incident.objects.visible_to(user).filter(title_matches(query))
    if "conflict" in params:
        incidents = incidents.filter(conflict__slug=params["conflict"])
    return list(
        incidents.select_related("conflict")
        .only("title", "slug", "date_start", "status", "conflict__name")
        .order_by("-date_start", "-pk")[:INCIDENT_LIMIT]
    )


# Facets counted in one query: (GET parameter, title, CTE column holding the value,
# CTE column holding its label).
COLUMNS = (
    ("conflict", "Conflict", "f_conflict", "f_conflict_name"),
    ("party", "Party", "f_party", "f_party_name"),
    ("actor", "Speaker", "f_actor", "f_actor_name"),
    ("type", "Statement type", "f_type", "f_type"),
    ("year", "Year", "f_year", "f_year"),
)


def facets(
    visible: QuerySet[Statement], params: dict[str, Any], match_ids: RawSQL | None = None
) -> tuple[int, list[Facet]]:
    """The number of results and the counts per value of each facet, among the visible
    matches with every *other* facet's filter applied (so that a chosen value can be
    swapped for another).

    Two queries whatever the number of matches. The visible matches are read once into
    a materialised CTE holding each one's facet values; a UNION ALL of one GROUP BY per
    facet (each with the other facets' filters) counts them. Points of contention (a
    statement can have claims on several) are counted by a second query."""
    columns: dict[str, Any] = {
        "f_conflict": F("incident__conflict__slug"),
        "f_conflict_name": F("incident__conflict__name"),
        "f_party": F("party__slug"),
        "f_party_name": F("party__name"),
        "f_actor": F("actor__slug"),
        "f_actor_name": F("actor__name"),
        "f_type": F("statement_type"),
        "f_year": ExtractYear("issued_on"),
    }
    if "point" in params:
        on_point = Claim.objects.filter(statement=OuterRef("pk"), point_id=params["point"])
        columns["f_on_point"] = Exists(on_point)
    rows = visible.order_by().annotate(**columns).values(*columns)
    cte_sql, cte_params = rows.query.sql_with_params()

    def where(skip: str) -> tuple[str, list[Any]]:
        clauses, values = ["1 = 1"], []
        for name, _, column, _ in COLUMNS:
            if name in params and name != skip:
                clauses.append(f"{column} = %s")
                values.append(params[name])
        if "point" in params:
            clauses.append("f_on_point")
        return " AND ".join(clauses), values

    parts, union_params = [], []
    clause, values = where(skip="")
    parts.append(f"SELECT 'total', NULL, NULL, COUNT(*) FROM m WHERE {clause}")  # noqa: S608
    union_params += values
    for name, _, column, label in COLUMNS:
        clause, values = where(skip=name)
        parts.append(
            f"SELECT '{name}', CAST({column} AS TEXT), CAST({label} AS TEXT), COUNT(*) "  # noqa: S608
            f"FROM m WHERE {clause} GROUP BY {column}, {label}"
        )
        union_params += values
    materialized = "MATERIALIZED " if _supports_materialized() else ""
    sql = f"WITH m AS {materialized}({cte_sql}) " + " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*cte_params, *union_params])
        counted = cursor.fetchall()

    total = 0
    grouped: dict[str, list[tuple[str, str, int]]] = {name: [] for name, *_ in COLUMNS}
    for name, value, label, n in counted:
        if name == "total":
            total = n
        else:
            grouped[name].append((value, label, n))
    labels = dict(Statement.Type.choices)
    out = []
    for name, title, _, _ in COLUMNS:
        found: list[Any] = grouped[name]
        if name == "year":
            found.sort(key=lambda r: -int(r[0]))
            found = [(int(v), lb, n) for v, lb, n in found]
        else:
            found.sort(key=lambda r: (-r[2], r[1]))
        if name == "type":
            found = [(v, labels.get(v, v), n) for v, _, n in found]
        out.append(
            _facet(params, name, title, [(v, lb, n, "") for v, lb, n in found][:FACET_LIMIT])
        )

    if match_ids is not None and not any(k in params for k, *_ in COLUMNS):
        point_rows = points_of(match_ids)
    else:
        claims = Claim.objects.filter(
            statement__in=apply_filters(visible, params, skip="point").values("pk")
        )
        points = (
            claims.values_list("point_id", "point__label", "point__incident__title")
            .annotate(n=Count("statement", distinct=True))
            .order_by("-n", "point__label")[:FACET_LIMIT]
        )
        point_rows = [(p, lb, n, t) for p, lb, t, n in points]
    out.insert(4, _facet(params, "point", "Point of contention", point_rows))
    return total, out


def facets_of_rows(rows: list[tuple], params: dict[str, Any], match_ids: RawSQL) -> list[Facet]:
    """The facets of matches without any filter, counted from their rows (FACET_FIELDS),
    as facets() counts them in SQL: same values, counts, order and cut. Only the
    names of the conflicts, parties and speakers that can be shown are read (one
    query), like points_of()."""
    counted: dict[str, Counter] = {
        "conflict": Counter(r[1] for r in rows),
        "party": Counter(r[2] for r in rows),
        "actor": Counter(r[3] for r in rows),
        "type": Counter(r[4] for r in rows),
        "year": Counter(r[5].year for r in rows),
    }
    named: dict[str, type[Conflict | Party | Actor]] = {
        "conflict": Conflict,
        "party": Party,
        "actor": Actor,
    }
    backend = get_backend()
    lookups = []
    for name, model in named.items():
        # Ties are ordered by name: every value counted as often as the last one shown.
        lowest = sorted(counted[name].values(), reverse=True)[:FACET_LIMIT][-1:] or [0]
        shown = [pk for pk, n in counted[name].items() if n >= lowest[0]]
        lookups.append(
            model.objects.filter(pk__in=backend.listed_ids(shown))
            .order_by()
            .values_list(Value(name), "pk", "slug", "name")
        )
    labels: dict[str, list[tuple[Any, str, int]]] = {name: [] for name in named}
    for name, pk, slug, label in lookups[0].union(*lookups[1:], all=True):
        labels[name].append((slug, label, counted[name][pk]))

    type_labels = dict(Statement.Type.choices)
    out = []
    for name, title, _, _ in COLUMNS:
        found: list[tuple[Any, str, int]]
        if name in labels:
            found = sorted(labels[name], key=lambda r: (-r[2], r[1]))
        elif name == "type":
            ordered = sorted(counted[name].items(), key=lambda r: (-r[1], r[0]))
            found = [(v, type_labels.get(v, v), n) for v, n in ordered]
        else:
            found = [(y, str(y), n) for y, n in sorted(counted[name].items(), reverse=True)]
        out.append(
            _facet(params, name, title, [(v, lb, n, "") for v, lb, n in found][:FACET_LIMIT])
        )
    out.insert(4, _facet(params, "point", "Point of contention", points_of(match_ids)))
    return out


def points_of(match_ids: RawSQL) -> list[tuple[int, str, int, str]]:
    """The points of contention of the listed matches, most answered first: the claims
    are counted per point by index lookups on the ids, then the labels of the points
    that can be among the first FACET_LIMIT are read by primary key, as plain rows (a
    thousand matches answer several hundred points: building them as model instances
    cost more than the rest of the search). Joining the labels in the counting query
    made PostgreSQL hash all 30,000 points: 7 ms instead of 2."""
    counted = dict(
        Claim.objects.filter(statement_id__in=match_ids)
        .order_by()
        .values_list("point_id")
        .annotate(n=Count("statement", distinct=True))
    )
    if not counted:
        return []
    # Ties are ordered by label: every point counted as often as the last one shown.
    lowest = sorted(counted.values(), reverse=True)[:FACET_LIMIT][-1]
    shown = [pk for pk, n in counted.items() if n >= lowest]
    found = PointOfContention.objects.filter(pk__in=get_backend().listed_ids(shown)).values_list(
        "pk", "label", "incident__title"
    )
    rows = [(pk, label, counted[pk], title) for pk, label, title in found]
    rows.sort(key=lambda r: (-r[2], r[1]))
    return rows[:FACET_LIMIT]


def _supports_materialized() -> bool:
    # "AS MATERIALIZED" (read the matches once): PostgreSQL 12+, SQLite 3.35+.
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 35)
    return connection.vendor == "postgresql"


def _facet(params: dict[str, Any], name: str, title: str, rows: list[tuple]) -> Facet:
    from django.urls import reverse

    chosen = params.get(name)
    path = reverse("search:results")
    values = [
        FacetValue(
            value=str(value),
            label=label,
            count=count,
            selected=str(value) == str(chosen),
            url=build_url({**params, name: value, "page": None}, path),
            detail=detail,
        )
        for value, label, count, detail in rows
    ]
    clear = build_url({**params, name: None, "page": None}, path) if chosen else None
    return Facet(name, title, values, clear)
