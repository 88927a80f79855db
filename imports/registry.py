"""Who can speak: parties and actors the extractor resolves speakers to.

A Registry is built from the database (Party, Actor and Place rows) for imports, or
from JSON data for the evaluation of gold files, which must run without a database.
imports/registry_default.json is the shipped data (the demo loader can use it too); a
gold directory may add a registry.json of its own, e.g. for a conflict whose parties
exist only in the tests. Nothing here knows any particular conflict.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .gazetteer import Gazetteer, gazetteer

DEFAULT_PATH = Path(__file__).with_name("registry_default.json")

_QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_ARTICLES = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def norm(text: str) -> str:
    """Lower-case, quote-folded, whitespace-collapsed, without a leading article."""
    text = " ".join(text.translate(_QUOTE_FOLD).split())
    return _ARTICLES.sub("", text).strip(" ,.;:").lower()


@dataclass
class PartyEntry:
    slug: str
    name: str
    names: list[str] = field(default_factory=list)  # aliases, demonyms, capitals
    kind: str = "state"
    pk: int | None = None


@dataclass
class ActorEntry:
    slug: str
    name: str
    party: str  # party slug
    kind: str = "body"
    role: str = ""
    aliases: list[str] = field(default_factory=list)
    pk: int | None = None

    @property
    def is_person(self) -> bool:
        return self.kind == "person"


@dataclass
class PlaceEntry:
    name: str
    aliases: list[str] = field(default_factory=list)
    party: str = ""
    slug: str = ""
    pk: int | None = None


def _word_pattern(name: str) -> re.Pattern[str]:
    # Short all-capital names ("US", "UN", "EU") only match in capitals, so the word
    # "us" never makes a speaker American.
    escaped = re.escape(name.translate(_QUOTE_FOLD)).replace(r"\ ", r"\s+")
    flags = 0 if (name.isupper() and len(name) <= 5) else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){escaped}(?![\w-])", flags)


class Registry:
    def __init__(
        self,
        parties: list[PartyEntry],
        actors: list[ActorEntry],
        places: list[PlaceEntry] | None = None,
        *,
        world: bool = True,
    ) -> None:
        self.parties = {p.slug: p for p in parties}
        self.actors = list(actors)
        self.places = list(places or [])
        # Every state and international organisation, behind the registry's own
        # parties (imports/gazetteer.py); off only in tests of the registry alone.
        self.world: Gazetteer | None = gazetteer() if world else None
        # Speakers and their sentences recur across an article and a batch.
        self._parties_memo: dict[str, list[tuple[int, int, str]]] = {}

    # --- construction -----------------------------------------------------------
    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Registry:
        parties = [
            PartyEntry(
                slug=p["slug"],
                name=p["name"],
                names=[
                    n
                    for n in [
                        p.get("short_name", ""),
                        *p.get("aliases", []),
                        *p.get("demonyms", []),
                    ]
                    if n
                ],
                kind=p.get("kind", "state"),
            )
            for p in data.get("parties", [])
        ]
        actors = [
            ActorEntry(
                slug=a.get("slug") or re.sub(r"[^a-z0-9]+", "-", a["name"].lower()).strip("-"),
                name=a["name"],
                party=a["party"],
                kind=a.get("kind", "body"),
                role=a.get("role", ""),
                aliases=list(a.get("aliases", [])),
            )
            for a in data.get("actors", [])
        ]
        places = [
            PlaceEntry(
                name=p["name"],
                aliases=list(p.get("aliases", [])),
                party=p.get("administered_by", "") or "",
                slug=p.get("slug", ""),
            )
            for p in data.get("places", [])
        ]
        return cls(parties, actors, places)

    @classmethod
    def from_json(cls, *paths: Path) -> Registry:
        """Merge JSON files; later files add to (and override by slug) earlier ones."""
        merged: dict[str, dict[str, dict[str, Any]]] = {"parties": {}, "actors": {}, "places": {}}
        for path in paths:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            for key, ident in (("parties", "slug"), ("actors", "name"), ("places", "name")):
                for item in data.get(key, []):
                    merged[key][item[ident]] = item
        return cls.from_data({k: list(v.values()) for k, v in merged.items()})

    @classmethod
    def default(cls) -> Registry:
        return cls.from_json(DEFAULT_PATH)

    @classmethod
    def from_db(cls) -> Registry:
        from incidents.models import Actor, Party, Place

        parties = [
            PartyEntry(slug=p.slug, name=p.name, names=p.all_names()[1:], kind=p.kind, pk=p.pk)
            for p in Party.objects.all()
        ]
        actors = [
            ActorEntry(
                slug=a.slug,
                name=a.name,
                party=a.party.slug,
                kind=a.kind,
                role=a.role,
                aliases=list(a.aliases or []),
                pk=a.pk,
            )
            for a in Actor.objects.select_related("party")
        ]
        places = [
            PlaceEntry(
                name=pl.name,
                aliases=[*(pl.aliases or []), *(n.name for n in pl.names.all())],
                party=pl.administered_by.slug if pl.administered_by else "",
                slug=pl.slug,
                pk=pl.pk,
            )
            for pl in Place.objects.select_related("administered_by").prefetch_related("names")
        ]
        return cls(parties, actors, places)

    # --- matching ---------------------------------------------------------------
    @cached_property
    def _party_patterns(self) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        """Two alternations (short capitalised names match case-sensitively, the rest
        not), longest names first so that the longest name wins at a position."""
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        for p in self.parties.values():
            for name in dict.fromkeys([p.name, *p.names]):
                if not name:
                    continue
                key = name.translate(_QUOTE_FOLD)
                if name.isupper() and len(name) <= 5:
                    exact.setdefault(key, p.slug)
                else:
                    folded.setdefault(key.lower(), p.slug)
        pats = []
        for table, flags in ((exact, 0), (folded, re.IGNORECASE)):
            if table:
                alternation = "|".join(
                    re.escape(n).replace(r"\ ", r"\s+")
                    for n in sorted(table, key=len, reverse=True)
                )
                pats.append((re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", flags), table))
        return pats

    @cached_property
    def _actor_index(self) -> list[tuple[str, ActorEntry, list[str]]]:
        out = []
        for a in self.actors:
            for name in dict.fromkeys([a.name, *a.aliases]):
                if name:
                    name_words = [w.removesuffix("'s") for w in re.findall(r"[\w']+", norm(name))]
                    out.append((norm(name), a, name_words))
        # Longest names first: "Armenian Ministry of Foreign Affairs" before "Armenia".
        out.sort(key=lambda item: -len(item[0]))
        return out

    @cached_property
    def _place_pattern(self) -> tuple[re.Pattern[str], dict[str, PlaceEntry]] | None:
        table: dict[str, PlaceEntry] = {}
        for pl in self.places:
            for name in dict.fromkeys([pl.name, *pl.aliases]):
                if name:
                    table.setdefault(name.translate(_QUOTE_FOLD).lower(), pl)
        if not table:
            return None
        alternation = "|".join(
            re.escape(n).replace(r"\ ", r"\s+") for n in sorted(table, key=len, reverse=True)
        )
        return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE), table

    def parties_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, party slug) of each party named in `text`: the registry's own
        names first, then any state or organisation of the gazetteer named elsewhere
        (under the registry's slug when the registry knows it by another name)."""
        memo = self._parties_memo.get(text)
        if memo is not None:
            return memo
        if len(self._parties_memo) > 20000:
            self._parties_memo.clear()
        result = self._parties_memo[text] = self._parties_in(text)
        return result

    def _parties_in(self, text: str) -> list[tuple[int, int, str]]:
        own = self._own_parties_in(text)
        if self.world is None:
            return own
        world = self.world.parties_in(text)
        # A longer name of the gazetteer wins over a registry name inside it: the
        # "Organization of American States" is not the registry's "American".
        own = [
            (s, e, slug)
            for s, e, slug in own
            if not any(ws <= s and e <= we and we - ws > e - s for ws, we, _ in world)
        ]
        taken = [(s, e) for s, e, _ in own]
        extra = [
            (s, e, self._world_slugs.get(slug, slug))
            for s, e, slug in world
            if not any(s < te and ts < e for ts, te in taken)
        ]
        return sorted(own + extra)

    @cached_property
    def _world_slugs(self) -> dict[str, str]:
        """Gazetteer slug -> the registry's slug for the same party ("united-states"
        in a database that named it so)."""
        out: dict[str, str] = {}
        if self.world is None:
            return out
        for p in self.parties.values():
            for name in [p.name, *p.names]:
                hits = self.world.parties_in(name)
                if len(hits) == 1 and hits[0][1] - hits[0][0] == len(name):
                    out.setdefault(hits[0][2], p.slug)
        return out

    def party_name(self, slug: str) -> tuple[str, str]:
        """(name, kind) of a party the registry or the gazetteer knows, else ("", "")."""
        if slug in self.parties:
            return self.parties[slug].name, self.parties[slug].kind
        entry = self.world.entries.get(slug) if self.world else None
        return (entry.name, entry.kind) if entry else ("", "")

    def is_media(self, text: str) -> bool:
        return self.world is not None and self.world.is_media(text)

    def _own_parties_in(self, text: str) -> list[tuple[int, int, str]]:
        folded = text.translate(_QUOTE_FOLD)
        hits: list[tuple[int, int, str]] = []
        for pat, table in self._party_patterns:
            for m in pat.finditer(folded):
                key = m.group(0)
                slug = table.get(key) or table.get(" ".join(key.split()).lower())
                if slug is None:
                    slug = table.get(key.lower(), "")
                if slug:
                    hits.append((m.start(), m.end(), slug))
        hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        out: list[tuple[int, int, str]] = []
        last_end = -1
        for h in hits:
            if h[0] >= last_end:
                out.append(h)
                last_end = h[1]
        return out

    def party_of_text(self, text: str) -> str:
        """The first party named in a speaker's words ("the UN Secretary General's
        spokesperson" -> un), or ""."""
        hits = self.parties_in(text)
        return hits[0][2] if hits else ""

    def actor_for(self, mention: str) -> ActorEntry | None:
        """The actor a speaker mention names: an exact alias, or an alias whose words
        all appear in the mention ("Armenian acting Prime Minister Nikol Pashinyan")."""
        m = norm(mention)
        if not m:
            return None
        # "Northland's Defence Ministry" names the "Northland Defence Ministry".
        words = {w.removesuffix("'s") for w in re.findall(r"[\w']+", m)}
        for name, actor, _words in self._actor_index:
            if name == m:
                return actor
        # The mention's head: its last word before any apposition ("Stéphane Dujarric,
        # the UN Secretary General's spokesperson" -> dujarric). An actor named with the
        # head wins over one merely mentioned in a modifier ("Russian Foreign Ministry
        # spokesperson Maria Zakharova" is Zakharova, not the ministry).
        head_words = re.findall(r"[\w']+", m.split(",")[0])
        head = head_words[-1] if head_words else ""
        candidates = []
        for name, actor, name_words in self._actor_index:
            # A single-word alias only counts on its own (handled above), so a surname
            # alias never matches inside an unrelated longer phrase.
            if len(name_words) > 1 and set(name_words) <= words:
                candidates.append((head in name_words, len(name), actor))
        if not candidates:
            return None
        candidates.sort(key=lambda c: (not c[0], -c[1]))
        return candidates[0][2]

    @cached_property
    def _surname_index(self) -> dict[str, ActorEntry]:
        index: dict[str, ActorEntry] = {}
        for a in self.actors:
            words = norm(a.name).split()
            if a.is_person and words:
                index.setdefault(words[-1], a)
        return index

    def actor_by_surname(self, surname: str) -> ActorEntry | None:
        return self._surname_index.get(norm(surname))

    def places_in(self, text: str) -> list[PlaceEntry]:
        """Known places named in `text`, in order of first mention."""
        if self._place_pattern is None:
            return []
        pattern, table = self._place_pattern
        found: dict[str, PlaceEntry] = {}
        for m in pattern.finditer(text.translate(_QUOTE_FOLD)):
            pl = table.get(" ".join(m.group(0).split()).lower())
            if pl is not None:
                found.setdefault(pl.name, pl)
        return list(found.values())

    @cached_property
    def _party_names(self) -> set[str]:
        return {norm(n) for p in self.parties.values() for n in [p.name, *p.names] if n}

    def is_party_name(self, text: str) -> bool:
        if norm(text) in self._party_names:
            return True
        hits = self.world.parties_in(text.strip()) if self.world else []
        return len(hits) == 1 and hits[0][1] - hits[0][0] == len(text.strip())
