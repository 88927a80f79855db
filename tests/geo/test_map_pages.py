"""The maps on the pages: the incident list (filters, htmx, clusters, visibility,
queries), the comparison page (each side's claimed location, three sides), the
conflict analysis, the GeoJSON exports, the place form and the demo incident."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Claim, Incident, Place
from tests import factories as f

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def svgs(html: str) -> list[str]:
    return [
        html[m.start() : html.index("</svg>", m.start()) + 6]
        for m in re.finditer('<svg class="map-svg"', html)
    ]


def marker_links(svg: str) -> list[tuple[str, str]]:
    """(href, title) of each marker."""
    return re.findall(
        r'<a href="([^"]*)"><circle[^>]*/>(?:<text[^>]*>[^<]*</text>)?<title>([^<]*)</title>', svg
    )


class ThreeSides:
    """A three-sided conflict of invented states, placed on real coordinates: one
    incident at two places, a second at one, a draft at a third; on "Where was it?"
    each side names a different kind of location."""

    def __init__(self) -> None:
        self.a = f.party("Avaria", "avaria")
        self.b = f.party("Belonia", "belonia")
        self.c = f.party("Corvia", "corvia")
        self.observer = f.party("Observers", "observers")
        self.conflict = f.conflict("Three-way", [self.a, self.b, self.c], [self.observer])
        self.area = f.place(
            "Gegharkunik",
            "gegharkunik",
            kind="area",
            area_code="AM-GR",
            latitude=40.3,
            longitude=45.38,
        )
        self.country = f.place(
            "Azerbaijan",
            "azerbaijan",
            kind="country",
            area_code="AZ",
            latitude=40.14,
            longitude=47.7,
        )
        self.town = f.place(
            "Sotk", "sotk", kind="point", area_code="AM-GR", latitude=40.2, longitude=45.87
        )
        self.secret = f.place("Hidden valley", "hidden-valley", latitude=10.0, longitude=10.0)
        self.unlocated = f.place("Somewhere", "somewhere")
        self.one = f.incident(self.conflict, "Shots near the lake", date_start=date(2024, 5, 1))
        self.one.places.add(self.area, self.town)
        self.two = f.incident(self.conflict, "A second exchange", date_start=date(2024, 6, 1))
        self.two.places.add(self.area)
        self.three = f.incident(self.conflict, "Nowhere in particular", date_start=date(2024, 7, 1))
        self.three.places.add(self.unlocated)
        self.draft = f.incident(self.conflict, "Unconfirmed drone", published=False)
        self.draft.places.add(self.secret)
        self.point = f.point(self.one, "Where was it?")
        mod_a = f.actor("Avaria ministry", self.a)
        mod_b = f.actor("Belonia ministry", self.b)
        mod_c = f.actor("Corvia ministry", self.c)
        self.says_a = f.statement(self.one, mod_a, "It happened in the lake region of Avaria.")
        self.says_b = f.statement(self.one, mod_b, "The intruders were on Belonian soil.")
        self.says_c = f.statement(self.one, mod_c, "Our post at Sotk saw everything.")
        self.draft_says = f.statement(
            self.one, mod_c, "Secret: it was at the hidden valley.", published=False
        )
        for s, words, place, own in (
            (self.says_a, "the lake region of Avaria", self.area, "the lake region of Avaria"),
            (self.says_b, "on Belonian soil", self.country, "Belonian soil"),
            (self.says_c, "at Sotk", self.town, "Sotk"),
            (self.draft_says, "at the hidden valley", self.secret, "SECRET-LOCATION"),
        ):
            c = f.claim(s, self.point, words)
            c.location, c.location_name = place, own
            c.save()


def test_the_list_map_puts_each_located_place_with_its_incidents(client):
    s = ThreeSides()
    r = client.get("/incidents/")
    html = r.content.decode()
    (svg,) = svgs(html)
    links = dict(marker_links(svg))
    # Two incidents at the area: the marker lists them; one at the town: it opens it.
    assert links["/incidents/?place=gegharkunik"] == "Gegharkunik: 2 incidents"
    assert links[s.one.get_absolute_url()] == "Sotk: “Shots near the lake”"
    assert "Hidden valley" not in html  # a draft incident's place stays hidden
    assert "1 incident has no place with coordinates" in html
    table = html[html.index('id="incident-map-table"') :]
    assert 'Gegharkunik</a></th><td class="num">2</td>' in table
    assert "40.300°N, 45.380°E" in table
    assert "Natural Earth" in html and "Lambert azimuthal equal-area" in html


def test_the_list_map_follows_the_filters_and_comes_with_the_htmx_fragment(client):
    s = ThreeSides()
    r = client.get("/incidents/?date_from=2024-06-01", headers=HX)
    html = r.content.decode()
    assert html.lstrip().startswith('<section id="incident-results"')
    (svg,) = svgs(html)
    links = dict(marker_links(svg))
    # Only the June incident: the area's marker now opens it, and keeps the filter.
    assert links == {s.two.get_absolute_url(): "Gegharkunik: “A second exchange”"}
    # Two incidents at the area since May: its marker lists them, keeping the filter.
    r = client.get("/incidents/?date_from=2024-05-01")
    links = dict(marker_links(svgs(r.content.decode())[0]))
    assert "/incidents/?date_from=2024-05-01&amp;place=gegharkunik" in links
    # May alone: one incident at two nearby places, one marker that opens it.
    r = client.get("/incidents/?date_from=2024-05-01&date_to=2024-05-31")
    links = dict(marker_links(svgs(r.content.decode())[0]))
    assert set(links) == {s.one.get_absolute_url()}


def test_the_list_map_shows_drafts_to_analysts_only(analyst_client):
    ThreeSides()
    assert "Hidden valley" not in Client().get("/incidents/").content.decode()
    html = analyst_client.get("/incidents/").content.decode()
    assert "Hidden valley: “Unconfirmed drone”" in svgs(html)[0]


def test_the_list_maps_queries_do_not_grow_with_the_incidents(client):
    s = ThreeSides()

    def count() -> int:
        cache.clear()  # the map is remembered per content generation: measure it built
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/incidents/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(25):
        inc = f.incident(s.conflict, f"Incident {i}", date_start=date(2023, 1, 1 + i))
        inc.places.add(s.town if i % 2 else s.area)
    assert count() == few


def test_each_sides_claimed_location_in_its_column_and_on_the_points_map(client):
    s = ThreeSides()
    html = client.get(s.one.get_absolute_url()).content.decode()
    assert "Location claimed: “the lake region of Avaria”" in html
    assert "Location claimed: “Belonian soil”" in html
    assert "Location claimed: “Sotk”" in html
    assert "SECRET-LOCATION" not in html and "Hidden valley" not in html
    maps = svgs(html)
    point_map = next(m for m in maps if "Where each side places it" in m)
    # Areas in the colours of sides 1 and 2; side 3's point as a numbered marker.
    assert re.search(r'<path class="map-area side-0" d="M', point_map)
    assert re.search(r'<path class="map-area side-1" d="M', point_map)
    assert re.search(
        r'<circle class="map-marker side-2"[^>]*/><text class="map-marker-text"[^>]*>3</text>',
        point_map,
    )
    assert "Corvia (side 3) places it in Sotk" in point_map
    # The table alternative, one row per side.
    assert '<span class="side-name side-1">2. Belonia</span>' in html
    assert "Azerbaijan (country)" in html
    assert "Gegharkunik, administrative area of Armenia" in html


def test_the_incident_map_shows_its_places(client):
    s = ThreeSides()
    html = client.get(s.two.get_absolute_url()).content.decode()
    (svg,) = svgs(html)
    assert '<path class="map-area place-area"' in svg
    assert "Places of the incident" in html


def test_an_incident_without_located_places_has_no_map(client):
    s = ThreeSides()
    html = client.get(s.three.get_absolute_url()).content.decode()
    assert svgs(html) == []


def test_the_conflict_analysis_map(client):
    s = ThreeSides()
    html = client.get(f"/analysis/conflicts/{s.conflict.slug}/map/").content.decode()
    (svg,) = svgs(html)
    assert re.search(r'class="map-area side-0"', svg) and re.search(r'class="map-area side-1"', svg)
    assert "Corvia (side 3): 1 claim place events in Sotk" in svg
    assert "SECRET-LOCATION" not in html and "Hidden valley" not in html
    assert "Locations claimed by each party" in html and "Incidents per place" in html


def test_geojson_export_of_incidents(client):
    s = ThreeSides()
    r = client.get("/api/export/incidents.geojson")
    assert r["Content-Type"] == "application/geo+json"
    data = json.loads(b"".join(r.streaming_content))
    assert data["type"] == "FeatureCollection"
    by_id = {feat["id"]: feat for feat in data["features"]}
    assert s.draft.slug not in by_id
    assert by_id[s.two.slug]["geometry"] == {"type": "Point", "coordinates": [45.38, 40.3]}
    assert by_id[s.one.slug]["geometry"]["type"] == "MultiPoint"
    assert by_id[s.three.slug]["geometry"] is None
    place = by_id[s.two.slug]["properties"]["places"][0]
    assert place["area_code"] == "AM-GR" and place["kind"] == "area"
    assert client.get("/api/export/incidents.geojson?date_from=nope").status_code == 400


def test_geojson_export_of_claimed_locations(analyst_client):
    ThreeSides()
    data = json.loads(b"".join(Client().get("/api/export/locations.geojson").streaming_content))
    props = [feat["properties"] for feat in data["features"]]
    assert [(p["party"], p["side"], p["location_words"]) for p in props] == [
        ("avaria", 1, "the lake region of Avaria"),
        ("belonia", 2, "Belonian soil"),
        ("corvia", 3, "Sotk"),
    ]
    assert data["features"][1]["geometry"] == {"type": "Point", "coordinates": [47.7, 40.14]}
    internal = json.loads(
        b"".join(analyst_client.get("/api/export/locations.geojson").streaming_content)
    )
    assert "SECRET-LOCATION" in json.dumps(internal)


def test_api_places_carry_their_coordinates(client):
    s = ThreeSides()
    results = client.get("/api/incidents/").json()["results"]
    two = next(r for r in results if r["slug"] == s.two.slug)
    assert two["places"] == [
        {
            "slug": "gegharkunik",
            "name": "Gegharkunik",
            "kind": "area",
            "latitude": 40.3,
            "longitude": 45.38,
            "area_code": "AM-GR",
        }
    ]
    csv = b"".join(client.get("/api/export/incidents.csv").streaming_content).decode()
    assert csv.splitlines()[0].endswith(",place_coordinates")
    assert '"[[40.3, 45.38]]"' in csv  # a list, like the other multi-valued columns


def test_the_demo_shows_both_sides_locations_and_both_incidents_on_the_list_map(client):
    call_command("load_demo")
    main = Incident.objects.get(slug="2021-05-27-gegharkunik-soldiers-held")
    located = Claim.objects.filter(
        point__incident=main, point__label="Whose territory was it?", location__isnull=False
    )
    assert {
        (c.statement.party.slug, c.location.kind, c.location.area_code, c.location_name)
        for c in located
    } == {
        ("armenia", Place.Kind.AREA, "AM-GR", "border area of the Gegharkunik region of Armenia"),
        ("azerbaijan", Place.Kind.COUNTRY, "AZ", "the territory of Azerbaijan"),
    }
    html = client.get(main.get_absolute_url()).content.decode()
    point_map = next(m for m in svgs(html) if "Whose territory was it?" in m)
    assert (
        '<path class="map-area side-0"' in point_map
        and '<path class="map-area side-1"' in point_map
    )
    assert "“border area of the Gegharkunik region of Armenia”" in html
    assert "“the territory of Azerbaijan”" in html
    links = dict(marker_links(svgs(client.get("/incidents/").content.decode())[0]))
    other = Incident.objects.exclude(pk=main.pk).get()
    assert links["/incidents/?place=gegharkunik"] == "Gegharkunik: 2 incidents"
    assert links[other.get_absolute_url()].startswith("Syunik: ")


def test_place_form_takes_the_gazetteers_proposal_and_checks_every_value(editor_client):
    page = editor_client.get("/edit/places/new/?name=Sotk").content.decode()
    href = (
        re.search(r'<a href="(/edit/places/new/\?[^"]*)">Use: Sotk', page)
        .group(1)
        .replace("&amp;", "&")
    )
    filled = editor_client.get(href).content.decode()
    assert 'value="AM-GR"' in filled and 'value="40.20007"' in filled
    r = editor_client.post(
        "/edit/places/new/",
        {
            "name": "Sotk",
            "kind": "point",
            "latitude": "40.20007",
            "longitude": "45.86951",
            "area_code": "am-gr",
        },
    )
    place = Place.objects.get(name="Sotk")
    assert r.status_code == 302 and r["Location"] == f"/edit/places/{place.slug}/"
    assert (str(place.latitude), place.area_code) == ("40.20007", "AM-GR")
    bad = editor_client.post(
        "/edit/places/new/",
        {"name": "X", "kind": "country", "latitude": "91", "longitude": "", "area_code": "AM-GR"},
    )
    text = bad.content.decode()
    assert bad.status_code == 400
    assert "Give both coordinates." in text and "A latitude is between −90 and 90." in text
    assert "A country needs its country code" in text
    assert not Place.objects.filter(name="X").exists()


def test_the_claim_form_records_the_location_a_claim_states(editor_client):
    s = ThreeSides()
    claim = Claim.objects.get(statement=s.says_b)
    r = editor_client.post(
        f"/edit/claims/{claim.pk}/",
        {
            "span_quote": claim.quote,
            "point": s.point.pk,
            "location": s.town.pk,
            "location_name": "near Sotk",
            "version": claim.version,
        },
    )
    assert r.status_code in (200, 302), r.content[:500]
    claim.refresh_from_db()
    assert (claim.location, claim.location_name) == (s.town, "near Sotk")
    r = editor_client.post(
        f"/edit/claims/{claim.pk}/",
        {
            "span_quote": claim.quote,
            "point": s.point.pk,
            "location": "",
            "location_name": "words",
            "version": claim.version,
        },
    )
    assert "Choose the place these words refer to." in r.content.decode()
