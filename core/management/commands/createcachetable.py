"""Django's createcachetable, then, on PostgreSQL, each cache table's values stored
uncompressed: a cached value is base64 text of a pickle (a comparison page's data is
~270 KB of it, written again after every change to the incident), and compressing it
on every write took PostgreSQL 5.5 ms a write instead of 2.4 (docs/performance.md).
Running it again on existing tables only sets that again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.management.commands.createcachetable import Command as DjangoCommand
from django.db import connections, router


class Command(DjangoCommand):
    def handle(self, *tablenames: Any, **options: Any) -> None:
        super().handle(*tablenames, **options)
        if options["dry_run"]:
            return
        db = options["database"]
        connection = connections[db]
        if connection.vendor != "postgresql":
            return
        tables = list(tablenames) or [
            cache._table  # type: ignore[attr-defined]
            for cache in (caches[alias] for alias in settings.CACHES)
            if isinstance(cache, BaseDatabaseCache)
            and router.allow_migrate_model(db, cache.cache_model_class)
        ]
        value = connection.ops.quote_name("value")
        with connection.cursor() as cursor:
            for table in tables:
                # Only the catalogue changes: no rewrite, done at once on a full table.
                cursor.execute(
                    f"ALTER TABLE {connection.ops.quote_name(table)} "  # noqa: S608 (a quoted name)
                    f"ALTER COLUMN {value} SET STORAGE EXTERNAL"
                )
