"""Cached search pages and edits of statements' words (search/terms.py,
incidents/caching.py): an edit makes stale the searches for words of the statement's
old or new text or of the names it is found by, and only those; publishing and
unpublishing make every search that could show the statement stale."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from core.cache import CACHE_HEADER, clear_all
from incidents.models import Statement
from search.backends import parse_query
from search.query import run_search
from search.terms import query_keys, text_keys, word_keys
from tests.factories import World, statement

cache_on = override_settings(PUBLIC_PAGE_CACHE=True, PUBLIC_PAGE_CACHE_CLOCK_SKEW=0)


@pytest.fixture
def world(transactional_db):
    # Transactional: invalidation happens when a transaction commits. The cache table
    # is not emptied between transactional tests.
    clear_all()
    yield World()
    clear_all()


def search_url(**params: str) -> str:
    return reverse("search:results") + "?" + urlencode(params)


def cold_after(client, urls: dict[str, str], change) -> set[str]:
    """Fill the cache, make the change, and name the pages no longer served from it."""
    for url in urls.values():
        client.get(url)
        assert client.get(url)[CACHE_HEADER] == "hit", url
    change()
    return {name for name, url in urls.items() if client.get(url)[CACHE_HEADER] != "hit"}


def edit_text(pk: int, text: str) -> None:
    s = Statement.objects.get(pk=pk)
    s.text = text
    s.save_versioned(s.version)


@cache_on
def test_an_edit_makes_stale_only_the_searches_for_its_words(client, world):
    # The old text: "Our patrol was repairing a bridge when it was seized."
    urls = {
        "old word": search_url(q="bridge"),
        "new word": search_url(q="ceasefire"),
        "kept word": search_url(q="patrol"),
        "speaker": search_url(q="defence"),
        "phrase": search_url(q='"ceasefire line"'),
        "excluded": search_url(q="river -ceasefire"),
        "unrelated": search_url(q="armed"),
        "unrelated phrase": search_url(q='"show restraint"'),
        "filters only": search_url(conflict=world.conflict.slug),
        "filters and an excluded word": search_url(q="-armed", conflict=world.conflict.slug),
    }
    cold = cold_after(
        client,
        urls,
        lambda: edit_text(world.north_says.pk, "Our patrol was mending a ceasefire line."),
    )
    assert cold == set(urls) - {"unrelated", "unrelated phrase"}

    # Each stale page shows the new state.
    assert b"ceasefire line" not in client.get(urls["unrelated"]).content
    assert b"mending" in client.get(urls["new word"]).content
    assert b"mending" in client.get(urls["phrase"]).content
    assert b"mending" not in client.get(urls["old word"]).content
    assert b"repairing" not in client.get(urls["speaker"]).content
    assert b"mending" in client.get(urls["speaker"]).content
    assert b"mending" in client.get(urls["filters only"]).content


@cache_on
def test_an_edit_of_a_draft_words_goes_by_the_same_keys(client, world):
    draft = statement(world.incident, world.south_mfa, "Drones were seen.", published=False)
    urls = {"drones": search_url(q="drones"), "armed": search_url(q="armed")}
    assert cold_after(client, urls, lambda: edit_text(draft.pk, "Kites were seen.")) == {"drones"}
    assert b"Drones" not in client.get(urls["drones"]).content


@cache_on
def test_publishing_withdrawing_and_unpublishing_make_every_search_stale(client, world):
    draft = statement(world.incident, world.south_mfa, "Drones were seen.", published=False)
    urls = {
        "its word": search_url(q="drones"),
        "unrelated": search_url(q="restraint"),
        "filters only": search_url(conflict=world.conflict.slug),
    }
    assert cold_after(client, urls, lambda: draft.publish()) == set(urls)
    assert b"<mark>Drones</mark> were seen" in client.get(urls["its word"]).content
    assert cold_after(client, urls, lambda: draft.withdraw("Misattributed.")) == set(urls)
    assert cold_after(client, urls, lambda: world.incident.unpublish()) == set(urls)
    assert b"were seen" not in client.get(urls["its word"]).content


@cache_on
def test_a_speakers_rename_makes_every_search_of_the_conflict_stale(client, world):
    urls = {"unrelated": search_url(q="restraint"), "bridge": search_url(q="bridge")}

    def rename():
        world.north_mod.name = "Northland Ministry of Defence"
        world.north_mod.save()

    assert cold_after(client, urls, rename) == set(urls)


def test_stemming_pairs_share_a_key():
    for a, b in [
        ("ceasefires", "ceasefire"),
        ("cries", "cry"),
        ("crying", "cry"),
        ("dying", "die"),
        ("dying", "dyed"),
        ("is", "i"),
        ("adding", "ad"),
        ("skies", "sky"),
        ("oneness", "on"),
        ("aces", "ac"),
        ("upness", "up"),
        ("Café", "cafe"),
    ]:
        assert word_keys(a) & word_keys(b), (a, b)
    assert query_keys(parse_query("")) == set()
    assert query_keys(parse_query('border OR "cease fire" -truce')) == {"bor", "cea", "fir", "tru"}
    assert text_keys("The soldiers' ceasefire.") >= {"the", "sol", "cea"}


@cache_on
@pytest.mark.parametrize(
    "written, searched",
    [("ceasefires", "ceasefire"), ("ceasefire", "ceasefires"), ("cries", "cry"), ("cry", "cries")],
)
def test_a_search_that_finds_an_edited_statement_was_made_stale(client, world, written, searched):
    url = search_url(q=searched)
    client.get(url)
    assert client.get(url)[CACHE_HEADER] == "hit"
    edit_text(world.north_says.pk, f"Our patrol heard {written} at the crossing.")
    response = client.get(url)
    assert response[CACHE_HEADER] != "hit"
    # Both databases find "ceasefires" by "ceasefire"; PostgreSQL's stemmer also
    # "cries" by "cry" (SQLite's porter keeps "cry" whole: stale all the same).
    if "cea" in written or connection.vendor == "postgresql":
        assert f"heard <mark>{written}</mark>".encode() in response.content


# Words whose forms the stemmers bring together (or not): each is searched for, and
# every statement found must have a word of the same key as the one searched.
_WORDS = """
ceasefire ceasefires cry cries crying cried dying die dies died dyed tying tie ties
lying lie lies is i as a us u ad ads added adding add hop hopping hoped hoping hops
sky skies ski skis generous generously general generate generation national nation
relational relate relation conditional condition happy happiness happily early only
gently gentle ugly agreed agree agreeing news bias atlas café cafe naïve naive exceed
proceed succeed running ran run runs seize seized seizure mine mines mining minister
ministry fly flies flying flew argue argued arguing argument operate operation
operational organise organised organisation organization
one oneness on ace aces acing up upness use using usefulness aw aws awfully age
aging agee
"""
VOCABULARY = _WORDS.split()


@pytest.mark.django_db
def test_every_match_of_the_real_search_shares_a_key_with_the_word_searched():
    w = World()
    pks = {statement(w.incident, w.league_spokes, f"zz {word} zz").pk: word for word in VOCABULARY}
    checked = 0
    for searched in VOCABULARY:
        outcome = run_search(AnonymousUser(), {"q": searched})
        for result in outcome.results:
            found = pks.get(result.statement.pk)
            if found is None:  # one of the World's own statements
                continue
            checked += 1
            assert word_keys(found) & word_keys(searched), (searched, found)
    # The stemmers did bring different words together.
    assert checked > len(VOCABULARY)


@cache_on
def test_without_a_full_text_index_every_edit_makes_every_search_stale(client, world, monkeypatch):
    # The fallback for SQLite without FTS5 finds words inside words ("fire" in
    # "ceasefire"): no key can say which searches an edit changes.
    from search import backends, views

    monkeypatch.setattr(views, "get_backend", backends.SqliteLikeBackend)
    urls = {"unrelated": search_url(q="armed"), "fire": search_url(q="fire")}
    cold = cold_after(
        client, urls, lambda: edit_text(world.north_says.pk, "Our patrol saw a ceasefire.")
    )
    assert cold == set(urls)


def _same_stem_pairs_without_a_key(stems: dict[str, str]) -> list[tuple[str, str, str]]:
    groups: dict[str, list[str]] = {}
    for word, stem in stems.items():
        groups.setdefault(stem, []).append(word)
    return [
        (stem, a, b)
        for stem, words in groups.items()
        for i, a in enumerate(words)
        for b in words[i + 1 :]
        if not word_keys(a) & word_keys(b)
    ]


@pytest.mark.django_db
def test_words_of_one_stem_share_a_key_across_an_english_vocabulary():
    """The ~49,000 lowercase words of spaCy's English model's strings, stemmed by
    SQLite's FTS5 tokenizer as search migration 0002 configures it and, on
    PostgreSQL, by its english configuration: every two words of one stem share a
    key."""
    import sqlite3

    from imports.nlp import get_nlp

    strings = get_nlp().vocab.strings
    words = sorted({s.lower() for s in strings if s.isalpha() and len(s) <= 20})
    assert len(words) > 10_000
    fts = sqlite3.connect(":memory:")
    fts.execute(
        "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')"
    )
    fts.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", list(enumerate(words, 1)))
    fts.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    porter = {words[doc - 1]: term for term, doc in fts.execute("SELECT term, doc FROM v")}
    assert _same_stem_pairs_without_a_key(porter) == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT w, strip(to_tsvector('english', w))::text FROM unnest(%s::text[]) w",
                [words],
            )
            english = {w: stem for w, stem in cursor.fetchall() if stem}
        assert _same_stem_pairs_without_a_key(english) == []
