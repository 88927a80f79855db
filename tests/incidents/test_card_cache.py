"""The comparison page's data, kept per audience with core.cache.remember() under the
page's scopes (incidents.comparison.load_comparison), and its statement cards, each
kept per audience and URL under a digest of what it shows (incidents.cards.card_digest,
incidents.views.comparison_cards): the public never gets what an analyst sees, nobody
but editors gets editors' tools, every change the page shows reaches it at once, and
an edit renders only the cards it changed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.cache import clear_all
from incidents.models import Annotation, Claim, ClaimRelation, Statement
from tests.conftest import make_user
from tests.factories import World, annotation, claim, source, statement

CARD = "incidents/_statement_card.html"
# The page cache stays off, as on a page-cache miss (and in manage.py bench's
# uncached column); remember()'s values are on. One machine: no clock skew.
cards_cached = override_settings(
    PUBLIC_PAGE_CACHE=False, VALUE_CACHE=True, PUBLIC_PAGE_CACHE_CLOCK_SKEW=0
)


@pytest.fixture
def world(transactional_db):
    # Transactional: generations are bumped when a transaction commits.
    clear_all()
    w = World()
    claim(w.north_says, w.point, "repairing a bridge")
    w.draft = statement(w.incident, w.south_mfa, "Mines were found on the far bank.", False)
    annotation(w.north_says, "seized", body="Only the ministry says so.", public=False)
    w.url = reverse("incidents:detail", args=[w.incident.slug])
    yield w
    clear_all()


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
@pytest.mark.parametrize("remove", ["unpublish", "delete"])
def test_a_related_incident_taken_away_leaves_the_page_at_once(client, world, remove):
    from tests.factories import incident

    other = incident(world.conflict, "Boats held at the estuary")
    world.incident.related.add(other)
    assert b"Boats held at the estuary" in client.get(world.url).content
    # A delete removes the link without m2m signals: the deleted row says whose
    # pages named it.
    getattr(other, remove)()
    assert b"Boats held at the estuary" not in client.get(world.url).content


# --- each card kept by what it shows (cards.card_digest): an edit renders only the
# cards it changed, and every kind of change shows at once ---------------------------


def cards_rendered(response) -> int:
    return [t.name for t in response.templates].count(CARD)


def card_of(content: bytes, key: str) -> str:
    """The HTML of the card with this id on the page."""
    text = content.decode()
    start = text.rindex("<article", 0, text.index(f'id="{key}"'))
    return text[start : text.index("</article>", start)]


def is_cache_query(sql: str) -> bool:
    return "parallax_cache" in sql or sql.startswith(("BEGIN", "COMMIT"))


def keys(world) -> dict[str, str]:
    north_claim = Claim.objects.get(statement=world.north_says)
    return {
        "north": f"claim-{north_claim.pk}",
        "south": f"statement-{world.south_says.pk}",
        "league": f"statement-{world.league_says.pk}",
    }


@cards_cached
def test_an_edit_renders_only_the_card_it_changed(client, world):
    assert cards_rendered(client.get(world.url)) == 3
    assert cards_rendered(client.get(world.url)) == 0
    s = Statement.objects.get(pk=world.league_says.pk)
    s.text = "We call on both governments to talk."
    s.save_versioned(s.version)
    response = client.get(world.url)
    assert cards_rendered(response) == 1
    assert "to talk." in card_of(response.content, keys(world)["league"])
    # A change a closed card does not show still renders it again (a new version).
    s.translation_note = "Translated by the League."
    s.save_versioned(s.version)
    assert cards_rendered(client.get(world.url)) == 1
    assert cards_rendered(client.get(world.url)) == 0


@cards_cached
def test_after_an_edit_the_cards_come_from_the_pages_data_alone(client, world):
    client.get(world.url)
    s = Statement.objects.get(pk=world.south_says.pk)
    s.text = "An armed group crossed the river at night to lay mines."
    s.save_versioned(s.version)
    with CaptureQueriesContext(connection) as edited:
        response = client.get(world.url)
    with override_settings(VALUE_CACHE=False), CaptureQueriesContext(connection) as uncached:
        client.get(world.url)
    statement_rows = [q["sql"] for q in edited.captured_queries if "note_count" in q["sql"]]
    # The page's data is read once: the changed card is rendered from it, with the
    # new words, and no statement row is read for it apart.
    assert len(statement_rows) == 1
    assert cards_rendered(response) == 1
    assert "at night to lay mines." in response.content.decode()
    # The cache's reads and writes (in their own transactions) aside, the same
    # queries as with nothing cached.
    own = [q["sql"] for q in edited.captured_queries if not is_cache_query(q["sql"])]
    assert len(own) == len(uncached.captured_queries)


@cards_cached
def test_a_speakers_new_name_and_role_show_on_their_cards_at_once(client, world):
    client.get(world.url)
    world.north_mod.name = "Northland Army Command"
    world.north_mod.role = "joint staff"
    world.north_mod.save()
    response = client.get(world.url)
    assert cards_rendered(response) == 1  # only the north's card names that speaker
    card = card_of(response.content, keys(world)["north"])
    assert "Northland Army Command" in card and "joint staff" in card
    assert "Northland Defence Ministry" not in response.content.decode()


@cards_cached
def test_a_partys_new_label_shows_on_its_cards_and_the_leaning_at_once(client, world):
    s = Statement.objects.get(pk=world.league_says.pk)
    s.leaning, s.leaning_towards = Statement.Leaning.SIDE, world.south
    s.save_versioned(s.version)
    # The north's card names the south's account it is denied by.
    mines = claim(world.south_says, world.point, "lay mines")
    north = Claim.objects.get(statement=world.north_says)
    ClaimRelation.objects.create(from_claim=mines, to_claim=north, kind="denies")
    client.get(world.url)
    world.south.short_name = "the Southern Republic"
    world.south.save()
    content = client.get(world.url).content
    assert "the Southern Republic</a>" in card_of(content, f"claim-{mines.pk}")
    assert "Leans towards the Southern Republic" in card_of(content, keys(world)["league"])
    assert "the Southern Republic’s account" in card_of(content, f"claim-{north.pk}")


@cards_cached
def test_a_sources_new_publisher_shows_on_the_cards_quoting_it(client, world):
    bulletin = source("A bulletin", publisher="Harbour Post")
    s = Statement.objects.get(pk=world.league_says.pk)
    s.source = bulletin
    s.save_versioned(s.version)
    assert "Source: Harbour Post" in card_of(client.get(world.url).content, keys(world)["league"])
    bulletin.publisher = "Harbour Gazette"
    bulletin.save()
    response = client.get(world.url)
    assert cards_rendered(response) == 1
    assert "Source: Harbour Gazette" in card_of(response.content, keys(world)["league"])


@cards_cached
def test_a_claim_relation_shows_on_both_cards_at_once_and_leaves_them(client, world):
    mines = claim(world.south_says, world.point, "lay mines")
    north_claim = Claim.objects.get(statement=world.north_says)
    client.get(world.url)
    relation = ClaimRelation.objects.create(
        from_claim=mines, to_claim=north_claim, kind=ClaimRelation.Kind.DENIES
    )
    response = client.get(world.url)
    assert cards_rendered(response) == 2
    north, south = (
        card_of(response.content, f"claim-{north_claim.pk}"),
        card_of(response.content, f"claim-{mines.pk}"),
    )
    assert "Southland’s account</a> denies this" in north
    assert "Denies <a" in south and "Northland’s account" in south
    relation.delete()
    response = client.get(world.url)
    # Both cards are again what they were before the relation: kept under those
    # digests, they are not rendered again.
    assert cards_rendered(response) == 0
    assert "denies" not in response.content.decode().lower()


@cards_cached
def test_a_notes_visibility_shows_on_the_public_card_at_once(client, world):
    north = keys(world)["north"]
    assert "note" not in card_of(client.get(world.url).content, north)
    note = Annotation.objects.get(statement=world.north_says)
    note.visibility = Annotation.Visibility.PUBLIC
    note.save()
    assert "1 note" in card_of(client.get(world.url).content, north)
    note.visibility = Annotation.Visibility.INTERNAL
    note.save()
    assert "note" not in card_of(client.get(world.url).content, north)


@cards_cached
def test_a_withdrawal_shows_on_the_card_at_once(client, world):
    client.get(world.url)
    Statement.objects.get(pk=world.south_says.pk).withdraw("The ministry retracted it.")
    response = client.get(world.url)
    assert cards_rendered(response) == 1
    card = card_of(response.content, keys(world)["south"])
    assert "is-withdrawn" in card and "The ministry retracted it." in card


@cards_cached
def test_the_public_never_gets_an_analysts_card_of_the_same_statement(client, world):
    """The same statement's card differs by audience (the internal note counted, the
    unverified-quote warning): each audience keeps its own."""
    north = keys(world)["north"]
    analyst = signed_in("analyst")
    assert "1 note" in card_of(analyst.get(world.url).content, north)
    public = client.get(world.url)
    assert cards_rendered(public) == 3
    assert "note" not in card_of(public.content, north)
    assert "1 note" in card_of(analyst.get(world.url).content, north)
    # An edit after both have seen it: each gets its own new card.
    s = Statement.objects.get(pk=world.north_says.pk)
    s.translation_note = "Checked."
    s.save_versioned(s.version)
    assert "note" not in card_of(client.get(world.url).content, north)
    assert "1 note" in card_of(analyst.get(world.url).content, north)


@cards_cached
def test_an_opened_card_is_fresh_while_the_others_stay_kept(client, world):
    key = keys(world)["league"]
    client.get(world.url + f"?card={key}")
    s = Statement.objects.get(pk=world.league_says.pk)
    s.text = "We call on both governments to talk."
    s.save_versioned(s.version)
    opened = client.get(world.url + f"?card={key}")
    assert "to talk." in card_of(opened.content, key) and "is-expanded" in card_of(
        opened.content, key
    )
    # The two other cards were kept from the first request.
    assert cards_rendered(opened) == 2  # the opened card and the card it includes
    closed = client.get(world.url)
    assert "is-expanded" not in closed.content.decode()
    assert "to talk." in card_of(closed.content, key)


@pytest.mark.parametrize("role", ["public", "analyst"])
def test_the_pages_data_holds_what_its_cards_show(world, role):
    """The cards are rendered from the page's data (comparison.CARD_FIELDS): each of
    its statements must show on a card exactly as its full row does, or the digest
    it is kept under would not say what it shows."""
    from django.contrib.auth.models import AnonymousUser

    from incidents.cards import card_digest, statements_for
    from incidents.comparison import CARD_FIELDS, load_comparison

    user = AnonymousUser() if role == "public" else make_user("digest_analyst", "analyst")
    bulletin = source("A bulletin", publisher="Harbour Post")
    s = Statement.objects.get(pk=world.league_says.pk)
    s.source, s.leaning, s.leaning_towards = bulletin, Statement.Leaning.SIDE, world.north
    s.save_versioned(s.version)
    data = load_comparison(world.incident, user)
    full = statements_for(user).in_bulk([s.pk for s in data.statements])
    assert len(full) == (4 if role == "analyst" else 3)
    for placed in data.statements:
        row = full[placed.pk]
        for claim_ in [None, *data.claims_of(placed)]:
            assert card_digest(placed, claim_, "side-0") == card_digest(row, claim_, "side-0")
        for name in CARD_FIELDS:
            assert getattr(placed, name) == getattr(row, name)
        # Nothing a card reads is left to load one row at a time.
        assert not {*CARD_FIELDS, "status", "issued_on"} & placed.get_deferred_fields()
        assert placed.actor.get_absolute_url() == row.actor.get_absolute_url()
        assert placed.actor.role == row.actor.role


@cards_cached
def test_cards_link_to_their_own_pages_query_string(client, world):
    """A card's link pushes its page's URL with the card opened: the same card on
    another query string is another card."""
    league = keys(world)["league"]
    plain = card_of(client.get(world.url).content, league)
    filtered = card_of(client.get(world.url + "?party=league").content, league)
    assert "party=league" in filtered
    assert "party=league" not in plain
    assert "party=league" not in card_of(client.get(world.url).content, league)
