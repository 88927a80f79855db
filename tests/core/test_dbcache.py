"""The site's database cache (core/dbcache.py): Django's, with each write one upsert."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.dbcache import CULL_EVERY, DatabaseCache

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache():
    backend = DatabaseCache("parallax_cache", {"KEY_PREFIX": "dbcache-test", "TIMEOUT": 300})
    backend.clear()
    yield backend
    backend.clear()


def writes(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]


def test_set_many_writes_every_key_in_one_statement_and_reads_back(cache):
    values = {f"card-{n}": {"html": f"<article>{n}</article>", "n": n} for n in range(120)}
    with CaptureQueriesContext(connection) as ctx:
        assert cache.set_many(values) == []
    assert len(writes(ctx)) == 1
    # No count of the whole table on a write (Django's counts on every one).
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert cache.get_many(list(values)) == values


def test_set_overwrites_and_keeps_each_keys_own_expiry(cache):
    cache.set("page", "first")
    cache.set("page", "second")
    assert cache.get("page") == "second"
    cache.set("forever", "kept", timeout=None)
    cache.set("gone", "expired", timeout=-1)
    assert cache.get("forever") == "kept"
    assert cache.get("gone") is None
    # Django's own reads, adds and deletes work on what it wrote.
    assert cache.add("page", "third") is False
    assert cache.add("new", "added") is True and cache.get("new") == "added"
    cache.delete("page")
    assert cache.get("page") is None


def test_more_keys_than_one_statement_takes(cache):
    values = {f"k{n}": n for n in range(650)}
    with CaptureQueriesContext(connection) as ctx:
        assert cache.set_many(values) == []
    assert len(writes(ctx)) == 3
    assert cache.get_many(list(values)) == values


def test_a_failed_write_returns_its_keys_and_leaves_the_transaction_usable(cache):
    missing = DatabaseCache("no_such_cache_table", {})
    with transaction.atomic():
        assert sorted(missing.set_many({"a": 1, "b": 2})) == ["a", "b"]
        # The caller's transaction goes on.
        cache.set("after", "written")
    assert cache.get("after") == "written"


def test_the_table_is_culled_past_max_entries_every_so_many_writes(cache, monkeypatch):
    import itertools

    from core import dbcache

    monkeypatch.setattr(dbcache, "_writes", itertools.count(1))
    small = DatabaseCache(
        "parallax_cache", {"KEY_PREFIX": "dbcache-test", "OPTIONS": {"MAX_ENTRIES": 20}}
    )

    def rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM parallax_cache")
            return cursor.fetchone()[0]

    for n in range(CULL_EVERY - 1):
        small.set(f"k{n}", n)
    assert rows() == CULL_EVERY - 1  # not counted, not culled yet
    small.set("last", "one")
    # Django's cull: a third of the rows past MAX_ENTRIES' check.
    assert rows() == CULL_EVERY - CULL_EVERY // 3


def test_expiry_is_stored_as_djangos_database_cache_stores_it(cache, settings):
    cache.set("soon", "x", timeout=60)
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM parallax_cache WHERE cache_key LIKE %s", ["%soon"])
        (expires,) = cursor.fetchone()
    if isinstance(expires, str):  # SQLite
        from django.utils.dateparse import parse_datetime

        expires = parse_datetime(expires)
    assert abs(expires.timestamp() - (time.time() + 60)) < 5


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL compresses long values itself"
)
def test_createcachetable_stores_values_uncompressed_on_postgresql():
    from django.core.management import call_command

    def storage() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attstorage FROM pg_attribute"
                " WHERE attrelid = 'parallax_cache'::regclass AND attname = 'value'"
            )
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE parallax_cache ALTER COLUMN value SET STORAGE EXTENDED")
    assert storage() == "x"
    # On a table that already exists (a deployment's second run) as on a new one.
    call_command("createcachetable", verbosity=0)
    assert storage() == "e"
