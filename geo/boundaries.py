"""Country and first-level (admin-1) outlines, from geo/data/boundaries.json.gz.

The file is derived from Natural Earth (public domain) by scripts/build_boundaries.py
and named with GeoNames data; docs/maps.md says how to rebuild it. It is read once per
process, on first use (about 1 MiB compressed, 30 ms to decode), never at import time,
so commands and pages without a map do not pay for it.

Areas are keyed by code: ISO 3166-1 alpha-2 for a country ("AM"), ISO 3166-2 for an
admin-1 area ("AM-GR"), or GeoNames' admin-1 code ("XX.01") where ISO gives none.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "boundaries.json.gz"

# (west, south, east, north) in degrees.
BBox = tuple[float, float, float, float]
Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: int  # 0: country, 1: first-level administrative area
    country: str  # the country's code (its own for a country)
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes
    bbox: BBox
    # A point inside the area (the centre of its largest polygon's bounding box when
    # that lies inside, else a vertex-derived point): where its marker goes.
    anchor: tuple[float, float]
    # Countries only: an outline simplified for maps of a continent or the world.
    coarse: tuple[tuple[Ring, ...], ...] = ()

    @property
    def kind_label(self) -> str:
        return "country" if self.level == 0 else "administrative area"


@dataclass(frozen=True)
class Boundaries:
    countries: dict[str, Area]
    admin1: dict[str, Area]
    attribution: str

    def get(self, code: str) -> Area | None:
        return self.countries.get(code) or self.admin1.get(code)

    def in_bbox(self, bbox: BBox, level: int) -> list[Area]:
        areas = self.countries if level == 0 else self.admin1
        return [a for a in areas.values() if intersects(a.bbox, bbox)]


def intersects(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _decode_ring(flat: list[int], scale: float) -> Ring:
    ring: Ring = []
    x = y = 0
    for i in range(0, len(flat), 2):
        x += flat[i]
        y += flat[i + 1]
        ring.append((x / scale, y / scale))
    return ring


def point_in_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def contains(area: Area, lon: float, lat: float) -> bool:
    for polygon in area.polygons:
        if point_in_ring(lon, lat, polygon[0]) and not any(
            point_in_ring(lon, lat, hole) for hole in polygon[1:]
        ):
            return True
    return False


def _anchor(polygons: tuple[tuple[Ring, ...], ...]) -> tuple[float, float]:
    """A point inside the largest polygon: the middle of its bounding box if inside,
    else the middle of the widest horizontal run across it at mid-height."""

    def box_area(p: tuple[Ring, ...]) -> float:
        xs, ys = [c[0] for c in p[0]], [c[1] for c in p[0]]
        return (max(xs) - min(xs)) * (max(ys) - min(ys))

    largest = max(polygons, key=box_area)
    outer = largest[0]
    xs, ys = [c[0] for c in outer], [c[1] for c in outer]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    if point_in_ring(cx, cy, outer):
        return (round(cx, 4), round(cy, 4))
    crossings = []
    for (x1, y1), (x2, y2) in zip(outer, outer[1:] + outer[:1], strict=True):
        if (y1 > cy) != (y2 > cy):
            crossings.append(x1 + (cy - y1) * (x2 - x1) / (y2 - y1))
    crossings.sort()
    runs = list(zip(crossings[::2], crossings[1::2], strict=False))
    if not runs:
        return (round(outer[0][0], 4), round(outer[0][1], 4))
    a, b = max(runs, key=lambda r: r[1] - r[0])
    return (round((a + b) / 2, 4), round(cy, 4))


def _area(code: str, entry: dict, level: int, scale: float) -> Area:
    polygons = tuple(
        tuple(_decode_ring(r, scale) for r in polygon) for polygon in entry["polygons"]
    )
    xs = [x for p in polygons for x, _ in p[0]]
    ys = [y for p in polygons for _, y in p[0]]
    coarse = tuple(
        tuple(_decode_ring(r, scale) for r in polygon) for polygon in entry.get("coarse", [])
    )
    return Area(
        code=code,
        name=entry["name"],
        level=level,
        country=entry.get("country", code),
        polygons=polygons,
        bbox=(min(xs), min(ys), max(xs), max(ys)),
        anchor=_anchor(polygons),
        coarse=coarse,
    )


@cache
def load() -> Boundaries:
    with gzip.open(DATA_FILE, "rt", encoding="utf-8") as f:
        raw = json.load(f)
    scale = float(raw["scale"])
    return Boundaries(
        countries={c: _area(c, e, 0, scale) for c, e in raw["countries"].items()},
        admin1={c: _area(c, e, 1, scale) for c, e in raw["admin1"].items()},
        attribution=raw["attribution"],
    )


def get(code: str) -> Area | None:
    return load().get(code) if code else None


def area_at(lon: float, lat: float, level: int) -> Area | None:
    """The country (level 0) or admin-1 area (level 1) containing the point, if any."""
    b = load()
    point: BBox = (lon, lat, lon, lat)
    for area in b.in_bbox(point, level):
        if contains(area, lon, lat):
            return area
    return None
