"""The shared cache of anonymous pages (core.cache): served to the public only,
invalidated at once by publishing or editing, on every worker process."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]
from django.test import Client, override_settings
from django.urls import include, path, reverse

from core.cache import CACHE_HEADER, GENERATION_KEY, bump_generation, public_page
from incidents.models import Statement
from incidents.views import incident_detail
from ops.bench import servers
from tests.factories import World, statement

# This module is also the URLconf of its tests: the probe of ops.bench.urls and the real
# comparison page wrapped with public_page.
urlpatterns = [
    path("cached/<slug:slug>/", public_page(incident_detail), name="cached_detail"),
    path("", include("ops.bench.urls")),
]
cache_on = override_settings(ROOT_URLCONF=__name__, PUBLIC_PAGE_CACHE=True)


def probe(pk: int) -> str:
    return reverse("bench_probe", args=[pk])


@pytest.fixture
def world(db) -> World:
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
    # Every cached page was invalidated, not only the one that changed.
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


@pytest.mark.django_db
def test_bump_replaces_the_generation():
    from django.core.cache import cache

    bump_generation()
    first = cache.get(GENERATION_KEY)
    bump_generation()
    assert cache.get(GENERATION_KEY) not in (None, first)


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
    its database cache table: on PostgreSQL a copy of the (migrated, empty) test
    database; on SQLite a migrated file."""
    from django.db import connection, connections

    if connection.vendor == "postgresql":
        import psycopg

        template = connection.settings_dict["NAME"]
        name = f"parallax_xproc_{uuid.uuid4().hex[:8]}"
        # CREATE DATABASE ... TEMPLATE needs the template free of connections.
        connections.close_all()
        admin_url = os.environ["DATABASE_URL"]
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        env = servers.server_env(
            admin_url.rsplit("/", 1)[0] + "/" + name, BENCH_URLCONF="ops.bench.probe_urls"
        )
        try:
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


def test_an_edit_is_visible_at_once_on_another_worker_process(site_database):
    env = site_database
    pk, draft = map(int, servers.run_python(env, SEED).split()[-2:])
    with servers.gunicorns(env, 2) as (worker_a, worker_b):
        url_a = f"{worker_a}/__bench__/probe/{pk}/"
        url_b = f"{worker_b}/__bench__/probe/{pk}/"
        draft_b = f"{worker_b}/__bench__/probe/{draft}/"
        first = servers.fetch(url_a)
        assert first.headers[CACHE_HEADER.lower()] == "miss"
        assert "Original words" in first.body
        # Worker B serves the page from the shared cache filled by worker A.
        cached = servers.fetch(url_b)
        assert cached.headers[CACHE_HEADER.lower()] == "hit"
        assert "Original words" in cached.body
        assert servers.fetch(draft_b).status == 404

        # An editor's edit and publish, saved by a third process (another worker).
        servers.run_python(env, EDIT_AND_PUBLISH.format(pk=pk, draft=draft))
        for url in (url_b, url_a):
            after = servers.fetch(url)
            assert "Corrected words" in after.body, url
            assert "Original words" not in after.body
        assert "A later statement." in servers.fetch(draft_b).body


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
