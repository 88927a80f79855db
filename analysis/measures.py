"""The numbers behind the analysis pages, each computed with a fixed number of
aggregate queries over what the user may see (Statement.objects.visible_to(user)).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncMonth

from accounts.models import audience
from core.cache import remember
from incidents import caching
from incidents.dates import coarser
from incidents.models import Claim, Conflict, Incident, Party, Statement
from incidents.sides import SideOrder

from . import charts


def visible_statements(conflict: Conflict, user: Any) -> QuerySet[Statement]:
    return Statement.objects.visible_to(user).filter(incident__conflict=conflict).order_by()


@dataclass
class PartyKey:
    party: Party
    css: str
    is_side: bool


def party_keys(conflict: Conflict, extra_ids: set[int]) -> dict[int, PartyKey]:
    """The conflict's sides (side-0, side-1, …) then any other party in `extra_ids`."""
    order = SideOrder(conflict.ordered_sides())
    keys = {p.pk: PartyKey(p, order.css_class(p.pk), True) for p in order.sides}
    others = Party.objects.filter(pk__in=extra_ids - keys.keys()).order_by("name")
    for j, p in enumerate(others):
        keys[p.pk] = PartyKey(p, f"third-{j % 4}", False)
    return keys


# --- statements per party per month -----------------------------------------------------


@dataclass
class MonthlyTable:
    months: list[date]
    parties: list[PartyKey]
    rows: list[tuple[date, list[int], int]]
    chart: charts.LineChart


def monthly(conflict: Conflict, user: Any) -> MonthlyTable:
    counts = (
        visible_statements(conflict, user)
        .annotate(month=TruncMonth("issued_on"))
        .values_list("month", "party_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by: dict[tuple[date, int], int] = {}
    for month, party_id, n in counts:
        month = month.date() if hasattr(month, "date") and callable(month.date) else month
        by[(date(month.year, month.month, 1), party_id)] = n
    keys = party_keys(conflict, {pid for _, pid in by})
    ordered = list(keys.values())
    months = charts.month_range(min(m for m, _ in by), max(m for m, _ in by)) if by else []
    series = [
        charts.Series(k.party.label, k.css, [by.get((m, k.party.pk), 0) for m in months])
        for k in ordered
    ]
    rows = [
        (m, [s.values[i] for s in series], sum(s.values[i] for s in series))
        for i, m in enumerate(months)
    ]
    chart = charts.line_chart("Statements per month, by party", months, series)
    return MonthlyTable(months, ordered, rows, chart)


# --- who spoke first, and how long the others took ---------------------------------------


@dataclass
class LagEntry:
    incident: Incident
    # (side, date of its first statement, days after the first side, that date's
    # precision: "month" when the first statement is dated "May 2021").
    firsts: list[tuple[PartyKey, date | None, int | None, str]]
    first_speaker: PartyKey | None
    tie: bool


@dataclass
class SideSummary:
    key: PartyKey
    spoke_first: int = 0
    unanswered: int = 0
    response_days: list[int] = field(default_factory=list)

    @property
    def median_response(self) -> float | None:
        return statistics.median(self.response_days) if self.response_days else None


@dataclass
class Lags:
    sides: list[PartyKey]
    entries: list[LagEntry]
    summary: list[SideSummary]
    same_day: int
    incidents_with_statements: int
    chart: charts.LagChart
    page: int
    pages: int


LAG_PAGE_SIZE = 25


def lags(conflict: Conflict, user: Any, page: int = 1) -> Lags:
    keys = party_keys(conflict, set())
    sides = list(keys.values())
    firsts = (
        visible_statements(conflict, user)
        .filter(party_id__in=keys.keys())
        .values_list("incident_id", "party_id")
        .annotate(
            first=Min("issued_on"),
            first_day=Min("issued_on", filter=Q(issued_precision=Incident.Precision.DAY)),
        )
        .order_by()
    )
    per_incident: dict[int, dict[int, date]] = defaultdict(dict)
    # Firsts not known to the day: (incident, party) whose earliest statement has a
    # coarser date than "day"; its precision is looked up for the page shown.
    coarse: set[tuple[int, int]] = set()
    for incident_id, party_id, first, first_day in firsts:
        per_incident[incident_id][party_id] = first
        if first_day != first:
            coarse.add((incident_id, party_id))

    summary = {k.party.pk: SideSummary(k) for k in sides}
    same_day = 0
    for dates in per_incident.values():
        earliest = min(dates.values())
        leaders = [pid for pid, d in dates.items() if d == earliest]
        if len(leaders) > 1:
            same_day += 1
            continue
        leader = summary[leaders[0]]
        leader.spoke_first += 1
        others = [pid for pid in keys if pid != leaders[0]]
        if not any(pid in dates for pid in others):
            leader.unanswered += 1
        for pid in others:
            if pid in dates:
                summary[pid].response_days.append((dates[pid] - earliest).days)

    # The page of incidents shown, newest first (one more query).
    ids = list(per_incident)
    pages = max(1, math.ceil(len(ids) / LAG_PAGE_SIZE))
    page = min(max(1, page), pages)
    incidents = list(
        Incident.objects.filter(pk__in=ids)
        .only("title", "slug", "date_start", "status")
        .order_by("-date_start", "-id")[(page - 1) * LAG_PAGE_SIZE : page * LAG_PAGE_SIZE]
    )
    precision = first_precisions(conflict, user, per_incident, coarse, incidents)
    entries, chart_rows = [], []
    for inc in incidents:
        dates = per_incident[inc.pk]
        earliest = min(dates.values())
        leaders = [pid for pid, d in dates.items() if d == earliest]
        row = [
            (
                k,
                dates.get(k.party.pk),
                (dates[k.party.pk] - earliest).days if k.party.pk in dates else None,
                precision.get((inc.pk, k.party.pk), Incident.Precision.DAY),
            )
            for k in sides
        ]
        entries.append(
            LagEntry(inc, row, keys[leaders[0]] if len(leaders) == 1 else None, len(leaders) > 1)
        )
        chart_rows.append(
            {
                "label": inc.title if len(inc.title) <= 34 else inc.title[:33] + "…",
                "dots": [(d, k.css, k.party.label) for k, _, d, _ in row if d is not None],
            }
        )
    return Lags(
        sides=sides,
        entries=entries,
        summary=list(summary.values()),
        same_day=same_day,
        incidents_with_statements=len(ids),
        chart=charts.lag_chart(chart_rows),
        page=page,
        pages=pages,
    )


def first_precisions(
    conflict: Conflict,
    user: Any,
    per_incident: dict[int, dict[int, date]],
    coarse: set[tuple[int, int]],
    incidents: list[Incident],
) -> dict[tuple[int, int], str]:
    """The precision of each coarse first date of the incidents shown (one query, only
    when there is one): the least precise of the statements dated that day."""
    shown = {(inc.pk, pid) for inc in incidents for pid in per_incident[inc.pk]} & coarse
    if not shown:
        return {}
    found: dict[tuple[int, int], str] = {}
    rows = (
        visible_statements(conflict, user)
        .filter(incident_id__in={i for i, _ in shown})
        .exclude(issued_precision=Incident.Precision.DAY)
        .values_list("incident_id", "party_id", "issued_on", "issued_precision")
    )
    for incident_id, party_id, issued_on, issued_precision in rows:
        key = (incident_id, party_id)
        if key in shown and per_incident[incident_id][party_id] == issued_on:
            found[key] = coarser(found.get(key, issued_precision), issued_precision)
    return found


# --- third-party leanings ----------------------------------------------------------------


@dataclass
class LeaningRow:
    key: PartyKey
    towards: list[int]
    both: int
    neither: int
    unassessed: int
    restraint: int
    concern: int
    statements: int
    incidents: int


@dataclass
class Leanings:
    sides: list[PartyKey]
    rows: list[LeaningRow]
    chart: charts.BarChart


def leanings(conflict: Conflict, user: Any) -> Leanings:
    sides_only = party_keys(conflict, set())
    side_ids = list(sides_only)
    third = visible_statements(conflict, user).exclude(party_id__in=side_ids)
    lean_counts = list(
        third.values_list("party_id", "leaning", "leaning_towards_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    type_counts = list(
        third.filter(statement_type__in=[Statement.Type.RESTRAINT, Statement.Type.CONCERN])
        .values_list("party_id", "statement_type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    totals = {
        pid: (n, inc)
        for pid, n, inc in third.values_list("party_id")
        .annotate(n=Count("pk"), inc=Count("incident", distinct=True))
        .order_by()
    }
    keys = party_keys(conflict, set(totals))
    sides = [keys[pid] for pid in side_ids]
    rows: dict[int, LeaningRow] = {}
    for pid, (n, inc) in totals.items():
        rows[pid] = LeaningRow(keys[pid], [0] * len(sides), 0, 0, 0, 0, 0, n, inc)
    for pid, leaning, towards, n in lean_counts:
        row = rows[pid]
        if leaning == Statement.Leaning.SIDE and towards in side_ids:
            row.towards[side_ids.index(towards)] += n
        elif leaning == Statement.Leaning.BOTH:
            row.both += n
        elif leaning == Statement.Leaning.NONE:
            row.neither += n
        else:
            row.unassessed += n
    for pid, kind, n in type_counts:
        if kind == Statement.Type.RESTRAINT:
            rows[pid].restraint += n
        else:
            rows[pid].concern += n
    ordered = sorted(rows.values(), key=lambda r: (-r.statements, r.key.party.name))
    chart = charts.stacked_bars(
        [
            (
                r.key.party.label,
                [
                    (f"Leaned towards {s.party.label}", s.css, r.towards[i])
                    for i, s in enumerate(sides)
                ]
                + [
                    ("Even-handed (both sides)", "lean-both", r.both),
                    ("Leaned towards neither", "lean-neither", r.neither),
                    ("Not assessed", "lean-unassessed", r.unassessed),
                ],
            )
            for r in ordered
        ]
    )
    return Leanings(sides, ordered, chart)


# --- distinctive terms per party per year ------------------------------------------------

_TOKEN = re.compile(r"[a-z][a-z'’-]*[a-z]")
TERMS_PER_CELL = 8


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def tokens(text: str, stop: frozenset[str]) -> list[str]:
    out = []
    for t in _TOKEN.findall(text.lower()):
        t = t.replace("’", "'")
        if t.endswith("'s"):
            t = t[:-2]
        if len(t) > 2 and t not in stop:
            out.append(t)
    return out


def log_odds(
    target: Counter[str], rest: Counter[str], background: Counter[str], prior_size: float = 500.0
) -> list[tuple[str, float, int]]:
    """Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn
    2008): each word's z-score for `target` against `rest`, the prior taken from the
    whole conflict's words. Returns (word, z, count in target), best first."""
    bg_total = sum(background.values()) or 1
    n_t, n_r = sum(target.values()), sum(rest.values())
    a0 = min(prior_size, bg_total)
    scored = []
    for word, y_t in target.items():
        a_w = a0 * background[word] / bg_total
        if a_w <= 0:
            continue
        y_r = rest.get(word, 0)
        d = math.log((y_t + a_w) / (n_t + a0 - y_t - a_w)) - math.log(
            (y_r + a_w) / (n_r + a0 - y_r - a_w)
        )
        var = 1 / (y_t + a_w) + 1 / (y_r + a_w)
        scored.append((word, d / math.sqrt(var), y_t))
    scored.sort(key=lambda s: (-s[1], s[0]))
    return scored


@dataclass
class TermsTable:
    parties: list[PartyKey]
    # (year, [(terms, statements) per party]); terms are (word, z, count).
    years: list[tuple[int, list[tuple[list[tuple[str, float, int]], int]]]]
    statements: int


def distinctive_terms(conflict: Conflict, user: Any) -> TermsTable:
    base = visible_statements(conflict, user)
    level = audience(user).value
    # Recomputed when the words, dates or parties of the conflict's statements change.
    data = remember(
        f"analysis:terms:v2:{conflict.pk}:{level}",
        lambda: _compute_terms(base),
        scopes=caching.text_scopes([conflict.pk]),
    )
    keys = party_keys(conflict, {pid for _, cells in data["years"] for pid in cells})
    parties = list(keys.values())
    years = [
        (
            year,
            [
                (cells.get(k.party.pk, {}).get("terms", []), cells.get(k.party.pk, {}).get("n", 0))
                for k in parties
            ],
        )
        for year, cells in data["years"]
    ]
    return TermsTable(parties, years, data["n"])


def _compute_terms(base: QuerySet[Statement]) -> dict[str, Any]:
    stop = _stop_words()
    counts: dict[int, dict[int, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    n_statements: Counter[tuple[int, int]] = Counter()
    background: Counter[str] = Counter()
    total = 0
    for party_id, issued_on, text in base.values_list("party_id", "issued_on", "text").iterator(
        chunk_size=2000
    ):
        words = tokens(text, stop)
        counts[issued_on.year][party_id].update(words)
        n_statements[(issued_on.year, party_id)] += 1
        background.update(words)
        total += 1
    years = []
    for year in sorted(counts, reverse=True):
        cells = {}
        for party_id, own in counts[year].items():
            rest: Counter[str] = Counter()
            for other_id, other in counts[year].items():
                if other_id != party_id:
                    rest.update(other)
            best = [(w, round(z, 2), n) for w, z, n in log_odds(own, rest, background) if z > 0][
                :TERMS_PER_CELL
            ]
            cells[party_id] = {"terms": best, "n": n_statements[(year, party_id)]}
        years.append((year, cells))
    return {"years": years, "n": total}


# --- figures side by side ----------------------------------------------------------------


@dataclass
class FigureRow:
    point_label: str
    point_id: int
    cells: list[list[Claim]]
    others: list[Claim]
    differ: bool


@dataclass
class FiguresTable:
    sides: list[PartyKey]
    rows: list[FigureRow]


def incident_figures(incident: Incident, user: Any) -> FiguresTable:
    keys = party_keys(incident.conflict, set())
    sides = list(keys.values())
    side_ids = list(keys)
    claims = (
        Claim.objects.visible_to(user)
        .filter(point__incident=incident, figure__isnull=False)
        .select_related("point", "statement__actor", "statement__party")
        .order_by("point__order", "point_id", "statement__issued_on", "start")
    )
    rows: dict[int, FigureRow] = {}
    for claim in claims:
        row = rows.get(claim.point_id)
        if row is None:
            row = rows[claim.point_id] = FigureRow(
                claim.point.label, claim.point_id, [[] for _ in sides], [], False
            )
        pid = claim.statement.party_id
        if pid in keys:
            row.cells[side_ids.index(pid)].append(claim)
        else:
            row.others.append(claim)
    for row in rows.values():
        given = {(c.figure, c.figure_unit.strip().lower()) for cell in row.cells for c in cell}
        answered = sum(1 for cell in row.cells if cell)
        row.differ = answered > 1 and len(given) > 1
    return FiguresTable(sides, list(rows.values()))
