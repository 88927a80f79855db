"""The shared cache of anonymous pages (incidents.cache): served to the public only,
invalidated at once by publishing or editing, on every worker process."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, override_settings
from django.urls import include, path, reverse

from bench import servers
from incidents.cache import CACHE_HEADER, GENERATION_KEY, bump_generation, public_page
from incidents.models import Statement
from incidents.views import incident_detail
from tests.factories import World, statement

# This module is also the URLconf of its tests: the probe of bench.urls and the real
# comparison page wrapped with public_page.
urlpatterns = [
    path("cached/<slug:slug>/", public_page(incident_detail), name="cached_detail"),
    path("", include("bench.urls")),
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
print(s.pk)
"""


@pytest.fixture(scope="module")
def site_database():
    """A migrated database of its own for the servers: a new database on the suite's
    PostgreSQL server, or an SQLite file. The database cache table lives in it too,
    so every process shares both."""
    suite_url = os.environ.get("DATABASE_URL", "")
    if suite_url.startswith("postgres"):
        import psycopg

        name = f"parallax_xproc_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(suite_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = suite_url.rsplit("/", 1)[0] + "/" + name
        drop = lambda: _drop_pg(suite_url, name)  # noqa: E731
    else:
        path_ = f"/tmp/parallax-xproc-{uuid.uuid4().hex[:8]}.sqlite3"  # noqa: S108
        url = f"sqlite:///{path_}"
        drop = lambda: [  # noqa: E731
            os.path.exists(p) and os.unlink(p) for p in (path_, path_ + "-wal", path_ + "-shm")
        ]
    env = servers.server_env(url)
    try:
        servers.manage(env, "migrate", "--no-input", "-v", "0")
        servers.manage(env, "createcachetable")
        yield env
    finally:
        drop()


def _drop_pg(suite_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(suite_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_edit_is_visible_at_once_on_another_worker_process(site_database):
    env = site_database
    pk = int(servers.run_python(env, SEED).split()[-1])
    with servers.gunicorn(env) as worker_a, servers.gunicorn(env) as worker_b:
        url_a = f"{worker_a}/__bench__/probe/{pk}/"
        url_b = f"{worker_b}/__bench__/probe/{pk}/"
        assert "Original words" in servers.fetch(url_a).body
        # Worker B serves the page from the shared cache filled by worker A.
        cached = servers.fetch(url_b)
        assert cached.headers[CACHE_HEADER.lower()] == "hit"
        assert "Original words" in cached.body

        # An editor's save in a third process (as on another worker).
        servers.run_python(
            env,
            "from incidents.models import Statement\n"
            f"s = Statement.objects.get(pk={pk})\n"
            "s.text = 'Corrected words of the ministry.'\n"
            "s.save_versioned(s.version)\n",
        )
        for url in (url_b, url_a):
            after = servers.fetch(url)
            assert "Corrected words" in after.body, url
            assert "Original words" not in after.body

        # Publishing a new statement shows it at once too; unpublishing hides it.
        new_pk = int(
            servers.run_python(
                env,
                "from incidents.models import *\n"
                "inc = Incident.objects.get()\n"
                "s = Statement.objects.create(incident=inc, actor=Actor.objects.get(),"
                " issued_on=inc.date_start, text='A later statement.')\n"
                "print(s.pk)\n",
            ).split()[-1]
        )
        new_b = f"{worker_b}/__bench__/probe/{new_pk}/"
        assert servers.fetch(new_b).status == 404
        servers.run_python(
            env,
            "from incidents.models import Statement\n"
            f"Statement.objects.get(pk={new_pk}).publish()\n",
        )
        assert "A later statement." in servers.fetch(new_b).body
        servers.run_python(
            env,
            "from incidents.models import Incident\nIncident.objects.get().unpublish()\n",
        )
        assert servers.fetch(url_b).status == 404
        assert servers.fetch(url_a).status == 404
