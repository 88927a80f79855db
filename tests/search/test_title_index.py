"""The index of incidents' titles (search.title_index): the same incidents as the
regular expressions over every title, fewer titles tried, kept in step with the
incidents on both databases."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Incident
from search import title_index
from search.backends import parse_query
from search.query import matching_incidents, title_matches
from tests import factories as f

URL = reverse("search:results")

# Titles that a whole-word, any-case match tells apart: words inside other words,
# punctuation, digits, accents, and the letters Python's case-insensitive matching
# takes for ASCII ones ("İ", "ı", "ſ", the Kelvin sign).
TITLES = [
    "Ceasefire broken at the Northern Gate",
    "Fire in the depot at Kestrel Ridge",
    "CEASE-FIRE talks stall",
    "Convoy_halted near the coast",
    "Convoy halted near the coast road",
    "Shelling of Route 66 reported",
    "Route66 closed again",
    "Café de la Paix damaged",
    "Cafe on the square reopened",
    "İzmir harbour incident",
    "Izmir dock workers detained",
    "Tıger battalion redeploys",
    "Tiger battalion moves",
    "Border poſts overrun",
    "Border posts abandoned",
    "\u212aestrel Ridge shelled",
    "UN observers on the line",
    "An observer detained at the bridge",
    "Détente at the ridge",
    "Shelling, then silence; then shelling again",
]
QUERIES = [
    "fire",
    "ceasefire",
    "cease fire",
    '"cease fire"',
    "convoy",
    '"convoy halted"',
    "route 66",
    "66",
    "route66",
    "café",
    "cafe",
    "izmir",
    "tiger",
    "posts",
    "kestrel",
    "kestrel ridge",
    "un",
    "observer",
    "observers OR observer",
    "shelling -route",
    "ridge -kestrel",
    "détente",
    "detente",
    "then shelling",
    "bridge OR ridge",
    "the",
    "Northern gate",
    "nothing here",
]


@pytest.fixture
def titled(db) -> list[Incident]:
    conflict = f.World().conflict
    return [f.incident(conflict, title) for title in TITLES]


def ids(q: str, use_index: bool, monkeypatch: pytest.MonkeyPatch) -> set[int]:
    if not use_index:
        monkeypatch.setattr(title_index, "title_candidates", lambda query: None)
    found = set(Incident.objects.filter(title_matches(parse_query(q))).values_list("pk", flat=True))
    monkeypatch.undo()
    return found


@pytest.mark.parametrize("q", QUERIES)
def test_the_index_finds_what_the_expressions_alone_find(titled, monkeypatch, q):
    assert ids(q, True, monkeypatch) == ids(q, False, monkeypatch)


def test_titles_are_matched_by_whole_words_in_any_case(titled, monkeypatch):
    """What the expressions find, spelt out (so that the comparison above compares
    something): whole words, any case, phrases across punctuation."""

    def titles(q: str) -> set[str]:
        return {i.title for i in Incident.objects.filter(pk__in=ids(q, True, monkeypatch))}

    assert titles("fire") == {"Fire in the depot at Kestrel Ridge", "CEASE-FIRE talks stall"}
    assert titles("ceasefire") == {"Ceasefire broken at the Northern Gate"}
    assert titles('"cease fire"') == {"CEASE-FIRE talks stall"}
    assert titles("convoy") == {"Convoy halted near the coast road"}
    assert titles("66") == {"Shelling of Route 66 reported"}
    assert titles("shelling -route") == {"Shelling, then silence; then shelling again"}
    if connection.vendor == "sqlite":
        # Python's expressions take these letters for ASCII ones (PostgreSQL's do not):
        # the titles the trigram table alone would miss for "i".
        assert titles("izmir") == {"İzmir harbour incident", "Izmir dock workers detained"}
        assert titles("tiger") == {"Tıger battalion redeploys", "Tiger battalion moves"}
        assert titles("posts") == {"Border poſts overrun", "Border posts abandoned"}
        kestrel = {"Fire in the depot at Kestrel Ridge", "\u212aestrel Ridge shelled"}
        assert titles("kestrel") == kestrel


def test_python_takes_only_four_other_letters_for_ascii_ones():
    """search.title_index relies on this list: a new Python taking another letter for an
    ASCII one would need it checked against SQLite's folding (TITLES has the four)."""
    ascii_alike = re.compile(r"(?i)[a-z0-9]")
    found = {
        chr(c)
        for c in range(0x80, 0x110000)
        if not 0xD800 <= c < 0xE000 and ascii_alike.fullmatch(chr(c))
    }
    assert found == {"İ", "ı", "ſ", "\u212a"}


def test_the_index_narrows_the_titles_tried(titled):
    """SQLite: the candidates come from the trigram table and hold the titles with the
    words as substrings only; PostgreSQL: the trigram index serves the expression."""
    if connection.vendor == "sqlite":
        candidates = title_index.title_candidates(parse_query("kestrel"))
        assert candidates is not None and title_index.TABLE in candidates.sql
        found = Incident.objects.filter(pk__in=candidates).values_list("title", flat=True)
        assert set(found) == {"Fire in the depot at Kestrel Ridge", "\u212aestrel Ridge shelled"}
        # A word of two letters cannot be looked up: every title is tried.
        assert title_index.title_candidates(parse_query("un")) is None
        assert title_index.title_candidates(parse_query("un OR kestrel")) is None
        # Excluded words narrow nothing; the other group still does.
        assert title_index.fts_words(parse_query("un kestrel -ridge")) == '(("kestrel"))'
        # An "i" looked up: titles with "ı" or "İ" are candidates too.
        tiger = title_index.title_candidates(parse_query("tiger"))
        assert tiger is not None
        found = Incident.objects.filter(pk__in=tiger).values_list("title", flat=True)
        assert set(found) == {"Tıger battalion redeploys", "Tiger battalion moves", TITLES[9]}
    else:
        assert title_index.title_candidates(parse_query("kestrel")) is None
        sql, params = Incident.objects.filter(
            title_matches(parse_query("kestrel"))
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            # On a table this small a sequential scan is cheaper: forbid it to see that
            # the index can answer the expression.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert title_index.PG_INDEX in plan


def test_the_index_follows_new_edited_and_deleted_titles(titled, monkeypatch):
    """Saved, updated in bulk (no signal) and deleted incidents: the triggers (SQLite)
    or the index itself (PostgreSQL) follow every write."""
    conflict = titled[0].conflict
    new = f.incident(conflict, "Lighthouse keeper detained")
    assert ids("lighthouse", True, monkeypatch) == {new.pk}
    new.title = "Harbourmaster detained"
    new.save()
    assert not ids("lighthouse", True, monkeypatch)
    assert ids("harbourmaster", True, monkeypatch) == {new.pk}
    Incident.objects.filter(pk=new.pk).update(title="Quartermaster detained")
    assert ids("quartermaster", True, monkeypatch) == {new.pk}
    assert not ids("harbourmaster", True, monkeypatch)
    new.delete()
    assert not ids("quartermaster", True, monkeypatch)


def test_unpublished_incidents_stay_hidden(analyst_client, titled):
    from django.test import Client

    draft = f.incident(titled[0].conflict, "Quarantine zone declared", published=False)
    response = Client().get(URL, {"q": "quarantine"})
    assert response.context["outcome"].incidents == []
    assert "Quarantine zone declared" not in response.content.decode()
    assert analyst_client.get(URL, {"q": "quarantine"}).context["outcome"].incidents == [draft]


def test_a_title_search_is_one_query(titled):
    from django.contrib.auth.models import AnonymousUser

    query = parse_query("ridge")
    matching_incidents(AnonymousUser(), query, {})  # one-time per-process checks
    with CaptureQueriesContext(connection) as ctx:
        found = matching_incidents(AnonymousUser(), query, {})
    assert len(ctx) == 1
    # Newest first (same dates: the later one first).
    assert [i.title for i in found] == ["Détente at the ridge", TITLES[15], TITLES[1]]
    if connection.vendor == "sqlite":
        assert title_index.TABLE in ctx.captured_queries[0]["sql"]


def test_lost_triggers_are_put_back_after_migrate(titled, monkeypatch):
    """SQLite: Django rebuilds a table to alter a column, dropping its triggers; after
    `migrate` they are put back and the table rebuilt from the titles."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's triggers")
    with connection.cursor() as cursor:
        for name in title_index.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    Incident.objects.filter(pk=titled[0].pk).update(title="Armistice broken at the gate")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    assert ids("armistice", True, monkeypatch) == {titled[0].pk}
    assert title_index.ensure_sqlite_triggers(connection) is False  # all there now
