"""The comparison page's data: an incident's statements arranged as the points x sides
grid, third-party reactions, the timeline and the sources, for one visitor.

`build_page()` is the one entry point (incidents.views.incident_detail calls it). It
loads every statement the visitor may see once, with only the columns that place it,
arranges them in Python, and then loads the full rows of just the cards it shows, so
its number of queries does not grow with the number of statements or annotations
(docs/performance.md). What it returns are plain dataclasses: nothing is pinned onto
model instances.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, Model, OuterRef, Prefetch, Subquery
from django.db.models.base import ModelState

from accounts.models import audience
from core.cache import remember

from . import caching, dates, maps
from .cards import note_count
from .forms import TABS, IncidentViewForm
from .maps import IncidentMap
from .models import (
    Actor,
    Claim,
    ClaimRelation,
    ConflictSide,
    Incident,
    Party,
    Place,
    PlaceName,
    PointOfContention,
    Source,
    Statement,
)
from .sides import SideOrder, css_class

# The comparison page shows at most this many cards per grid cell (and per third
# party) unless filtered down to that cell; a link leads to the rest. This keeps an
# incident with hundreds of statements readable and its page fast.
CELL_LIMIT = 5
TIMELINE_PAGE_SIZE = 50

# What the comparison page needs of every visible statement to place it (grid cell,
# timeline delay, counts); the rest is loaded only for the cards actually shown.
PLACING_FIELDS = (
    "id",
    "actor_id",
    "party_id",
    "leaning_towards_id",
    "issued_on",
    "issued_precision",
    "source_id",
)
# And what tells whether a card kept from an earlier request is still the same
# (cards.card_digest): an edit then renders only the cards it changed.
CARD_VERSION_FIELDS = ("status", "version", "updated_at")
# And the rest of what a closed card shows (templates/incidents/_statement_card.html,
# with the editors' tools): the cards are rendered from these same objects.
CARD_FIELDS = ("statement_type", "kind", "leaning", "quote_verified", "withdrawn_reason", "text")
# A statement's own columns in the page's data (with the notes' count for the audience).
STATEMENT_COLUMNS = (*PLACING_FIELDS, *CARD_VERSION_FIELDS, *CARD_FIELDS, "note_count")
# The speaker's and the source's columns a card shows, read with the statements and
# made into one object per speaker and per source (_placed_statements).
SPEAKER_FIELDS = ("name", "role", "slug")
SOURCE_FIELDS = ("publisher", "title")
# What the grid, its cards and the points' maps read of a claim and of its place.
CLAIM_FIELDS = ("id", "statement_id", "point_id", "quote", "location_name", "location_id")
PLACE_FIELDS = ("name", "slug", "kind", "latitude", "longitude", "area_code")


@dataclass
class RelationLink:
    """A claim relation seen from one of its ends (`outgoing`: this claim is the subject)."""

    kind: str
    other: GridClaim
    outgoing: bool


@dataclass
class GridClaim:
    """A claim as a grid card shows it: its words, its statement, and how other
    visible claims of the incident relate to it. The card template reads `pk`,
    `quote`, `statement` and `relation_links`."""

    claim: Claim
    statement: Statement
    relation_links: list[RelationLink] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.claim.pk

    @property
    def quote(self) -> str:
        return self.claim.quote

    @property
    def point_id(self) -> int:
        return self.claim.point_id

    @property
    def statement_id(self) -> int:
        return self.claim.statement_id


@dataclass
class Cell:
    party: Party
    side_index: int
    claims: list[GridClaim] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    hidden: int = 0  # cards left out by CELL_LIMIT

    @property
    def side_class(self) -> str:
        return css_class(self.side_index)

    @property
    def locations(self) -> list[Claim]:
        """The cell's claims that state a location, shown in the side's column."""
        return [c.claim for c in self.claims if c.claim.location_id]

    def limit(self, n: int) -> None:
        self.hidden = max(0, len(self.claims) - n) + max(0, len(self.statements) - n)
        self.claims, self.statements = self.claims[:n], self.statements[:n]


@dataclass
class Row:
    point: PointOfContention | None
    cells: list[Cell]
    # For a point about location: each side's claimed location on a map (incidents.maps).
    location_map: IncidentMap | None = None


@dataclass
class ReactionGroup:
    party: Party
    statements: list[Statement]
    hidden: int = 0


@dataclass
class TimelineEntry:
    statement: Statement
    side_index: int | None
    delay: str

    @property
    def side_class(self) -> str:
        return css_class(self.side_index)


@dataclass
class SourceEntry:
    source: Source
    statements: list[Statement]


def describe_delay(days: int, party: Party, precision: str = dates.DAY) -> str:
    """The delay in days; when either date is known only to the month or year, in
    whole months or years, since a count of days would claim a precision the dates
    do not have (an approximate date makes the count approximate)."""
    if precision in (dates.MONTH, dates.YEAR):
        unit_days, unit = (365, "year") if precision == dates.YEAR else (30, "month")
        n = round(days / unit_days)
        if n == 0:
            same = "year" if precision == dates.YEAR else "month"
            return f"In the same {same} as {party.label}’s first statement"
        units = unit if abs(n) == 1 else f"{unit}s"
        side = "after" if n > 0 else "before"
        return f"About {abs(n)} {units} {side} {party.label}’s first statement"
    about = "About " if precision == dates.APPROXIMATE else ""
    if days == 0:
        if about:
            return f"About the same day as {party.label}’s first statement"
        return f"Same day as {party.label}’s first statement"
    unit = "day" if abs(days) == 1 else "days"
    if days > 0:
        return f"{about}{days} {unit} after {party.label}’s first statement"
    return f"{about}{-days} {unit} before {party.label}’s first statement"


@dataclass
class Comparison:
    """An incident's statements as the comparison page arranges them.

    `statements` holds every statement the visitor may see, with only the columns
    that place it (PLACING_FIELDS), tell a card's version (CARD_VERSION_FIELDS, the
    notes' count) and a closed card shows (CARD_FIELDS), their speaker's, source's
    and party's objects attached: the cards are rendered from them.
    `claims` holds each statement's claims (by statement id), each as a GridClaim
    with its relations.

    It holds what one audience may see (accounts.audience), never a user: it is kept
    in the shared cache (load_comparison).
    """

    incident: Incident
    order: SideOrder
    places: list[Any]
    points: list[PointOfContention]
    statements: list[Statement]
    claims: dict[int, list[GridClaim]]
    related: list[Incident]
    parties: dict[int, Party]

    @property
    def sides(self) -> list[Party]:
        return list(self.order.sides)

    def claims_of(self, statement: Statement) -> list[GridClaim]:
        return self.claims.get(statement.pk, [])

    def attach(self, s: Statement) -> None:
        # The parties already loaded stand in for the joins this page leaves out.
        _join(s, "party", self.parties[s.party_id])
        leaning = self.parties.get(s.leaning_towards_id) if s.leaning_towards_id else None
        _join(s, "leaning_towards", leaning)
        _join(s, "incident", self.incident)

    def sources(self) -> dict[int, Source]:
        ids = {s.source_id for s in self.statements if s.source_id}
        return Source.objects.defer("archived_text").in_bulk(ids) if ids else {}


def load_comparison(incident: Incident, user: Any) -> Comparison:
    """Everything the comparison page arranges, in a fixed number of queries.

    What it reads is kept per audience with remember() under the page's own scopes
    (whatever would make the page stale makes this stale too), so that the page's
    tabs, filters and partials, and analysts, whom the page cache never serves, read
    it once (docs/performance.md). It is kept as plain rows (ComparisonRows) and made
    into objects on each request: pickling the ~1,500 objects cost more than
    building them, and an editor's every change writes it again."""
    who = audience(user).value
    rows = remember(
        f"parallax:comparison-rows:{ROWS_SHAPE}:{incident.pk}:{who}",
        lambda: _read_comparison(incident, user),
        caching.incident_scopes(incident.pk, incident.conflict_id),
    )
    return rows.assemble(incident)


@dataclass
class ComparisonRows:
    """What the comparison page reads for one audience: the conflict's parties, the
    incident's places, points and related incidents (a few objects each), and its
    statements, claims and claim relations as plain rows."""

    db: str
    parties: dict[int, Party]
    order: SideOrder
    places: list[Any]
    points: list[PointOfContention]
    related: list[Incident]
    statements: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    relations: list[tuple[int, int, str]]

    def assemble(self, incident: Incident) -> Comparison:
        # Fresh objects on each call: the page filters and attaches to them.
        statements = _placed_statements(self.statements, self.db)
        comparison = Comparison(
            incident=incident,
            order=self.order,
            places=self.places,
            points=list(self.points),
            statements=statements,
            claims=_grid_claims(self, statements),
            related=self.related,
            parties=self.parties,
        )
        for s in statements:
            comparison.attach(s)
        return comparison


# Part of the cache key of the rows (load_comparison): a release that reads other
# columns, or keeps other fields, never reads rows kept by the one before.
ROWS_SHAPE = zlib.crc32(
    repr(
        (
            STATEMENT_COLUMNS,
            SPEAKER_FIELDS,
            SOURCE_FIELDS,
            CLAIM_FIELDS,
            PLACE_FIELDS,
            list(ComparisonRows.__dataclass_fields__),
        )
    ).encode()
)


def _read_comparison(incident: Incident, user: Any) -> ComparisonRows:
    # The conflict's sides (in order) and the third parties it records, in one query:
    # a statement's party is always one of them (Statement.clean).
    side_order = ConflictSide.objects.filter(
        conflict=incident.conflict_id, party=OuterRef("pk")
    ).values("order")[:1]
    recorded = Party.objects.of_conflict(pk=incident.conflict_id).annotate(
        side_order=Subquery(side_order)
    )
    parties: dict[int, Party] = {}
    ranked: list[tuple[int, int, Party]] = []
    for p in recorded:
        parties[p.pk] = p
        rank = p.side_order  # type: ignore[attr-defined]  # the annotation above
        if rank is not None:
            ranked.append((rank, p.pk, p))
    order = SideOrder(p for *_, p in sorted(ranked, key=lambda r: r[:2]))
    places = list(
        incident.places.prefetch_related(
            Prefetch(
                "names", queryset=PlaceName.objects.select_related("party").order_by("party__name")
            )
        )
    )
    points = list(incident.points.order_by("order", "id"))
    speaker = {f"speaker_{f}": F(f"actor__{f}") for f in SPEAKER_FIELDS}
    cited = {f"source_{f}": F(f"source__{f}") for f in SOURCE_FIELDS}
    light = (
        Statement.objects.visible_to(user)
        .filter(incident=incident)
        .annotate(note_count=note_count(user), **speaker, **cited)
        .order_by("issued_on", "id")
        .values(*STATEMENT_COLUMNS, *speaker, *cited)
    )
    statements = list(light)
    # Data entered before a party was recorded for the conflict still shows.
    missing = {
        pid
        for s in statements
        for pid in (s["party_id"], s["leaning_towards_id"])
        if pid and pid not in parties
    }
    if missing:
        parties.update(Party.objects.in_bulk(missing))
    related = list(
        Incident.objects.visible_to(user).filter(related=incident).order_by("-date_start")
    )
    # Only what the grid, its cards and maps read of a claim, with its place's columns.
    located = {f"place_{f}": F(f"location__{f}") for f in PLACE_FIELDS}
    claims = (
        Claim.objects.filter(statement__incident=incident)
        .order_by("start", "id")
        .values(*CLAIM_FIELDS, **located)
    )
    relations = (
        ClaimRelation.objects.filter(from_claim__point__incident=incident)
        .order_by("id")
        .values_list("from_claim_id", "to_claim_id", "kind")
    )
    return ComparisonRows(
        db=light.db,
        parties=parties,
        order=order,
        places=places,
        points=points,
        related=related,
        statements=statements,
        claims=list(claims),
        relations=list(relations),
    )


def _placed_statements(rows: Iterable[dict[str, Any]], db: str) -> list[Statement]:
    """The statements of these rows (their placing and version columns, their
    speaker's and source's columns), with one object per speaker and per source
    shared by their statements: select_related() built one of each per statement,
    600 objects for the 300 statements of a large incident instead of a few dozen."""
    actors: dict[int, Actor] = {}
    sources: dict[int, Source] = {}
    statements = []
    for row in rows:
        s = _partial(Statement, db, {f: row[f] for f in STATEMENT_COLUMNS})
        if s.actor_id not in actors:
            speaker = {f: row[f"speaker_{f}"] for f in SPEAKER_FIELDS}
            actors[s.actor_id] = _partial(Actor, db, {"id": s.actor_id, **speaker})
        _join(s, "actor", actors[s.actor_id])
        if s.source_id is not None:
            if s.source_id not in sources:
                cited = {f: row[f"source_{f}"] for f in SOURCE_FIELDS}
                sources[s.source_id] = _partial(Source, db, {"id": s.source_id, **cited})
            _join(s, "source", sources[s.source_id])
        statements.append(s)
    return statements


def _join(obj: Model, name: str, related: Model | None) -> None:
    """obj.<name> = related, for an object whose <name>_id already holds related's id
    (or None): straight into Django's cache of the object's related rows, without the
    descriptor's checks of type and database router, which for the ~1,500 links of a
    large incident cost more than building the objects."""
    obj._meta.get_field(name).set_cached_value(obj, related)  # type: ignore[union-attr]


def _partial[M: Model](model: type[M], db: str, columns: dict[str, Any]) -> M:
    """A model object with only these columns (by attname) loaded, the others
    deferred as with only(): what from_db() builds, without its pass over every field
    of the model, which took half the time of loading the statements."""
    obj = model.__new__(model)
    obj.__dict__.update(columns)
    obj._state = ModelState()
    obj._state.adding = False
    obj._state.db = db
    return obj


def _grid_claims(rows: ComparisonRows, statements: list[Statement]) -> dict[int, list[GridClaim]]:
    """The incident's claims of visible statements, by statement, with their relations
    (contradicts, denies...) to other visible claims, from two plain queries' rows: a
    prefetch over 300 statement ids cost three times as much (docs/performance.md).
    A relation is shown only when both of its claims belong to statements the
    visitor may see, so a draft's claim never shows through. Each place is one
    object, however many claims name it."""
    by_id = {s.pk: s for s in statements}
    points_by_id = {p.pk: p for p in rows.points}
    claims: dict[int, list[GridClaim]] = {s.pk: [] for s in statements}
    by_claim: dict[int, GridClaim] = {}
    places: dict[int, Place] = {}
    for row in rows.claims:
        owner = by_id.get(row["statement_id"])
        if owner is None:
            continue
        c = _partial(Claim, rows.db, {f: row[f] for f in CLAIM_FIELDS})
        place = None
        if c.location_id is not None:
            place = places.get(c.location_id)
            if place is None:
                columns = {f: row[f"place_{f}"] for f in PLACE_FIELDS}
                place = places[c.location_id] = _partial(
                    Place, rows.db, {"id": c.location_id, **columns}
                )
        _join(c, "location", place)
        if c.point_id in points_by_id:
            _join(c, "point", points_by_id[c.point_id])
        gc = GridClaim(claim=c, statement=owner)
        claims[owner.pk].append(gc)
        by_claim[c.pk] = gc
    for from_id, to_id, kind in rows.relations:
        a, b = by_claim.get(from_id), by_claim.get(to_id)
        if a is None or b is None:
            continue
        label = str(ClaimRelation.Kind(kind).label)
        a.relation_links.append(RelationLink(kind=label, other=b, outgoing=True))
        b.relation_links.append(RelationLink(kind=label, other=a, outgoing=False))
    return claims


@dataclass
class PointRow[T]:
    """One point of contention: per side (in side order) the items on it, and the
    items of third parties."""

    point: PointOfContention
    cells: list[list[T]]
    others: list[T]


def by_point_and_side[T](
    points: list[PointOfContention],
    order: SideOrder,
    items: Iterable[tuple[int, int, T]],
) -> list[PointRow[T]]:
    """The points x sides grid, the one rule shared by the comparison page and the
    editor's span workspace. `items` are (point id, party id, item) triples."""
    cells: dict[tuple[int, int], list[T]] = defaultdict(list)
    others: dict[int, list[T]] = defaultdict(list)
    for point_id, party_id, item in items:
        if order.is_side(party_id):
            cells[point_id, party_id].append(item)
        else:
            others[point_id].append(item)
    return [
        PointRow(
            point=p,
            cells=[cells[p.pk, side.pk] for side in order.sides],
            others=others[p.pk],
        )
        for p in points
    ]


def arrange_grid(data: Comparison, statements: list[Statement]) -> list[Row]:
    """Points x sides: each cell holds that side's claims on that point; a last row
    holds each side's statements not yet assigned to any point."""
    sides, order = data.sides, data.order
    unassigned: dict[int, list[Statement]] = defaultdict(list)
    placed: list[tuple[int, int, GridClaim]] = []
    for s in statements:
        if not order.is_side(s.party_id):
            continue
        claims = data.claims_of(s)
        placed.extend((c.point_id, s.party_id, c) for c in claims)
        if not claims:
            unassigned[s.party_id].append(s)

    def cell(side: Party, **items: Any) -> Cell:
        return Cell(party=side, side_index=order.index(side.pk) or 0, **items)

    rows = [
        Row(
            point=r.point,
            cells=[cell(side, claims=claims) for side, claims in zip(sides, r.cells, strict=True)],
        )
        for r in by_point_and_side(data.points, order, placed)
    ]
    if any(unassigned.values()):
        rows.append(
            Row(point=None, cells=[cell(side, statements=unassigned[side.pk]) for side in sides])
        )
    return rows


def arrange_timeline(order: SideOrder, statements: list[Statement]) -> list[TimelineEntry]:
    """Every statement in issue order, with the delay since the first statement of
    another side (for a side) or of any side (for a third party)."""
    first: dict[int, date] = {}
    first_precision: dict[int, str] = {}
    for s in statements:
        if order.is_side(s.party_id) and s.party_id not in first:
            first[s.party_id] = s.issued_on
            first_precision[s.party_id] = s.issued_precision
    by_pk = {p.pk: p for p in order.sides}
    entries = []
    for s in statements:
        others = [(d, pid) for pid, d in first.items() if pid != s.party_id]
        if others:
            d, pid = min(others, key=lambda x: (x[0], order.index(x[1]) or 0))
            precision = dates.coarser(s.issued_precision, first_precision[pid])
            delay = describe_delay((s.issued_on - d).days, by_pk[pid], precision)
        elif order.is_side(s.party_id):
            delay = "No statement from another side yet"
        else:
            delay = "No statement from a side yet"
        entries.append(TimelineEntry(statement=s, side_index=order.index(s.party_id), delay=delay))
    return entries


def arrange_sources(statements: list[Statement], sources: dict[int, Source]) -> list[SourceEntry]:
    entries: dict[int, SourceEntry] = {}
    for s in statements:
        if s.source_id is not None:
            entry = entries.setdefault(
                s.source_id, SourceEntry(source=sources[s.source_id], statements=[])
            )
            entry.statements.append(s)
    return list(entries.values())


def arrange_reactions(order: SideOrder, statements: list[Statement]) -> list[ReactionGroup]:
    groups: dict[int, ReactionGroup] = {}
    for s in statements:
        if not order.is_side(s.party_id):
            groups.setdefault(s.party_id, ReactionGroup(party=s.party, statements=[]))
            groups[s.party_id].statements.append(s)
    return list(groups.values())


@dataclass
class ComparisonPage:
    """What incident_detail.html shows for one visitor, tab and filter. The names
    are the template's context names (`context()`)."""

    incident: Incident
    form: IncidentViewForm
    tab: str
    sides: list[Party]
    shown_sides: list[Party]
    places: list[Any]
    incident_map: IncidentMap | None
    related: list[Incident]
    filtered: bool
    third_party_shown: Party | None
    statement_count: int
    sources_count: int
    tabs: list[tuple[str, str]] = field(default_factory=lambda: list(TABS))
    rows: list[Row] = field(default_factory=list)
    reactions: list[ReactionGroup] = field(default_factory=list)
    side_headers: list[tuple[Party, int]] = field(default_factory=list)
    timeline_page: Page[TimelineEntry] | None = None
    sources: list[SourceEntry] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict would deep-copy the model objects.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def shown_cards(self) -> list[tuple[Statement, GridClaim | None, str]]:
        """Each statement card of the page (statement, claim or None, side class), in
        the order the page shows them."""
        shown: list[tuple[Statement, GridClaim | None, str]] = []
        for row in self.rows:
            for cell in row.cells:
                shown.extend((c.statement, c, cell.side_class) for c in cell.claims)
                shown.extend((s, None, cell.side_class) for s in cell.statements)
        for group in self.reactions:
            shown.extend((s, None, "") for s in group.statements)
        if self.timeline_page is not None:
            shown.extend((e.statement, None, e.side_class) for e in self.timeline_page)
        return shown


def build_page(incident: Incident, user: Any, query: Any) -> ComparisonPage:
    """The comparison page for this visitor and query string (tab, point, party, page)."""
    data = load_comparison(incident, user)
    sides = data.sides
    all_statements = data.statements

    parties = list(sides)
    for s in all_statements:
        if s.party not in parties:
            parties.append(s.party)
    form = IncidentViewForm(query or None, points=data.points, parties=parties)
    values = form.valid_values()
    tab = values.get("tab", "grid")
    point_id = values.get("point")
    party_slug = values.get("party")

    statements = all_statements
    shown_sides = sides
    third_party_shown = None
    if party_slug:
        statements = [s for s in statements if s.party.slug == party_slug]
        # One side: only its column. A third party: no grid columns; its reactions
        # are listed below the grid.
        shown_sides = [p for p in sides if p.slug == party_slug]
        if not shown_sides:
            third_party_shown = next(p for p in parties if p.slug == party_slug)
    if point_id:
        data.points = [p for p in data.points if p.pk == point_id]
        statements = [
            s for s in statements if any(c.point_id == point_id for c in data.claims_of(s))
        ]

    page = ComparisonPage(
        incident=incident,
        form=form,
        tab=tab,
        sides=sides,
        shown_sides=shown_sides,
        places=data.places,
        incident_map=maps.incident_map(data.places),
        related=data.related,
        filtered=bool(point_id or party_slug),
        third_party_shown=third_party_shown,
        statement_count=len(all_statements),
        sources_count=len({s.source_id for s in all_statements if s.source_id}),
    )
    if tab == "grid":
        _fill_grid(page, data, statements, point_filtered=bool(point_id))
    elif tab == "timeline":
        shown = {s.pk for s in statements}
        timeline_all = arrange_timeline(data.order, all_statements)
        entries = [e for e in timeline_all if e.statement.pk in shown]
        page.timeline_page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(query.get("page"))
    else:
        page.sources = arrange_sources(statements, data.sources())
    return page


def _fill_grid(
    page: ComparisonPage, data: Comparison, statements: list[Statement], *, point_filtered: bool
) -> None:
    shown_sides = page.shown_sides
    rows = arrange_grid(data, statements) if shown_sides else []
    for row in rows:
        # Cells keep the index of their side in the whole conflict, so a side's colour
        # and number stay the same when the grid is filtered to fewer columns.
        row.cells = [cell for cell in row.cells if cell.party in shown_sides]
        # A row filtered to one point shows all of it; otherwise long cells are cut.
        if not (point_filtered and row.point is not None):
            for cell in row.cells:
                cell.limit(CELL_LIMIT)
    reactions = arrange_reactions(data.order, statements)
    if not page.third_party_shown:
        for group in reactions:
            group.hidden = max(0, len(group.statements) - CELL_LIMIT)
            group.statements = group.statements[:CELL_LIMIT]
    located = located_claims(data)
    for row in rows:
        if row.point is not None:
            row.location_map = maps.location_claims_map(row.point, located[row.point.pk])
    page.rows = rows
    page.reactions = reactions
    page.side_headers = [(p, data.order.index(p.pk) or 0) for p in shown_sides]


def located_claims(data: Comparison) -> dict[int, list[tuple[Claim, Party, int]]]:
    """By point: the sides' claims that state a location, with the side and its index
    (its colour), from every statement the visitor may see: a point's map shows them
    all even when the grid's cells are cut short. One pass for all points."""
    found: dict[int, list[tuple[Claim, Party, int]]] = defaultdict(list)
    for s in data.statements:
        index = data.order.index(s.party_id)
        if index is None:
            continue
        for c in data.claims_of(s):
            if c.claim.location_id:
                found[c.point_id].append((c.claim, s.party, index))
    return found
