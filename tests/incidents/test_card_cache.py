"""The comparison page's data and statement cards, kept per audience with
core.cache.remember() under the page's scopes (incidents.comparison.load_comparison,
incidents.views.comparison_cards): the public never gets what an analyst sees, nobody
but editors gets editors' tools, and every change the page shows reaches it at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.cache import store
from incidents.models import Statement
from tests.conftest import make_user
from tests.factories import World, annotation, claim, statement

CARD = "incidents/_statement_card.html"
# The page cache stays off, as on a page-cache miss (and in manage.py bench's
# uncached column); remember()'s values are on. One machine: no clock skew.
cards_cached = override_settings(
    PUBLIC_PAGE_CACHE=False, VALUE_CACHE=True, PUBLIC_PAGE_CACHE_CLOCK_SKEW=0
)


@pytest.fixture
def world(transactional_db):
    # Transactional: generations are bumped when a transaction commits.
    store().clear()
    w = World()
    claim(w.north_says, w.point, "repairing a bridge")
    w.draft = statement(w.incident, w.south_mfa, "Mines were found on the far bank.", False)
    annotation(w.north_says, "seized", body="Only the ministry says so.", public=False)
    w.url = reverse("incidents:detail", args=[w.incident.slug])
    yield w
    store().clear()


def signed_in(role: str) -> Client:
    c = Client()
    c.force_login(make_user(f"card_{role}", role))
    return c


def renders_cards(response) -> bool:
    return CARD in [t.name for t in response.templates]


@cards_cached
def test_cards_are_rendered_once_then_served_from_the_cache(client, world):
    first = client.get(world.url)
    assert renders_cards(first)
    again = client.get(world.url)
    assert not renders_cards(again)
    assert again.content.count(b'class="statement-card') == 3
    assert b"repairing a bridge" in again.content
    # The htmx partial of the same URL has its own entry (no hx-push-url difference
    # in the cards, but the same rule for every URL) and the same cards.
    partial = client.get(world.url, HTTP_HX_REQUEST="true")
    assert b"repairing a bridge" in partial.content


@cards_cached
def test_warm_cards_cost_no_more_queries_than_rendering_them(client, world):
    with override_settings(VALUE_CACHE=False), CaptureQueriesContext(connection) as uncached:
        client.get(world.url)
    client.get(world.url)
    with CaptureQueriesContext(connection) as warm:
        response = client.get(world.url)
    assert not renders_cards(response)
    # The cards' full rows are not loaded; the cache read takes that query's place.
    assert len(warm.captured_queries) <= len(uncached.captured_queries)


@cards_cached
def test_the_public_never_gets_an_analysts_cards(client, world):
    analyst = signed_in("analyst")
    seen = analyst.get(world.url).content
    assert b"Mines were found" in seen and "Draft — not public".encode() in seen
    assert b"1 note" in seen  # the internal note is counted for analysts
    public = client.get(world.url)
    assert renders_cards(public)  # its own entry, not the analyst's
    assert b"Mines were found" not in public.content
    assert "Draft — not public".encode() not in public.content
    assert b"1 note" not in public.content
    # And the other way round: the analyst does not get the public's cards.
    assert b"Mines were found" in analyst.get(world.url).content


@cards_cached
def test_only_editors_get_the_editors_tools(world):
    editor, analyst = signed_in("editor"), signed_in("analyst")
    assert b"statement-tools" in editor.get(world.url).content
    assert b"statement-tools" in editor.get(world.url).content
    assert b"statement-tools" not in analyst.get(world.url).content
    assert b"statement-tools" not in Client().get(world.url).content
    # Editors' cards carry their CSRF token and are rendered every time.
    assert renders_cards(editor.get(world.url))


@cards_cached
def test_an_edit_shows_on_the_card_at_once(client, world):
    client.get(world.url)
    s = Statement.objects.get(pk=world.league_says.pk)
    s.text = "We call on both governments to talk."
    s.save_versioned(s.version)
    content = client.get(world.url).content
    assert b"to talk." in content
    assert b"show restraint" not in content


@cards_cached
def test_publish_withdraw_and_notes_show_on_the_cards_at_once(client, world):
    client.get(world.url)
    world.draft.publish()
    assert b"Mines were found" in client.get(world.url).content
    Statement.objects.get(pk=world.draft.pk).withdraw("Its source retracted it.")
    content = client.get(world.url).content
    assert b"Its source retracted it." in content
    assert not renders_cards(client.get(world.url))  # cached again
    annotation(world.north_says, "patrol", body="A public note.")
    assert b"1 note" in client.get(world.url).content


@cards_cached
def test_an_opened_card_is_not_served_for_the_closed_one(client, world):
    key = f"statement-{world.league_says.pk}"
    opened = client.get(world.url + f"?card={key}").content
    assert b"is-expanded" in opened
    assert b"is-expanded" not in client.get(world.url).content


@cards_cached
def test_points_claims_and_tabs_follow_the_incidents_changes(client, world):
    client.get(world.url)
    timeline = client.get(world.url + "?tab=timeline", HTTP_HX_REQUEST="true").content
    assert b"Mines were found" not in timeline
    world.point.label = "Why was the patrol at the river?"
    world.point.save()
    claim(world.south_says, world.point, "lay mines")
    content = client.get(world.url).content
    assert b"Why was the patrol at the river?" in content
    assert b"lay mines" in content
    world.draft.publish()
    timeline = client.get(world.url + "?tab=timeline", HTTP_HX_REQUEST="true").content
    assert b"Mines were found" in timeline


@cards_cached
def test_an_unpublished_related_incident_leaves_the_page_at_once(client, world):
    from tests.factories import incident

    other = incident(world.conflict, "Boats held at the estuary")
    world.incident.related.add(other)
    assert b"Boats held at the estuary" in client.get(world.url).content
    other.unpublish()
    assert b"Boats held at the estuary" not in client.get(world.url).content
