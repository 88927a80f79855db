"""Search: full-text matching, ranking, highlights, facets and visibility, on whichever
database the suite runs on (SQLite FTS5 by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.models import Claim, Statement
from search.backends import get_backend, marked_to_html, parse_query
from search.models import StatementSearch
from tests import factories as f

URL = reverse("search:results")


def hit_ids(response) -> list[int]:
    return [r.statement.pk for r in response.context["outcome"].results]


@pytest.fixture
def world(db) -> f.World:
    return f.World()


# --- the query parser (pure Python, no database) ---------------------------------------


def test_parser_reads_websearch_syntax():
    parsed = parse_query('"surrounded and captured" patrol OR convoy -mines')
    assert [[t.words for t in g] for g in parsed.groups] == [
        [("surrounded", "and", "captured")],
        [("patrol",), ("convoy",)],
    ]
    assert [t.words for t in parsed.excluded] == [("mines",)]
    # A statement's own columns, never its incident's title.
    assert parsed.fts5() == (
        '{body meta} : ((("surrounded and captured") AND ("patrol" OR "convoy")) NOT ("mines"))'
    )
    assert parsed.tsquery() == (
        "(('surrounded' <-> 'and' <-> 'captured')) & (('patrol') | ('convoy')) & !('mines')"
    )


def test_a_query_of_operators_only_is_empty(client, world):
    assert not parse_query("AND OR").is_searchable
    assert not parse_query("and or AND").is_searchable
    assert [t.words for g in parse_query("bridge AND river").groups for t in g] == [
        ("bridge",),
        ("river",),
    ]
    outcome = client.get(URL, {"q": "AND OR"}).context["outcome"]
    assert not outcome.searched and not outcome.results and outcome.hint


def test_parser_makes_punctuation_and_operators_harmless():
    parsed = parse_query('NEAR( "a*" ^b) AND: col:x "unclosed')
    assert '"near"' in parsed.fts5()
    for char in "*^:()":
        assert all(char not in w for t in parsed.groups for x in t for w in x.words)
    assert not parse_query("-only -excluded").is_searchable
    assert not parse_query('*** "" --- OR').is_searchable


def test_highlight_markup_is_escaped_and_balanced():
    html = marked_to_html("<b>x</b> \x02seized\x03 and \x02open")
    assert html == "&lt;b&gt;x&lt;/b&gt; <mark>seized</mark> and <mark>open</mark>"


# --- matching, ranking, highlights -------------------------------------------------------


@pytest.fixture
def ranked(world):
    """Three statements with the word "convoy": in an incident title, in a statement's
    text, and only in a speaker's name."""
    w = world
    titled = f.incident(w.conflict, "Convoy halted on the coast road", date_start=date(2024, 5, 2))
    in_title = f.statement(titled, w.north_mod, "Our vehicles were stopped without warning.")
    in_text = f.statement(w.incident, w.south_mfa, "A convoy of trucks entered the zone at night.")
    convoy_desk = f.actor("Convoy Monitoring Desk", w.league)
    in_meta = f.statement(w.incident, convoy_desk, "Both sides should exercise restraint.")
    return in_title, in_text, in_meta


def test_statements_are_found_by_their_words_and_incidents_by_their_titles(client, ranked):
    """Issue 11.8: a word of an incident's title lists the incident, not every one of
    its statements; a statement found by its speaker's name says so."""
    in_title, in_text, in_meta = ranked
    response = client.get(URL, {"q": "convoy"})
    assert response.status_code == 200
    outcome = response.context["outcome"]
    assert hit_ids(response) == [in_text.pk, in_meta.pk]
    assert outcome.results[0].rank > outcome.results[1].rank > 0
    assert outcome.incidents == [in_title.incident]
    assert not outcome.results[0].found_in
    assert "speaker" in outcome.results[1].found_in
    body = response.content.decode()
    assert "Incidents with these words in their title" in body
    assert in_title.incident.get_absolute_url() in body
    assert "Search finds incidents by their titles" in body


def test_stemming_matches_word_forms(client, world):
    response = client.get(URL, {"q": "seizing"})
    assert hit_ids(response) == [world.north_says.pk]


def test_phrase_query_needs_the_words_together(client, world):
    apart = f.statement(
        world.incident, world.south_mfa, "They surrounded the post, and later captured it."
    )
    together = f.statement(
        world.incident, world.north_mod, "Our men were surrounded and captured at dawn."
    )
    response = client.get(URL, {"q": '"surrounded and captured"'})
    assert hit_ids(response) == [together.pk]
    assert apart.pk in hit_ids(client.get(URL, {"q": "surrounded captured"}))


def test_exclusion_and_or(client, world):
    w = world
    # "river" is in the incident's title and in one statement's words.
    river = client.get(URL, {"q": "river"}).context["outcome"]
    assert [r.statement.pk for r in river.results] == [w.south_says.pk]
    assert river.incidents == [w.incident]
    assert not hit_ids(client.get(URL, {"q": "river -mines"}))
    assert not client.get(URL, {"q": "river -crossing"}).context["outcome"].incidents
    assert set(hit_ids(client.get(URL, {"q": "patrol OR river -bridge"}))) == {w.south_says.pk}
    assert not hit_ids(client.get(URL, {"q": '-"lay mines" river -bridge -restraint'}))
    assert set(hit_ids(client.get(URL, {"q": "bridge OR restraint"}))) == {
        w.north_says.pk,
        w.league_says.pk,
    }


def test_snippets_highlight_matches_and_escape_text(client, world):
    f.statement(world.incident, world.south_mfa, "The <script>alert(1)</script> bridge story.")
    response = client.get(URL, {"q": "bridge"})
    body = response.content.decode()
    assert "<mark>bridge</mark>" in body
    assert "<script>alert(1)" not in body
    # (PostgreSQL's ts_headline drops tag-like words from snippets; SQLite keeps them.)
    if connection.vendor == "sqlite":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    tagged = f.incident(world.conflict, "Raid <b>near</b> the dam")
    f.statement(tagged, world.north_mod, "Nothing to add about the raid.")
    body = client.get(URL, {"q": "raid"}).content.decode()
    # The title (of the hit, and in the list of incidents) is escaped.
    assert "Raid &lt;b&gt;near&lt;/b&gt; the dam" in body
    assert "<b>near" not in body


@pytest.mark.django_db
@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_no_input_breaks_the_search_syntax(raw):
    # Executed against the real index: an FTS5 syntax error would raise here.
    parsed = parse_query(raw)
    if parsed.is_searchable:
        list(Statement.objects.filter(pk__in=get_backend().matching_ids(parsed)))


@pytest.mark.parametrize(
    "q", ['"', "-", "OR", 'a" OR -"b', "NEAR(a b)", "x*", "col:bridge", "\x02", "(((", "AND"]
)
def test_odd_queries_answer_normally(client, world, q):
    response = client.get(URL, {"q": q})
    assert response.status_code == 200


def test_a_nul_in_the_query_is_refused_not_a_server_error(client, world):
    # core.middleware refuses a NUL in any parameter before the search runs.
    assert client.get(URL, {"q": "\x02\x00"}).status_code == 400


def test_bad_filters_are_reported_not_fatal(client, world):
    response = client.get(URL, {"q": "river", "year": "nineteen", "page": "x", "point": "-3"})
    assert response.status_code == 200
    assert "Ignored the year filter" in response.content.decode()
    assert len(hit_ids(response)) == 1


def test_pagination(client, world):
    for n in range(23):
        f.statement(world.incident, world.north_mod, f"Report number {n} about the ferry.")
    first = client.get(URL, {"q": "ferry"}).context["outcome"]
    second = client.get(URL, {"q": "ferry", "page": 2}).context["outcome"]
    assert (first.total, first.pages, len(first.results), len(second.results)) == (23, 2, 20, 3)
    assert not {r.statement.pk for r in first.results} & {r.statement.pk for r in second.results}


# --- facets ------------------------------------------------------------------------------


def facet(response, name) -> dict[str, int]:
    for fc in response.context["outcome"].facets:
        if fc.name == name:
            return {v.label: v.count for v in fc.values}
    raise AssertionError(name)


def test_facets_count_matches_and_combine_with_the_query(client, world):
    w = world
    later = f.incident(w.conflict, "Shots near the river dam", date_start=date(2025, 7, 1))
    dam = f.point(later, "Who fired first?")
    shot = f.statement(
        later,
        w.south_mfa,
        "Northern troops fired across the river.",
        issued_on=date(2025, 7, 2),
        statement_type=Statement.Type.ALLEGATION,
    )
    claim = Claim(statement=shot, point=dam)
    claim.set_span(shot.text, 0, 15)
    claim.save()
    other = f.conflict(
        "East–West", [f.party("Eastland", "eastland"), f.party("Westland", "westland")]
    )
    east = f.actor("Eastland Army", other.sides.get(slug="eastland"))
    f.statement(f.incident(other, "River ferry sunk"), east, "The river ferry was sunk.")

    response = client.get(URL, {"q": "river"})
    assert facet(response, "conflict") == {"North–South": 2, "East–West": 1}
    assert facet(response, "party") == {"Southland": 2, "Eastland": 1}
    assert facet(response, "year") == {"2025": 1, "2024": 2}
    assert facet(response, "type")["Allegation"] == 1
    assert facet(response, "point") == {"Who fired first?": 1}

    narrowed = client.get(URL, {"q": "river", "party": "southland"})
    assert set(hit_ids(narrowed)) == {w.south_says.pk, shot.pk}
    # Other facets are counted within the chosen party; the party facet itself is not,
    # so the choice can be changed.
    assert facet(narrowed, "conflict") == {"North–South": 2}
    assert facet(narrowed, "party") == facet(response, "party")
    both = client.get(URL, {"q": "river", "party": "southland", "year": 2025, "point": dam.pk})
    assert hit_ids(both) == [shot.pk]
    # Filters alone, without words, list matching statements newest first.
    by_actor = client.get(URL, {"actor": w.league_spokes.slug})
    assert hit_ids(by_actor) == [w.league_says.pk]


def test_the_points_facet_lists_the_most_answered_points_then_by_label(client, world):
    """More points than the facet shows, most of them answered once: the most answered
    come first, ties by label, FACET_LIMIT of them (search.query.points_of)."""
    from search.query import FACET_LIMIT

    w = world
    points = [f.point(w.incident, f"Point {n:02}") for n in range(FACET_LIMIT + 3)]
    answers = [[points[5]], [points[5], points[9]], *[[p] for p in points]]
    for n, answered in enumerate(answers):
        s = f.statement(w.incident, w.north_mod, f"Report {n} from the ferry landing.")
        for p in set(answered):
            f.claim(s, p, "ferry landing")
    # Point 05 is answered by three statements, point 09 by two, the others by one.
    shown = facet(client.get(URL, {"q": "ferry"}), "point")
    others = [f"Point {n:02}" for n in range(FACET_LIMIT + 3) if n not in (5, 9)]
    assert list(shown.items()) == [
        ("Point 05", 3),
        ("Point 09", 2),
        *[(label, 1) for label in others[: FACET_LIMIT - 2]],
    ]


def facet_rows(outcome) -> list[tuple[str, list[tuple[str, str, int]]]]:
    return [(fc.name, [(v.value, v.label, v.count) for v in fc.values]) for fc in outcome.facets]


@pytest.mark.parametrize("who", ["public", "analyst"])
@pytest.mark.parametrize("cap", [1000, 7])
def test_facets_counted_from_the_rows_equal_those_counted_in_sql(world, analyst, who, cap):
    """Without a filter the facets are counted from the matches' rows in Python
    (search.query.facets_of_rows); with filters, in SQL (facets). Both give the same
    values, counts, order and cut: more speakers than a facet shows, ties by name,
    drafts for an analyst only, and the first matches only when capped."""
    from django.contrib.auth.models import AnonymousUser

    from search import query as search_query

    w = world
    # Names in another order than their slugs ("speaker-…"), to check ties by name.
    names = [f"{('Speaker', 'speaker')[n % 2]} {chr(90 - n)}" for n in range(15)]
    speakers = [f.actor(name, (w.north, w.south)[n % 2]) for n, name in enumerate(names)]
    types = list(Statement.Type.values)
    for n, speaker in enumerate(speakers):
        for k in range(1 + n % 3):
            f.statement(
                w.incident,
                speaker,
                f"Ferry traffic report {n}-{k}.",
                published=(n + k) % 5 != 0,
                issued_on=date(2019 + (n + k) % 6, 1, 1),
                statement_type=types[(n + k) % len(types)],
            )
    user = analyst if who == "analyst" else AnonymousUser()
    sql_facets, row_facets = search_query.facets, search_query.facets_of_rows

    def counted_in_sql(rows, params, match_ids):
        # What facets() gives for the same matches.
        matches = Statement.objects.filter(pk__in=match_ids)
        return sql_facets(matches, params, match_ids)[1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(search_query, "MATCH_CAP", cap)
        outcomes = {}
        for q in ("ferry", "report OR river", "traffic -northland"):
            from_rows = search_query.run_search(user, {"q": q})
            mp.setattr(search_query, "facets_of_rows", counted_in_sql)
            in_sql = search_query.run_search(user, {"q": q})
            mp.setattr(search_query, "facets_of_rows", row_facets)
            assert facet_rows(from_rows) == facet_rows(in_sql), q
            assert from_rows.total == in_sql.total > 0
            outcomes[q] = from_rows
    actors = dict(facet_rows(outcomes["ferry"]))["actor"]
    if cap == 7:
        # The first seven matches only, every speaker of them shown.
        assert outcomes["ferry"].capped and outcomes["ferry"].total == 7
        assert sum(n for *_, n in actors) == 7
    else:
        assert len(actors) == search_query.FACET_LIMIT


# --- visibility --------------------------------------------------------------------------


@pytest.fixture
def hidden(world):
    w = world
    draft_statement = f.statement(w.incident, w.north_mod, "The river draft text.", published=False)
    draft_incident = f.incident(w.conflict, "Unpublished river incident", published=False)
    in_draft_incident = f.statement(draft_incident, w.south_mfa, "Published words, draft incident.")
    return draft_statement, in_draft_incident


def test_public_never_finds_or_counts_unpublished(client, world, hidden):
    response = client.get(URL, {"q": "river"})
    assert set(hit_ids(response)) == {world.south_says.pk}
    assert response.context["outcome"].total == 1
    assert response.context["outcome"].incidents == [world.incident]
    assert facet(response, "party") == {"Southland": 1}
    assert facet(response, "conflict") == {"North–South": 1}
    body = response.content.decode()
    assert "draft text" not in body and "Unpublished river incident" not in body
    assert not hit_ids(client.get(URL, {"q": "unpublished"}))
    assert not hit_ids(client.get(URL, {"party": "southland", "q": "draft"}))


@pytest.mark.parametrize("role_client", ["analyst_client", "editor_client"])
def test_analysts_and_editors_find_drafts(request, world, hidden, role_client):
    c = request.getfixturevalue(role_client)
    draft_statement, in_draft_incident = hidden
    response = c.get(URL, {"q": "river"})
    assert draft_statement.pk in hit_ids(response)
    assert in_draft_incident.incident in response.context["outcome"].incidents
    assert response.context["outcome"].total == 2
    assert facet(response, "party") == {"Southland": 1, "Northland": 1}
    assert "Draft" in response.content.decode()
    assert in_draft_incident.pk in hit_ids(c.get(URL, {"q": "published words"}))


def test_withdrawn_statement_stays_findable_and_marked(client, world):
    world.south_says.withdraw("Retracted by the ministry.")
    response = client.get(URL, {"q": "mines"})
    assert hit_ids(response) == [world.south_says.pk]
    assert "Withdrawn" in response.content.decode()


# --- the index follows the data ----------------------------------------------------------


def test_index_follows_edits_and_deletes(client, world):
    w = world
    w.incident.title = "Ambush at the quarry"
    w.incident.save()
    assert client.get(URL, {"q": "quarry"}).context["outcome"].incidents == [w.incident]
    assert not client.get(URL, {"q": "stopped"}).context["outcome"].incidents
    w.north_mod.name = "Northland General Staff"
    w.north_mod.save()
    assert hit_ids(client.get(URL, {"q": '"general staff"'})) == [w.north_says.pk]
    w.north_says.text = "Engineers were inspecting a culvert."
    w.north_says.save()
    assert hit_ids(client.get(URL, {"q": "culvert"})) == [w.north_says.pk]
    assert not hit_ids(client.get(URL, {"q": "bridge"}))
    w.south_says.delete()
    assert not hit_ids(client.get(URL, {"q": "mines"}))
    assert not StatementSearch.objects.filter(statement_id=w.south_says.pk).exists()


def test_rebuild_command_restores_the_index(client, world):
    StatementSearch.objects.all().delete()
    assert not hit_ids(client.get(URL, {"q": "river"}))
    call_command("rebuild_search_index", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert hit_ids(client.get(URL, {"q": "river"})) == [world.south_says.pk]
    assert StatementSearch.objects.count() == Statement.objects.count()


# --- htmx and query counts ---------------------------------------------------------------


def test_htmx_gets_only_the_results_fragment(client, world):
    full = client.get(URL, {"q": "river"})
    assert "<html" in full.content.decode()
    fragment = client.get(URL, {"q": "river"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and "site-header" not in body
    assert body.lstrip().startswith('<div id="search-results"')
    assert "<mark>river</mark>" in body
    assert "HX-Request" in fragment["Vary"]


def test_header_box_is_live_and_works_without_js(client, world):
    body = client.get(reverse("search:results")).content.decode()
    assert 'hx-trigger="input changed delay:300ms, search"' in body
    assert 'hx-push-url="true"' in body
    assert f'action="{URL}"' in body and 'method="get"' in body


def test_query_count_does_not_grow_with_results(client, world):
    def count(q):
        client.get(URL, {"q": q})  # warm-up: one-time per-process checks
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"q": q})
        assert response.status_code == 200
        return len(ctx), response.context["outcome"].total

    few = count("lighthouse")
    for n in range(40):
        f.statement(world.incident, world.north_mod, f"Lighthouse report {n}.")
        f.statement(world.incident, world.south_mfa, f"Lighthouse denial {n}.")
    many = count("lighthouse")
    assert few[1] == 0 and many[1] == 80
    # With no match the page stops after reading the matching ids; with matches it
    # adds the count and facets, the ranked page and the statements: fixed, whatever
    # the number of matches.
    assert few[0] <= many[0]
    assert many[0] <= 10
    more = count("lighthouse OR report")
    assert more[0] == many[0]


def test_analyst_query_count_is_fixed(analyst_client, world):
    for n in range(30):
        f.statement(world.incident, world.north_mod, f"Harbour note {n}.", published=False)
    with CaptureQueriesContext(connection) as ctx:
        analyst_client.get(URL, {"q": "harbour"})
    with CaptureQueriesContext(connection) as ctx2:
        analyst_client.get(URL, {"q": "harbour", "page": 2})
    assert len(ctx2) == len(ctx) <= 13


def test_fallback_without_fts5_behaves_alike(world):
    # SQLite builds without FTS5 use substring matching behind the same interface.
    from search.backends import SqliteLikeBackend

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    backend = SqliteLikeBackend()
    ids = lambda q: set(  # noqa: E731
        Statement.objects.filter(pk__in=backend.matching_ids(parse_query(q))).values_list(
            "pk", flat=True
        )
    )
    w = world
    assert ids("bridge OR restraint -mines") == {w.north_says.pk, w.league_says.pk}
    assert not ids("patrol crossing")  # words of the incident's title only
    assert ids('"lay mines" OR bridge') == {w.north_says.pk, w.south_says.pk}
    candidates = Statement.objects.values("pk").query.sql_with_params()
    hits = backend.ranked(parse_query("bridge"), candidates, 10, 0)
    assert [h.statement_id for h in hits] == [w.north_says.pk]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_live_search_from_the_header(live_server, page):
    f.World()
    page.goto(live_server.url + reverse("incidents:list"))
    page.fill("#site-search", "mines")
    page.wait_for_selector("#search-results mark")
    assert page.url.endswith("/search/?q=mines")
    assert page.locator("#search-results mark").first.inner_text().lower() == "mines"
    assert page.locator("html").count() == 1  # swapped into the page, not a new page
    # A facet link narrows the results in place and keeps the URL citable.
    page.click("#search-results .search-facets a:has-text('Southland')")
    page.wait_for_url("**party=southland**")
    assert page.locator(".search-hit").count() == 1


def test_cached_public_search_follows_publication(
    client, world, settings, django_capture_on_commit_callbacks
):
    # Anonymous searches come from the shared page cache; publishing must show at once.
    settings.PUBLIC_PAGE_CACHE = True
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "s"}
    }
    draft = f.statement(world.incident, world.north_mod, "The quarry was empty.", published=False)
    first = client.get(URL, {"q": "quarry"})
    assert "quarry was empty" not in first.content.decode()
    again = client.get(URL, {"q": "quarry"})
    assert again["X-Parallax-Cache"] == "hit"
    # Cached pages are invalidated when the change commits.
    with django_capture_on_commit_callbacks(execute=True):
        draft.publish()
    fresh = client.get(URL, {"q": "quarry"})
    assert fresh["X-Parallax-Cache"] == "miss"
    assert "<mark>quarry</mark> was empty" in fresh.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_search_page_has_no_serious_axe_violations(live_server, browser, width):
    from tests.analysis.test_analysis import serious_axe_violations

    f.World()
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for q in ("river", "nothing-matches-this", ""):
            page.goto(live_server.url + URL + f"?q={q}")
            assert serious_axe_violations(page) == [], (q, width)
    finally:
        context.close()


def test_query_of_only_exclusions_explains_itself(client, world):
    response = client.get(URL, {"q": "-mines -bridge"})
    assert response.status_code == 200
    assert "Add at least one word to look for" in response.content.decode()
    assert not response.context["outcome"].searched


def test_a_very_common_word_is_capped_and_the_page_says_so(client, world, monkeypatch):
    from search import query as search_query

    for n in range(8):
        f.statement(world.incident, world.north_mod, f"Checkpoint bulletin {n}.")
    monkeypatch.setattr(search_query, "MATCH_CAP", 5)
    response = client.get(URL, {"q": "checkpoint"})
    outcome = response.context["outcome"]
    assert outcome.capped and outcome.total == 5
    assert len(outcome.results) == 5
    assert "More than 5 statements match" in response.content.decode()
    # Under the cap nothing changes.
    monkeypatch.setattr(search_query, "MATCH_CAP", 50)
    outcome = client.get(URL, {"q": "checkpoint"}).context["outcome"]
    assert not outcome.capped and outcome.total == 8


def test_a_result_keeps_its_dates_precision(client, world):
    """A statement dated to the month reads "May 2021" in the results, never the
    first of the month."""
    f.statement(
        world.incident,
        world.south_mfa,
        "Quarrymen were seen near the marker stones.",
        issued_on=date(2021, 5, 1),
        issued_precision="month",
    )
    html = client.get(reverse("search:results"), {"q": "quarrymen"}).content.decode()
    assert '<time datetime="2021-05">May 2021</time>' in html
    assert "1 May 2021" not in html
