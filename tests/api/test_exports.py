"""CSV and JSON downloads of incidents, statements and annotations."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.exports import ANNOTATION_COLUMNS, INCIDENT_COLUMNS, STATEMENT_COLUMNS, WRITERS
from incidents.models import Place, Statement
from tests import factories as f
from tests.api.test_api import ROLES, ApiWorld

# The documented column sets (docs/api.md). Changing these is a breaking change for
# everyone's scripts: add columns at the end, never rename or reorder.
INCIDENT_HEADER = [
    "slug",
    "title",
    "conflict",
    "conflict_name",
    "date_start",
    "date_end",
    "date_precision",
    "places",
    "place_names",
    "summary",
    "status",
    "published_at",
    "statement_count",
    "url",
    "updated_at",
    "place_coordinates",
]
STATEMENT_HEADER = [
    "id",
    "incident",
    "incident_title",
    "conflict",
    "issued_on",
    "issued_precision",
    "actor",
    "actor_name",
    "actor_kind",
    "party",
    "party_name",
    "kind",
    "statement_type",
    "leaning",
    "leaning_towards",
    "text",
    "original_language",
    "original_text",
    "translation_note",
    "source_id",
    "source_title",
    "source_publisher",
    "source_url",
    "source_published_on",
    "source_sha256",
    "source_start",
    "source_end",
    "quote_verified",
    "status",
    "published_at",
    "withdrawn_reason",
    "url",
    "updated_at",
]
ANNOTATION_HEADER = [
    "id",
    "statement_id",
    "incident",
    "tag",
    "body",
    "visibility",
    "quote",
    "start",
    "end",
    "prefix",
    "suffix",
    "needs_review",
    "evidence_source_id",
    "created_at",
    "updated_at",
    "url",
]


@pytest.fixture
def world(db) -> ApiWorld:
    return ApiWorld()


@pytest.fixture
def as_role(client, analyst, editor):
    def sign_in(role: str):
        if role == "analyst":
            client.force_login(analyst)
        elif role == "editor":
            client.force_login(editor)
        return client

    return sign_in


def download(client, what: str, fmt: str, **params):
    response = client.get(reverse(f"api:export_{what}", args=[fmt]), params)
    assert response.status_code == 200, response.content
    assert isinstance(response, StreamingHttpResponse)
    return response, b"".join(response.streaming_content).decode("utf-8")  # type: ignore[arg-type]


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_column_sets_are_the_documented_ones():
    assert [c[0] for c in INCIDENT_COLUMNS] == INCIDENT_HEADER
    assert [c[0] for c in STATEMENT_COLUMNS] == STATEMENT_HEADER
    assert [c[0] for c in ANNOTATION_COLUMNS] == ANNOTATION_HEADER


def test_statement_csv_round_trips_through_the_csv_module(client, world):
    awkward = (
        'He said: "we will not, under any circumstances, withdraw".\n'
        "Second line; semicolons, commas — and Ünïcödé: Ղարաբաղ, Qarabağ."
    )
    tricky = f.statement(
        world.incident,
        world.south_mfa,
        awkward,
        original_language="hy",
        original_text="Մենք չենք նահանջի",
        translation_note='Literally "step back"',
    )
    response, text = download(client, "statements", "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="parallax-statements-')
    header, rows = read_csv(text)
    assert header == STATEMENT_HEADER
    by_id = {int(r["id"]): r for r in rows}
    row = by_id[tricky.pk]
    assert row["text"] == awkward
    assert row["original_text"] == "Մենք չենք նահանջի"
    assert row["translation_note"] == 'Literally "step back"'
    assert row["party"] == "southland" and row["actor_name"] == "Southland Foreign Ministry"
    assert row["issued_on"] == "2024-03-01"
    assert row["status"] == "published"
    assert row["url"] == "http://testserver" + tricky.get_absolute_url()
    assert row["source_id"] == "" and row["quote_verified"] == ""

    sourced = by_id[world.north_says.pk]
    assert sourced["source_title"] == "Ministry release on the crossing"
    assert sourced["source_sha256"] == world.source.sha256
    assert int(sourced["source_start"]) == world.north_says.source_start
    assert by_id[world.league_says.pk]["leaning"] == "both"
    assert by_id[world.withdrawn.pk]["withdrawn_reason"] == "The ministry corrected this."
    # Every row has every column, and writing the rows back gives the same text.
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    assert out.getvalue() == text


def test_cells_that_spreadsheets_would_run_as_formulas_are_neutralised(client, world):
    f.statement(world.incident, world.south_mfa, '=HYPERLINK("http://evil")')
    sneaky = ["  =1+2", "\t=1", "＝HYPERLINK()", "＋1", "－1", "＠SUM(A1)", "@cmd", "-2+3"]
    for text in sneaky:
        f.statement(world.incident, world.south_mfa, text)
    _, text = download(client, "statements", "csv")
    _, rows = read_csv(text)
    texts = [r["text"] for r in rows]
    assert '\'=HYPERLINK("http://evil")' in texts
    for value in sneaky:
        assert "'" + value in texts, value
    assert "Our patrol was repairing a bridge when it was seized." in texts  # untouched
    # JSON is not opened by spreadsheets: the text is exact there.
    _, body = download(client, "statements", "json")
    assert '=HYPERLINK("http://evil")' in [r["text"] for r in json.loads(body)["results"]]


def test_multi_valued_cells_round_trip_whatever_the_names_contain(client, world):
    world.incident.places.add(Place.objects.create(name="Tavush; Tovuz", slug="tavush-tovuz"))
    world.incident.places.add(Place.objects.create(name='He said "here", ok', slug="quoted"))
    _, text = download(client, "incidents", "csv")
    [row] = read_csv(text)[1]
    names = json.loads(row["place_names"])
    assert sorted(names) == sorted(["River crossing", "Tavush; Tovuz", 'He said "here", ok'])
    assert sorted(json.loads(row["places"])) == ["quoted", "river-crossing", "tavush-tovuz"]
    _, body = download(client, "incidents", "json")
    assert sorted(json.loads(body)["results"][0]["place_names"]) == sorted(names)


def test_every_export_has_updated_at_and_dates_keep_their_precision(client, world):
    Statement.objects.filter(pk=world.south_says.pk).update(
        issued_on=date(2021, 5, 1), issued_precision="month"
    )
    for what in ("incidents", "statements", "annotations"):
        _, text = download(client, what, "csv")
        header, rows = read_csv(text)
        assert "updated_at" in header and all(r["updated_at"] for r in rows), what
    _, text = download(client, "statements", "csv")
    by_id = {int(r["id"]): r for r in read_csv(text)[1]}
    assert by_id[world.south_says.pk]["issued_on"] == "2021-05"
    assert by_id[world.north_says.pk]["issued_on"] == "2024-03-01"
    _, body = download(client, "statements", "json")
    items = {r["id"]: r for r in json.loads(body)["results"]}
    assert items[world.south_says.pk]["issued_on"] == "2021-05"
    api = client.get(reverse("api:statement_detail", args=[world.south_says.pk])).json()
    assert api["issued_on"] == "2021-05" and api["issued_precision"] == "month"


def test_excel_download_is_the_standard_csv_after_a_byte_order_mark(client, world):
    response, standard = download(client, "statements", "csv")
    assert not standard.startswith("\ufeff")
    excel_response, excel = download(client, "statements", "excel.csv")
    assert excel == "\ufeff" + standard
    assert excel_response["Content-Type"] == response["Content-Type"] == "text/csv; charset=utf-8"
    assert excel_response["Content-Disposition"].endswith('.excel.csv"')


def test_exports_state_the_data_licence(client, world):
    response, body = download(client, "statements", "json")
    assert json.loads(body)["license"] == "https://creativecommons.org/licenses/by/4.0/"
    csv_response, _ = download(client, "incidents", "csv")
    assert 'rel="license"' in csv_response["Link"]


def test_annotations_export_obeys_visibility(client, world, analyst):
    for fmt in ("csv", "json"):
        _, text = download(client, "annotations", fmt)
        rows = read_csv(text)[1] if fmt == "csv" else json.loads(text)["results"]
        assert {int(r["id"]) for r in rows} == {world.public_note.pk}, fmt
        assert "SECRET" not in text
    _, text = download(client, "annotations", "csv", tag="disputed")
    [row] = read_csv(text)[1]
    assert row["quote"] == "repairing a bridge" and row["incident"] == world.incident.slug
    client.force_login(analyst)
    _, text = download(client, "annotations", "json")
    ids = {r["id"] for r in json.loads(text)["results"]}
    assert ids == {world.public_note.pk, world.internal_note.pk, world.note_on_draft.pk}


def test_every_registered_format_answers_for_every_dataset(client, world):
    for what in ("incidents", "statements", "annotations"):
        for fmt in WRITERS:
            response, text = download(client, what, fmt)
            assert text, (what, fmt)


def test_incident_csv_and_json_carry_the_same_rows(client, world):
    world.incident.summary = "A patrol was stopped, each side says why."
    world.incident.save()
    _, text = download(client, "incidents", "csv")
    header, rows = read_csv(text)
    assert header == INCIDENT_HEADER
    [row] = rows
    assert row["slug"] == world.incident.slug
    assert row["places"] == '["river-crossing"]'
    assert row["statement_count"] == "4"  # three published + one withdrawn
    assert row["summary"] == "A patrol was stopped, each side says why."

    response, body = download(client, "incidents", "json")
    assert response["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["columns"] == INCIDENT_HEADER
    assert doc["visibility"] == "public"
    [item] = doc["results"]
    assert list(item) == INCIDENT_HEADER
    assert item["statement_count"] == 4
    assert item["date_end"] is None
    assert item["places"] == ["river-crossing"]
    as_csv = {
        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else str(v)
        for k, v in item.items()
        if v is not None
    }
    assert as_csv == {k: v for k, v in row.items() if v != ""} | {"statement_count": "4"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_obey_visibility(as_role, role, fmt, world):
    client = as_role(role)
    insider = role != "anonymous"
    for what in ["incidents", "statements"]:
        _, text = download(client, what, fmt)
        assert ("SECRET" in text) is insider, (what, fmt)

    _, text = download(client, "statements", fmt)
    rows = read_csv(text)[1] if fmt == "csv" else json.loads(text)["results"]
    statuses = {int(r["id"]): r["status"] for r in rows}
    expected = {world.north_says.pk, world.south_says.pk, world.league_says.pk, world.withdrawn.pk}
    if insider:
        expected |= {world.draft_statement.pk, world.statement_on_draft.pk}
        assert statuses[world.draft_statement.pk] == "draft"
    assert set(statuses) == expected
    assert statuses[world.withdrawn.pk] == "withdrawn"

    _, text = download(client, "incidents", fmt)
    rows = read_csv(text)[1] if fmt == "csv" else json.loads(text)["results"]
    counts = {r["slug"]: int(r["statement_count"]) for r in rows}
    # The public count never includes the draft statement on the published incident.
    assert counts[world.incident.slug] == (5 if insider else 4)


def test_exports_respect_filters_and_reject_bad_input(client, world):
    other = f.conflict("East–West", [f.party("Eastland", "eastland"), world.south])
    elsewhere = f.incident(other, "Boat held in the bay", date_start=date(2023, 7, 9))
    f.statement(elsewhere, world.south_mfa, "The boat entered our waters.")

    _, text = download(client, "statements", "csv", party="southland", conflict=other.slug)
    assert [r["text"] for r in read_csv(text)[1]] == ["The boat entered our waters."]
    _, text = download(client, "incidents", "json", date_to="2023-12-31")
    doc = json.loads(text)
    assert [r["slug"] for r in doc["results"]] == [elsewhere.slug]
    assert doc["filters"] == {"date_to": "2023-12-31"}
    _, text = download(client, "statements", "csv", type="call_for_restraint")
    assert [int(r["id"]) for r in read_csv(text)[1]] == [world.league_says.pk]
    _, text = download(client, "statements", "csv", q="mines", status="withdrawn")
    assert [int(r["id"]) for r in read_csv(text)[1]] == [world.withdrawn.pk]

    bad = client.get(reverse("api:export_statements", args=["csv"]), {"date_from": "13/13"})
    assert bad.status_code == 400
    assert "date_from" in bad.json()["details"]
    assert client.get("/api/export/statements.xlsx").status_code == 404


def test_empty_export_still_has_its_header(client, db):
    _, text = download(client, "statements", "csv")
    assert read_csv(text) == (STATEMENT_HEADER, [])
    _, body = download(client, "incidents", "json")
    assert json.loads(body)["results"] == []


def grow(world: ApiWorld, n: int, tag: str) -> None:
    for i in range(n):
        inc = f.incident(world.conflict, f"{tag} {i}", date_start=date(2021, 1, 1))
        inc.places.add(Place.objects.create(name=f"{tag} place {i}", slug=f"{tag}-{i}"))
        src = f.source(f"{tag} report {i}", "Text.")
        for a in (world.north_mod, world.south_mfa):
            f.statement(inc, a, f"{a.name}: {tag} {i}.", source=src)


def export_queries(client, what: str, fmt: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        download(client, what, fmt)
    return len(ctx.captured_queries)


def test_export_queries_do_not_grow_with_rows(client, world):
    grow(world, 3, "few")
    small = {
        (what, fmt): export_queries(client, what, fmt)
        for what in ("incidents", "statements")
        for fmt in ("csv", "json")
    }
    grow(world, 25, "many")
    assert Statement.objects.count() > 55
    large = {
        (what, fmt): export_queries(client, what, fmt)
        for what in ("incidents", "statements")
        for fmt in ("csv", "json")
    }
    assert large == small
    # Statements: one query; incidents: one plus one prefetch of places per chunk.
    assert small[("statements", "csv")] == 1
    assert small[("incidents", "csv")] == 2


def test_a_new_format_is_one_registered_writer(client, world):
    """What a GeoJSON or TSV export would take: a writer; URLs, the API root and the
    OpenAPI description follow from the registry."""
    from api.exports import writer

    @writer("tsv", "text/tab-separated-values; charset=utf-8")
    def write_tsv(export):
        yield "\t".join(export.header) + "\n"
        for row in export.rows:
            yield "\t".join("" if v is None else str(v) for v in row) + "\n"

    try:
        response, text = download(client, "incidents", "tsv")
        assert response["Content-Type"] == "text/tab-separated-values; charset=utf-8"
        assert text.splitlines()[0].split("\t") == INCIDENT_HEADER
        assert world.incident.slug in text
        assert "incidents_tsv" in client.get(reverse("api:index")).json()["exports"]
        assert "/api/export/statements.tsv" in client.get("/api/openapi.json").json()["paths"]
    finally:
        del WRITERS["tsv"]
    missing = client.get("/api/export/incidents.tsv")
    assert missing.status_code == 404 and "csv, excel.csv, json" in missing.json()["error"]
