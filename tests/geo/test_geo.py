"""The geo module on its own: boundary data, projections, path data, clustering and
the gazetteer. No database."""

from __future__ import annotations

import random
import re

import pytest
from django.template.loader import render_to_string

from geo import boundaries, gazetteer, render
from geo.projection import Projection, for_extent
from geo.render import Highlight, Marker
from incidents.maps import MapView


def test_boundaries_have_countries_and_first_level_areas_with_names():
    am, az, gr = boundaries.get("AM"), boundaries.get("AZ"), boundaries.get("AM-GR")
    assert am is not None and am.level == 0 and am.name == "Armenia"
    assert az is not None and az.name == "Azerbaijan"
    assert gr is not None and gr.level == 1 and gr.country == "AM" and gr.name == "Gegharkunik"
    # Outside Armenia's table of areas, too: the data is worldwide.
    assert boundaries.get("FR-IDF") is not None and boundaries.get("US-TX") is not None
    assert boundaries.get("XX-NOPE") is None and boundaries.get("") is None


def test_an_areas_anchor_lies_inside_it_and_lookup_by_point_finds_it():
    for code in ("AM-GR", "AZ", "FR-IDF", "ID", "CL"):
        area = boundaries.get(code)
        assert area is not None
        assert boundaries.contains(area, *area.anchor), code
    found = boundaries.area_at(44.51, 40.18, 1)  # Yerevan
    assert found is not None and found.code == "AM-ER"
    assert boundaries.area_at(-30.0, 30.0, 0) is None  # the Atlantic


def test_enclosed_seas_are_not_land():
    # The Caspian is enclosed by coastline; the build script must not give it to a
    # country.
    assert boundaries.area_at(51.0, 42.0, 0) is None


def test_projection_suits_the_extent():
    regional = for_extent((44.0, 38.0, 51.0, 42.0))
    assert regional.kind == "laea"
    x, y = regional.project(regional.lon0, regional.lat0)
    assert abs(x) < 1e-9 and abs(y) < 1e-9
    east, _ = regional.project(regional.lon0 + 1, regional.lat0)
    _, north = regional.project(regional.lon0, regional.lat0 + 1)
    assert east > 0 and north > 0
    assert "Lambert azimuthal equal-area" in regional.name
    world = for_extent((-170.0, -58.0, 180.0, 80.0))
    assert world.kind == "equal-earth" and world.name == "Equal Earth"
    # Equal Earth is symmetric and keeps the equator at y = 0.
    assert world.project(90, 0)[1] == 0
    assert world.project(90, 10)[0] == -world.project(-90, 10)[0]


def test_path_data_clamps_far_points_to_the_frame_and_thins_close_ones():
    frame = render.frame_for((44.0, 38.0, 51.0, 42.0))
    # A square reaching far outside the frame: its points are clamped to the margin.
    d = render.path_data([[(40.0, 30.0), (60.0, 30.0), (60.0, 50.0), (40.0, 50.0)]], frame)
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    assert d.startswith("M") and d.endswith("z")
    x, y = numbers[0], numbers[1]  # the first point is absolute, the others relative
    assert -8 <= x <= frame.width + 8 and -8 <= y <= frame.height + 8
    # Every point lies within the margin: the relative steps add up inside it.
    for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
        x, y = x + dx, y + dy
        assert -8 <= x <= frame.width + 8 and -8 <= y <= frame.height + 8
    # A hundred points within one pixel collapse to nothing drawable.
    tiny = [(47.0 + i * 1e-6, 40.0) for i in range(100)]
    assert render.path_data([tiny], frame) == ""


def test_clustering_bounds_the_number_of_markers_whatever_the_number_of_points():
    rng = random.Random(7)
    markers = [
        Marker(rng.uniform(-170, 180), rng.uniform(-55, 75), f"p{i}", f"/p/{i}", weight=1)
        for i in range(10_000)
    ]
    extent = render.extent_of((m.lon, m.lat) for m in markers)
    frame = render.frame_for(extent)
    groups = render.cluster(markers, frame)
    assert render.MAX_MARKERS // 2 < len(groups) <= render.MAX_MARKERS
    assert sum(len(g) for g in groups) == 10_000


@pytest.mark.parametrize(
    "west, south, east, north",
    [
        (-170.0, -55.0, 180.0, 75.0),  # the world
        (20.0, 10.0, 110.0, 60.0),  # Asia: the most detailed coastlines per pixel
        (-20.0, -40.0, 60.0, 40.0),  # Africa
        (0.0, 35.0, 30.0, 60.0),  # Europe
    ],
)
def test_a_map_with_the_most_markers_possible_stays_under_60_kib(west, south, east, north):
    """The list page's worst case: 10,000 places spread over the extent (a marker in
    every cluster there can be), long labels and links, over every country's outline."""
    from incidents.maps import clustered

    rng = random.Random(3)
    markers = [
        Marker(
            rng.uniform(west, east),
            rng.uniform(south, north),
            "Synthetic place name and 3 more nearby: 123 incidents",
            f"/incidents/?conflict=synthetic-conflict-{i}&place=synth-0-{i}-placename",
            css="place-marker",
            weight=rng.randint(1, 500),
        )
        for i in range(10_000)
    ]
    extent = render.extent_of((m.lon, m.lat) for m in markers)
    drawn = clustered(markers, extent)
    svg = render.draw(extent, drawn)
    html = render_to_string("geo/_map.html", {"map": MapView(svg=svg, title="t"), "map_id": "m"})
    svg_bytes = html[html.index("<svg") : html.index("</svg>") + 6].encode()
    assert len(svg_bytes) <= 60 * 1024, len(svg_bytes)
    assert svg_bytes.count(b"<circle") == len(drawn) > render.MAX_MARKERS // 2


def test_highlighted_areas_get_the_sides_classes_and_admin1_outlines_their_country():
    gr, az = boundaries.get("AM-GR"), boundaries.get("AZ")
    assert gr is not None and az is not None
    extent = render.extent_of([], [gr, az])
    svg = render.draw(
        extent,
        [Marker(*gr.anchor, "one", "/a", "side-0", "1")],
        [Highlight(gr, "side-0", "one"), Highlight(az, "side-1", "two")],
    )
    assert [a.css for a in svg.areas] == ["side-0", "side-1"]
    assert all(a.d.startswith("M") for a in svg.areas)
    assert svg.admin1  # a regional map: Armenia's and Azerbaijan's areas are outlined
    assert svg.markers[0].text == "1" and svg.markers[0].r >= 9
    assert "Natural Earth" in svg.attribution


def test_gazetteer_proposes_areas_countries_and_places_offline():
    gr = gazetteer.propose("Gegharkunik region")
    assert gr[0].kind == "area" and gr[0].area_code == "AM-GR"
    az = gazetteer.propose("Azerbaijan")
    assert az[0].kind == "country" and az[0].area_code == "AZ"
    sotk = gazetteer.best("Sotk")
    assert sotk is not None and sotk.kind == "point" and sotk.area_code == "AM-GR"
    assert abs(sotk.latitude - 40.2) < 0.1 and abs(sotk.longitude - 45.87) < 0.1
    assert gazetteer.propose("Qxzzvvw") == [] and gazetteer.propose(" ") == []


def test_gazetteer_proposals_for_the_importers_places():
    places = gazetteer.propose_for_places(
        [{"name": "Tavush", "party": "", "slug": ""}, {"name": "Known", "slug": "known"}]
    )
    assert places[0]["proposed"]["area_code"] == "AM-TV"
    assert "proposed" not in places[1]  # a known place keeps its own coordinates


def test_projection_of_a_point_is_deterministic():
    p = Projection("laea", 45.0, 40.0)
    assert p.project(46.0, 41.0) == p.project(46.0, 41.0)
