"""The shared cache of anonymous pages (core.cache): served to the public only,
invalidated when a change commits, on every worker process, and only where the change
shows (the scopes of incidents/caching.py)."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import Client, override_settings
from django.urls import include, path, reverse

from core.cache import (
    CACHE_HEADER,
    SITE,
    bump_now,
    clear_all,
    generation_key,
    invalidate,
    invalidate_all,
    memo_parts,
    public_page,
    read_generations,
    remember,
    store,
)
from incidents.models import Statement
from incidents.views import incident_detail
from ops.bench import servers
from tests.factories import World, statement

# This module is also the URLconf of its tests: the probe of ops.bench.urls and the real
# comparison page wrapped with public_page.


def nonce_page(request):
    """A page with this request's CSP nonce in it (none of the site's pages has one)."""
    from django.http import HttpResponse
    from django.middleware.csp import get_nonce

    return HttpResponse(f"<script nonce='{get_nonce(request)}'></script>")


urlpatterns = [
    path("cached/<slug:slug>/", public_page(incident_detail), name="cached_detail"),
    path("nonce/", public_page(nonce_page), name="nonce_page"),
    path("", include("ops.bench.urls")),
]
# One machine: no clock skew to allow for (core.cache: scopes first named while rendering).
cache_on = override_settings(
    ROOT_URLCONF=__name__, PUBLIC_PAGE_CACHE=True, PUBLIC_PAGE_CACHE_CLOCK_SKEW=0
)


def probe(pk: int) -> str:
    return reverse("bench_probe", args=[pk])


@pytest.fixture
def fresh_cache():
    # The cache table is not emptied between transactional tests.
    clear_all()
    yield
    clear_all()


class RecordingStore:
    """The scheme's cache, noting the keys each read asks for and each write writes."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.read: list[list[str]] = []
        self.written: list[list[str]] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def get_many(self, keys):
        self.read.append(sorted(keys))
        return self.inner.get_many(keys)

    def get(self, key, default=None):
        self.read.append([key])
        return self.inner.get(key, default)

    def set_many(self, values, timeout=None):
        self.written.append(sorted(values))
        return self.inner.set_many(values, timeout=timeout)


@pytest.fixture
def recorded(monkeypatch) -> RecordingStore:
    from core import cache as page_cache

    recording = RecordingStore(page_cache.store())
    monkeypatch.setattr(page_cache, "store", lambda: recording)
    return recording


@pytest.fixture
def world(transactional_db, fresh_cache) -> World:
    # Transactional: invalidation happens when a transaction commits.
    return World()


@cache_on
def test_anonymous_page_is_cached_until_an_edit(client, world):
    url = probe(world.north_says.pk)
    first = client.get(url)
    assert first[CACHE_HEADER] == "miss"
    second = client.get(url)
    assert second[CACHE_HEADER] == "hit"
    assert second.content == first.content

    s = Statement.objects.get(pk=world.north_says.pk)
    s.text = "Our patrol was mending a footbridge."
    s.save()
    third = client.get(url)
    assert third[CACHE_HEADER] == "miss"
    assert b"mending a footbridge" in third.content


@cache_on
def test_a_new_release_never_serves_the_previous_ones_pages(client, world, monkeypatch):
    import functools

    from core import cache as page_cache

    url = probe(world.north_says.pk)
    client.get(url)
    assert client.get(url)[CACHE_HEADER] == "hit"
    # The same page after a deploy (other code, templates or headers): rendered anew.
    monkeypatch.setattr(page_cache, "release", functools.cache(lambda: "next-release"))
    assert client.get(url)[CACHE_HEADER] == "miss"
    assert client.get(url)[CACHE_HEADER] == "hit"


def test_the_release_follows_the_code_and_the_header_settings(settings, tmp_path):
    from core.cache import release

    first = release()
    assert release() == first  # worked out once
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    assert release() != first
    settings.X_FRAME_OPTIONS = "DENY"
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    settings.BASE_DIR = tmp_path.parent
    before = release()
    (tmp_path / "page.html").write_text("<p>a new template</p>")
    settings.X_FRAME_OPTIONS = "DENY"  # any settings change works it out again
    assert release() != before


@cache_on
def test_each_host_and_scheme_has_its_own_pages(client, world):
    # Not pytest-django's `settings` inside cache_on: its undo would restore cache_on's.
    with override_settings(ALLOWED_HOSTS=["parallax.example", "mirror.example"]):
        url = probe(world.north_says.pk)
        assert client.get(url, HTTP_HOST="parallax.example")[CACHE_HEADER] == "miss"
        assert client.get(url, HTTP_HOST="parallax.example")[CACHE_HEADER] == "hit"
        assert client.get(url, HTTP_HOST="mirror.example")[CACHE_HEADER] == "miss"
        assert client.get(url, HTTP_HOST="parallax.example", secure=True)[CACHE_HEADER] == "miss"


@cache_on
def test_publishing_is_visible_at_once(client, world):
    draft = statement(world.incident, world.south_mfa, "A drone was seen.", published=False)
    url = probe(draft.pk)
    assert client.get(url).status_code == 404
    other = probe(world.north_says.pk)
    client.get(other)
    assert client.get(other)[CACHE_HEADER] == "hit"
    draft.publish()
    response = client.get(url)
    assert response.status_code == 200 and b"A drone was seen." in response.content
    # A page of the same incident was invalidated too.
    assert client.get(other)[CACHE_HEADER] == "miss"


@cache_on
def test_deleting_and_m2m_changes_invalidate(client, world):
    url = probe(world.north_says.pk)
    client.get(url)
    assert client.get(url)[CACHE_HEADER] == "hit"
    world.incident.places.create(name="Ford", slug="ford")
    assert client.get(url)[CACHE_HEADER] == "miss"
    world.point.delete()
    assert client.get(url)[CACHE_HEADER] == "miss"


@cache_on
def test_signed_in_users_are_never_served_from_the_cache(client, analyst, world):
    url = probe(world.north_says.pk)
    Client().get(url)
    client.force_login(analyst)
    response = client.get(url)
    assert response.status_code == 200
    assert CACHE_HEADER not in response


@cache_on
def test_htmx_requests_have_their_own_entry(client, world):
    url = reverse("cached_detail", args=[world.incident.slug])
    full = client.get(url)
    assert full[CACHE_HEADER] == "miss" and b"<html" in full.content
    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "points-grid"})
    assert partial[CACHE_HEADER] == "miss"
    assert b"<html" not in partial.content
    assert client.get(url)[CACHE_HEADER] == "hit"
    assert b"<html" in client.get(url).content
    assert "HX-Request" in client.get(url)["Vary"]


@cache_on
def test_conditional_get_answers_304(client, world):
    url = probe(world.north_says.pk)
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    world.north_says.save()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


@cache_on
def test_each_visitor_gets_their_own_csrf_token(world):
    url = reverse("cached_detail", args=[world.incident.slug])
    tokens = []
    for _ in range(2):
        visitor = Client()
        response = visitor.get(url)
        marker = b'"X-CSRFToken": "'
        start = response.content.index(marker) + len(marker)
        token = response.content[start : start + 64].decode()
        secret = visitor.cookies[settings.CSRF_COOKIE_NAME].value
        assert _unmask_cipher_token(token) == secret
        tokens.append(secret)
    assert response[CACHE_HEADER] == "hit"
    assert tokens[0] != tokens[1]


@override_settings(ROOT_URLCONF=__name__, PUBLIC_PAGE_CACHE=False)
def test_switched_off_nothing_is_cached(client, world):
    response = client.get(probe(world.north_says.pk))
    assert response.status_code == 200 and CACHE_HEADER not in response


def test_bump_replaces_the_generation(transactional_db, fresh_cache):
    first = read_generations(["incident:1"])["incident:1"]
    bump_now(["incident:1"])
    second = read_generations(["incident:1"])["incident:1"]
    assert second not in ("", first)
    invalidate_all()
    assert store().get(generation_key(SITE)) is not None


def test_invalidation_waits_for_the_commit(transactional_db, fresh_cache):
    from django.db import transaction

    before = read_generations(["incident:7"])["incident:7"]
    with transaction.atomic():
        invalidate(["incident:7"])
        # Inside the transaction nothing changed: the generation row is not written
        # (not locked) until the commit.
        assert read_generations(["incident:7"])["incident:7"] == before
    assert read_generations(["incident:7"])["incident:7"] != before
    with pytest.raises(RuntimeError), transaction.atomic():
        invalidate(["incident:8"])
        raise RuntimeError
    # A rolled-back change is invalidated at the latest with the next commit (an
    # invalidation too many, never one too few).
    assert read_generations(["incident:7"])["incident:7"] != before


def test_a_lost_bump_is_noticed_and_retried(transactional_db, fresh_cache, monkeypatch):
    """The database cache ignores a failed write (a lock timeout): the bump reads its
    write back and retries."""
    cache = store()
    real = cache.set_many
    calls = []

    def flaky(data, timeout=None):
        calls.append(data)
        return real({} if len(calls) == 1 else data, timeout=timeout)

    monkeypatch.setattr(cache, "set_many", flaky)
    before = read_generations(["incident:9"])["incident:9"]
    bump_now(["incident:9"])
    assert len(calls) == 2
    assert read_generations(["incident:9"])["incident:9"] != before


@cache_on
def test_remember_follows_its_scopes(transactional_db, fresh_cache):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert remember("test:value", compute, scopes=["incident:1"]) == 1
    assert remember("test:value", compute, scopes=["incident:1"]) == 1
    bump_now(["incident:2"])
    assert remember("test:value", compute, scopes=["incident:1"]) == 1
    bump_now(["incident:1"])
    assert remember("test:value", compute, scopes=["incident:1"]) == 2


@cache_on
def test_remembered_values_are_read_from_the_workers_memory(
    transactional_db, fresh_cache, recorded
):
    """remember() keeps its pickled value as a page's body: under its digest, in the
    worker's memory too. A read fetches only the entry and its generations; the read
    right after a change (a stale entry) does not fetch the old value either."""
    from core import cache as page_cache

    asked = recorded.read
    big = {"rows": ["words " * 50] * 400}

    def fetched_bodies() -> list[str]:
        return [k for keys in asked for k in keys if k.startswith(page_cache.BODY_PREFIX)]

    assert remember("test:big", lambda: big, scopes=["incident:1"]) == big
    asked.clear()
    assert remember("test:big", lambda: None, scopes=["incident:1"]) == big
    assert fetched_bodies() == []
    # Another worker (nothing in memory) reads the value once from the shared cache.
    page_cache._bodies.clear()
    assert remember("test:big", lambda: None, scopes=["incident:1"]) == big
    assert len(fetched_bodies()) == 1
    asked.clear()
    bump_now(["incident:1"])
    asked.clear()
    assert remember("test:big", lambda: {"rows": []}, scopes=["incident:1"]) == {"rows": []}
    assert fetched_bodies() == []


def test_values_can_stay_cached_while_pages_are_not(transactional_db, fresh_cache, settings):
    """The benchmark's uncached figures: pages off, remember()'s values on."""
    settings.PUBLIC_PAGE_CACHE = False
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert remember("test:off", compute) == 1
    assert remember("test:off", compute) == 2  # follows the page cache: off
    settings.VALUE_CACHE = True
    assert remember("test:on", compute) == 3
    assert remember("test:on", compute) == 3


@cache_on
def test_memo_parts_computes_only_the_parts_whose_digest_changed(transactional_db, fresh_cache):
    asked: list[list[str]] = []
    wanted: dict[str, str] = {}

    def compute(parts):
        asked.append(sorted(parts))
        # "b" is built from newer input than asked for (kept under its own digest);
        # "c" is never to be kept.
        built = {**wanted, "b": "b2-newer", "c": None}
        return {p: (built[p], f"{p}:{built[p]}") for p in parts}

    def parts(**digests):
        wanted.clear()
        wanted.update(digests)
        return memo_parts("test:page", digests, compute)

    first = parts(a="a1", b="b1", c="c1")
    assert first == {"a": "a:a1", "b": "b:b2-newer", "c": "c:None"}
    assert parts(a="a1", b="b1", c="c1") == first
    assert asked == [["a", "b", "c"], ["b", "c"]]
    assert parts(a="a1", b="b2-newer") == {"a": "a:a1", "b": "b:b2-newer"}
    assert len(asked) == 2
    # A changed digest is computed again; a part kept under another digest stays
    # until it expires (a change undone finds it again).
    assert parts(a="a2") == {"a": "a:a2"}
    assert parts(a="a1") == {"a": "a:a1"}
    assert asked[2:] == [["a"]]


@cache_on
def test_memo_parts_writes_only_the_parts_computed(transactional_db, fresh_cache, recorded):
    from core import cache as page_cache

    written, read = recorded.written, recorded.read

    def compute(parts):
        return {p: (digests[p], f"html of {p}") for p in parts}

    digests = {f"card-{n}": f"v1-{n}" for n in range(50)}
    memo_parts("test:written", dict(digests), compute)
    assert len(written) == 1 and len(written[0]) == 50
    digests["card-7"] = "v2-7"
    assert memo_parts("test:written", dict(digests), compute)["card-7"] == "html of card-7"
    # One card changed: one card written, the other 49 only read.
    assert len(written) == 2 and len(written[1]) == 1 and written[1][0].endswith(":v2-7")
    read.clear()
    memo_parts("test:written", dict(digests), compute)
    assert len(written) == 2
    # Parts never change under their digest: this worker keeps them in memory and
    # reads nothing; another worker reads them all in one round trip.
    assert read == []
    page_cache._bodies.clear()
    assert memo_parts("test:written", dict(digests), compute)["card-3"] == "html of card-3"
    assert len(read) == 1 and len(read[0]) == 50 and len(written) == 2


@cache_on
def test_memo_parts_computes_everything_when_values_are_off(transactional_db, fresh_cache):
    asked = []

    def compute(parts):
        asked.append(parts)
        return {p: ("d", p) for p in parts}

    with override_settings(PUBLIC_PAGE_CACHE=False, VALUE_CACHE=False):
        memo_parts("test:off", {"a": "d"}, compute)
        memo_parts("test:off", {"a": "d"}, compute)
    assert asked == [["a"], ["a"]]


# --- across processes ---------------------------------------------------------------


SEED = """
from datetime import date
from incidents.models import *
north = Party.objects.create(name="Northland", slug="northland")
south = Party.objects.create(name="Southland", slug="southland")
c = Conflict.objects.create(name="North-South", slug="north-south")
ConflictSide.objects.create(conflict=c, party=north, order=0)
ConflictSide.objects.create(conflict=c, party=south, order=1)
a = Actor.objects.create(name="Northland Defence Ministry", party=north)
inc = Incident.objects.create(conflict=c, title="Patrol stopped", date_start=date(2024, 3, 1))
inc.publish()
s = Statement.objects.create(incident=inc, actor=a, party=north, issued_on=inc.date_start,
                             text="Original words of the ministry.")
s.publish()
draft = Statement.objects.create(incident=inc, actor=a, party=north, issued_on=inc.date_start,
                                 text="A later statement.")
print(s.pk, draft.pk)
"""

EDIT_AND_PUBLISH = """
from incidents.models import Statement
s = Statement.objects.get(pk={pk})
s.text = "Corrected words of the ministry."
s.save_versioned(s.version)
Statement.objects.get(pk={draft}).publish()
"""


@pytest.fixture(scope="module")
def site_database():
    """A migrated database of its own for the servers, shared by every process with
    its database cache table: on PostgreSQL a new database on the test server; on
    SQLite a migrated file."""
    from django.db import connection

    if connection.vendor == "postgresql":
        import psycopg

        name = f"parallax_xproc_{uuid.uuid4().hex[:8]}"
        admin_url = os.environ["DATABASE_URL"]
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env = servers.server_env(
            admin_url.rsplit("/", 1)[0] + "/" + name, BENCH_URLCONF="ops.bench.probe_urls"
        )
        try:
            servers.manage(env, "migrate", "--no-input", "-v", "0", "--skip-checks", timeout=600)
            servers.manage(env, "createcachetable")
            yield env
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path_ = f"/tmp/parallax-xproc-{uuid.uuid4().hex[:8]}.sqlite3"  # noqa: S108
        env = servers.server_env(f"sqlite:///{path_}", BENCH_URLCONF="ops.bench.probe_urls")
        try:
            servers.manage(env, "migrate", "--no-input", "-v", "0", "--skip-checks")
            servers.manage(env, "createcachetable")
            yield env
        finally:
            for p in (path_, path_ + "-wal", path_ + "-shm"):
                if os.path.exists(p):
                    os.unlink(p)


# The two servers stand for two workers behind one site: the same Host reaches both (a
# page's key includes its host).
ONE_SITE = {"Host": "localhost"}


def test_an_edit_is_visible_at_once_on_another_worker_process(site_database):
    env = site_database
    pk, draft = map(int, servers.run_python(env, SEED).split()[-2:])
    with servers.gunicorns(env, 2) as (worker_a, worker_b):
        url_a = f"{worker_a}/__bench__/probe/{pk}/"
        url_b = f"{worker_b}/__bench__/probe/{pk}/"
        draft_b = f"{worker_b}/__bench__/probe/{draft}/"
        first = servers.fetch(url_a, ONE_SITE)
        assert first.headers[CACHE_HEADER.lower()] == "miss"
        assert "Original words" in first.body
        # Worker B serves the page from the shared cache filled by worker A.
        cached = servers.fetch(url_b, ONE_SITE)
        assert cached.headers[CACHE_HEADER.lower()] == "hit"
        assert "Original words" in cached.body
        assert servers.fetch(draft_b, ONE_SITE).status == 404

        # An editor's edit and publish, saved by a third process (another worker).
        servers.run_python(env, EDIT_AND_PUBLISH.format(pk=pk, draft=draft))
        for url in (url_b, url_a):
            after = servers.fetch(url, ONE_SITE)
            assert "Corrected words" in after.body, url
            assert "Original words" not in after.body
        assert "A later statement." in servers.fetch(draft_b, ONE_SITE).body


LONG_EDIT = """
import sys
from django.db import transaction
from incidents.models import Statement
with transaction.atomic():
    s = Statement.objects.get(pk={pk})
    s.text = "Words corrected in a long transaction."
    s.save_versioned(s.version)
    print("saved", flush=True)
    sys.stdin.readline()  # the transaction stays open until the test says so
print("committed", flush=True)
"""

QUICK_EDIT = """
import time
from incidents.models import Statement
s = Statement.objects.get(pk={pk})
s.text = "Another statement, edited meanwhile."
started = time.monotonic()
s.save_versioned(s.version)
print(time.monotonic() - started)
"""


def test_a_long_transaction_neither_blocks_saves_nor_leaves_a_stale_page(site_database):
    """Issue 16.2: an edit held open in a long transaction; meanwhile two workers
    serve (and refill) the page, and another editor saves: that save does not wait,
    and once the long one commits no worker serves the old words."""
    import subprocess
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a long write transaction locks the whole SQLite database")
    env = site_database
    seed = (
        SEED.replace("Northland", "Northmark")
        .replace("Southland", "Southmark")
        .replace("northland", "northmark")
        .replace("southland", "southmark")
        .replace("North-South", "North-South long")
        .replace("north-south", "north-south-long")
        .replace("Patrol stopped", "Patrol held")
    )
    pk, other = map(int, servers.run_python(env, seed).split()[-2:])
    with servers.gunicorns(env, 2) as (worker_a, worker_b):
        url_a = f"{worker_a}/__bench__/probe/{pk}/"
        url_b = f"{worker_b}/__bench__/probe/{pk}/"
        assert "Original words" in servers.fetch(url_a, ONE_SITE).body
        assert servers.fetch(url_b, ONE_SITE).headers[CACHE_HEADER.lower()] == "hit"
        editor = subprocess.Popen(  # noqa: S603
            [servers.PYTHON, "-c", "import django; django.setup()\n" + LONG_EDIT.format(pk=pk)],
            cwd=servers.ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert editor.stdout is not None and editor.stdin is not None
            assert editor.stdout.readline().strip() == "saved"
            # While it is open: readers get the committed words, and a page rendered
            # now (a new key: refilled from the old state) is cached...
            for url in (url_a, url_b, url_a + "?refill=1", url_b + "?refill=1"):
                assert "Original words" in servers.fetch(url, ONE_SITE).body
            # ...and another editor's save does not queue behind the open transaction.
            # (Seeded unpublished; only its save is timed.)
            took = float(servers.run_python(env, QUICK_EDIT.format(pk=other), timeout=30))
            assert took < 2.0
            time.sleep(1)
            editor.stdin.write("\n")
            editor.stdin.flush()
            assert editor.stdout.readline().strip() == "committed"
        finally:
            editor.stdin.close() if editor.stdin else None
            editor.wait(timeout=30)
        # At once after the commit, on both workers, refilled pages included.
        for url in (url_a, url_b, url_a + "?refill=1", url_b + "?refill=1"):
            body = servers.fetch(url, ONE_SITE).body
            assert "Words corrected in a long transaction." in body, url
            assert "Original words" not in body


@cache_on
@override_settings(PUBLIC_PAGE_CACHE_SETTLE_SECONDS=60)
def test_with_a_replica_pages_are_not_stored_right_after_a_change(client, world):
    url = probe(world.north_says.pk)
    world.north_says.save()  # a change: the replica may lag for a moment
    client.get(url)
    assert client.get(url)[CACHE_HEADER] == "miss"
    with override_settings(PUBLIC_PAGE_CACHE_SETTLE_SECONDS=0):
        client.get(url)
        assert client.get(url)[CACHE_HEADER] == "hit"


@cache_on
def test_history_restore_gets_the_whole_page_not_a_cached_fragment(client, world):
    url = reverse("cached_detail", args=[world.incident.slug])
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restore[CACHE_HEADER] == "miss"
    assert b"<html" in restore.content


# --- each kind of change makes stale the pages that show it, and only those -------------


@pytest.fixture
def pages(world):
    """Pages of two incidents of one conflict (A and B) and of another conflict (C),
    and the pages across incidents, each cached."""
    from tests.factories import actor, conflict, incident, party, point

    w = world
    w.other_incident = incident(w.conflict, "Shots heard near the dam")
    statement(w.other_incident, w.south_mfa, "Shots were fired at our engineers.")
    east, west = party("Eastmark", "eastmark"), party("Westmark", "westmark")
    far = conflict("East–West", [east, west])
    w.far_incident = incident(far, "Fishing boats held")
    statement(w.far_incident, actor("Eastmark Coast Guard", east), "The boats were fishing.")
    w.far_point = point(w.far_incident, "Where were the boats?")
    urls = {
        "A": reverse("incidents:detail", args=[w.incident.slug]),
        "A tab": reverse("incidents:detail", args=[w.incident.slug]) + "?tab=timeline",
        "A statement": reverse("incidents:statement_detail", args=[w.north_says.pk]),
        "B": reverse("incidents:detail", args=[w.other_incident.slug]),
        "C": reverse("incidents:detail", args=[w.far_incident.slug]),
        "list": reverse("incidents:list"),
        "search": reverse("search:results") + "?q=patrol",
        "north actor": reverse("incidents:actor_detail", args=[w.north_mod.slug]),
        "south actor": reverse("incidents:actor_detail", args=[w.south_mfa.slug]),
        "timeline": reverse("analysis:conflict_timeline", args=[w.conflict.slug]),
        "terms": reverse("analysis:conflict_terms", args=[w.conflict.slug]),
        "C timeline": reverse("analysis:conflict_timeline", args=[far.slug]),
    }
    return w, urls


def cold_after(client, urls, change) -> set[str]:
    """Fill the cache, make the change, and name the pages no longer served from it."""
    for url in urls.values():
        client.get(url)
        assert client.get(url)[CACHE_HEADER] == "hit", url
    change()
    return {name for name, url in urls.items() if client.get(url)[CACHE_HEADER] != "hit"}


INCIDENT_A = {"A", "A tab", "A statement"}


@cache_on
def test_editing_a_statements_words(client, pages):
    w, urls = pages

    def edit():
        s = Statement.objects.get(pk=w.north_says.pk)
        s.text = "Our patrol was mending a footbridge."
        s.save_versioned(s.version)

    # Not the list (no words of statements), not the other incidents.
    assert cold_after(client, urls, edit) == INCIDENT_A | {"search", "north actor", "terms"}
    assert b"mending a footbridge" in client.get(urls["A"]).content


@cache_on
def test_publishing_a_statement(client, pages):
    w, urls = pages
    draft = statement(w.incident, w.south_mfa, "A second patrol was seen.", published=False)
    cold = cold_after(client, urls, draft.publish)
    assert cold == INCIDENT_A | {"list", "search", "south actor", "timeline", "terms"}


@cache_on
def test_editing_an_incident(client, pages):
    w, urls = pages

    def edit():
        w.incident.title = "Patrol held at the crossing"
        w.incident.save()

    cold = cold_after(client, urls, edit)
    assert cold == INCIDENT_A | {"list", "search", "north actor", "south actor"} | {
        "timeline",
        "terms",
    }


@cache_on
def test_annotating_a_statement(client, pages):
    from tests.factories import annotation

    w, urls = pages
    cold = cold_after(client, urls, lambda: annotation(w.north_says, "repairing a bridge"))
    assert cold == INCIDENT_A | {"north actor"}


@cache_on
def test_a_point_of_another_conflict(client, pages):
    w, urls = pages

    def edit():
        w.far_point.label = "Where exactly were the boats?"
        w.far_point.save()

    assert cold_after(client, urls, edit) == {"C"}


@cache_on
def test_renaming_a_speaker(client, pages):
    w, urls = pages

    def edit():
        w.south_mfa.name = "Southland Ministry of Foreign Affairs"
        w.south_mfa.save()

    # Every page of its conflict names it or could; the other conflict's pages stay.
    cold = cold_after(client, urls, edit)
    assert cold == set(urls) - {"C", "C timeline"}


@cache_on
def test_renaming_a_party_changes_everything(client, pages):
    w, urls = pages

    def edit():
        w.north.name = "Northland Republic"
        w.north.save()

    assert cold_after(client, urls, edit) == set(urls)


@cache_on
def test_a_hit_is_answered_before_sessions_and_users(world):
    """CachedPageMiddleware: a page this worker knows is answered before the session,
    authentication and message middleware run, with the same headers and a CSRF
    token of the visitor's own."""
    url = reverse("cached_detail", args=[world.incident.slug])
    Client().get(url)  # rendered, stored, its scopes learned by this worker
    visitor = Client()
    response = visitor.get(url)
    assert response[CACHE_HEADER] == "hit"
    assert not hasattr(response.wsgi_request, "user")  # no AuthenticationMiddleware
    assert response["X-Frame-Options"] == "DENY"
    assert (
        "Content-Security-Policy" in response or "Content-Security-Policy-Report-Only" in response
    )
    secret = visitor.cookies[settings.CSRF_COOKIE_NAME].value
    marker = b'"X-CSRFToken": "'
    start = response.content.index(marker) + len(marker)
    assert _unmask_cipher_token(response.content[start : start + 64].decode()) == secret
    # A signed-in visitor never gets there.
    from tests.conftest import make_user

    member = Client()
    member.force_login(make_user("reader", None))
    assert CACHE_HEADER not in member.get(url)


def csrf_token_in(content: bytes) -> str:
    marker = b'"X-CSRFToken": "'
    start = content.index(marker) + len(marker)
    return content[start : start + 64].decode()


@cache_on
def test_a_returning_visitor_keeps_their_csrf_cookie_on_a_hit(world):
    """A hit masks the visitor's own secret afresh and does not send the cookie
    again (issue 15.2: one cookie header less per hit); a first visit gets one."""
    url = reverse("cached_detail", args=[world.incident.slug])
    Client().get(url)
    visitor = Client()
    first = visitor.get(url)
    assert first[CACHE_HEADER] == "hit"
    assert settings.CSRF_COOKIE_NAME in first.cookies  # a new visitor gets a secret
    secret = visitor.cookies[settings.CSRF_COOKIE_NAME].value
    tokens = set()
    for _ in range(2):
        again = visitor.get(url)
        assert again[CACHE_HEADER] == "hit"
        assert settings.CSRF_COOKIE_NAME not in again.cookies
        token = csrf_token_in(again.content)
        assert _unmask_cipher_token(token) == secret
        tokens.add(token)
    assert len(tokens) == 2  # masked anew each time (BREACH)


def test_the_fast_csrf_mask_unmasks_to_the_secret():
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]

    from core.cache import _masked_token

    for _ in range(200):
        secret = _get_new_csrf_string()
        token = _masked_token(secret)
        assert len(token) == 64 and token.isalnum()
        assert _unmask_cipher_token(token) == secret


@cache_on
def test_a_pages_bytes_are_read_from_the_shared_cache_when_not_in_memory(client, world):
    """Each worker keeps the bytes of the pages it serves (by digest); another worker,
    or this one after evicting them, reads them from the shared cache; a page whose
    bytes are gone from there is rendered again, never served empty."""
    from core.cache import BODY_PREFIX, _bodies

    url = reverse("cached_detail", args=[world.incident.slug])
    rendered = client.get(url)
    assert rendered[CACHE_HEADER] == "miss"
    _bodies.clear()
    hit = client.get(url)
    assert hit[CACHE_HEADER] == "hit" and b"<html" in hit.content
    assert len(hit.content) == len(rendered.content)
    # Evict the body from the shared cache too: a miss, rendered and stored again.
    from core.cache import _lookup, page_key

    entry, _ = _lookup(page_key(hit.wsgi_request))
    store().delete(BODY_PREFIX + entry["body"])
    _bodies.clear()
    again = client.get(url)
    assert again[CACHE_HEADER] == "miss" and b"<html" in again.content
    assert client.get(url)[CACHE_HEADER] == "hit"


@cache_on
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="SQLite connections are not reused between requests",
)
def test_a_hit_replaces_a_broken_database_connection(world):
    """A hit's cache read is its connection's health check: a connection that broke
    since the last request is replaced and the hit still served."""
    from django.db import connection

    url = reverse("cached_detail", args=[world.incident.slug])
    Client().get(url)
    assert Client().get(url)[CACHE_HEADER] == "hit"
    connection.connection.close()  # broken under Django's feet
    connection.health_check_done = False  # a new request
    response = Client().get(url)
    assert response.status_code == 200 and response[CACHE_HEADER] == "hit"
    assert not connection.connection.closed


def test_the_redis_backend_keeps_one_client():
    """core.cache.RedisCache (settings, with REDIS_URL): Django's Redis cache with one
    redis.Redis client per connection pool instead of a new one per operation."""
    from core.cache import RedisCache

    with servers.ThrowawayRedis() as redis:
        if not redis.url:
            pytest.skip("redis-server is not installed")
        cache = RedisCache(redis.url, {"KEY_PREFIX": "test"})
        cache.set("a", {"x": 1})
        cache.set_many({"b": b"bytes", "c": 3})
        assert cache.get_many(["a", "b", "c", "d"]) == {"a": {"x": 1}, "b": b"bytes", "c": 3}
        client = cache._cache.get_client()
        assert cache._cache.get_client() is client
        assert cache._cache.get_client(write=True) is client  # one server: one pool
        cache.close()


# --- hits answered first thing (CachedPageMiddleware right after the health check) -----

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def returning_visitor() -> Client:
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]

    visitor = Client()
    visitor.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return visitor


@cache_on
@override_settings(SECURE_HSTS_SECONDS=3600)
def test_a_hit_has_the_headers_of_the_page_rendered(world):
    """Every header the site's middleware put on the page rendered is on its hits,
    which no longer pass through that middleware (HTTPS: with HSTS)."""
    url = reverse("cached_detail", args=[world.incident.slug])
    for secure in (False, True):
        store().clear()
        visitor = returning_visitor()
        miss = visitor.get(url, secure=secure)
        hit = visitor.get(url, secure=secure)
        assert (miss[CACHE_HEADER], hit[CACHE_HEADER]) == ("miss", "hit")
        assert not hasattr(hit.wsgi_request, "session")  # answered before SessionMiddleware
        for name in SECURITY_HEADERS:
            assert miss[name]
        assert ("Strict-Transport-Security" in hit) is secure
        # All of them, with the same values (the ETag too: the same visitor).
        assert {k: v for k, v in hit.items() if k != CACHE_HEADER} == {
            k: v for k, v in miss.items() if k != CACHE_HEADER
        }
        assert len(hit.content) == len(miss.content) == int(hit["Content-Length"])


@cache_on
def test_a_first_visitor_gets_a_csrf_cookie_from_a_hit(world):
    url = reverse("cached_detail", args=[world.incident.slug])
    returning_visitor().get(url)
    newcomer = Client()
    hit = newcomer.get(url)
    assert hit[CACHE_HEADER] == "hit"
    secret = hit.cookies[settings.CSRF_COOKIE_NAME].value
    assert _unmask_cipher_token(csrf_token_in(hit.content)) == secret
    assert "Cookie" in hit["Vary"]


@cache_on
def test_head_requests_are_hits_with_the_headers_of_get(world):
    url = reverse("cached_detail", args=[world.incident.slug])
    visitor = returning_visitor()
    page = visitor.get(url)
    head = visitor.head(url)
    assert head.status_code == 200 and head[CACHE_HEADER] == "hit"
    assert head.content == b""
    assert head["Content-Length"] == page["Content-Length"]
    assert head["Content-Security-Policy"] == page["Content-Security-Policy"]


@cache_on
def test_a_hit_still_refuses_a_host_not_allowed(world):
    url = probe(world.north_says.pk)
    visitor = returning_visitor()
    visitor.get(url)
    assert visitor.get(url)[CACHE_HEADER] == "hit"
    refused = visitor.get(url, headers={"Host": "elsewhere.example"})
    assert refused.status_code == 400
    assert "Content-Security-Policy" in refused  # the 400 of the whole chain


@cache_on
@override_settings(SECURE_SSL_REDIRECT=True)
def test_a_hit_over_plain_http_is_still_redirected(world):
    url = probe(world.north_says.pk)
    visitor = returning_visitor()
    visitor.get(url, secure=True)
    assert visitor.get(url, secure=True)[CACHE_HEADER] == "hit"
    redirected = visitor.get(url)
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")


@cache_on
def test_a_page_with_a_csp_nonce_is_never_stored(world):
    from django.utils.csp import CSP

    policy = {**settings.SECURE_CSP, "script-src": [CSP.SELF, CSP.NONCE]}
    with override_settings(SECURE_CSP=policy):
        visitor = returning_visitor()
        pages = [visitor.get(reverse("nonce_page")) for _ in range(3)]
    nonces = set()
    for page in pages:
        assert page.status_code == 200 and page.get(CACHE_HEADER) != "hit"
        nonce = page.content.decode().split("nonce='")[1].split("'")[0]
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
        nonces.add(nonce)
    assert len(nonces) == 3


@cache_on
def test_a_failed_cache_read_on_a_hit_is_the_sites_503(world, monkeypatch):
    """The hit's read fails (the database went away): answered by the whole chain,
    where DatabaseUnavailableMiddleware turns the same failure into a 503."""
    from django.db import OperationalError

    from core import cache as page_cache

    url = probe(world.north_says.pk)
    visitor = returning_visitor()
    visitor.get(url)
    assert visitor.get(url)[CACHE_HEADER] == "hit"

    def down(cache, keys):
        raise OperationalError("connection refused")

    monkeypatch.setattr(page_cache, "_read_many", down)
    assert visitor.get(url).status_code == 503


def test_a_save_writes_its_generations_in_one_statement(transactional_db, fresh_cache):
    """An editor's save bumps many scopes: with the database cache (core.dbcache),
    one upsert for all of them and one read back (Django's set_many: 4-5 queries a
    key)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = World()
    table = store()._table  # type: ignore[attr-defined]
    s = Statement.objects.get(pk=w.north_says.pk)
    with CaptureQueriesContext(connection) as ctx:
        s.text = "Our patrol was mending a footbridge."
        s.save()
    on_cache = [q["sql"] for q in ctx.captured_queries if table in q["sql"]]
    writes = [q for q in on_cache if q.startswith("INSERT")]
    assert len(writes) == 1 and len(on_cache) == 2, on_cache
    assert writes[0].count("),") >= 3  # several scopes in that one statement


def test_a_bump_of_many_scopes_writes_them_all(transactional_db, fresh_cache):
    scopes = [f"incident:{i}" for i in range(700)]  # more than one statement's rows
    before = read_generations(scopes)
    bump_now(scopes)
    after = read_generations(scopes)
    assert all(after[s] not in ("", before[s]) for s in scopes)


@cache_on
def test_the_token_of_a_hit_passes_the_csrf_check(world):
    """A form posted from a page served from the cache (the token in its hx-headers)
    passes CsrfViewMiddleware, for a first and for a returning visitor."""
    url = reverse("cached_detail", args=[world.incident.slug])
    Client().get(url)  # rendered and stored
    visitor = Client(enforce_csrf_checks=True)
    login = reverse("accounts:login")
    form = {"username": "nobody", "password": "wrong-password"}
    assert visitor.post(login, form).status_code == 403  # no token, no cookie
    for _ in range(2):  # first visit (new cookie), then returning
        hit = visitor.get(url)
        assert hit[CACHE_HEADER] == "hit"
        posted = visitor.post(login, form, headers={"X-CSRFToken": csrf_token_in(hit.content)})
        assert posted.status_code == 200  # the sign-in form again, not CSRF's 403
