"""Issue 11, point 7: the list's filters offer only what can find something, and an
empty result offers no downloads but says how to widen the filter."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests import factories as f

pytestmark = pytest.mark.django_db


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, name
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(0)) if v]


def test_party_filter_offers_only_parties_with_visible_incidents(editor_client):
    client = Client()
    w = f.World()
    # A party of another conflict whose only incident is a draft, and one that never spoke.
    east = f.party("Eastland", "eastland")
    west = f.party("Westland", "westland")
    f.party("Nowhere Union", "nowhere")
    other = f.conflict("East–West", [east, west])
    f.incident(other, "Draft only", published=False)
    html = client.get("/incidents/").content.decode()
    assert options(html, "party") == ["league", "northland", "southland"]
    assert options(html, "conflict") == [w.conflict.slug]
    # Editors see drafts: the draft's conflict and sides are offered to them.
    html = editor_client.get("/incidents/").content.decode()
    assert set(options(html, "party")) == {
        "league",
        "northland",
        "southland",
        "eastland",
        "westland",
    }


def test_a_third_party_that_spoke_only_in_a_draft_is_not_offered(client):
    w = f.World()
    draft = f.incident(w.conflict, "Draft", published=False)
    observer = f.party("Far Island", "far-island")
    w.conflict.third_parties.add(observer)
    f.statement(draft, f.actor("Far Island envoy", observer), "We watch closely.")
    assert "far-island" not in options(client.get("/incidents/").content.decode(), "party")


def test_an_empty_result_has_no_downloads_and_says_how_to_widen(client):
    w = f.World()
    html = client.get(
        "/incidents/?conflict=" + w.conflict.slug + "&date_from=2030-01-01"
    ).content.decode()
    results = html[html.index('id="incident-results"') :]
    assert "0 incidents" in results
    assert "Download" not in results and "export" not in results
    assert "widen the filter" in results
    assert "Remove the date “From”" in results
    assert f'href="/incidents/?conflict={w.conflict.slug}"' in results
    assert "Remove “North–South”" in results
    assert 'href="/incidents/?date_from=2030-01-01"' in results
    # With results, the downloads are there.
    html = client.get("/incidents/?conflict=" + w.conflict.slug).content.decode()
    assert "Download these results" in html
