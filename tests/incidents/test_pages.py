"""The public pages: incident list, comparison page, statement, actor, party and source
pages, each full and as its htmx partial; filters; 404s; query counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Annotation, ClaimRelation, Incident, Statement
from tests import factories as f

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}

REPORT = (
    "Page debris. The Northland Defence Ministry said: Our patrol was repairing a bridge when "
    "it was seized. Southland's foreign ministry replied that An armed group crossed the river "
    "to lay mines. The League urged restraint: We urge both governments to show restraint. "
    "Later the ministry added that The patrol will be returned after an inquiry."
)


class Scene:
    """World() plus a source with positions, claims on two points, annotations, a place
    with each side's name for it, an unassigned statement, a withdrawn statement and a
    draft statement (the draft must never reach the public)."""

    def __init__(self) -> None:
        w = self.w = f.World()
        self.incident = w.incident
        self.incident.summary = "Northland says its patrol was seized; Southland disputes why."
        self.incident.save()
        self.place = f.place(
            "River crossing", "river-crossing", names={w.north: "Bridge Ford", w.south: "Mine Ford"}
        )
        self.incident.places.add(self.place)
        self.src = f.source("Ministries trade accounts", text=REPORT, publisher="Harbour Post")
        for s in (w.north_says, w.south_says, w.league_says):
            start = REPORT.index(s.text)
            s.source, s.source_start, s.source_end = self.src, start, start + len(s.text)
            s.kind = Statement.Kind.DIRECT
            s.save()
        self.point2 = f.point(self.incident, "Who is responsible?", order=1)
        self.claim_north = f.claim(w.north_says, w.point, "repairing a bridge")
        self.claim_south = f.claim(w.south_says, w.point, "to lay mines")
        self.note = f.annotation(w.south_says, "armed group", body="Only Southland says so.")
        self.internal = f.annotation(
            w.south_says, "crossed the river", tag="unverified", body="SECRET-NOTE", public=False
        )
        self.unassigned = f.statement(
            self.incident,
            w.south_mfa,
            "The patrol will be returned after an inquiry.",
            issued_on=self.incident.date_start + timedelta(days=2),
        )
        self.withdrawn = f.statement(self.incident, w.north_mod, "We retract the earlier count.")
        self.withdrawn.withdraw("Issued in error, the ministry said.")
        self.draft = f.statement(
            self.incident, w.north_mod, "DRAFT-WORDS never to be public.", published=False
        )
        # As if the words had been edited after import and no longer match the source
        # (update(): saving would re-run the check).
        Statement.objects.filter(pk=self.draft.pk).update(quote_verified=False)
        self.draft.quote_verified = False


def assert_fragment(response, element_id: str) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "<body" not in html
    assert f'id="{element_id}"' in html
    return html


# --- incident list ---------------------------------------------------------------------


def test_list_links_each_incident_newest_first_and_paginates(client):
    w = f.World()
    older = f.incident(w.conflict, "An older incident", date_start=date(2020, 1, 5))
    html = client.get("/").content.decode()
    assert f'href="/incidents/{w.incident.slug}/"' in html
    assert html.index(w.incident.title) < html.index(older.title)
    for i in range(21):
        f.incident(w.conflict, f"Filler {i}", date_start=date(2019, 1, 1) + timedelta(days=i))
    page1 = client.get("/incidents/").content.decode()
    assert "Page 1 of 2" in page1 and "An older incident" in page1
    page2 = client.get("/incidents/?page=2").content.decode()
    assert "Filler 0" in page2 and "An older incident" not in page2
    assert client.get("/incidents/?page=abc").status_code == 200
    assert client.get("/incidents/?page=999").status_code == 200


def test_list_htmx_returns_only_the_results(client):
    s = Scene()
    html = assert_fragment(client.get("/incidents/", headers=HX), "incident-results")
    assert s.incident.title in html
    assert 'name="conflict"' not in html  # the form stays on the page


def test_list_htmx_fragment_refreshes_the_filter_count_out_of_band(client):
    # The "Filter" button sits outside #incident-results; without the out-of-band
    # copy its "(N in use)" would keep the count of the page first loaded.
    s = Scene()
    place = s.incident.places.first()
    html = assert_fragment(
        client.get(f"/incidents/?place={place.slug}", headers=HX), "incident-results"
    )
    oob = re.search(r'<span id="filters-in-use"[^>]*>([^<]*)</span>', html)
    assert oob and 'hx-swap-oob="true"' in oob.group(0) and oob.group(1) == "(1 in use)"
    cleared = assert_fragment(client.get("/incidents/", headers=HX), "incident-results")
    assert re.search(r'<span id="filters-in-use"[^>]*hx-swap-oob="true"></span>', cleared)
    # The whole page has the label once, in the button, not marked out of band.
    page = client.get(f"/incidents/?place={place.slug}").content.decode()
    assert page.count('id="filters-in-use"') == 1 and "hx-swap-oob" not in page
    assert "(1 in use)" in page


def test_list_page_has_filter_form_wired_to_htmx(client):
    Scene()
    html = client.get("/incidents/").content.decode()
    form = re.search(r"<form class=\"filters\"[^>]*>", html).group(0)
    assert 'method="get"' in form and 'action="/incidents/"' in form
    assert 'hx-target="#incident-results"' in form and 'hx-push-url="true"' in form
    for name in ("conflict", "party", "place", "date_from", "date_to"):
        assert f'<label for="id_{name}"' in html


def test_list_filters_by_conflict_party_place_and_dates(client):
    s = Scene()
    east, west = f.party("Eastland", "eastland"), f.party("Westland", "westland")
    other = f.conflict("East–West", [east, west])
    far = f.incident(other, "Shelling across the ridge", date_start=date(2023, 6, 1))
    mine = s.incident.title

    def titles(query: str) -> str:
        r = client.get("/incidents/?" + query, headers=HX)
        assert r.status_code == 200
        return r.content.decode()

    assert far.title in titles("conflict=east-west") and mine not in titles("conflict=east-west")
    assert mine in titles("party=league") and far.title not in titles("party=league")
    assert far.title in titles("party=westland") and mine not in titles("party=westland")
    assert mine in titles("place=river-crossing") and far.title not in titles(
        "place=river-crossing"
    )
    assert far.title in titles("date_from=2023-01-01&date_to=2023-12-31")
    assert mine not in titles("date_from=2023-01-01&date_to=2023-12-31")
    assert mine in titles("date_from=2024-03-01")


def test_malformed_filters_are_reported_and_ignored_never_a_500(client):
    s = Scene()
    for query in (
        "date_from=yesterday",
        "date_to=2024-13-45",
        "party=atlantis",
        "place=" + "x" * 3000,
        "date_from=2025-01-01&date_to=2024-01-01",
        "page=abc&conflict[]=1",
    ):
        for headers in ({}, HX):
            r = client.get("/incidents/?" + query, headers=headers)
            assert r.status_code == 200, query
    # A NUL character is refused before any page (core.middleware): 400, not ignored.
    assert client.get("/incidents/?conflict=%00").status_code == 400
    html = client.get("/incidents/?date_from=yesterday&party=atlantis").content.decode()
    assert "not understood and have been ignored" in html
    assert s.incident.title in html  # the bad values did not filter anything out
    html = client.get("/incidents/?date_from=2025-01-01&date_to=2024-01-01").content.decode()
    assert "before its start" in html


# --- comparison page -------------------------------------------------------------------


def test_detail_header_grid_reactions_and_framing_panel(client):
    s = Scene()
    w = s.w
    html = client.get(f"/incidents/{s.incident.slug}/").content.decode()
    assert "<html" in html and s.incident.title in html
    assert s.incident.date_display() in html
    assert "Northland calls it “Bridge Ford”" in html and "Southland calls it “Mine Ford”" in html
    assert s.incident.summary in html and "Published" in html
    assert "from 1 source" in html
    # One column per side, in the conflict's order, headed by the party's name.
    assert html.index("Northland says") < html.index("Southland says")
    assert 'class="grid cols-2"' in html
    # Claims: their words, speaker, date and a link to the source.
    grid = html[html.index('id="points-grid"') : html.index('id="reactions"')]
    assert "repairing a bridge" in grid and "to lay mines" in grid
    assert w.north_mod.name in grid and '<time datetime="2024-03-01">' in grid
    assert f'href="/sources/{s.src.pk}/"' in grid
    assert grid.index("repairing a bridge") < grid.index("to lay mines")
    # Statements not assigned to a point are still shown, under their side.
    assert "not yet assigned to a point" in grid and s.unassigned.text in grid
    assert "Withdrawn" in grid and "Issued in error, the ministry said." in grid
    # Third parties below, grouped by party, with type and leaning.
    reactions = html[html.index('id="reactions"') :]
    assert "League of Harbours" in reactions and w.league_says.text in reactions
    assert "Call for restraint" in reactions and "Even-handed towards both sides" in reactions
    assert "League of Harbours" not in grid
    # Lazily loaded framing panel with a link fallback.
    assert f'hx-get="/analysis/incidents/{s.incident.slug}/framing/"' in html
    assert 'hx-trigger="revealed"' in html
    assert f'href="/analysis/incidents/{s.incident.slug}/framing/"' in html
    # Expanding a statement: hx-get to its permalink (the href without JavaScript),
    # pushing this page's URL with the opened card, which shows the same on reload.
    expand = re.search(
        rf'href="/statements/{w.north_says.pk}/" hx-get="/statements/{w.north_says.pk}/'
        r'\?card=(claim-\d+)" hx-target="closest .statement-card" hx-swap="outerHTML" '
        r'hx-push-url="([^"]+)"',
        html,
    )
    assert expand, "no expand link"
    key = expand.group(1)
    assert expand.group(2) == f"/incidents/{s.incident.slug}/?card={key}#{key}"
    # The editing hook renders nothing unless an editing view passes can_edit.
    assert "statement-tools" not in html


def test_detail_htmx_returns_only_the_view_fragment(client):
    s = Scene()
    for tab in ("grid", "timeline", "sources"):
        r = client.get(f"/incidents/{s.incident.slug}/?tab={tab}", headers=HX)
        html = assert_fragment(r, "incident-view")
        assert 'aria-current="page"' in html
        assert r.headers.get("Vary") and "HX-Request" in r.headers["Vary"]
    # A history restore after a cache miss gets the whole page.
    r = client.get(
        f"/incidents/{s.incident.slug}/", headers={**HX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in r.content.decode()


def test_tabs_are_real_urls_with_htmx_push(client):
    s = Scene()
    html = client.get(f"/incidents/{s.incident.slug}/").content.decode()
    # Absolute: after a statement expands in place the document's URL is the
    # statement's permalink, and a relative "?tab=" would resolve against it.
    base = f"/incidents/{s.incident.slug}/"
    assert f'href="{base}?tab=timeline" hx-get="{base}?tab=timeline"' in html
    assert f'href="{base}?tab=sources"' in html and 'hx-target="#incident-view"' in html


def test_timeline_lists_every_statement_in_issue_order_with_delays(client):
    s = Scene()
    late = f.statement(
        s.incident,
        s.w.league_spokes,
        "The League welcomes the return.",
        issued_on=s.incident.date_start + timedelta(days=5),
        leaning=Statement.Leaning.NONE,
    )
    html = client.get(f"/incidents/{s.incident.slug}/?tab=timeline").content.decode()
    view = html[html.index('id="timeline"') :]
    assert view.index(s.w.north_says.text) < view.index(s.unassigned.text) < view.index(late.text)
    assert "Same day as Southland’s first statement" in view
    assert "2 days after Northland’s first statement" in view
    assert "5 days after Northland’s first statement" in view
    assert "DRAFT-WORDS" not in view


def test_sources_tab_lists_the_sources(client):
    s = Scene()
    html = client.get(f"/incidents/{s.incident.slug}/?tab=sources").content.decode()
    view = html[html.index('id="sources"') :]
    # Plain words in the tab; the archived copy's fingerprint is on the source's page.
    assert s.src.title in view and s.src.sha256[:12] not in view
    assert s.src.sha256 in client.get(s.src.get_absolute_url()).content.decode()
    assert f'href="/sources/{s.src.pk}/"' in view
    # Each quoted statement is named by its speaker, linked to the statement.
    assert "Quoted for 3 statements" in view
    for st in (s.w.north_says, s.w.south_says, s.w.league_says):
        assert f'<a href="/statements/{st.pk}/">{st.actor.name}</a>' in view


def test_filter_by_point_and_party(client):
    s = Scene()
    url = f"/incidents/{s.incident.slug}/"
    html = assert_fragment(client.get(f"{url}?point={s.point2.pk}", headers=HX), "incident-view")
    assert "Who is responsible?" in html and "repairing a bridge" not in html
    html = assert_fragment(client.get(f"{url}?party=southland", headers=HX), "incident-view")
    assert "to lay mines" in html and "repairing a bridge" not in html
    assert "Southland says" in html and "Northland says" not in html
    assert 'class="grid cols-1"' in html
    html = assert_fragment(client.get(f"{url}?party=league", headers=HX), "incident-view")
    assert "League of Harbours is not a side of this conflict" in html
    assert s.w.league_says.text in html[html.index('id="reactions"') :]
    assert "repairing a bridge" not in html
    html = client.get(f"{url}?party=league&tab=timeline").content.decode()
    view = html[html.index('id="timeline"') :]
    assert s.w.league_says.text in view and s.w.north_says.text not in view
    # Malformed values: ignored, with a message.
    for query in ("point=abc", "point=999999", "party=atlantis", "tab=bogus", "point=1e9"):
        r = client.get(f"{url}?{query}")
        assert r.status_code == 200, query
        assert "repairing a bridge" in r.content.decode()
    assert "not understood" in client.get(f"{url}?party=atlantis").content.decode()


def test_three_sided_conflict_renders_a_column_per_side_in_order():
    east = f.party("Eastmark", "eastmark")
    west = f.party("Westmark", "westmark")
    isle = f.party("The Isles", "isles", short_name="Isles")
    guild = f.party("Guild of Ports", "guild", kind="organisation")
    c = f.conflict("Three Marches", [isle, east, west], [guild])
    inc = f.incident(c, "Lighthouse dispute", date_start=date(2025, 2, 10))
    pt = f.point(inc, "Who lit the lighthouse?")
    speakers = {p: f.actor(f"{p.name} council", p) for p in (east, west, isle, guild)}
    says = {}
    for days, p in enumerate((west, east, isle)):
        says[p] = f.statement(
            inc,
            speakers[p],
            f"{p.name} keepers lit the lamp first.",
            issued_on=inc.date_start + timedelta(days=days * 3),
        )
        f.claim(says[p], pt, "keepers lit the lamp")
    f.statement(inc, speakers[guild], "The Guild asks all three to talk.")
    client = Client()
    html = client.get(f"/incidents/{inc.slug}/").content.decode()
    assert 'class="grid cols-3"' in html
    assert html.index("Isles says") < html.index("Eastmark says") < html.index("Westmark says")
    grid = html[html.index('id="points-grid"') : html.index('id="reactions"')]
    for p in (east, west, isle):
        assert says[p].text.split(" lit")[0].split()[0] in grid  # each side's speaker
    assert grid.count("keepers lit the lamp") == 3
    assert "Guild of Ports" in html[html.index('id="reactions"') :]
    html = client.get(f"/incidents/{inc.slug}/?tab=timeline").content.decode()
    assert "3 days after Westmark’s first statement" in html  # Eastmark, 3 days after Westmark
    assert "6 days after Westmark’s first statement" in html  # the Isles
    assert "3 days before Eastmark’s first statement" in html  # Westmark spoke first
    html = client.get(f"/incidents/{inc.slug}/?party=eastmark", headers=HX).content.decode()
    assert "Eastmark says" in html and "Westmark says" not in html


# --- statement, actor, party and source pages ------------------------------------------


def test_statement_permalink_full_and_htmx(client):
    s = Scene()
    w = s.w
    url = f"/statements/{w.south_says.pk}/"
    html = client.get(url).content.decode()
    assert "<html" in html and w.south_mfa.name in html
    assert f'href="/incidents/{s.incident.slug}/"' in html
    frag = assert_fragment(client.get(url, headers=HX), f"statement-{w.south_says.pk}")
    # Full text with the public annotation highlighted and listed.
    assert '<mark class="ann ann-disputed">armed group' in frag
    assert "Only Southland says so." in frag and "Disputed" in frag
    # The source excerpt, with the quoted words marked in their context.
    assert f'<mark class="quoted">{w.south_says.text}</mark>' in frag
    assert "replied that" in frag
    assert s.src.sha256[:10] in frag
    # The claim it makes, with its point.
    assert "What were the patrol doing?" in frag


def test_withdrawn_statement_shows_reason(client):
    s = Scene()
    html = client.get(f"/statements/{s.withdrawn.pk}/").content.decode()
    assert "Withdrawn" in html and "Issued in error, the ministry said." in html


def test_actor_page_full_and_htmx(client):
    s = Scene()
    url = f"/actors/{s.w.north_mod.slug}/"
    html = client.get(url).content.decode()
    assert "<html" in html and s.w.north_mod.name in html and s.w.north_says.text in html
    assert s.incident.title in html
    frag = assert_fragment(client.get(url, headers=HX), "actor-statements")
    assert s.w.north_says.text in frag


def test_party_page_full_and_htmx(client):
    s = Scene()
    url = "/parties/league/"
    html = client.get(url).content.decode()
    assert "League of Harbours" in html and "League spokesperson" in html
    assert "Reacts to" in html and "North–South" in html
    frag = assert_fragment(client.get(url, headers=HX), "party-statements")
    assert s.w.league_says.text in frag
    north = client.get("/parties/northland/").content.decode()
    assert "A side in" in north


def test_source_page_shows_archived_text_hash_and_quoted_positions(client):
    s = Scene()
    url = f"/sources/{s.src.pk}/"
    html = client.get(url).content.decode()
    assert "<html" in html and s.src.sha256 in html
    assert "Page debris." in html
    assert f'<mark class="quoted">{s.w.north_says.text}' in html
    assert f"characters {s.w.north_says.source_start}–{s.w.north_says.source_end}" in html
    frag = assert_fragment(client.get(url, headers=HX), "source-body")
    assert s.w.south_says.text in frag


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/no-such-incident/",
        "/incidents/no-such-incident/?tab=timeline",
        "/statements/999999/",
        "/actors/nobody/",
        "/parties/atlantis/",
        "/sources/999999/",
    ],
)
def test_unknown_slugs_and_ids_give_the_404_page(client, url):
    f.World()
    r = client.get(url)
    assert r.status_code == 404
    assert "Page not found" in r.content.decode()
    assert client.get(url, headers=HX).status_code == 404


def test_500_template_renders_without_context():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Something went wrong" in html


# --- what analysts see -----------------------------------------------------------------


def test_analyst_sees_drafts_internal_notes_and_unverified_quotes_marked(analyst_client):
    s = Scene()
    html = analyst_client.get(f"/incidents/{s.incident.slug}/").content.decode()
    assert "DRAFT-WORDS" in html and "Draft — not public" in html
    assert "Quote not found in source" in html
    frag = analyst_client.get(f"/statements/{s.w.south_says.pk}/", headers=HX).content.decode()
    assert "SECRET-NOTE" in frag and "Internal — analysts and editors only" in frag
    assert "ann-internal" in frag


def test_draft_incident_is_marked_for_analysts(analyst_client):
    w = f.World()
    draft = f.incident(w.conflict, "Unconfirmed shelling", published=False)
    html = analyst_client.get(f"/incidents/{draft.slug}/").content.decode()
    assert "this incident is not public" in html
    assert "Draft — not public" in analyst_client.get("/incidents/").content.decode()


# --- query counts ----------------------------------------------------------------------


def build_incident(w: f.World, title: str, n_statements: int, n_annotations_each: int) -> Incident:
    """An incident of World's conflict with n statements from both sides and a third
    party, claims on two points related to each other, and public and internal
    annotations on each."""
    inc = f.incident(w.conflict, title)
    src = f.source(f"Wire copy for {title}", text="Statement text number 0000 says this. " * 60)
    points = [f.point(inc, "First point"), f.point(inc, "Second point", order=1)]
    speakers = [w.north_mod, w.south_mfa, w.league_spokes]
    claims = []
    for i in range(n_statements):
        s = f.statement(
            inc,
            speakers[i % 3],
            f"Statement text number {i:04d} says this.",
            source=src,
            source_start=0,
            source_end=10,
            issued_on=inc.date_start + timedelta(days=i % 4),
        )
        if i % 3 != 2:
            claims.append(f.claim(s, points[i % 2], "says this"))
        for _ in range(n_annotations_each):
            f.annotation(s, "text number", public=True)
            f.annotation(s, "says", public=False)
    for a, b in zip(claims[1:], claims, strict=False):
        ClaimRelation.objects.create(from_claim=a, to_claim=b, kind=ClaimRelation.Kind.CONTRADICTS)
    return inc


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
        assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("tab", ["grid", "timeline", "sources"])
def test_comparison_page_queries_do_not_grow_with_statements_or_annotations(tab):
    client = Client()
    w = f.World()
    small = build_incident(w, "Small", 5, 0)
    large = build_incident(w, "Large", 50, 4)
    assert Annotation.objects.filter(statement__incident=large).count() == 400
    n_small = count_queries(client, f"/incidents/{small.slug}/?tab={tab}")
    n_large = count_queries(client, f"/incidents/{large.slug}/?tab={tab}")
    assert n_small == n_large
    assert n_large <= 12


def test_comparison_page_queries_for_an_analyst_stay_within_budget(analyst_client):
    w = f.World()
    small = build_incident(w, "Small", 5, 1)
    large = build_incident(w, "Large", 50, 3)
    n_small = count_queries(analyst_client, f"/incidents/{small.slug}/")
    assert count_queries(analyst_client, f"/incidents/{large.slug}/") == n_small <= 12


def test_list_queries_do_not_grow_with_statements_or_incidents():
    client = Client()
    w = f.World()
    inc = build_incident(w, "Small", 5, 1)
    n_small = count_queries(client, "/incidents/?party=northland")
    n_small_plain = count_queries(client, "/incidents/")
    for i in range(45):
        f.statement(inc, w.north_mod, f"More words {i}.")
    for i in range(30):
        f.incident(w.conflict, f"Another incident {i}", date_start=date(2022, 1, 1))
    assert count_queries(client, "/incidents/?party=northland") == n_small
    # The map of the list (incidents.maps) adds its two aggregate queries when it is
    # built: on every request here, where the cache is off; once per change of the
    # list's scopes in production, where a warm page reads it from the cache.
    assert count_queries(client, "/incidents/") == n_small_plain <= 13


def test_statement_actor_party_and_source_pages_queries_do_not_grow():
    client = Client()
    w = f.World()
    inc = build_incident(w, "Small", 5, 2)
    s = inc.statements.first()
    urls = [
        f"/statements/{s.pk}/",
        f"/actors/{s.actor.slug}/",
        f"/parties/{s.party.slug}/",
        f"/sources/{s.source_id}/",
    ]
    before = [count_queries(client, u) for u in urls]
    for i in range(40):
        extra = f.statement(inc, s.actor, f"Extra statement {i} here.", source=s.source)
        f.annotation(extra, "statement", public=True)
        f.annotation(s, "text", public=True)
    assert [count_queries(client, u) for u in urls] == before


def test_claim_relations_show_contradictions_at_a_glance(client):
    s = Scene()
    ClaimRelation.objects.create(
        from_claim=s.claim_south, to_claim=s.claim_north, kind=ClaimRelation.Kind.CONTRADICTS
    )
    html = client.get(f"/incidents/{s.incident.slug}/").content.decode()
    north_card = html[html.index(f'id="claim-{s.claim_north.pk}"') :]
    north_card = north_card[: north_card.index("</article>")]
    assert (
        f'href="#claim-{s.claim_south.pk}">Southland’s account</a> contradicts this' in north_card
    )
    south_card = html[html.index(f'id="claim-{s.claim_south.pk}"') :]
    south_card = south_card[: south_card.index("</article>")]
    assert f'Contradicts <a href="#claim-{s.claim_north.pk}">Northland’s account</a>' in south_card
    assert "<q>repairing a bridge</q>" in south_card


def test_long_cells_are_cut_with_a_link_to_the_whole_cell(client):
    s = Scene()
    for i in range(9):
        extra = f.statement(s.incident, s.w.south_mfa, f"Extra southern claim {i} about mines.")
        f.claim(extra, s.w.point, f"claim {i} about mines")
    url = f"/incidents/{s.incident.slug}/"
    html = client.get(url).content.decode()
    grid = html[html.index('id="points-grid"') : html.index('id="reactions"')]
    row = grid[grid.index(s.w.point.label) : grid.index("Who is responsible?")]
    assert row.count('class="statement-card') == 1 + 5  # north's claim, south's first five
    more = f"{url}?tab=grid&amp;point={s.w.point.pk}&amp;party=southland"
    assert f'href="{more}"' in row and "5 more from Southland on this point" in row
    whole = client.get(more.replace("&amp;", "&"), headers=HX).content.decode()
    assert whole.count("about mines") == 9 and "to lay mines" in whole
    assert "more from Southland" not in whole


def test_timeline_is_paginated_past_fifty_statements(client):
    s = Scene()
    for i in range(50):
        f.statement(
            s.incident,
            s.w.north_mod,
            f"Later note number {i:02d}.",
            issued_on=s.incident.date_start + timedelta(days=10 + i),
        )
    url = f"/incidents/{s.incident.slug}/?tab=timeline"
    first = client.get(url).content.decode()
    assert "Statements 1–50 of 55" in first and "Later note number 44" in first
    assert "Later note number 45" not in first
    assert f'href="/incidents/{s.incident.slug}/?tab=timeline&amp;page=2"' in first
    second = assert_fragment(client.get(url + "&page=2", headers=HX), "incident-view")
    assert "Later note number 45" in second and "Later note number 49" in second
    assert "Later note number 44" not in second
    assert client.get(url + "&page=abc").status_code == 200


def test_editor_tools_appear_on_cards_for_editors_only(editor_client, analyst):
    s = Scene()
    pages = [
        f"/incidents/{s.incident.slug}/",
        f"/incidents/{s.incident.slug}/?tab=timeline",
        f"/statements/{s.w.north_says.pk}/",
        f"/actors/{s.w.north_mod.slug}/",
        f"/sources/{s.src.pk}/",
    ]
    for url in pages:
        html = editor_client.get(url).content.decode()
        # One set of tools per card: in the grid the card of a claim, else the statement's.
        keys = [f"statement-{s.w.north_says.pk}"] + [
            f"claim-{pk}" for pk in s.w.north_says.claims.values_list("pk", flat=True)
        ]
        assert any(f'id="{key}-tools"' in html for key in keys), url
    analyst_only = Client()
    analyst_only.force_login(analyst)
    for client in (Client(), analyst_only):
        for url in pages:
            assert "statement-tools" not in client.get(url).content.decode(), url


def test_empty_states_render(client):
    assert "No incidents match these filters" in client.get("/incidents/").content.decode()
    w = f.World()
    bare = f.incident(w.conflict, "Nothing said yet", date_start=date(2024, 5, 1))
    for tab in ("grid", "timeline", "sources"):
        html = client.get(f"/incidents/{bare.slug}/?tab={tab}").content.decode()
        assert "have been recorded yet" in html, tab
    html = client.get(f"/incidents/{bare.slug}/").content.decode()
    assert "0 statements, no source recorded" in html
    assert "No third-party reaction has been recorded" in html


@pytest.mark.parametrize(
    "query", ["", "?tab=timeline", "?party=north&card=claim-1&tab=grid", "?q=a+b%26c&page=2"]
)
def test_an_opened_cards_pushed_url_is_the_pages_with_the_card_set(rf, query):
    """The cards' pushed URL is worked out once per page (card_url_parts): it must be
    what {% querystring card=key %} gives for every query string."""
    from django.template import RequestContext, Template
    from django.utils.html import escape

    from incidents.views import card_url_parts

    s = Scene()
    request = rf.get(f"/incidents/{s.incident.slug}/{query}")
    head, tail = card_url_parts(request, s.incident)
    expected = Template("{{ url }}{% querystring card=key %}").render(
        RequestContext(request, {"url": s.incident.get_absolute_url(), "key": "claim-42"})
    )
    # Both are escaped the same way where the card template prints them.
    assert escape(head + "claim-42" + tail) == expected
