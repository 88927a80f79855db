"""The Atom feed against RFC 4287's required elements (checked in the project's own
code), ids that do not depend on the Host header, and conditional GETs."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests import factories as f
from tests.api.test_api import ApiWorld

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# URI schemes registered with IANA that may name an Atom id here.
ID_SCHEMES = {"tag", "https", "http", "urn"}


def atom_errors(xml: bytes) -> list[str]:
    """RFC 4287's MUSTs for atom:feed and atom:entry (sections 4.1.1, 4.1.2, 4.2)."""
    feed = ElementTree.fromstring(xml)  # noqa: S314 - the app's own output
    errors = []
    if feed.tag != f"{ATOM}feed":
        return ["the document element must be atom:feed"]

    def one(parent: ElementTree.Element, name: str, where: str) -> ElementTree.Element | None:
        found = parent.findall(f"{ATOM}{name}")
        if len(found) != 1:
            errors.append(f"{where}: exactly one atom:{name} required, found {len(found)}")
            return None
        return found[0]

    def check_id(el: ElementTree.Element | None, where: str) -> None:
        if el is None or not el.text:
            return
        scheme = urlsplit(el.text).scheme
        if scheme not in ID_SCHEMES:
            errors.append(f"{where}: atom:id {el.text!r} is not an IRI of a registered scheme")

    def check_date(el: ElementTree.Element | None, where: str) -> None:
        if el is not None and not RFC3339.match(el.text or ""):
            errors.append(f"{where}: {el.tag} must be an RFC 3339 date-time")

    def authors(el: ElementTree.Element) -> list[ElementTree.Element]:
        return el.findall(f"{ATOM}author")

    check_id(one(feed, "id", "feed"), "feed")
    one(feed, "title", "feed")
    check_date(one(feed, "updated", "feed"), "feed")
    for author in authors(feed):
        if author.find(f"{ATOM}name") is None:
            errors.append("feed: atom:author must contain atom:name")
    alternates = [
        link for link in feed.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"
    ]
    if len(alternates) > 1:
        errors.append("feed: at most one alternate link per type")
    if not [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]:
        errors.append("feed: should contain a self link")  # SHOULD, kept strict here
    for n, entry in enumerate(feed.findall(f"{ATOM}entry")):
        where = f"entry {n}"
        check_id(one(entry, "id", where), where)
        one(entry, "title", where)
        check_date(one(entry, "updated", where), where)
        if not authors(feed) and not authors(entry):
            errors.append(f"{where}: atom:author required on the feed or on every entry")
        has_content = entry.find(f"{ATOM}content") is not None
        has_alternate = any(
            link.get("rel", "alternate") == "alternate" for link in entry.findall(f"{ATOM}link")
        )
        if not (has_content or has_alternate):
            errors.append(f"{where}: needs atom:content or an alternate link")
        if len(entry.findall(f"{ATOM}summary")) > 1:
            errors.append(f"{where}: at most one atom:summary")
    return errors


def test_the_checker_finds_what_rfc_4287_requires():
    bare = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>parallax:incident:1</id></entry></feed>'
    found = atom_errors(bare)
    assert any("atom:id" in e and "feed" in e for e in found)
    assert any("registered scheme" in e for e in found)
    assert any("atom:author required" in e for e in found)


@override_settings(SITE_URL="https://parallax.example.org", SITE_TAG_DATE="2026")
def test_the_feed_meets_rfc_4287_and_its_ids_do_not_depend_on_the_host(client):
    w = ApiWorld()
    later = f.incident(w.conflict, "Drone seen over the ridge")
    later.published_at = later.published_at + timedelta(hours=1)
    later.save()
    url = reverse("api:incident_feed")
    first = client.get(url)
    assert atom_errors(first.content) == []
    feed = ElementTree.fromstring(first.content)  # noqa: S314
    assert feed.find(f"{ATOM}id").text == "tag:parallax.example.org,2026:feeds/incidents"
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "Parallax"
    assert "creativecommons.org" in feed.find(f"{ATOM}rights").text
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert ids == [f"tag:parallax.example.org,2026:incident/{i.pk}" for i in (later, w.incident)]
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert links[0] == "https://parallax.example.org" + later.get_absolute_url()
    # The same feed whatever Host the request names.
    other = Client(HTTP_HOST="localhost").get(url)
    assert other.content.replace(b"localhost", b"") == first.content.replace(b"localhost", b"")
    assert b"localhost" not in other.content and b"testserver" not in first.content
    narrowed = client.get(url, {"conflict": w.conflict.slug})
    assert atom_errors(narrowed.content) == []
    assert b"feeds/incidents/north-south</id>" in narrowed.content


def test_the_feed_answers_304_until_it_changes(client):
    w = ApiWorld()
    url = reverse("api:incident_feed")
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    w.incident.title = "Patrol held at the crossing"
    w.incident.save()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert b"Patrol held at the crossing" in changed.content
