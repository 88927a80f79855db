"""SVG map geometry: what a map shows, projected and reduced to path data.

The templates draw it (templates/geo/_map.html); no JavaScript, no tile server, no
inline style (colours come from CSS classes: `side-N` for a side of a conflict, as
everywhere else). A map is bounded in size whatever it shows:
- boundary rings are thinned to about one point per pixel before projection (cheap,
  in degrees, from copies thinned once per process) and again after it, and clamped
  to a margin around the frame, so far-away parts cost nothing;
- admin-1 outlines are drawn only on regional maps;
- markers come already clustered (`cluster`), so there are never more of them than
  cells in a grid over the frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from . import boundaries
from .boundaries import Area, BBox, Ring
from .projection import Projection, for_extent

WIDTH = 720
MIN_HEIGHT = 260
MAX_HEIGHT = 480
PADDING = 12
# Below this many degrees of longitude per pixel the admin-1 outlines are drawn.
ADMIN1_MAX_DEG_PER_PX = 0.04
# The smallest extent shown around a single point (degrees of latitude).
MIN_SPAN = 2.5
CLUSTER_CELL = 36  # pixels
# At most this many markers on a map (clusters grow past it): with a continent's
# outlines, about 52 KiB of SVG at worst (tests/geo/test_geo.py measures it).
MAX_MARKERS = 100
WORLD: BBox = (-170.0, -58.0, 180.0, 80.0)
# Thinning tolerances (degrees) of the copies made once per process.
LOD_TOLERANCES = (0.0, 0.05, 0.25, 1.0)
# From this many degrees per pixel, countries are drawn from their coarse outlines
# (simplified by the build script, which thins far better than dropping points).
COARSE_FROM = 0.03


@dataclass(frozen=True)
class Marker:
    """A point to draw, in degrees, with where it links and what it says."""

    lon: float
    lat: float
    label: str
    href: str
    css: str = ""
    text: str = ""  # drawn inside the marker, e.g. a side's number
    weight: int = 1  # incidents it stands for: sets the radius


@dataclass(frozen=True)
class Highlight:
    """An area (country or admin-1) drawn filled, e.g. a side's claimed location."""

    area: Area
    css: str
    label: str


@dataclass
class DrawnArea:
    d: str
    css: str
    label: str


@dataclass
class DrawnMarker:
    x: float
    y: float
    r: float
    label: str
    href: str
    css: str
    text: str


@dataclass
class SvgMap:
    width: int
    height: int
    land: str  # every country in view, one path
    admin1: str  # admin-1 outlines on regional maps, one path ("" otherwise)
    areas: list[DrawnArea] = field(default_factory=list)
    markers: list[DrawnMarker] = field(default_factory=list)
    projection: str = ""
    attribution: str = ""
    empty: bool = False


def _thin_degrees(ring: Ring, tol: float) -> Ring:
    if tol <= 0 or len(ring) <= 4:
        return ring
    kept = [ring[0]]
    lx, ly = ring[0]
    for x, y in ring[1:-1]:
        if abs(x - lx) >= tol or abs(y - ly) >= tol:
            kept.append((x, y))
            lx, ly = x, y
    kept.append(ring[-1])
    return kept if len(kept) >= 3 else ring


@cache
def _lod(code: str, level_index: int) -> tuple[tuple[Ring, ...], ...]:
    area = boundaries.get(code)
    assert area is not None
    tol = LOD_TOLERANCES[level_index]
    return tuple(tuple(_thin_degrees(r, tol) for r in poly) for poly in area.polygons)


def _rings_for(area: Area, deg_per_px: float) -> Iterable[Ring]:
    if area.coarse and deg_per_px >= COARSE_FROM:
        for polygon in area.coarse:
            yield from polygon
        return
    index = max(i for i, t in enumerate(LOD_TOLERANCES) if t <= deg_per_px)
    for polygon in _lod(area.code, index):
        yield from polygon


@dataclass(frozen=True)
class Frame:
    """Projection and scaling from degrees to pixels, for one map."""

    projection: Projection
    scale: float
    x0: float
    y0: float
    width: int
    height: int
    deg_per_px: float

    def to_px(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.projection.project(lon, lat)
        return (x - self.x0) * self.scale, (self.y0 - y) * self.scale

    def inside(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


def frame_for(extent: BBox, width: int = WIDTH) -> Frame:
    west, south, east, north = extent
    projection = for_extent(extent)
    samples = [
        projection.project(west + (east - west) * i / 8, lat)
        for i in range(9)
        for lat in (south, north)
    ] + [
        projection.project(lon, south + (north - south) * i / 8)
        for i in range(9)
        for lon in (west, east)
    ]
    xs, ys = [p[0] for p in samples], [p[1] for p in samples]
    dx, dy = max(max(xs) - min(xs), 1e-9), max(max(ys) - min(ys), 1e-9)
    inner_w = width - 2 * PADDING
    scale = min(inner_w / dx, (MAX_HEIGHT - 2 * PADDING) / dy)
    height = int(min(MAX_HEIGHT, max(MIN_HEIGHT, dy * scale + 2 * PADDING)))
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return Frame(
        projection=projection,
        scale=scale,
        x0=cx - width / 2 / scale,
        y0=cy + height / 2 / scale,
        width=width,
        height=height,
        deg_per_px=(east - west) / inner_w,
    )


def extent_of(points: Iterable[tuple[float, float]], areas: Iterable[Area] = ()) -> BBox | None:
    """The region to show: every point and area, with a margin; at least MIN_SPAN high."""
    xs: list[float] = []
    ys: list[float] = []
    for lon, lat in points:
        xs.append(lon)
        ys.append(lat)
    for a in areas:
        xs += [a.bbox[0], a.bbox[2]]
        ys += [a.bbox[1], a.bbox[3]]
    if not xs:
        return None
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    pad_y = max((north - south) * 0.15, (MIN_SPAN - (north - south)) / 2, 0)
    mid = math.radians(max(-80.0, min(80.0, (south + north) / 2)))
    min_lon_span = MIN_SPAN * 1.6 / max(math.cos(mid), 0.2)
    pad_x = max((east - west) * 0.15, (min_lon_span - (east - west)) / 2, 0)
    return (
        max(-180.0, west - pad_x),
        max(-85.0, south - pad_y),
        min(180.0, east + pad_x),
        min(85.0, north + pad_y),
    )


def path_data(
    rings: Iterable[Ring],
    frame: Frame,
    step: float = 1.0,
    decimals: int = 0,
    smallest: float = 0.0,
) -> str:
    """Rings as compact SVG path data: points closer than `step` pixels to the last one
    kept are dropped, and rings smaller than `smallest` pixels (islets); points beyond
    a margin around the frame are clamped to it (the part of the shape inside the
    frame is unchanged)."""
    margin = 8.0
    lo_x, hi_x = -margin, frame.width + margin
    lo_y, hi_y = -margin, frame.height + margin
    fmt: Callable[[float], str] = (
        (lambda v: str(int(round(v)))) if decimals == 0 else (lambda v: f"{v:.{decimals}f}")
    )
    q = 10**decimals
    parts: list[str] = []
    to_px = frame.to_px
    for ring in rings:
        pts: list[tuple[float, float]] = []
        for lon, lat in ring:
            x, y = to_px(lon, lat)
            x = min(hi_x, max(lo_x, x))
            y = min(hi_y, max(lo_y, y))
            if pts and abs(x - pts[-1][0]) < step and abs(y - pts[-1][1]) < step:
                continue
            pts.append((round(x * q) / q, round(y * q) / q))
        if len(pts) < 3:
            continue
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        size = max(step, smallest)
        if max(xs) - min(xs) < size and max(ys) - min(ys) < size:
            continue
        if max(xs) <= lo_x or min(xs) >= hi_x or max(ys) <= lo_y or min(ys) >= hi_y:
            continue  # wholly outside the frame: every point was clamped to one edge
        out = [f"M{fmt(pts[0][0])} {fmt(pts[0][1])}l"]
        px, py = pts[0]
        for x, y in pts[1:]:
            out.append(f"{fmt(x - px)} {fmt(y - py)} ".replace(" -", "-"))
            px, py = x, y
        parts.append("".join(out).rstrip() + "z")
    return "".join(parts).replace("l-", "l-")


def cluster(
    markers: list[Marker], frame: Frame, cell: int = CLUSTER_CELL, most: int = MAX_MARKERS
) -> list[list[Marker]]:
    """Group markers falling in the same cell of a grid over the frame, with cells
    grown until there are at most `most` groups: the map's size is bounded however
    many points it stands for."""
    pixels = [frame.to_px(m.lon, m.lat) for m in markers]
    while True:
        groups: dict[tuple[int, int], list[Marker]] = {}
        cols, rows = frame.width // cell, frame.height // cell
        for m, (x, y) in zip(markers, pixels, strict=True):
            # Points just outside the frame (its padding) join the nearest edge cell.
            key = (min(cols, max(0, int(x // cell))), min(rows, max(0, int(y // cell))))
            groups.setdefault(key, []).append(m)
        if len(groups) <= most:
            return list(groups.values())
        cell = int(cell * 1.15) + 1


def radius(weight: int) -> float:
    return round(min(18.0, 6.0 + 2.0 * math.sqrt(max(weight, 1) - 1)), 1)


def draw(
    extent: BBox | None,
    markers: Sequence[Marker] = (),
    highlights: Sequence[Highlight] = (),
    width: int = WIDTH,
) -> SvgMap:
    """The map of `extent` with the countries in view, the highlighted areas, and the
    markers (already clustered by the caller if need be). On a regional map the
    admin-1 outlines of the countries that hold something shown are drawn too: the
    neighbours' provinces would only add bytes."""
    b = boundaries.load()
    empty = extent is None
    if extent is None:
        extent = WORLD
    # Extents are rounded so that nearby ones share the cached base layer.
    w, s_, e, n = (round(v * 2) / 2 for v in extent)
    extent = (w, s_, e, n)
    frame = frame_for(extent, width)
    countries = frozenset(h.area.country for h in highlights) | _countries_of(markers)
    land, admin1 = _base_layer(extent, width, countries)
    areas = [
        DrawnArea(
            d=path_data(_rings_for(h.area, frame.deg_per_px), frame, decimals=1),
            css=h.css,
            label=h.label,
        )
        for h in highlights
    ]
    drawn = []
    for m in markers:
        x, y = frame.to_px(m.lon, m.lat)
        drawn.append(
            DrawnMarker(
                x=round(x, 1),
                y=round(y, 1),
                r=max(radius(m.weight), 9.0) if m.text else radius(m.weight),
                label=m.label,
                href=m.href,
                css=m.css,
                text=m.text,
            )
        )
    return SvgMap(
        width=frame.width,
        height=frame.height,
        land=land,
        admin1=admin1,
        areas=areas,
        markers=drawn,
        projection=frame.projection.name,
        attribution=b.attribution,
        empty=empty,
    )


def _countries_of(markers: Iterable[Marker]) -> frozenset[str]:
    found = set()
    for m in markers:
        area = boundaries.area_at(m.lon, m.lat, 0)
        if area is not None:
            found.add(area.code)
    return frozenset(found)


@lru_cache(maxsize=128)
def _base_layer(extent: BBox, width: int, countries: frozenset[str]) -> tuple[str, str]:
    """The countries (and on a regional map the admin-1 outlines) in view: the costly
    part of a map (tens of milliseconds), the same for every map of the same extent,
    so computed once per process and extent."""
    b = boundaries.load()
    frame = frame_for(extent, width)
    view = _view_bbox(frame, extent)
    # On a world map a pixel is half a degree: coarser steps save bytes and lose
    # nothing visible.
    coarse = frame.deg_per_px >= COARSE_FROM
    step = (
        2.5
        if frame.deg_per_px > 0.2
        else 2.0
        if frame.deg_per_px > 0.08
        else 1.5
        if coarse
        else 1.0
    )
    land = path_data(
        (r for a in b.in_bbox(view, 0) for r in _rings_for(a, frame.deg_per_px)),
        frame,
        step,
        smallest=3.0 if coarse else 0.0,
    )
    admin1 = ""
    if frame.deg_per_px <= ADMIN1_MAX_DEG_PER_PX:
        admin1 = path_data(
            (
                r
                for a in b.in_bbox(view, 1)
                if a.country in countries
                for r in _rings_for(a, frame.deg_per_px)
            ),
            frame,
        )
    return land, admin1


def _view_bbox(frame: Frame, extent: BBox) -> BBox:
    """The degrees the frame shows (a little more than the extent: the frame's aspect
    ratio adds room on two sides)."""
    west, south, east, north = extent
    grow_x = (east - west) * 0.6
    grow_y = (north - south) * 0.6
    return (west - grow_x, south - grow_y, east + grow_x, north + grow_y)
