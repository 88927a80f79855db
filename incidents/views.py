"""Public pages: the incident list, the comparison page and the statement, actor, party
and source pages.

Every query goes through `visible_to(request.user)`: the public sees published
incidents, their public statements and public annotations; analysts and editors see
drafts and internal notes too. A partial is checked exactly like its page, because a
client can request any partial directly.

The comparison page loads an incident's statements once (with their claims and
annotations prefetched) and arranges them in Python, so its number of queries does
not grow with the number of statements or annotations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from accounts.models import can_edit
from core.cache import depends_on
from core.http import HtmxHttpRequest

from . import caching
from .forms import TABS, IncidentFilterForm, IncidentViewForm
from .models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    ConflictSide,
    Incident,
    Party,
    PlaceName,
    PointOfContention,
    Source,
    Statement,
)

PAGE_SIZE = 20
STATEMENTS_PAGE_SIZE = 25
# The comparison page shows at most this many cards per grid cell (and per third
# party) unless filtered down to that cell; a link leads to the rest. This keeps an
# incident with hundreds of statements readable and its page fast.
CELL_LIMIT = 5
TIMELINE_PAGE_SIZE = 50


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request gets the partial; a history restore after a cache miss needs
    the whole page, because htmx swaps it in as the document body."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def statements_for(
    user: Any,
    *,
    claims: bool = False,
    notes: bool = False,
    incident: bool = True,
    joins: bool = True,
) -> QuerySet[Statement]:
    """Statements the user may see, with everything a statement card shows.

    Cards only say how many notes a statement has: `note_count`, counted in the
    database from the notes the user may see. `notes=True` prefetches the notes
    themselves (the statement page lists them); `claims=True` prefetches the claims.
    The source's archived text is deferred: cards only link to the source, and one
    article quoted by fifty statements would otherwise be fetched fifty times.
    """
    # `joins=False` leaves the speakers, parties and sources out: a page showing
    # hundreds of statements by a few dozen speakers attaches them itself (see
    # load_comparison), building each once instead of once per row.
    related = ["actor", "party", "leaning_towards", "source"] if joins else ["source"]
    if incident:
        related.append("incident")
    note_count = (
        Annotation.objects.visible_on_shown_statement(user)
        .filter(statement=OuterRef("pk"))
        .order_by()
        .values("statement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        Statement.objects.visible_to(user)
        .select_related(*related)
        .defer("source__archived_text")
        .annotate(note_count=Coalesce(Subquery(note_count, output_field=IntegerField()), 0))
    )
    if notes:
        qs = qs.prefetch_related(
            Prefetch(
                "annotations",
                queryset=Annotation.objects.visible_to(user).order_by("start", "id"),
            )
        )
    if claims:
        claim_qs = Claim.objects.order_by("start", "id")
        if notes:
            claim_qs = claim_qs.select_related("point")
        qs = qs.prefetch_related(Prefetch("claims", queryset=claim_qs))
    return qs


def statement_claims(statement: Statement) -> list[Claim]:
    """The statement's prefetched claims as a list, built once per statement: the
    comparison page walks them several times for 300 statements, and each
    `.claims.all()` builds a new QuerySet."""
    cached = getattr(statement, "_claim_list", None)
    if cached is None:
        cached = list(statement.claims.all())
        statement._claim_list = cached  # type: ignore[attr-defined]
    return cached


@dataclass
class Segment:
    """A run of text and the numbered marks (annotations, statements) covering it."""

    text: str
    marks: list[int] = field(default_factory=list)
    classes: str = ""
    # Marks that begin in this segment: the anchor a link to the mark jumps to.
    starts: list[int] = field(default_factory=list)


def segment_text(text: str, spans: list[tuple[int, int, int, str]]) -> list[Segment]:
    """Cut `text` at every span boundary so overlapping spans can each be highlighted.

    `spans` holds (start, end, number, css class); out-of-range spans are clipped.
    """
    size = len(text)
    clipped = [
        (max(0, s), min(size, e), n, c) for s, e, n, c in spans if s is not None and e is not None
    ]
    clipped = [sp for sp in clipped if sp[0] < sp[1]]
    cuts = sorted({0, size, *(s for s, *_ in clipped), *(e for _, e, *_ in clipped)})
    segments: list[Segment] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [sp for sp in clipped if sp[0] <= a and b <= sp[1]]
        segments.append(
            Segment(
                text=text[a:b],
                marks=[n for _, _, n, _ in covering],
                classes=" ".join(dict.fromkeys(t for *_, c in covering for t in c.split())),
                starts=[n for s, _, n, _ in covering if s == a],
            )
        )
    return segments


def describe_delay(days: int, party: Party) -> str:
    if days == 0:
        return f"Same day as {party.label}’s first statement"
    unit = "day" if abs(days) == 1 else "days"
    if days > 0:
        return f"{days} {unit} after {party.label}’s first statement"
    return f"{-days} {unit} before {party.label}’s first statement"


# --- incident list -------------------------------------------------------------------


@require_safe
@vary_on_headers("HX-Request")
def incident_list(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    depends_on(*caching.list_scopes())
    form = IncidentFilterForm(request.GET or None, user=user)
    incidents = form.filter(Incident.objects.visible_to(user))
    statement_count = (
        Statement.objects.visible_to(user)
        .filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(n=Count("pk"))
        .values("n")
    )
    incidents = (
        incidents.select_related("conflict")
        .prefetch_related(
            "places",
            Prefetch(
                "conflict__conflictside_set",
                queryset=ConflictSide.objects.select_related("party").order_by("order"),
            ),
        )
        .annotate(
            statement_count=Coalesce(Subquery(statement_count, output_field=IntegerField()), 0)
        )
        .order_by("-date_start", "-id")
    )
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = bool(form.valid_values())
    context = {"form": form, "page": page, "filtered": filtered}
    template = "incidents/incident_list.html"
    if wants_fragment(request):
        template += "#incident-results"
    return render(request, template, context)


# --- comparison page -----------------------------------------------------------------


@dataclass
class Cell:
    party: Party
    side_index: int
    claims: list[Claim] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    hidden: int = 0  # cards left out by CELL_LIMIT

    @property
    def side_class(self) -> str:
        return f"side-{self.side_index}"

    def limit(self, n: int) -> None:
        self.hidden = max(0, len(self.claims) - n) + max(0, len(self.statements) - n)
        self.claims, self.statements = self.claims[:n], self.statements[:n]


@dataclass
class Row:
    point: PointOfContention | None
    cells: list[Cell]


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
        return "" if self.side_index is None else f"side-{self.side_index}"


@dataclass
class SourceEntry:
    source: Source
    statements: list[Statement]


# What the comparison page needs of every visible statement to place it (grid cell,
# timeline delay, counts); the rest is loaded only for the cards actually shown.
PLACING_FIELDS = ("actor", "party", "leaning_towards", "issued_on", "source")


@dataclass
class Comparison:
    """An incident's statements as the comparison page arranges them.

    `statements` holds every statement the visitor may see, with only the columns
    that place it (PLACING_FIELDS), its claims, speaker and party. A 300-statement
    incident shows about 90 cards at a time, so `cards()` loads the full rows (text,
    source, note count) of just those: building all 300 cost more than everything
    else on the page together (docs/performance.md).
    """

    incident: Incident
    user: Any
    sides: list[Party]
    places: list[Any]
    points: list[PointOfContention]
    statements: list[Statement]
    related: list[Incident]
    parties: dict[int, Party]

    def cards(self, ids: set[int]) -> dict[int, Statement]:
        """The statements with these ids, with everything a card shows, in one query."""
        if not ids:
            return {}
        light = {s.pk: s for s in self.statements}
        found = (
            statements_for(self.user, incident=False, joins=False)
            .select_related("actor")
            .filter(incident=self.incident)
            .in_bulk(ids)
        )
        # One object per speaker and per source, so that each link to them is built
        # once however many cards show them (memo_reverse).
        actors: dict[int, Actor] = {}
        sources: dict[int, Source] = {}
        for s in found.values():
            self.attach(s)
            s.actor = actors.setdefault(s.actor_id, s.actor)
            if s.source is not None:
                s.source = sources.setdefault(s.source.pk, s.source)
            s._claim_list = light[s.pk]._claim_list  # type: ignore[attr-defined]
        return found

    def attach(self, s: Statement) -> None:
        # The parties already loaded stand in for the joins this page leaves out.
        s.party = self.parties[s.party_id]
        s.leaning_towards = self.parties.get(s.leaning_towards_id) if s.leaning_towards_id else None
        s.incident = self.incident

    def sources(self) -> dict[int, Source]:
        ids = {s.source_id for s in self.statements if s.source_id}
        return Source.objects.defer("archived_text").in_bulk(ids) if ids else {}


def load_comparison(incident: Incident, user: Any, *, speakers: bool = False) -> Comparison:
    """Everything the comparison page arranges, in a fixed number of queries.
    `speakers=True` also loads each statement's speaker (the sources tab names them
    all; the other views only name the speakers of the cards shown)."""
    # The conflict's sides (in order) and the third parties it records, in one query:
    # a statement's party is always one of them (Statement.clean).
    side_order = ConflictSide.objects.filter(
        conflict=incident.conflict_id, party=OuterRef("pk")
    ).values("order")[:1]
    parties: dict[int, Party] = {
        p.pk: p
        for p in Party.objects.of_conflict(pk=incident.conflict_id).annotate(
            side_order=Subquery(side_order)
        )
    }
    sides = sorted(
        (p for p in parties.values() if p.side_order is not None),  # type: ignore[attr-defined]
        key=lambda p: (p.side_order, p.pk),  # type: ignore[attr-defined]
    )
    places = list(
        incident.places.prefetch_related(
            Prefetch(
                "names", queryset=PlaceName.objects.select_related("party").order_by("party__name")
            )
        )
    )
    points = list(incident.points.order_by("order", "id"))
    light = Statement.objects.visible_to(user).filter(incident=incident)
    if speakers:
        light = light.select_related("actor").only(*PLACING_FIELDS, "actor__name", "actor__slug")
    else:
        light = light.only(*PLACING_FIELDS)
    statements = list(light.order_by("issued_on", "id"))
    # The incident's claims in one plain query, handed to their statements here:
    # a prefetch over 300 statement ids cost three times as much (docs/performance.md).
    # Claims of statements this visitor may not see are dropped.
    by_id = {s.pk: s for s in statements}
    for s in statements:
        s._claim_list = []  # type: ignore[attr-defined]
    points_by_id = {p.pk: p for p in points}
    for c in Claim.objects.filter(statement__incident=incident).order_by("start", "id"):
        owner = by_id.get(c.statement_id)
        if owner is not None:
            owner._claim_list.append(c)  # type: ignore[attr-defined]
            if c.point_id in points_by_id:
                c.point = points_by_id[c.point_id]
    # Data entered before a party was recorded for the conflict still shows.
    missing = {
        pid
        for s in statements
        for pid in (s.party_id, s.leaning_towards_id)
        if pid and pid not in parties
    }
    if missing:
        parties.update(Party.objects.in_bulk(missing))
    related = list(
        Incident.objects.visible_to(user).filter(related=incident).order_by("-date_start")
    )
    comparison = Comparison(
        incident=incident,
        user=user,
        sides=sides,
        places=places,
        points=points,
        statements=statements,
        related=related,
        parties=parties,
    )
    for s in statements:
        comparison.attach(s)
    link_claim_relations(incident, statements)
    return comparison


@dataclass
class RelationLink:
    """A claim relation seen from one of its ends (`outgoing`: this claim is the subject)."""

    kind: str
    other: Claim
    outgoing: bool


def link_claim_relations(incident: Incident, statements: list[Statement]) -> None:
    """Attach to each claim its relations (contradicts, denies...) with other claims of
    this incident, in one query. A relation is shown only when both of its claims
    belong to statements the visitor may see, so a draft's claim never shows through."""
    claims: dict[int, Claim] = {}
    for s in statements:
        for c in statement_claims(s):
            c.statement = s
            c.relation_links = []  # type: ignore[attr-defined]
            claims[c.pk] = c
    relations = ClaimRelation.objects.filter(from_claim__point__incident=incident).only(
        "from_claim_id", "to_claim_id", "kind"
    )
    for r in relations.order_by("id"):
        a, b = claims.get(r.from_claim_id), claims.get(r.to_claim_id)
        if a is None or b is None:
            continue
        label = r.get_kind_display()
        a.relation_links.append(RelationLink(kind=label, other=b, outgoing=True))  # type: ignore[attr-defined]
        b.relation_links.append(RelationLink(kind=label, other=a, outgoing=False))  # type: ignore[attr-defined]


def arrange_grid(
    sides: list[Party], points: list[PointOfContention], statements: list[Statement]
) -> list[Row]:
    """Points x sides: each cell holds that side's claims on that point; a last row
    holds each side's statements not yet assigned to any point."""
    side_index = {p.pk: i for i, p in enumerate(sides)}
    by_point: dict[int, dict[int, list[Claim]]] = defaultdict(lambda: defaultdict(list))
    unassigned: dict[int, list[Statement]] = defaultdict(list)
    for s in statements:
        if s.party_id not in side_index:
            continue
        claims = statement_claims(s)
        for c in claims:
            by_point[c.point_id][s.party_id].append(c)
        if not claims:
            unassigned[s.party_id].append(s)
    rows = [
        Row(
            point=p,
            cells=[
                Cell(party=side, side_index=side_index[side.pk], claims=by_point[p.pk][side.pk])
                for side in sides
            ],
        )
        for p in points
    ]
    if any(unassigned.values()):
        rows.append(
            Row(
                point=None,
                cells=[
                    Cell(party=side, side_index=side_index[side.pk], statements=unassigned[side.pk])
                    for side in sides
                ],
            )
        )
    return rows


def arrange_timeline(sides: list[Party], statements: list[Statement]) -> list[TimelineEntry]:
    """Every statement in issue order, with the delay since the first statement of
    another side (for a side) or of any side (for a third party)."""
    side_index = {p.pk: i for i, p in enumerate(sides)}
    first: dict[int, date] = {}
    for s in statements:
        if s.party_id in side_index and s.party_id not in first:
            first[s.party_id] = s.issued_on
    by_pk = {p.pk: p for p in sides}
    entries = []
    for s in statements:
        others = [(d, pid) for pid, d in first.items() if pid != s.party_id]
        if others:
            d, pid = min(others, key=lambda x: (x[0], side_index[x[1]]))
            delay = describe_delay((s.issued_on - d).days, by_pk[pid])
        elif s.party_id in side_index:
            delay = "No statement from another side yet"
        else:
            delay = "No statement from a side yet"
        entries.append(
            TimelineEntry(statement=s, side_index=side_index.get(s.party_id), delay=delay)
        )
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


def arrange_reactions(sides: list[Party], statements: list[Statement]) -> list[ReactionGroup]:
    side_ids = {p.pk for p in sides}
    groups: dict[int, ReactionGroup] = {}
    for s in statements:
        if s.party_id not in side_ids:
            groups.setdefault(s.party_id, ReactionGroup(party=s.party, statements=[]))
            groups[s.party_id].statements.append(s)
    return list(groups.values())


@require_safe
@vary_on_headers("HX-Request")
def incident_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    incident = get_object_or_404(
        Incident.objects.visible_to(user).select_related("conflict"), slug=slug
    )
    depends_on(*caching.incident_scopes(incident.pk, incident.conflict_id))
    tab_asked = request.GET.get("tab")
    data = load_comparison(incident, user, speakers=tab_asked == "sources")
    sides = data.sides
    all_statements = data.statements

    parties = list(sides)
    for s in all_statements:
        if s.party not in parties:
            parties.append(s.party)
    form = IncidentViewForm(request.GET or None, points=data.points, parties=parties)
    values = form.valid_values()
    tab = values.get("tab", "grid")
    point_id = values.get("point")
    party_slug = values.get("party")

    statements = all_statements
    points = data.points
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
        points = [p for p in points if p.pk == point_id]
        statements = [
            s for s in statements if any(c.point_id == point_id for c in statement_claims(s))
        ]

    context: dict[str, Any] = {
        "incident": incident,
        "form": form,
        "tab": tab,
        "tabs": TABS,
        "sides": sides,
        "shown_sides": shown_sides,
        "places": data.places,
        "related": data.related,
        "filtered": bool(point_id or party_slug),
        "third_party_shown": third_party_shown,
        # Editors get their tools on every card (templates/editing/_statement_tools.html).
        "can_edit": can_edit(user),
        "statement_count": len(all_statements),
        "sources_count": len({s.source_id for s in all_statements if s.source_id}),
    }
    if tab == "grid":
        # Cells keep the index of their side in the whole conflict, so a side's colour
        # and number stay the same when the grid is filtered to fewer columns.
        index = {p.pk: i for i, p in enumerate(sides)}
        rows = arrange_grid(sides, points, statements) if shown_sides else []
        for row in rows:
            row.cells = [c for c in row.cells if c.party in shown_sides]
            # A row filtered to one point shows all of it; otherwise long cells are cut.
            if not (point_id and row.point is not None):
                for cell in row.cells:
                    cell.limit(CELL_LIMIT)
        reactions = arrange_reactions(sides, statements)
        if not third_party_shown:
            for group in reactions:
                group.hidden = max(0, len(group.statements) - CELL_LIMIT)
                group.statements = group.statements[:CELL_LIMIT]
        # Only now, the full rows of the cards that are shown.
        cards = data.cards(
            {c.statement_id for row in rows for cell in row.cells for c in cell.claims}
            | {s.pk for row in rows for cell in row.cells for s in cell.statements}
            | {s.pk for group in reactions for s in group.statements}
        )
        for row in rows:
            for cell in row.cells:
                for c in cell.claims:
                    c.statement = cards[c.statement_id]
                cell.statements = [cards[s.pk] for s in cell.statements]
        for group in reactions:
            group.statements = [cards[s.pk] for s in group.statements]
        context["rows"] = rows
        context["reactions"] = reactions
        context["side_headers"] = [(p, index[p.pk]) for p in shown_sides]
    elif tab == "timeline":
        shown = {s.pk for s in statements}
        entries = [e for e in arrange_timeline(sides, all_statements) if e.statement.pk in shown]
        page = Paginator(entries, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
        cards = data.cards({e.statement.pk for e in page.object_list})
        for e in page.object_list:
            e.statement = cards[e.statement.pk]
        context["timeline_page"] = page
    else:
        context["sources"] = arrange_sources(statements, data.sources())

    template = "incidents/incident_detail.html"
    if wants_fragment(request):
        template += "#incident-view"
    return render(request, template, context)


# --- statement, actor, party and source pages -----------------------------------------


@require_safe
@vary_on_headers("HX-Request")
def statement_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    statement = get_object_or_404(statements_for(user, claims=True, notes=True), pk=pk)
    depends_on(*caching.incident_scopes(statement.incident_id, statement.incident.conflict_id))
    annotations = list(statement.annotations.all())
    # A note whose words were lost in a text correction keeps its number in the list
    # but is not highlighted: its offsets may point at other words until an editor
    # re-anchors it.
    spans = [
        (a.start, a.end, n, f"ann ann-{a.tag}{' ann-internal' if a.is_internal else ''}")
        for n, a in enumerate(annotations, start=1)
        if not a.needs_review
    ]
    for n, a in enumerate(annotations, start=1):
        a.number = n  # type: ignore[attr-defined]
    source = None
    excerpt = ("", "", "")
    if statement.source_id:
        # The card query defers the archived text; the excerpt needs it.
        source = Source.objects.visible_to(user).filter(pk=statement.source_id).first()
        if source is not None:
            statement.source = source
            excerpt = statement.source_excerpt()
    # The expanded card keeps the colour of its side's column on the comparison page.
    side_ids = list(
        ConflictSide.objects.filter(conflict=statement.incident.conflict_id)
        .order_by("order")
        .values_list("party_id", flat=True)
    )
    side_class = (
        f"side-{side_ids.index(statement.party_id)}" if statement.party_id in side_ids else ""
    )
    context = {
        "statement": statement,
        "side_class": side_class,
        "annotations": annotations,
        "segments": segment_text(statement.text, spans),
        "excerpt": excerpt,
        "source": source,
        "claims": list(statement.claims.all()),
        "incident": statement.incident,
        "can_edit": can_edit(user),
    }
    template = "incidents/statement_detail.html"
    if wants_fragment(request):
        template += "#statement-full"
    return render(request, template, context)


def paginate_statements(request: HtmxHttpRequest, statements: QuerySet[Statement]) -> Any:
    return Paginator(statements.order_by("-issued_on", "-id"), STATEMENTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )


@require_safe
@vary_on_headers("HX-Request")
def actor_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    actor = get_object_or_404(Actor.objects.select_related("party"), slug=slug)
    depends_on(*caching.actor_scopes(actor.pk, actor.party_id))
    page = paginate_statements(request, statements_for(request.user).filter(actor=actor))
    template = "incidents/actor_detail.html"
    if wants_fragment(request):
        template += "#actor-statements"
    context = {"actor": actor, "page": page, "can_edit": can_edit(request.user)}
    return render(request, template, context)


@require_safe
@vary_on_headers("HX-Request")
def party_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    party = get_object_or_404(Party, slug=slug)
    depends_on(*caching.party_scopes(party.pk))
    page = paginate_statements(request, statements_for(request.user).filter(party=party))
    context = {
        "party": party,
        "page": page,
        "side_of": list(party.conflicts.order_by("name")),
        "observer_of": list(party.observed_conflicts.order_by("name")),
        "actors": list(party.actors.order_by("name")),
        "can_edit": can_edit(request.user),
    }
    template = "incidents/party_detail.html"
    if wants_fragment(request):
        template += "#party-statements"
    return render(request, template, context)


@require_safe
@vary_on_headers("HX-Request")
def source_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    source = get_object_or_404(Source.objects.visible_to(user), pk=pk)
    depends_on(*caching.source_scopes(source.pk))
    quoting = list(
        statements_for(user)
        .filter(source=source)
        .order_by(Coalesce("source_start", 0), "issued_on", "id")
    )
    spans = []
    for n, s in enumerate(quoting, start=1):
        s.number = n  # type: ignore[attr-defined]
        if s.source_start is not None and s.source_end is not None:
            spans.append((s.source_start, s.source_end, n, "quoted"))
    context = {
        "source": source,
        "statements": quoting,
        "segments": segment_text(source.archived_text, spans),
        "text_length": len(source.archived_text),
        "can_edit": can_edit(user),
    }
    template = "incidents/source_detail.html"
    if wants_fragment(request):
        template += "#source-body"
    return render(request, template, context)
