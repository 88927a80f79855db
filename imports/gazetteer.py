"""Every sovereign state and the international organisations that speak on conflicts,
so that a speaker gets a party even when the conflict's registry has never heard of it.

States come from the `countryinfo` package (names, alternative spellings, capitals,
demonyms): a maintained, dependency-free data set that, unlike ISO-only packages, has
the adjectival and capital forms wire copy uses ("Thai", "Islamabad"). What it lacks is
in gazetteer_extra.json: organisations (no maintained package lists them), Kosovo,
a few adjectives and institutional metonyms ("the Kremlin", "IDF"), and the slug short
forms of ANNOTATION.md ("usa", "uk", "dr-congo"). Slugs are the state's short English
name, lower-case, hyphenated.

The registry of a conflict stays first: Registry consults the gazetteer only where its
own parties are not named (imports/registry.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

EXTRA_PATH = Path(__file__).with_name("gazetteer_extra.json")
_QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"'})
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")


@dataclass
class GazetteerEntry:
    slug: str
    name: str
    kind: str  # "state" or "organisation"
    names: list[str] = field(default_factory=list)
    population: int = 0


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().translate(_QUOTE_FOLD)).strip("-")


def _adjectives(name: str, demonym: str) -> list[str]:
    """Forms the data set lacks: plurals of the demonym ("Azerbaijanis"), the '-stan'
    stem ("Kyrgyz", "Afghan") and the singular of a plural name ("Philippine")."""
    out = []
    if demonym and not demonym.endswith(("s", "ese", "ch", "sh")) and " " not in demonym:
        out.append(demonym + "s")
    for suffix in ("istan", "stan"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 5:
            out.append(name[: -len(suffix)])
            break
    if name.endswith("s") and len(name) > 6 and " " not in name:
        out.append(name[:-1])
    return out


def _usable(alias: str, keep_codes: set[str]) -> bool:
    """Latin-script names only, and no bare ISO codes ("TO" is Tonga, "IN" India)
    unless the press uses them ("US", "UAE")."""
    if not alias or not _LATIN.match(alias):
        return False
    return not (alias.isupper() and len(alias) <= 3 and alias not in keep_codes)


class Gazetteer:
    def __init__(self, entries: list[GazetteerEntry], media: list[str]) -> None:
        self.entries = {e.slug: e for e in entries}
        # A name shared by several states ("Congolese", "Korean") goes to the most
        # populous; a longer name ("South Korean") still wins where it matches.
        table: dict[str, GazetteerEntry] = {}
        for e in sorted(entries, key=lambda e: -e.population):
            for n in dict.fromkeys([e.name, *e.names]):
                key = n.translate(_QUOTE_FOLD)
                key = key if (key.isupper() and len(key) <= 6) else key.lower()
                table.setdefault(key, e)
        self._table = {k: e.slug for k, e in table.items()}
        exact = sorted((k for k in self._table if k.isupper()), key=len, reverse=True)
        folded = sorted((k for k in self._table if not k.isupper()), key=len, reverse=True)
        self._patterns = [
            re.compile(_alternation(exact)),
            re.compile(_alternation(folded), re.IGNORECASE),
        ]
        self._media = re.compile(_alternation(sorted(media, key=len, reverse=True)))

    def parties_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, slug) of each state or organisation named, longest match first."""
        folded = text.translate(_QUOTE_FOLD)
        hits = []
        for pat in self._patterns:
            for m in pat.finditer(folded):
                key = " ".join(m.group(0).split())
                slug = self._table.get(key) or self._table.get(key.lower())
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

    def is_media(self, text: str) -> bool:
        """A news organisation ("TASS reported"): its reports are not statements."""
        return bool(self._media.fullmatch(" ".join(text.split()).removeprefix("the ")))


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [v for v in value or [] if isinstance(v, str) and v] if isinstance(value, list) else []


def _alternation(names: list[str]) -> str:
    body = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return rf"(?<![\w-])(?:{body})(?![\w-])"


@cache
def gazetteer() -> Gazetteer:
    """Built once per process (about 20 ms)."""
    from countryinfo import CountryInfo

    extra = json.loads(EXTRA_PATH.read_text(encoding="utf-8"))
    overrides: dict[str, str] = extra["slug_overrides"]
    keep_codes = {"US", "USA", "UK", "UAE", "DRC", "PRC", "ROK", "AU", "UN", "EU"}
    by_code: dict[str, GazetteerEntry] = {}
    for data in CountryInfo.all().values():
        iso = (data.get("ISO") or {}).get("alpha2") or ""
        name = data.get("name") or ""
        if not iso or not name or iso in extra["obsolete"]:
            continue
        demonym = data.get("demonym") or ""
        names = [
            *(a for a in data.get("altSpellings") or [] if _usable(a, keep_codes)),
            *_as_list(data.get("capital")),
            *([demonym] if demonym else []),
            *_adjectives(name, demonym),
            *extra["state_names"].get(iso, []),
        ]
        entry = GazetteerEntry(
            slug=overrides.get(iso, slugify(name)),
            name=name,
            kind="state",
            names=[n for n in dict.fromkeys(names) if n != name],
            population=int(data.get("population") or 0),
        )
        # The package has a few duplicate files; keep the one whose name is the entry's.
        previous = by_code.get(iso)
        if previous is None or len(entry.names) > len(previous.names):
            by_code[iso] = entry
    entries = list(by_code.values())
    for s in extra["states"]:
        entries.append(GazetteerEntry(s["slug"], s["name"], "state", s["names"], s["population"]))
    for o in extra["organisations"]:
        # Organisations first among equals: "Brussels" speaks for the EU in this press.
        entries.append(GazetteerEntry(o["slug"], o["name"], "organisation", o["names"], 10**10))
    return Gazetteer(entries, extra["media"])
