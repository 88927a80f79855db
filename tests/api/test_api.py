"""The read-only JSON API, Web Annotations, schema.org claims and the Atom feed."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date
from pyld import jsonld

from incidents.models import Annotation, Place, Source, Statement
from tests import factories as f

DATA = Path(__file__).resolve().parents[1] / "data"
OA = "http://www.w3.org/ns/oa#"
AS = "http://www.w3.org/ns/activitystreams#"
SCHEMA = "http://schema.org/"


# --- test data ------------------------------------------------------------------------


def annotate(st: Statement, words: str, tag: str, body: str, visibility: str) -> Annotation:
    ann = Annotation(statement=st, tag=tag, body=body, visibility=visibility)
    start = st.text.index(words)
    ann.set_span(st.text, start, start + len(words))
    ann.save()
    return ann


class ApiWorld(f.World):
    """World plus what only analysts may see: a draft incident (with a statement
    marked published, still hidden by its draft incident), a draft statement on the
    published incident, an actor and a source known only from drafts, and internal
    annotations. Every hidden thing carries the word SECRET, so a test can look for
    it anywhere in a response."""

    def __init__(self) -> None:
        super().__init__()
        self.river = Place.objects.create(name="River crossing", slug="river-crossing")
        self.incident.places.add(self.river)
        self.archive_text = (
            "Press release. The ministry said: Our patrol was repairing a bridge when "
            "it was seized. End of release."
        )
        self.source = f.source(
            "Ministry release on the crossing",
            self.archive_text,
            publisher="Northland Defence Ministry",
            url="https://north.example/releases/1",
            published_on=date(2024, 3, 2),
            kind=Source.Kind.OFFICIAL,
        )
        start = self.archive_text.index("Our patrol")
        Statement.objects.filter(pk=self.north_says.pk).update(
            source=self.source, source_start=start, source_end=start + 53
        )
        self.north_says.refresh_from_db()
        self.withdrawn = f.statement(
            self.incident, self.south_mfa, "Two mines were found near the bank."
        )
        self.withdrawn.withdraw("The ministry corrected this.")

        self.secret_source = f.source("SECRET dossier", "SECRET text gathered for a draft.")
        self.shadow = f.actor("SECRET Shadow Unit", self.north)
        self.draft_statement = f.statement(
            self.incident,
            self.shadow,
            "SECRET draft words about the patrol.",
            published=False,
            source=self.secret_source,
        )
        self.draft_incident = f.incident(
            self.conflict,
            "SECRET unannounced clash",
            published=False,
            date_start=date(2024, 5, 1),
        )
        self.statement_on_draft = f.statement(
            self.draft_incident, self.league_spokes, "SECRET reaction to the clash."
        )
        self.public_note = annotate(
            self.north_says,
            "repairing a bridge",
            "disputed",
            "The other side calls this a sabotage mission.",
            "public",
        )
        self.internal_note = annotate(
            self.north_says, "seized", "unverified", "SECRET internal remark.", "internal"
        )
        self.note_on_draft = annotate(
            self.draft_statement, "draft words", "context", "SECRET note on a draft.", "public"
        )


@pytest.fixture
def world(db) -> ApiWorld:
    return ApiWorld()


ROLES = ["anonymous", "analyst", "editor"]


@pytest.fixture
def as_role(request, client, analyst, editor):
    """A client signed in as the role named by the test's `role` parameter."""

    def sign_in(role: str):
        if role == "analyst":
            client.force_login(analyst)
        elif role == "editor":
            client.force_login(editor)
        return client

    return sign_in


def get_json(client, name: str, *args, **params):
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200, response.content
    return response.json()


# --- root and visibility --------------------------------------------------------------


def test_index_lists_every_endpoint_and_each_answers(client, world):
    body = get_json(client, "api:index")
    assert body["visibility"] == "public"
    urls = [*body["endpoints"].values(), *body["exports"].values(), *body["feeds"].values()]
    # 6 endpoints, 3 datasets x 3 formats, the feed; and the OpenAPI document.
    assert len(urls) == 16
    urls.append(body["openapi"])
    assert body["license"] == "https://creativecommons.org/licenses/by/4.0/"
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "party" in body["filters"]["statements"]


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_drafts_only_to_analysts_and_editors(as_role, role, world):
    client = as_role(role)
    insider = role != "anonymous"
    for name in [
        "api:incident_list",
        "api:statement_list",
        "api:actor_list",
        "api:source_list",
        "api:annotation_collection",
    ]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert (b"SECRET" in response.content) is insider, name

    # Parties are public configuration; only their counts depend on who asks.
    north = get_json(client, "api:party_detail", "northland")
    assert north["statement_count"] == (2 if insider else 1)

    incidents = get_json(client, "api:incident_list")
    assert incidents["visibility"] == ("internal" if insider else "public")
    statuses = {i["title"]: i["status"] for i in incidents["results"]}
    assert statuses["Patrol stopped at the river crossing"] == "published"
    if insider:
        assert statuses["SECRET unannounced clash"] == "draft"
        assert incidents["count"] == 2
    else:
        assert incidents["count"] == 1

    statements = get_json(client, "api:statement_list", page_size=200)["results"]
    by_id = {s["id"]: s for s in statements}
    # A withdrawn statement stays on the public record, marked as such.
    assert by_id[world.withdrawn.pk]["status"] == "withdrawn"
    assert by_id[world.withdrawn.pk]["withdrawn_reason"] == "The ministry corrected this."
    assert (world.draft_statement.pk in by_id) is insider
    assert (world.statement_on_draft.pk in by_id) is insider
    if insider:
        assert by_id[world.draft_statement.pk]["status"] == "draft"

    notes = get_json(client, "api:annotation_collection")
    visibilities = [a["audience"]["audienceType"] for a in notes["first"]["items"]]
    assert notes["total"] == (3 if insider else 1)
    assert ("internal" in visibilities) is insider


@pytest.mark.parametrize("role", ROLES)
def test_details_hide_drafts_from_the_public(as_role, role, world):
    client = as_role(role)
    expected = 200 if role != "anonymous" else 404
    hidden = [
        reverse("api:incident_detail", args=[world.draft_incident.slug]),
        reverse("api:statement_detail", args=[world.draft_statement.pk]),
        reverse("api:statement_detail", args=[world.statement_on_draft.pk]),
        reverse("api:statement_claim", args=[world.draft_statement.pk]),
        reverse("api:statement_annotations", args=[world.draft_statement.pk]),
        reverse("api:incident_annotations", args=[world.draft_incident.slug]),
        reverse("api:annotation_detail", args=[world.internal_note.pk]),
        reverse("api:annotation_detail", args=[world.note_on_draft.pk]),
        reverse("api:actor_detail", args=[world.shadow.slug]),
        reverse("api:source_detail", args=[world.secret_source.pk]),
        reverse("api:source_archive", args=[world.secret_source.pk]),
    ]
    for url in hidden:
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 404 and "archive" not in url:
            assert response.json()["error"]


@pytest.mark.parametrize("role", ROLES)
def test_published_incident_detail_lists_only_visible_statements(as_role, role, world):
    client = as_role(role)
    body = get_json(client, "api:incident_detail", world.incident.slug)
    assert [s["slug"] for s in body["sides"]] == ["northland", "southland"]
    assert body["third_parties"] == [{"slug": "league", "name": "League of Harbours"}]
    assert body["points_of_contention"][0]["label"] == "What were the patrol doing?"
    assert body["places"] == [
        {
            "slug": "river-crossing",
            "name": "River crossing",
            "kind": "point",
            "latitude": None,
            "longitude": None,
            "area_code": None,
        }
    ]
    ids = {s["id"] for s in body["statements"]}
    assert (world.draft_statement.pk in ids) is (role != "anonymous")
    assert body["statement_count"] == len(ids)

    st = get_json(client, "api:statement_detail", world.north_says.pk)
    notes = {a["tag"]: a["visibility"] for a in st["annotations"]}
    if role == "anonymous":
        assert notes == {"disputed": "public"}
    else:
        assert notes == {"disputed": "public", "unverified": "internal"}
    assert st["source"]["sha256"] == hashlib.sha256(world.archive_text.encode()).hexdigest()
    assert st["actor"]["name"] == "Northland Defence Ministry"


def test_public_party_and_actor_counts_never_count_drafts(client, world):
    north = get_json(client, "api:party_detail", "northland")
    assert north["statement_count"] == 1
    assert [a["slug"] for a in north["actors"]] == [world.north_mod.slug]
    league = get_json(client, "api:actor_detail", world.league_spokes.slug)
    assert league["statement_count"] == 1  # not the one on the draft incident
    sides = get_json(client, "api:party_list", conflict=world.conflict.slug)
    assert [p["slug"] for p in sides["results"]] == ["league", "northland", "southland"]
    assert sides["results"][1]["side_in"] == [
        {"slug": world.conflict.slug, "name": "North–South", "side": 1}
    ]


# --- filters --------------------------------------------------------------------------


def test_filters_narrow_lists(client, world, analyst):
    other = f.conflict("East–West", [f.party("Eastland", "eastland"), world.south])
    elsewhere = f.incident(other, "Boat held in the bay", date_start=date(2023, 7, 9))
    f.statement(elsewhere, world.south_mfa, "The boat entered our waters.")

    def slugs(**params):
        return [i["slug"] for i in get_json(client, "api:incident_list", **params)["results"]]

    assert slugs(conflict=other.slug) == [elsewhere.slug]
    # A side of the conflict, or a party that spoke on the incident (as on the page).
    assert slugs(party="northland") == [world.incident.slug]
    assert slugs(party="eastland") == [elsewhere.slug]
    assert slugs(party="southland") == [world.incident.slug, elsewhere.slug]
    assert slugs(place="river-crossing") == [world.incident.slug]
    assert slugs(date_from="2024-01-01") == [world.incident.slug]
    assert slugs(date_to="2023-12-31") == [elsewhere.slug]
    assert slugs(q="BAY") == [elsewhere.slug]
    # Status is a filter within what the user may see: the public gets no drafts.
    assert slugs(status="draft") == []
    # An actor known only from a draft statement does not reveal the incident.
    assert slugs(actor=world.shadow.slug) == []

    def ids(**params):
        return {s["id"] for s in get_json(client, "api:statement_list", **params)["results"]}

    assert ids(party="league") == {world.league_says.pk}
    assert ids(type="call_for_restraint") == {world.league_says.pk}
    assert ids(status="withdrawn") == {world.withdrawn.pk}
    assert ids(source=world.source.pk) == {world.north_says.pk}
    assert ids(incident=elsewhere.slug, q="waters") == {s.pk for s in elsewhere.statements.all()}
    # q is the search box's syntax, run by the search app's full-text index.
    assert ids(q='"repairing a bridge"') == {world.north_says.pk}
    # A statement is found by its own words, not by its incident's title (issue 11.8):
    # "patrol" is in the title and in one statement, which also says "bridge".
    assert ids(q="patrol -bridge") == set()
    assert ids(q="patrol") == {world.north_says.pk}
    assert ids(q="bridge OR mines") == {
        world.north_says.pk,
        world.south_says.pk,
        world.withdrawn.pk,
    }
    assert ids(q="SECRET") == set()
    body = get_json(client, "api:statement_list", q="waters")
    assert body["filters"] == {"q": "waters"}
    only_excluded = client.get(reverse("api:statement_list"), {"q": "-bridge"})
    assert only_excluded.status_code == 400
    assert "at least one word" in only_excluded.json()["details"]["q"][0]

    client.force_login(analyst)
    assert slugs(actor=world.shadow.slug) == [world.incident.slug]
    assert slugs(status="draft") == [world.draft_incident.slug]
    assert slugs(q="SECRET") == [world.draft_incident.slug, world.incident.slug]
    assert ids(q="SECRET") == {world.draft_statement.pk, world.statement_on_draft.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"date_from": "2024-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"status": "secret"}, "status"),
        ({"conflict": "not a slug!"}, "conflict"),
        ({"date_from": "2024-05-01", "date_to": "2024-01-01"}, "__all__"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, world, params, field):
    response = client.get(reverse("api:incident_list"), params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters."
    assert body["details"][field]


def test_bad_input_on_every_list_is_a_400(client, world):
    for name in [
        "api:statement_list",
        "api:actor_list",
        "api:party_list",
        "api:source_list",
        "api:annotation_collection",
    ]:
        response = client.get(reverse(name), {"page": "x"})
        assert response.status_code == 400, name
        assert "page" in response.json()["details"]
    assert client.get(reverse("api:statement_list"), {"type": "rumour"}).status_code == 400
    both = client.get(reverse("api:incident_list"), {"page": "abc", "date_from": "2024-13-01"})
    assert set(both.json()["details"]) == {"page", "date_from"}
    assert client.get(reverse("api:annotation_collection"), {"tag": "x"}).status_code == 400


def test_unknown_parameters_are_a_400_naming_the_allowed_ones(client, world):
    response = client.get(reverse("api:incident_list"), {"incidnet": world.incident.slug})
    assert response.status_code == 400
    body = response.json()
    assert "incidnet" in body["error"] and "conflict" in body["error"]
    assert (
        "Allowed here: date_from, date_to, updated_since, conflict"
        in body["details"]["incidnet"][0]
    )
    # Every endpoint checks, details too (they take no parameters at all).
    for url in (
        reverse("api:statement_list"),
        reverse("api:annotation_collection"),
        reverse("api:incident_detail", args=[world.incident.slug]),
        reverse("api:export_statements", args=["csv"]),
        reverse("api:incident_feed"),
    ):
        response = client.get(url, {"_": "123"})
        assert response.status_code == 400, url
        assert response["Content-Type"] == "application/json"
    assert client.get(reverse("api:incident_list"), {"page_size": "2"}).status_code == 200


def test_errors_under_api_are_json(client, editor_client, world):
    url = reverse("api:incident_list")
    for method in ("post", "put", "patch", "delete"):
        for c in (client, editor_client):
            response = getattr(c, method)(url)
            assert response.status_code == 405, method
            assert response.json()["status"] == 405
            assert response["Allow"] == "GET, HEAD, OPTIONS"
    slashless = client.get("/api/incidents", {"conflict": world.conflict.slug})
    assert slashless.status_code == 301
    assert slashless["Location"] == f"/api/incidents/?conflict={world.conflict.slug}"
    missing = client.get("/api/no/such/thing/")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert "/api/" in missing.json()["error"]
    feed = client.get(reverse("api:incident_feed"), {"conflict": "no-such-conflict"})
    assert feed.status_code == 404 and feed.json()["status"] == 404
    options = client.options(url)
    assert options.status_code == 204 and options["Allow"] == "GET, HEAD, OPTIONS"
    assert options["Access-Control-Allow-Origin"] == "*"


def test_the_public_api_may_be_read_from_other_origins(client, world):
    response = client.get(
        reverse("api:incident_list"), headers={"Origin": "https://elsewhere.example"}
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    # Never with credentials: a signed-in visitor's copy is not readable cross-origin.
    assert "Access-Control-Allow-Credentials" not in response
    assert 'rel="license"' in response["Link"]


def test_missing_pages_are_404(client, world):
    missing = client.get(reverse("api:incident_list"), {"page": "7"})
    assert missing.status_code == 404
    assert "there are 1 page" in missing.json()["error"]
    assert client.get("/api/incidents/no-such-incident/").json()["status"] == 404


# --- pagination -----------------------------------------------------------------------


def test_pagination_walks_every_row_once(client, world):
    for n in range(6):
        f.incident(world.conflict, f"Shelling report {n}", date_start=date(2022, 1, 1 + n))
    first = get_json(client, "api:incident_list", page_size=3, conflict=world.conflict.slug)
    assert (first["count"], first["num_pages"], first["previous"]) == (7, 3, None)
    assert "conflict=" in first["next"] and "cursor=" in first["next"]
    seen, body = [], first
    while True:
        seen += [i["slug"] for i in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])
        body = response.json()
        assert body["previous"]
    assert len(seen) == len(set(seen)) == 7
    assert len(body["results"]) == 1
    # Back again from the last page.
    back = client.get(body["previous"]).json()
    assert [i["slug"] for i in back["results"]] == seen[3:6]
    # Numbered pages are still offered, for jumping to page N.
    third = get_json(client, "api:incident_list", page_size=3, page=3)
    assert third["page"] == 3 and [i["slug"] for i in third["results"]] == seen[6:]


def test_cursor_pages_stay_stable_while_data_changes(client, world):
    for n in range(6):
        f.incident(world.conflict, f"Report {n}", date_start=date(2022, 1, 1 + n))
    first = get_json(client, "api:incident_list", page_size=3)
    shown = [i["slug"] for i in first["results"]]
    # Rows added before the cursor (newer dates) and a row of the first page removed.
    f.incident(world.conflict, "Newest", date_start=date(2025, 1, 1))
    from incidents.models import Incident

    Incident.objects.get(slug=shown[0]).delete()
    rest = []
    body = client.get(first["next"]).json()
    while True:
        rest += [i["slug"] for i in body["results"]]
        if not body["next"]:
            break
        body = client.get(body["next"]).json()
    everything = [i.slug for i in Incident.objects.published().order_by("-date_start", "-pk")]
    # Exactly the rows after the first page, none repeated, none skipped.
    assert rest == everything[everything.index(shown[-1]) + 1 :]
    assert not set(rest) & set(shown)


def test_sort_and_updated_since(client, world):
    for n in range(3):
        f.incident(world.conflict, f"Old {n}", date_start=date(2020, 1, 1 + n))
    oldest_first = get_json(client, "api:incident_list", sort="date_start")
    dates = [i["date_start"] for i in oldest_first["results"]]
    assert dates == sorted(dates) and oldest_first["sort"] == "date_start"
    by_title = get_json(client, "api:incident_list", sort="-title")["results"]
    assert [i["title"] for i in by_title] == sorted((i["title"] for i in by_title), reverse=True)
    bad = client.get(reverse("api:incident_list"), {"sort": "colour"})
    assert bad.status_code == 400 and "date_start" in bad.json()["details"]["sort"][0]
    forged = client.get(reverse("api:incident_list"), {"cursor": "not-a-cursor"})
    assert forged.status_code == 400 and "cursor" in forged.json()["details"]
    other_sort = client.get(
        reverse("api:incident_list"), {"sort": "title", "cursor": _cursor(client)}
    )
    assert other_sort.status_code == 400
    assert "sort=-date_start" in other_sort.json()["details"]["cursor"][0]
    # updated_since: only rows changed at or after the moment given.
    cut = world.south_says.updated_at
    world.south_says.text += " Corrected."
    world.south_says.save()
    since = get_json(client, "api:statement_list", updated_since=cut.isoformat())
    assert world.south_says.pk in [s["id"] for s in since["results"]]
    later = get_json(client, "api:statement_list", updated_since="2999-01-01T00:00:00Z")
    assert later["count"] == 0
    bad = client.get(reverse("api:statement_list"), {"updated_since": "last week"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["details"]


def _cursor(client) -> str:
    body = get_json(client, "api:incident_list", page_size=1)
    return body["next"].split("cursor=")[1]


def test_annotation_collection_pages(client, world):
    for n in range(4):
        annotate(world.south_says, "armed group", "loaded_language", f"Note {n}", "public")
    url = reverse("api:statement_annotations", args=[world.south_says.pk])
    collection = client.get(url, {"page_size": 3}).json()
    assert collection["type"] == "AnnotationCollection"
    assert collection["total"] == 4
    assert len(collection["first"]["items"]) == 3
    assert "page=2" in collection["last"]
    second = client.get(collection["first"]["next"]).json()
    assert second["type"] == "AnnotationPage"
    assert second["startIndex"] == 3
    assert second["partOf"]["total"] == 4
    assert "page=1" in second["prev"] and "next" not in second
    empty = client.get(reverse("api:statement_annotations", args=[world.league_says.pk]))
    assert empty.json()["total"] == 0 and "first" not in empty.json()


# --- conditional requests -------------------------------------------------------------


def test_etag_and_last_modified_give_304_until_something_changes(client, world):
    url = reverse("api:statement_list")
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and modified
    assert "Cookie" in first["Vary"]

    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert client.get(url, headers={"if-modified-since": modified}).status_code == 304
    earlier = http_date(world.north_says.updated_at.timestamp() - 3600)
    assert client.get(url, headers={"if-modified-since": earlier}).status_code == 200

    # A statement becoming public changes the list, so the old copy is stale.
    world.draft_statement.publish()
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    # A filter is a different representation with its own validator.
    assert client.get(url, {"party": "league"}, headers={"if-none-match": etag}).status_code == 200


def test_etag_depends_on_who_asks(client, world, analyst):
    url = reverse("api:incident_list")
    public_etag = client.get(url)["ETag"]
    client.force_login(analyst)
    response = client.get(url, headers={"if-none-match": public_etag})
    assert response.status_code == 200
    assert response["ETag"] != public_etag
    assert "private" in response["Cache-Control"]


def test_details_and_annotations_answer_304(client, world):
    urls = [
        reverse("api:incident_detail", args=[world.incident.slug]),
        reverse("api:statement_detail", args=[world.north_says.pk]),
        reverse("api:statement_claim", args=[world.north_says.pk]),
        reverse("api:annotation_collection"),
        reverse("api:annotation_detail", args=[world.public_note.pk]),
        reverse("api:actor_list"),
        reverse("api:actor_detail", args=[world.north_mod.slug]),
        reverse("api:party_detail", args=["league"]),
        reverse("api:source_detail", args=[world.source.pk]),
        reverse("api:source_archive", args=[world.source.pk]),
    ]
    for url in urls:
        etag = client.get(url)["ETag"]
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304, url

    detail = reverse("api:statement_detail", args=[world.north_says.pk])
    etag = client.get(detail)["ETag"]
    annotate(world.north_says, "bridge", "context", "A new public note.", "public")
    assert client.get(detail, headers={"if-none-match": etag}).status_code == 200


def test_source_archive_is_the_hashed_text(client, world):
    response = client.get(reverse("api:source_archive", args=[world.source.pk]))
    assert response.content.decode() == world.archive_text
    digest = hashlib.sha256(response.content).digest()
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert response["ETag"] == f'"{digest.hex()}"'


# --- query counts ---------------------------------------------------------------------


def grow(world: ApiWorld, n: int) -> None:
    """n more incidents, each with a place, statements by all three parties (one
    with a source) and annotations."""
    for i in range(n):
        inc = f.incident(world.conflict, f"Grown incident {i}", date_start=date(2021, 1, 1))
        place = Place.objects.create(name=f"Hill {i}", slug=f"hill-{i}")
        inc.places.add(place)
        src = f.source(f"Report {i}", f"Report {i} text.", published_on=date(2021, 1, 2))
        for a in (world.north_mod, world.south_mfa, world.league_spokes):
            st = f.statement(inc, a, f"{a.name} says {i}.", source=src)
            annotate(st, "says", "context", f"note {i}", "public")
        f.actor(f"Grown actor {i}", world.north)
        f.party(f"Grown party {i}", f"grown-{i}")


LIST_URLS = [
    "api:incident_list",
    "api:statement_list",
    "api:actor_list",
    "api:party_list",
    "api:source_list",
    "api:annotation_collection",
]


def count_queries(client, url: str, page_size: int = 200) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["anonymous", "analyst"])
def test_list_query_counts_do_not_grow_with_data(as_role, role, world):
    client = as_role(role)
    grow(world, 2)
    # Once per cache: the first answer creates the generation token it reads.
    client.get(reverse(LIST_URLS[0]))
    small = {name: count_queries(client, reverse(name)) for name in LIST_URLS}
    grow_more = 12
    for i in range(grow_more):
        # Distinct names from the first batch.
        inc = f.incident(world.conflict, f"More {i}", date_start=date(2020, 1, 1))
        inc.places.add(Place.objects.create(name=f"Vale {i}", slug=f"vale-{i}"))
        src = f.source(f"More report {i}", "Text.")
        for a in (world.north_mod, world.south_mfa):
            st = f.statement(inc, a, f"{a.name} more {i}.", source=src)
            annotate(st, "more", "context", "n", "public")
        f.actor(f"More actor {i}", world.south)
        f.party(f"More party {i}", f"more-{i}")
    large = {name: count_queries(client, reverse(name)) for name in LIST_URLS}
    assert large == small
    one_per_page = {name: count_queries(client, reverse(name), 1) for name in LIST_URLS}
    assert one_per_page == small
    # Fixed and small: aggregate, the page's ids, its rows (+ prefetches: places; a
    # party's conflicts), the content generation (one cache read, for the ETag), plus
    # session, user and groups for a signed-in analyst.
    assert max(small.values()) <= (6 if role == "anonymous" else 9)


# --- JSON-LD --------------------------------------------------------------------------

LOCAL_CONTEXTS = {
    "http://www.w3.org/ns/anno.jsonld": DATA / "anno.jsonld",
    "https://schema.org": DATA / "schema.org.jsonld",
}


def local_loader(url: str, options: dict | None = None) -> dict:
    """pyld document loader serving the contexts from tests/data (no network)."""
    path = LOCAL_CONTEXTS.get(url.rstrip("/"))
    if path is None:
        raise jsonld.JsonLdError(f"No local copy of {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(path.read_text())}


def expand(doc: dict) -> list[dict]:
    return jsonld.expand(doc, {"documentLoader": local_loader})


def types(node: dict) -> list[str]:
    return node.get("@type", [])


def test_annotation_is_a_web_annotation(client, world):
    response = client.get(reverse("api:annotation_detail", args=[world.public_note.pk]))
    assert response["Content-Type"].startswith("application/ld+json")
    assert 'profile="http://www.w3.org/ns/anno.jsonld"' in response["Content-Type"]
    doc = response.json()
    assert doc["@context"][0] == "http://www.w3.org/ns/anno.jsonld"

    [node] = expand(doc)
    assert types(node) == [OA + "Annotation"]
    assert node[OA + "motivatedBy"] == [{"@id": OA + "commenting"}]
    bodies = {b[OA + "hasPurpose"][0]["@id"]: b for b in node[OA + "hasBody"]}
    assert bodies[OA + "tagging"]["http://www.w3.org/1999/02/22-rdf-syntax-ns#value"] == [
        {"@value": "disputed"}
    ]
    assert types(bodies[OA + "commenting"]) == [OA + "TextualBody"]

    [target] = node[OA + "hasTarget"]
    assert types(target) == [OA + "SpecificResource"]
    assert target[OA + "hasSource"][0]["@id"].endswith(
        reverse("api:statement_text", args=[world.north_says.pk])
    )
    assert target[OA + "hasScope"][0]["@id"].endswith(
        reverse("incidents:statement_detail", args=[world.north_says.pk])
    )
    selectors = {types(s)[0]: s for s in target[OA + "hasSelector"]}
    quote = selectors[OA + "TextQuoteSelector"]
    assert quote[OA + "exact"] == [{"@value": "repairing a bridge"}]
    assert quote[OA + "prefix"] == [{"@value": "Our patrol was "}]
    assert quote[OA + "suffix"] == [{"@value": " when it was seized."}]
    position = selectors[OA + "TextPositionSelector"]
    start = int(position[OA + "start"][0]["@value"])
    end = int(position[OA + "end"][0]["@value"])
    assert world.north_says.text[start:end] == "repairing a bridge"

    [state] = target[OA + "hasState"]
    assert types(state) == [OA + "TimeState"]
    [cached] = state[OA + "cachedSource"]
    assert cached["@id"].endswith(reverse("api:statement_text", args=[world.north_says.pk]))
    [audience] = node["http://schema.org/audience"]
    assert audience["http://schema.org/audienceType"] == [{"@value": "public"}]


def test_annotation_authors_are_named_to_colleagues_only(client, world, editor, analyst):
    world.public_note.author = editor
    world.public_note.save()
    url = reverse("api:annotation_detail", args=[world.public_note.pk])
    assert "creator" not in client.get(url).json()
    assert editor.username.encode() not in client.get(reverse("api:annotation_collection")).content
    client.force_login(analyst)
    assert client.get(url).json()["creator"] == {"type": "Person", "name": str(editor)}


def test_annotation_collections_are_ordered_collections(client, world, analyst):
    client.force_login(analyst)
    for url in [
        reverse("api:annotation_collection"),
        reverse("api:incident_annotations", args=[world.incident.slug]),
        reverse("api:statement_annotations", args=[world.north_says.pk]),
    ]:
        [node] = expand(client.get(url).json())
        assert types(node) == [AS + "OrderedCollection"], url
        [first] = node[AS + "first"]
        assert types(first) == [AS + "OrderedCollectionPage"]
        items = first[AS + "items"][0]["@list"]
        assert items and all(types(i) == [OA + "Annotation"] for i in items)

    [page] = expand(client.get(reverse("api:annotation_collection"), {"page": 1}).json())
    assert types(page) == [AS + "OrderedCollectionPage"]
    assert len(page[AS + "items"][0]["@list"]) == 3


def test_statement_claim_is_a_schema_org_claim(client, world):
    response = client.get(reverse("api:statement_claim", args=[world.north_says.pk]))
    doc = response.json()
    assert doc["@type"] == "Claim"
    assert "ClaimReview" not in response.content.decode()
    [node] = expand(doc)
    assert types(node) == [SCHEMA + "Claim"]
    assert node[SCHEMA + "text"] == [{"@value": world.north_says.text}]
    assert node[SCHEMA + "datePublished"][0]["@value"] == "2024-03-01"
    [author] = node[SCHEMA + "author"]
    assert types(author) == [SCHEMA + "Organization"]
    assert author[SCHEMA + "name"] == [{"@value": "Northland Defence Ministry"}]
    assert author[SCHEMA + "parentOrganization"][0][SCHEMA + "name"] == [{"@value": "Northland"}]
    [appearance] = node[SCHEMA + "appearance"]
    assert types(appearance) == [SCHEMA + "CreativeWork"]
    assert appearance[SCHEMA + "url"] == [{"@id": "https://north.example/releases/1"}]
    assert appearance[SCHEMA + "datePublished"][0]["@value"] == "2024-03-02"

    person = client.get(reverse("api:statement_claim", args=[world.league_says.pk])).json()
    assert person["author"]["@type"] == "Person"
    assert person["author"]["affiliation"]["name"] == "League of Harbours"
    assert "appearance" not in person  # no source recorded


def test_claim_include_renders_a_safe_ld_json_block(world):
    world.north_says.text = 'Nothing </script><script>alert("x")</script> & more'
    world.north_says.save()
    request = RequestFactory().get("/")
    html = render_to_string(
        "api/_claim_jsonld.html", {"statement": world.north_says, "request": request}
    )
    match = re.fullmatch(
        r'\s*<script type="application/ld\+json">(.*)</script>\s*', html, re.DOTALL
    )
    assert match, html
    payload = match.group(1)
    assert "<" not in payload and ">" not in payload and "&" not in payload
    doc = json.loads(payload)
    assert doc["text"] == world.north_says.text
    assert doc["url"] == "http://testserver" + world.north_says.get_absolute_url()
    [node] = expand(doc)
    assert types(node) == [SCHEMA + "Claim"]


# --- feed -----------------------------------------------------------------------------

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("role", ROLES)
def test_feed_has_only_published_incidents_for_everyone(as_role, role, world):
    client = as_role(role)
    later = f.incident(world.conflict, "Drone seen over the ridge")
    later.published_at = later.published_at + timedelta(hours=1)
    later.save()
    response = client.get(reverse("api:incident_feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"SECRET" not in response.content
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - the app's own output
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Drone seen over the ridge", "Patrol stopped at the river crossing"]

    other = f.conflict("East–West", [f.party("Eastland", "eastland"), world.south])
    f.incident(other, "Boat held in the bay")
    narrowed = client.get(reverse("api:incident_feed"), {"conflict": other.slug})
    entries = ElementTree.fromstring(narrowed.content).findall(f"{ATOM}entry")  # noqa: S314
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Boat held in the bay"]
    assert client.get(reverse("api:incident_feed"), {"conflict": "nowhere"}).status_code == 404


def test_no_archived_copy_means_no_archive_link(client, world):
    bare = f.source("Televised briefing", "", url="https://tv.example/briefing")
    world.league_says.source = bare
    world.league_says.save()
    claim = client.get(reverse("api:statement_claim", args=[world.league_says.pk])).json()
    assert claim["appearance"]["url"] == "https://tv.example/briefing"
    assert "archivedAt" not in claim["appearance"]


def test_api_is_read_only(client, editor_client, world):
    for c in (client, editor_client):
        for url in [reverse("api:incident_list"), reverse("api:export_statements", args=["csv"])]:
            assert c.post(url).status_code == 405
            assert c.delete(url).status_code == 405
    head = client.head(reverse("api:statement_list"))
    assert head.status_code == 200 and head["ETag"]


def test_claim_dates_keep_their_precision(client, world):
    Statement.objects.filter(pk=world.north_says.pk).update(
        issued_on=date(2021, 5, 1), issued_precision="month"
    )
    claim = client.get(reverse("api:statement_claim", args=[world.north_says.pk])).json()
    assert claim["datePublished"] == "2021-05"
    assert "disambiguatingDescription" not in claim
    Statement.objects.filter(pk=world.north_says.pk).update(
        issued_on=date(2021, 5, 3), issued_precision="approximate"
    )
    claim = client.get(reverse("api:statement_claim", args=[world.north_says.pk])).json()
    assert claim["datePublished"] == "2021-05-03"
    assert claim["disambiguatingDescription"] == "The date is approximate: around 3 May 2021."
    item = client.get(reverse("api:statement_detail", args=[world.north_says.pk])).json()
    assert (item["issued_on"], item["issued_precision"]) == ("2021-05-03", "approximate")
    world.incident.date_precision = "year"
    world.incident.save()
    incident = client.get(reverse("api:incident_detail", args=[world.incident.slug])).json()
    assert incident["date_start"] == "2024"


def test_the_list_page_and_the_api_filter_incidents_by_one_rule(client, world):
    other = f.conflict("East–West", [f.party("Eastland", "eastland"), world.south], [world.league])
    boat = f.incident(other, "Boat held in the bay", date_start=date(2023, 7, 9))
    boat.places.add(world.river)
    f.statement(boat, world.league_spokes, "The League is concerned.")
    for params in (
        {"party": "league"},
        {"party": "eastland"},
        {"place": "river-crossing"},
        {"conflict": other.slug},
        {"date_from": "2024-01-01"},
        {"date_to": "2023-12-31", "place": "river-crossing"},
    ):
        api = {i["slug"] for i in get_json(client, "api:incident_list", **params)["results"]}
        page = client.get(reverse("incidents:list"), params).content.decode()
        shown = {s for s in (world.incident.slug, boat.slug) if f"/incidents/{s}/" in page}
        assert api == shown, params
