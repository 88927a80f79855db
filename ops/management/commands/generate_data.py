"""Fill the database with synthetic data at the sizes of the design notes.

    python manage.py generate_data --incidents 10000 --statements 300000 \
        --annotations 100000 --actors 2000
    python manage.py generate_data --clear      # remove synthetic data only

Invented conflicts (two or three sides each, plus third parties that react) with a
skewed size distribution: most incidents have a handful of statements, a few "major"
incidents have 300 statements and 1,000 annotations (the comparison page the
benchmark measures). Every row is consistent with the database triggers: spans lie
inside their statement's text and a statement's party is its actor's party.

Synthetic rows are marked so they never mix with the demo or with real content:
incidents have is_synthetic=True; parties, conflicts, actors and places have slugs
starting with "synth-"; sources have URLs on synthetic.parallax.invalid. `--clear`
removes exactly those rows.

Rows are written with bulk_create (no save(), no signals, no simple_history rows:
synthetic data needs no edit history), one chunk of incidents at a time.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from core.cache import bump_generation
from geo import boundaries
from incidents.models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    Conflict,
    ConflictSide,
    Incident,
    Party,
    Place,
    PlaceName,
    PointOfContention,
    Source,
    Statement,
)

SLUG_PREFIX = "synth-"
SOURCE_URL_PREFIX = "https://synthetic.parallax.invalid/"
# Search terms the benchmark looks for: one in roughly a fifth of all statements,
# one in a handful.
COMMON_TERM = "ceasefire"
RARE_TERM = "heliograph"
RARE_EVERY = 10_007  # about 30 statements in 300,000


def words(text: str) -> list[str]:
    return text.split()


# Invented conflicts: (name, sides). Nothing here refers to a real conflict.
CONFLICTS = [
    ("Northmark–Eastvale", ["Northmark", "Eastvale"]),
    ("Riverland–Highcoast–Saltplain", ["Riverland", "Highcoast", "Saltplain"]),
    ("Ostria–Velmark", ["Ostria", "Velmark"]),
    ("Kestria–Dunmoor", ["Kestria", "Dunmoor"]),
    ("Amberly–Corvane–Thessel", ["Amberly", "Corvane", "Thessel"]),
]
THIRD_PARTIES = [
    ("Concord of Nations", Party.Kind.ORGANISATION),
    ("Union of the Lakes", Party.Kind.ORGANISATION),
    ("Harbour League", Party.Kind.ORGANISATION),
    ("Republic of Palmora", Party.Kind.STATE),
    ("Kingdom of Esterhall", Party.Kind.STATE),
    ("Federation of Lorne", Party.Kind.STATE),
    ("Border Monitoring Mission", Party.Kind.GROUP),
    ("Red Lantern Society", Party.Kind.OTHER),
]
BODIES = [
    "Ministry of Defence",
    "Ministry of Foreign Affairs",
    "Border Guard Service",
    "Office of the President",
    "Press Service of the Government",
    "National Security Council",
    "General Staff",
    "Permanent Mission",
    "Human Rights Ombudsman",
    "State Information Agency",
]
ROLES = [
    "spokesperson",
    "Foreign Minister",
    "Defence Minister",
    "Prime Minister",
    "President",
    "deputy spokesperson",
    "envoy",
    "ambassador",
    "press secretary",
    "chief of staff",
]
FIRST = words(
    "Aren Bela Cato Dara Elin Faro Gita Hale Ines Joren Kaia Lev Mira Nilo Oska Pell "
    "Rina Soren Tova Ulla Vero Wen Yara Zev "
)
LAST = words(
    "Abrell Brenn Castel Dorne Evrin Falk Grael Holm Ivers Jask Korr Lind Morrow Nesk "
    "Orlan Pryce Quell Rask Sorn Tarrow Ulm Vance Wick Yorin Zale "
)
PLACE_ROOTS = words(
    "Ash Birch Cold Deep Elder Fern Grey High Iron Juniper Kite Long Marsh North Oak "
    "Pine Quarry Red Stone Thorn Upper Vale West Yew "
)
PLACE_ENDS = words("ford field ridge hollow crossing gate brook heights pass mill ")
EVENTS = [
    "Exchange of fire",
    "Soldiers detained",
    "Drone strike reported",
    "Shelling of a village",
    "Border post seized",
    "Civilian killed",
    "Patrol crosses the line",
    "Mine explosion",
    "Prisoner exchange",
    "Road blockade",
]
POINT_LABELS = [
    "Whose territory was it?",
    "Who fired first?",
    "What were the soldiers doing?",
    "How many people were killed or wounded?",
    "Who is responsible?",
    "What should happen next?",
]
SENTENCES: dict[str, list[str]] = {
    "side": [
        "Units of {other} opened fire on our positions near {place} at dawn.",
        "Our forces returned fire only after {n} rounds landed near {place}.",
        "The soldiers were carrying out engineering work on our own territory near {place}.",
        "Claims by {other} that our troops crossed the line near {place} are a fabrication.",
        "{n} servicemen were wounded and evacuated from {place}.",
        "The provocation by {other} violates the ceasefire agreed last year.",
        "We hold {other} fully responsible for the escalation around {place}.",
        "Our positions near {place} were never moved, and maps prove it.",
        "The incident shows again that {other} is not interested in peace.",
        "We call for the immediate return of the {n} detained servicemen.",
        "The ministry published footage recorded near {place} on the same morning.",
        "No civilians were harmed by our units, whatever {other} says.",
    ],
    "third": [
        "We are deeply concerned by reports of fighting near {place}.",
        "We call on both sides to respect the ceasefire and to show restraint.",
        "The reported detention of {n} soldiers must be resolved through dialogue.",
        "We urge an independent investigation into the events near {place}.",
        "Monitors were not able to reach {place} to verify the accounts.",
        "We support the proposal to return to talks without preconditions.",
        "Humanitarian access to {place} must be guaranteed.",
        "All sides must refrain from statements that inflame tensions.",
    ],
}
TAGS = [t.value for t in Annotation.Tag]
NOTE_BODIES = [
    "The two accounts give different figures; neither has been independently confirmed.",
    "Satellite images published later do not show the positions described here.",
    "Translated from the original; the word used also means 'incursion'.",
    "The same claim was made about an earlier incident at this place.",
    "Footage referred to here has not been released in full.",
    "An international monitor reported a similar sequence of events.",
]


@dataclass
class Sizes:
    incidents: int
    statements: int
    annotations: int
    actors: int
    major: int = 0
    major_statements: int = 0
    major_annotations: int = 0
    per_incident: list[int] = field(default_factory=list)


def plan_sizes(sizes: Sizes, rng: random.Random) -> Sizes:
    """Skewed statement counts: a few major incidents of 300 statements (and 1,000
    annotations), the rest drawn from a log-normal distribution (most incidents
    small, a long tail), scaled so the total is exactly --statements."""
    n = sizes.incidents
    sizes.major = max(1, round(n / 1000))
    sizes.major_statements = max(2, min(300, sizes.statements // (4 * sizes.major)))
    sizes.major_annotations = min(1000, sizes.annotations // (4 * sizes.major))
    rest_incidents = n - sizes.major
    rest_statements = sizes.statements - sizes.major * sizes.major_statements
    if rest_incidents <= 0:
        sizes.per_incident = [sizes.major_statements] * sizes.major
        return sizes
    cap = max(1, sizes.major_statements - 50)
    weights = [rng.lognormvariate(0.0, 1.1) for _ in range(rest_incidents)]
    total = sum(weights)
    counts = [max(1, min(cap, round(w * rest_statements / total))) for w in weights]
    # Adjust to the exact total, one statement at a time, largest first.
    diff = rest_statements - sum(counts)
    order = sorted(range(rest_incidents), key=lambda i: -counts[i])
    i = 0
    guard = 0
    while diff != 0 and guard < 10 * rest_incidents + abs(diff) * 4:
        j = order[i % rest_incidents]
        if diff > 0 and counts[j] < cap:
            counts[j] += 1
            diff -= 1
        elif diff < 0 and counts[j] > 1:
            counts[j] -= 1
            diff += 1
        i += 1
        guard += 1
    sizes.per_incident = [sizes.major_statements] * sizes.major + counts
    return sizes


def span_of(text: str, start: int, end: int, context: int = 32) -> dict[str, Any]:
    """The fields AnchoredSpan.set_span() would set."""
    return {
        "start": start,
        "end": end,
        "quote": text[start:end],
        "prefix": text[max(0, start - context) : start],
        "suffix": text[end : end + context],
    }


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch == "." and (i + 1 == len(text) or text[i + 1] == " "):
            spans.append((start, i + 1))
            start = i + 2
    return spans or [(0, len(text))]


class Command(BaseCommand):
    help = "Generate synthetic incidents, statements and annotations (or --clear them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incidents", type=int, default=0)
        parser.add_argument("--statements", type=int, default=0)
        parser.add_argument("--annotations", type=int, default=0)
        parser.add_argument("--actors", type=int, default=0)
        parser.add_argument("--seed", type=int, default=20210512)
        parser.add_argument("--chunk", type=int, default=250, help="Incidents per transaction.")
        parser.add_argument(
            "--clear", action="store_true", help="Remove all synthetic data (and nothing else)."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        self.progress = not opts["no_progress"]
        if opts["clear"]:
            self.clear()
        if not opts["incidents"]:
            if not opts["clear"]:
                raise CommandError("Nothing to do: give --incidents N ... or --clear.")
            return
        if Incident.objects.filter(is_synthetic=True).exists():
            raise CommandError("Synthetic data already exists; add --clear to replace it.")
        if opts["statements"] < opts["incidents"]:
            raise CommandError("--statements must be at least --incidents.")
        rng = random.Random(opts["seed"])
        sizes = plan_sizes(
            Sizes(opts["incidents"], opts["statements"], opts["annotations"], opts["actors"]),
            rng,
        )
        self.generate(sizes, rng, opts["chunk"])

    # --- clearing ---------------------------------------------------------------

    def clear(self) -> None:
        """Delete synthetic rows children first, without the ORM's cascade collector:
        it would load 300,000 statements into memory to send their signals. The
        history tables hold no synthetic rows (bulk_create writes none)."""
        synthetic = {"slug__startswith": SLUG_PREFIX}
        inc = {"incident__is_synthetic": True}
        st = {"statement__incident__is_synthetic": True}
        querysets = [
            ClaimRelation.objects.filter(from_claim__statement__incident__is_synthetic=True),
            ClaimRelation.objects.filter(to_claim__statement__incident__is_synthetic=True),
            Annotation.objects.filter(**st),
            Claim.objects.filter(**st),
            Statement.objects.filter(**inc),
            PointOfContention.objects.filter(**inc),
            Incident.places.through.objects.filter(**inc),
            Incident.related.through.objects.filter(from_incident__is_synthetic=True),
            Incident.related.through.objects.filter(to_incident__is_synthetic=True),
            Incident.objects.filter(is_synthetic=True),
            Source.objects.filter(url__startswith=SOURCE_URL_PREFIX),
            PlaceName.objects.filter(place__slug__startswith=SLUG_PREFIX),
            Place.objects.filter(**synthetic),
            Actor.objects.filter(**synthetic),
            Conflict.third_parties.through.objects.filter(conflict__slug__startswith=SLUG_PREFIX),
            ConflictSide.objects.filter(conflict__slug__startswith=SLUG_PREFIX),
            Conflict.objects.filter(**synthetic),
            # A synthetic party that real data came to use (never by design) is kept.
            Party.objects.filter(**synthetic).exclude(actors__isnull=False),
        ]
        # Rows of other apps that point at synthetic statements (the search index).
        outside = [
            rel.related_model._default_manager.filter(
                **{f"{rel.field.name}__incident__is_synthetic": True}
            )
            for rel in Statement._meta.related_objects
            if rel.related_model._meta.app_label != "incidents"
            and not rel.related_model.__name__.startswith("Historical")
            and not rel.many_to_many
        ]
        with transaction.atomic():
            for qs in [*outside, *querysets]:
                # _raw_delete: one DELETE statement, no signals, no cascade collection.
                qs._raw_delete(qs.db)
        bump_generation()
        self.stdout.write("Synthetic data removed.")

    # --- generation -------------------------------------------------------------

    def generate(self, sizes: Sizes, rng: random.Random, chunk: int) -> None:
        with transaction.atomic():
            registry = self.make_registry(sizes, rng)
        order = list(range(sizes.incidents))
        # Major incidents are spread through the list rather than all first.
        rng.shuffle(order)
        ann_budget = sizes.annotations - sizes.major * sizes.major_annotations
        rest_statements = max(1, sizes.statements - sizes.major * sizes.major_statements)
        self.ann_rate = max(0.0, ann_budget / rest_statements)
        self.now = timezone.now()
        bar = tqdm(
            total=sizes.statements,
            unit="statement",
            disable=not self.progress,
            desc="generate_data",
        )
        self.serial = 0
        self.counts = {"incidents": 0, "statements": 0, "claims": 0, "annotations": 0}
        for first in range(0, sizes.incidents, chunk):
            batch = order[first : first + chunk]
            with transaction.atomic():
                written = self.write_chunk(batch, sizes, registry, rng)
            bar.update(written)
        bar.close()
        # bulk_create sent no signals: refresh what signals would have kept in step.
        bump_generation()
        if "rebuild_search_index" in get_commands():
            call_command("rebuild_search_index", stdout=self.stdout)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        self.stdout.write(
            "Generated {incidents} incidents, {statements} statements, {claims} claims, "
            "{annotations} annotations.".format(**self.counts)
        )

    def make_registry(self, sizes: Sizes, rng: random.Random) -> dict[str, Any]:
        def party(name: str, kind: str) -> Party:
            p, _ = Party.objects.get_or_create(
                slug=SLUG_PREFIX + slugify(name),
                defaults={"name": name, "kind": kind, "demonyms": [name + "i"]},
            )
            return p

        thirds = [party(name, kind) for name, kind in THIRD_PARTIES]
        conflicts: list[dict[str, Any]] = []
        all_parties: list[Party] = list(thirds)
        for cname, side_names in CONFLICTS:
            sides = [party(n, Party.Kind.STATE) for n in side_names]
            all_parties += sides
            c, created = Conflict.objects.get_or_create(
                slug=SLUG_PREFIX + slugify(cname), defaults={"name": cname}
            )
            if created:
                ConflictSide.objects.bulk_create(
                    ConflictSide(conflict=c, party=p, order=i) for i, p in enumerate(sides)
                )
                c.third_parties.set(rng.sample(thirds, k=rng.randint(3, 6)))
            conflicts.append(
                {
                    "conflict": c,
                    "sides": sides,
                    "thirds": list(c.third_parties.all()),
                    "places": [],
                }
            )
        # Places: about twenty per conflict, administered by one of its sides, each at
        # an invented point inside an administrative area of one real country per
        # conflict (the conflicts spread over the world, so the list's map at full
        # size is a world map: its largest case).
        admin1 = sorted(boundaries.load().admin1.values(), key=lambda a: a.code)
        places = []
        for ci, info in enumerate(conflicts):
            country = rng.choice(admin1).country
            areas = [a for a in admin1 if a.country == country]
            for k in range(20):
                name = f"{rng.choice(PLACE_ROOTS)}{rng.choice(PLACE_ENDS)}"
                area = rng.choice(areas)
                lon, lat = area.anchor
                places.append(
                    Place(
                        name=name,
                        slug=f"{SLUG_PREFIX}{ci}-{k}-{slugify(name)}",
                        administered_by=rng.choice(info["sides"]),
                        latitude=round(lat + rng.uniform(-0.05, 0.05), 5),
                        longitude=round(lon + rng.uniform(-0.05, 0.05), 5),
                        area_code=area.code,
                    )
                )
        Place.objects.bulk_create(places)
        for ci, info in enumerate(conflicts):
            info["places"] = places[ci * 20 : (ci + 1) * 20]
        # Actors: bodies and people, spread over all parties (sides get more).
        actors = []
        weights = [3 if p not in thirds else 1 for p in all_parties]
        for i in range(max(sizes.actors, 2 * len(all_parties))):
            p = all_parties[i] if i < len(all_parties) else rng.choices(all_parties, weights)[0]
            if i < 2 * len(all_parties) or rng.random() < 0.3:
                body = BODIES[i % len(BODIES)]
                name, kind, role = f"{p.name} {body}", Actor.Kind.BODY, ""
            else:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                kind, role = Actor.Kind.PERSON, f"{rng.choice(ROLES)} of {p.name}"
            actors.append(
                Actor(
                    name=name,
                    slug=f"{SLUG_PREFIX}{i}-{slugify(name)}"[:200],
                    kind=kind,
                    party=p,
                    role=role,
                )
            )
        Actor.objects.bulk_create(actors, batch_size=1000)
        by_party: dict[int, list[Actor]] = {}
        for a in actors:
            by_party.setdefault(a.party_id, []).append(a)
        return {"conflicts": conflicts, "actors": by_party}

    def write_chunk(
        self, batch: list[int], sizes: Sizes, registry: dict[str, Any], rng: random.Random
    ) -> int:
        conflicts = registry["conflicts"]
        actors = registry["actors"]
        start_day = date(2015, 1, 1)
        incidents, plans = [], []
        for idx in batch:
            info = conflicts[idx % len(conflicts)]
            major = idx < sizes.major
            day = start_day + timedelta(days=rng.randrange(3650))
            place = rng.choice(info["places"])
            title = f"{rng.choice(EVENTS)} near {place.name}"
            published = major or rng.random() < 0.9
            incidents.append(
                Incident(
                    conflict=info["conflict"],
                    title=("Major: " if major else "") + title,
                    slug=f"{SLUG_PREFIX}{idx}-{day:%Y-%m-%d}-{slugify(title)}"[:200],
                    date_start=day,
                    summary=f"Synthetic incident {idx}: accounts of {title.lower()} differ.",
                    status=Incident.Status.PUBLISHED if published else Incident.Status.DRAFT,
                    published_at=self.now if published else None,
                    is_synthetic=True,
                )
            )
            plans.append((idx, info, major, place, day))
        Incident.objects.bulk_create(incidents)
        Incident.places.through.objects.bulk_create(
            Incident.places.through(incident_id=inc.pk, place_id=plan[3].pk)
            for inc, plan in zip(incidents, plans, strict=True)
        )
        self.counts["incidents"] += len(incidents)

        points: list[PointOfContention] = []
        sources: list[Source] = []
        st_rows: list[tuple[Statement, int, bool]] = []  # statement, source index, major
        for inc, (idx, info, major, place, day) in zip(incidents, plans, strict=True):
            n_points = 5 if major else rng.randint(2, 4)
            inc_points = [
                PointOfContention(incident=inc, label=label, order=k)
                for k, label in enumerate(rng.sample(POINT_LABELS, n_points))
            ]
            points += inc_points
            inc._points = inc_points  # type: ignore[attr-defined]
            n = sizes.per_incident[idx]
            n_sources = max(1, min(12, n // 25 + 1))
            source_texts: list[list[str]] = [[] for _ in range(n_sources)]
            first_source = len(sources)
            for k in range(n_sources):
                sources.append(
                    Source(
                        url=f"{SOURCE_URL_PREFIX}{idx}/{k}",
                        publisher=f"{rng.choice(info['sides']).name} State Agency",
                        title=f"Statements on {inc.title} ({k + 1})",
                        published_on=day,
                        kind=Source.Kind.AGENCY,
                    )
                )
            for _ in range(n):
                third = bool(info["thirds"]) and rng.random() < 0.2
                party = rng.choice(info["thirds"] if third else info["sides"])
                actor = rng.choice(actors[party.pk])
                other = rng.choice([p for p in info["sides"] if p != party] or info["sides"])
                pool = SENTENCES["third" if third else "side"]
                words = [
                    s.format(other=other.name, place=place.name, n=rng.randint(1, 12))
                    for s in rng.sample(pool, rng.randint(2, 4))
                ]
                self.serial += 1
                if self.serial % RARE_EVERY == 0:
                    words.append(f"A {RARE_TERM} signal was seen from the ridge.")
                text = " ".join(words)
                src = first_source + rng.randrange(n_sources)
                published_st = inc.status == Incident.Status.PUBLISHED and (
                    major or rng.random() < 0.95
                )
                leaning, towards = "", None
                if third:
                    leaning = rng.choice(["none", "both", "side"])
                    towards = rng.choice(info["sides"]) if leaning == "side" else None
                st = Statement(
                    incident=inc,
                    actor=actor,
                    party=party,
                    text=text,
                    kind=rng.choice(Statement.Kind.values),
                    statement_type=rng.choice(Statement.Type.values),
                    leaning=leaning,
                    leaning_towards=towards,
                    issued_on=day + timedelta(days=rng.randrange(5)),
                    status=Statement.Status.PUBLISHED if published_st else Statement.Status.DRAFT,
                    published_at=self.now if published_st else None,
                    quote_verified=True,
                )
                # Offsets into the source's archived text, built below.
                offset = sum(len(t) + 2 for t in source_texts[src - first_source])
                st.source_start, st.source_end = offset, offset + len(text)
                source_texts[src - first_source].append(text)
                st_rows.append((st, src, major))
            for k in range(n_sources):
                archived = "\n\n".join(source_texts[k])
                s = sources[first_source + k]
                s.archived_text = archived
                s.sha256 = hashlib.sha256(archived.encode("utf-8")).hexdigest()
                s.captured_at = self.now
        Source.objects.bulk_create(sources, batch_size=500)
        PointOfContention.objects.bulk_create(points, batch_size=2000)
        statements = []
        for st, src, _ in st_rows:
            st.source = sources[src]
            statements.append(st)
        Statement.objects.bulk_create(statements, batch_size=2000)
        self.counts["statements"] += len(statements)

        claims: list[Claim] = []
        annotations: list[Annotation] = []
        major_seen: dict[int, int] = {}
        for st, _, major in st_rows:
            spans = sentence_spans(st.text)
            inc_points = st.incident._points  # type: ignore[attr-defined]
            if rng.random() < 0.6:
                a, b = rng.choice(spans)
                claims.append(
                    Claim(statement=st, point=rng.choice(inc_points), **span_of(st.text, a, b))
                )
            if major:
                # Exactly major_annotations per major incident, spread evenly.
                pos = major_seen[st.incident_id] = major_seen.get(st.incident_id, -1) + 1
                base, extra = divmod(sizes.major_annotations, sizes.major_statements)
                k = base + (pos < extra)
            else:
                k = int(self.ann_rate) + (rng.random() < self.ann_rate % 1)
            for _ in range(k):
                a, b = rng.choice(spans)
                # Often a few words rather than the whole sentence.
                if b - a > 20 and rng.random() < 0.5:
                    a2 = st.text.find(" ", a + 1, b - 5)
                    a = a2 + 1 if a2 != -1 else a
                annotations.append(
                    Annotation(
                        statement=st,
                        tag=rng.choice(TAGS),
                        body=rng.choice(NOTE_BODIES),
                        visibility=Annotation.Visibility.PUBLIC
                        if rng.random() < 0.7
                        else Annotation.Visibility.INTERNAL,
                        **span_of(st.text, a, b),
                    )
                )
        Claim.objects.bulk_create(claims, batch_size=2000)
        Annotation.objects.bulk_create(annotations, batch_size=2000)
        self.counts["claims"] += len(claims)
        self.counts["annotations"] += len(annotations)
        return len(statements)
