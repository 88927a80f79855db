"""The OpenAPI 3.1 description: a standard validator accepts it, it lists every API
endpoint with exactly the parameters the API accepts, and every endpoint's real
answer (lists, details, errors) matches the schema it gives."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import OpenAPIV31SpecValidator

from api.exports import DATASETS, WRITERS
from tests.api.test_api import ApiWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> ApiWorld:
    return ApiWorld()


def fetch_document(client: Client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def check(doc: dict[str, Any], schema: dict[str, Any], instance: Any) -> list[str]:
    # The components are put beside the schema so its "#/components/..." refs resolve.
    validator = Draft202012Validator(
        {**schema, "components": doc["components"]}, format_checker=FormatChecker()
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def concrete(path: str, w: ApiWorld) -> str:
    values = {
        "/api/incidents/{slug}": w.incident.slug,
        "/api/actors/{slug}": w.north_mod.slug,
        "/api/parties/{slug}": "northland",
        "/api/statements/{pk}": str(w.north_says.pk),
        "/api/sources/{pk}": str(w.source.pk),
        "/api/annotations/{pk}": str(w.public_note.pk),
    }
    for prefix, value in values.items():
        if path.startswith(prefix):
            return value.join(path.split("{" + prefix.rsplit("{", 1)[1], 1))
    return path


def test_a_standard_validator_accepts_the_document(client, db):
    doc = fetch_document(client)
    OpenAPIV31SpecValidator(doc).validate()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"


def test_every_api_url_pattern_is_described(client, db):
    doc = fetch_document(client)
    [api] = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    ]
    described = set(doc["paths"])
    for p in api.url_patterns:
        if p.name == "unknown_path" or (
            p.name.startswith("export_") and not p.name.endswith("_geojson")
        ):
            continue  # the catch-all 404; exports: one path per format, below
        route = "/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern))
        assert route in described, p.name
    for name in DATASETS:
        for fmt in WRITERS:
            assert f"/api/export/{name}.{fmt}" in described


@pytest.mark.parametrize("insider", [False, True], ids=["public", "analyst"])
def test_every_endpoints_real_answer_matches_its_schema(insider, world, analyst):
    client = Client()
    if insider:
        client.force_login(analyst)
    doc = fetch_document(client)
    for path, item in doc["paths"].items():
        operation = item["get"]
        url = concrete(path, world)
        response = client.get(url)
        assert response.status_code == 200, url
        [(media, content)] = operation["responses"]["200"]["content"].items()
        assert response["Content-Type"].split(";")[0] == media.split(";")[0], url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if "json" in media:
            errors = check(doc, content["schema"], json.loads(body))
            assert not errors, (url, errors[:5])
        # Each list with some parameters set, to validate the filtered answers too.
        params = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        if {"page_size", "sort"} <= params:
            paged = client.get(url, {"page_size": 1})
            assert not check(doc, content["schema"], paged.json()), url


def test_error_answers_match_the_error_schema(client, world):
    doc = fetch_document(client)
    error = {"$ref": "#/components/schemas/Error"}
    for url, status in (
        ("/api/incidents/?incidnet=x", 400),
        ("/api/incidents/?date_from=soon", 400),
        ("/api/incidents/no-such-incident/", 404),
        ("/api/nothing/here/", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert not check(doc, error, response.json()), url
        described = doc["paths"].get(url.split("?")[0])
        if described is not None:
            assert str(status) in described["get"]["responses"]
    posted = client.post("/api/incidents/")
    assert posted.status_code == 405 and not check(doc, error, posted.json())


def test_documented_parameters_are_exactly_those_accepted(client, world):
    doc = fetch_document(client)
    for path, item in doc["paths"].items():
        url = concrete(path, world)
        for param in item["get"]["parameters"]:
            if param["in"] != "query":
                continue
            # A documented parameter is never refused as unknown.
            response = client.get(url, {param["name"]: ""})
            assert response.status_code != 400 or "Unknown" not in response.json()["error"], (
                url,
                param["name"],
            )
        assert client.get(url, {"undocumented": "1"}).status_code == 400, url
