"""W3C Web Annotations: the data model's MUST rules (checked here in the project's own
code, rule by rule from https://www.w3.org/TR/annotation-model/), the selectors
applied to the representation `cached` points at, and the read side of the Web
Annotation Protocol (https://www.w3.org/TR/annotation-protocol/)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.test_api import ApiWorld, annotate

pytestmark = pytest.mark.django_db

ANNO = "http://www.w3.org/ns/anno.jsonld"
MOTIVATIONS = {
    "assessing",
    "bookmarking",
    "classifying",
    "commenting",
    "describing",
    "editing",
    "highlighting",
    "identifying",
    "linking",
    "moderating",
    "questioning",
    "replying",
    "tagging",
}
# xsd:dateTime with a timezone, as the model requires for created, modified, sourceDate.
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
MEDIA_TYPE = re.compile(r"^[a-z]+/[a-z0-9.+-]+$")


def is_iri(value: Any) -> bool:
    return isinstance(value, str) and bool(urlsplit(value).scheme) and " " not in value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def annotation_errors(doc: dict[str, Any], *, embedded: bool = False) -> list[str]:
    """The MUST rules of the Web Annotation Data Model that Parallax's documents use."""
    errors = []
    if not embedded:
        context = doc.get("@context")
        first = as_list(context)[0] if context else None
        if first != ANNO:
            errors.append("3.1: @context must be (or start with) the anno.jsonld IRI")
    if not is_iri(doc.get("id")):
        errors.append("3.1: an Annotation must have exactly one IRI id")
    if "Annotation" not in as_list(doc.get("type")):
        errors.append("3.1: type must include Annotation")
    if "target" not in doc:
        errors.append("3.1: an Annotation must have one or more targets")
    for key in ("created", "modified"):
        if key in doc and not DATETIME.match(doc[key]):
            errors.append(f"3.3.5: {key} must be an xsd:dateTime with a timezone")
    for motivation in as_list(doc.get("motivation", [])):
        if motivation not in MOTIVATIONS:
            errors.append(f"3.3.5: unknown motivation {motivation!r}")
    for body in as_list(doc.get("body", [])):
        errors += [f"body: {e}" for e in resource_errors(body)]
        if body.get("type") == "TextualBody" and "value" not in body:
            errors.append("3.2.4: a TextualBody must have a value")
        if "purpose" in body and body["purpose"] not in MOTIVATIONS:
            errors.append(f"3.3.5: unknown purpose {body['purpose']!r}")
    for target in as_list(doc.get("target", [])):
        errors += [f"target: {e}" for e in resource_errors(target)]
    return errors


def resource_errors(res: Any) -> list[str]:
    if isinstance(res, str):
        return [] if is_iri(res) else ["an external resource must be an IRI"]
    errors = []
    if res.get("type") == "SpecificResource":
        source = res.get("source")
        if source is None:
            errors.append("4: a SpecificResource must have exactly one source")
        elif not is_iri(source if isinstance(source, str) else source.get("id")):
            errors.append("4: the source must be identified by an IRI")
        if isinstance(source, dict) and not MEDIA_TYPE.match(source.get("format", "a/b")):
            errors.append("3.2.1: format must be a media type")
        if "scope" in res and not is_iri(res["scope"]):
            errors.append("4.4: scope must be an IRI")
        for selector in as_list(res.get("selector", [])):
            errors += selector_errors(selector)
        for state in as_list(res.get("state", [])):
            errors += state_errors(state)
    elif "id" in res and not is_iri(res["id"]):
        errors.append("3.2: a resource's id must be an IRI")
    return errors


def selector_errors(selector: dict[str, Any]) -> list[str]:
    kind = selector.get("type")
    if kind == "TextQuoteSelector":
        if not isinstance(selector.get("exact"), str):
            return ["4.2.4: a TextQuoteSelector must have exactly one exact"]
        return [
            f"4.2.4: {k} must be a string"
            for k in ("prefix", "suffix")
            if k in selector and not isinstance(selector[k], str)
        ]
    if kind == "TextPositionSelector":
        start, end = selector.get("start"), selector.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            return ["4.2.5: start and end must be non-negative integers, start <= end"]
        return []
    return [f"4.2: unexpected selector type {kind!r}"]


def state_errors(state: dict[str, Any]) -> list[str]:
    errors = []
    if state.get("type") != "TimeState":
        errors.append("4.3: unexpected state type")
    if "sourceDate" in state:
        if not DATETIME.match(state["sourceDate"]):
            errors.append("4.3.1: sourceDate must be an xsd:dateTime with a timezone")
    elif not ("sourceDateStart" in state and "sourceDateEnd" in state):
        errors.append("4.3.1: a TimeState needs sourceDate, or sourceDateStart and End")
    for cached in as_list(state.get("cached", [])):
        if not is_iri(cached):
            errors.append("4.3.1: cached must be an IRI (timeStateValid)")
    return errors


def collection_errors(doc: dict[str, Any]) -> list[str]:
    errors = []
    if doc.get("type") == "AnnotationCollection":
        if not is_iri(doc.get("id")):
            errors.append("5.1: a collection must have an IRI id")
        if not isinstance(doc.get("total"), int) or doc["total"] < 0:
            errors.append("5.1: total must be a non-negative integer")
        if doc["total"] and "first" not in doc:
            errors.append("5.1: a non-empty collection must have first")
        pages = [doc["first"]] if "first" in doc else []
    else:
        pages = [doc]
    for page in pages:
        if page.get("type") != "AnnotationPage" or not isinstance(page.get("items"), list):
            errors.append("5.2: a page must be an AnnotationPage with items")
            continue
        for item in page["items"]:
            errors += annotation_errors(item, embedded=True)
    return errors


@pytest.fixture
def world(db) -> ApiWorld:
    return ApiWorld()


def test_the_validator_catches_what_the_w3c_schemas_reject():
    """The rule the W3C suite reported (an object as `cached`) and a few others."""
    good = {
        "@context": ANNO,
        "id": "https://example.org/a/1",
        "type": "Annotation",
        "target": {
            "type": "SpecificResource",
            "source": {"id": "https://example.org/t.txt", "format": "text/plain"},
            "selector": {"type": "TextPositionSelector", "start": 1, "end": 4},
            "state": {
                "type": "TimeState",
                "sourceDate": "2024-03-01T00:00:00Z",
                "cached": "https://example.org/t.txt",
            },
        },
    }
    assert annotation_errors(good) == []
    bad = {**good, "target": {**good["target"], "state": {**good["target"]["state"]}}}
    bad["target"]["state"]["cached"] = {"id": "https://example.org/copy"}
    assert annotation_errors(bad) == ["target: 4.3.1: cached must be an IRI (timeStateValid)"]
    assert annotation_errors({**good, "id": "not an iri"})
    assert annotation_errors({**good, "motivation": "rating"})
    assert annotation_errors({**good, "created": "2024-03-01"})


def test_every_annotation_served_meets_the_model(client, analyst, world):
    annotate(world.south_says, "armed group", "context", "", "public")  # tagging only
    for who in ("public", "analyst"):
        c = Client()
        if who == "analyst":
            c.force_login(analyst)
        collection = c.get(reverse("api:annotation_collection")).json()
        assert collection_errors(collection) == [], who
        assert collection["total"] >= 2
        for item in collection["first"]["items"]:
            doc = c.get(item["id"]).json()
            assert annotation_errors(doc) == [], (who, doc["id"])
        page = c.get(reverse("api:annotation_collection"), {"page": 1}).json()
        assert collection_errors(page) == []


def test_selectors_applied_to_the_cached_text_give_the_annotated_words(client, world):
    annotate(world.south_says, "crossed the river", "context", "Both agree on this.", "public")
    collection = client.get(reverse("api:annotation_collection")).json()
    items = collection["first"]["items"]
    assert len(items) == 2
    for doc in items:
        target = doc["target"]
        cached = client.get(target["state"]["cached"])
        assert cached.status_code == 200
        # Where the annotation says the source is, and in the format it says.
        assert target["source"]["id"] == target["state"]["cached"]
        assert cached["Content-Type"] == "text/plain; charset=utf-8"
        assert target["source"]["format"] == "text/plain"
        text = cached.content.decode()
        selectors = {s["type"]: s for s in target["selector"]}
        position = selectors["TextPositionSelector"]
        quote = selectors["TextQuoteSelector"]
        assert text[position["start"] : position["end"]] == quote["exact"]
        at = text.index(quote["prefix"] + quote["exact"] + quote["suffix"])
        assert at + len(quote["prefix"]) == position["start"]


def test_the_cached_text_is_only_served_for_visible_statements(client, world):
    url = reverse("api:statement_text", args=[world.draft_statement.pk])
    assert client.get(url).status_code == 404
    public = client.get(reverse("api:statement_text", args=[world.north_says.pk]))
    assert public.content.decode() == world.north_says.text
    assert (
        client.get(
            reverse("api:statement_text", args=[world.north_says.pk]),
            headers={"If-None-Match": public["ETag"]},
        ).status_code
        == 304
    )


def test_protocol_headers_on_annotations_and_containers(client, world):
    detail = reverse("api:annotation_detail", args=[world.public_note.pk])
    containers = [
        reverse("api:annotation_collection"),
        reverse("api:statement_annotations", args=[world.north_says.pk]),
        reverse("api:incident_annotations", args=[world.incident.slug]),
    ]
    r = client.get(detail)
    assert '<http://www.w3.org/ns/ldp#Resource>; rel="type"' in r["Link"]
    assert r["Allow"] == "GET, HEAD, OPTIONS"
    assert "Accept" in r["Vary"]
    for url in containers:
        r = client.get(url)
        assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in r["Link"], url
        assert 'rel="http://www.w3.org/ns/ldp#constrainedBy"' in r["Link"]
        assert r["Allow"] == "GET, HEAD, OPTIONS" and "Accept" in r["Vary"]
    for url in [detail, *containers]:
        options = client.options(url)
        assert options.status_code == 204 and options["Allow"] == "GET, HEAD, OPTIONS"
        assert "ldp#" in options["Link"]
