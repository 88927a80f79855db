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
_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f .'\-]*$")


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
        # First word of each name (lower-case) -> the most words a name starting
        # with it has: most words of a text start no name and cost one lookup.
        self._first: dict[str, int] = {}
        for key in self._table:
            first, length = key.split()[0].lower(), len(key.split())
            self._first[first] = max(self._first.get(first, 0), length)
        self._media = re.compile(_alternation(sorted(media, key=len, reverse=True)))

    def parties_in(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, slug) of each state or organisation named, left to right, the
        longest name winning at a position. Looks word n-grams up in a table instead of
        running one large regular expression: imports call this for every speaker."""
        words = [
            (m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text.translate(_QUOTE_FOLD))
        ]
        out: list[tuple[int, int, str]] = []
        k = 0
        while k < len(words):
            hit = None
            first = words[k][2].lower()
            longest = max(
                self._first.get(first, 0),
                self._first.get(first.rstrip("."), 0),
                self._first.get(first.removesuffix("'s"), 0),
            )
            for n in range(min(longest, len(words) - k), 0, -1):
                group = words[k : k + n]
                for key, end in _variants(group):
                    slug = self._lookup(key)
                    if slug:
                        hit = (group[0][0], end, slug, n)
                        break
                if hit:
                    break
            if hit:
                out.append(hit[:3])
                k += hit[3]
                continue
            start, _, word = words[k]
            if "-" in word:
                # "India-China border", "NATO-led": the names joined by the hyphen.
                pos = start
                for part in word.split("-"):
                    slug = self._lookup(part.removesuffix("'s")) if part else ""
                    if slug:
                        out.append((pos, pos + len(part), slug))
                    pos += len(part) + 1
            k += 1
        return out

    def _lookup(self, key: str) -> str:
        if key.isupper() and len(key) <= 6:
            return self._table.get(key, "")
        return self._table.get(key.lower(), "")

    def is_media(self, text: str) -> bool:
        """A news organisation ("TASS reported"): its reports are not statements."""
        return bool(self._media.fullmatch(" ".join(text.split()).removeprefix("the ")))


# A word as names are written: "U.N.", "Guinea-Bissau", "Côte d'Ivoire", "Armenia's".
_WORD = re.compile(r"[^\W_]+(?:[.'\-][^\W_]+)*\.?")


def _variants(group: list[tuple[int, int, str]]) -> list[tuple[str, int]]:
    """Keys to try for a run of words, with the end offset each covers: as written,
    without a sentence's full stop ("Moscow."), without a possessive ("Armenia's")."""
    head = " ".join(w for _, _, w in group[:-1])
    start, end, last = group[-1]
    out = []
    forms = [(last, end)]
    if last.endswith(".") and len(last) > 1:
        forms.append((last[:-1], end - 1))
    for f, e in list(forms):
        if f.lower().endswith("'s"):
            forms.append((f[:-2], e - 2))
    for f, e in forms:
        out.append(((head + " " + f) if head else f, e))
    return out


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
