"""Explicit builders for test data. Each returns saved objects; nothing is random."""

from __future__ import annotations

from datetime import date

from incidents.models import (
    Actor,
    Annotation,
    Claim,
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


def party(name: str, slug: str, **kw) -> Party:
    return Party.objects.create(name=name, slug=slug, **kw)


def conflict(
    name: str, sides: list[Party], third_parties: tuple[Party, ...] | list[Party] = ()
) -> Conflict:
    c = Conflict.objects.create(name=name, slug=name.lower().replace(" ", "-").replace("–", "-"))
    for order, p in enumerate(sides):
        ConflictSide.objects.create(conflict=c, party=p, order=order)
    c.third_parties.set(third_parties)
    return c


def actor(name: str, p: Party, **kw) -> Actor:
    return Actor.objects.create(name=name, party=p, **kw)


def source(title: str = "A report", text: str = "", **kw) -> Source:
    return Source.objects.create(title=title, archived_text=text, **kw)


def incident(c: Conflict, title: str, published: bool = True, **kw) -> Incident:
    kw.setdefault("date_start", date(2024, 3, 1))
    inc = Incident.objects.create(conflict=c, title=title, **kw)
    if published:
        inc.publish()
    return inc


def statement(inc: Incident, a: Actor, text: str, published: bool = True, **kw) -> Statement:
    kw.setdefault("issued_on", inc.date_start)
    s = Statement.objects.create(incident=inc, actor=a, party=a.party, text=text, **kw)
    if published:
        s.publish()
    return s


def point(inc: Incident, label: str, order: int = 0) -> PointOfContention:
    return PointOfContention.objects.create(incident=inc, label=label, order=order)


class World:
    """A small two-sided conflict with one third party, written for the tests:
    the invented states of Northland and Southland and the League of Harbours."""

    def __init__(self) -> None:
        self.north = party("Northland", "northland", demonyms=["Northern"])
        self.south = party("Southland", "southland", demonyms=["Southern"])
        self.league = party("League of Harbours", "league", kind=Party.Kind.ORGANISATION)
        self.conflict = conflict("North–South", [self.north, self.south], [self.league])
        self.north_mod = actor("Northland Defence Ministry", self.north)
        self.south_mfa = actor("Southland Foreign Ministry", self.south)
        self.league_spokes = actor("League spokesperson", self.league, kind=Actor.Kind.PERSON)
        self.incident = incident(self.conflict, "Patrol stopped at the river crossing")
        self.point = point(self.incident, "What were the patrol doing?")
        self.north_says = statement(
            self.incident, self.north_mod, "Our patrol was repairing a bridge when it was seized."
        )
        self.south_says = statement(
            self.incident, self.south_mfa, "An armed group crossed the river to lay mines."
        )
        self.league_says = statement(
            self.incident,
            self.league_spokes,
            "We urge both governments to show restraint.",
            leaning=Statement.Leaning.BOTH,
            statement_type=Statement.Type.RESTRAINT,
        )


# --- builders added for the public pages (tests/incidents/test_pages.py, test_visibility.py) ---


def place(name: str, slug: str, names: dict[Party, str] | None = None, **kw) -> Place:
    """A place, with each party's own name for it ({party: "its name"})."""
    p = Place.objects.create(name=name, slug=slug, **kw)
    for party_, own_name in (names or {}).items():
        PlaceName.objects.create(place=p, party=party_, name=own_name)
    return p


def quoted_statement(
    inc: Incident, a: Actor, src: Source, words: str, published: bool = True, **kw
) -> Statement:
    """A statement whose words are found in `src`'s archived text, with its position."""
    start = src.archived_text.index(words)
    kw.setdefault("kind", Statement.Kind.DIRECT)
    return statement(
        inc,
        a,
        words,
        published=published,
        source=src,
        source_start=start,
        source_end=start + len(words),
        quote_verified=True,
        **kw,
    )


def claim(s: Statement, pt: PointOfContention, words: str) -> Claim:
    """A claim on the first occurrence of `words` in the statement's text."""
    c = Claim(statement=s, point=pt)
    start = s.text.index(words)
    c.set_span(s.text, start, start + len(words))
    c.save()
    return c


def annotation(
    s: Statement, words: str, tag: str = "disputed", body: str = "", public: bool = True
) -> Annotation:
    a = Annotation(
        statement=s,
        tag=tag,
        body=body,
        visibility=Annotation.Visibility.PUBLIC if public else Annotation.Visibility.INTERNAL,
    )
    start = s.text.index(words)
    a.set_span(s.text, start, start + len(words))
    a.save()
    return a
