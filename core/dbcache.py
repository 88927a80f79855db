"""The site's database cache (settings.CACHES without REDIS_URL): Django's, with every
write one statement.

Django's DatabaseCache writes each key on its own: a count of the whole table, a
select and an update or an insert, in a transaction of its own. The site's cache
scheme (core.cache) writes many keys at once: an editor's save bumps dozens of scope
generations, a comparison page's first visit keeps each of its ~90 cards, and every
change writes the page's data again. Here set() and set_many() are one upsert
(`INSERT ... ON CONFLICT DO UPDATE`, PostgreSQL and SQLite alike), in key order so
that two writers sharing keys lock them in the same order, and the table is counted
for culling once every CULL_EVERY writes of a process instead of on every write.
Reads, add(), touch() and deletes are Django's.
"""

from __future__ import annotations

import base64
import itertools
import pickle
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import DatabaseError, connections, router, transaction
from django.utils.timezone import now as tz_now

# How often (in writes, per process) the table is counted and culled past MAX_ENTRIES.
CULL_EVERY = 50
# Rows per statement: SQLite allows at most 999 parameters in one (three a row).
ROWS_PER_STATEMENT = 300

_writes = itertools.count(1)


class DatabaseCache(DjangoDatabaseCache):
    _table: str  # set by Django's __init__ (not in its type stubs)

    def set(
        self,
        key: str,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self.set_many({key: value}, timeout, version)

    def set_many(
        self,
        data: dict[str, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[str]:
        """Write every key in one statement (per 300 keys). Returns the keys not
        written, as Django's does: all of them when the write failed (a lock
        timeout), which is otherwise ignored, as Django's database cache does."""
        if not data:
            return []
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if connection.vendor not in ("postgresql", "sqlite"):
            return super().set_many(data, timeout, version)
        expires = connection.ops.adapt_datetimefield_value(self._expiry(timeout))
        rows = sorted(
            (
                self.make_and_validate_key(key, version=version),
                base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1"),
                expires,
            )
            for key, value in data.items()
        )
        quote = connection.ops.quote_name
        table = quote(self._table)
        key_col, value_col, expires_col = quote("cache_key"), quote("value"), quote("expires")
        try:
            # A savepoint inside a caller's transaction: a failed write leaves it usable.
            with transaction.atomic(using=db), connection.cursor() as cursor:
                for start in range(0, len(rows), ROWS_PER_STATEMENT):
                    chunk = rows[start : start + ROWS_PER_STATEMENT]
                    # Only quoted names go into the text; every value is a parameter.
                    cursor.execute(
                        f"INSERT INTO {table} ({key_col}, {value_col}, {expires_col}) VALUES "  # noqa: S608
                        + ", ".join(["(%s, %s, %s)"] * len(chunk))
                        + f" ON CONFLICT ({key_col}) DO UPDATE SET"
                        f" {value_col} = EXCLUDED.{value_col},"
                        f" {expires_col} = EXCLUDED.{expires_col}",
                        [column for row in chunk for column in row],
                    )
        except DatabaseError:
            return list(data)
        if next(_writes) % CULL_EVERY == 0:
            self.cull_if_full()
        return []

    def cull_if_full(self) -> None:
        """Django's cull (expired rows, then a share of the rest) when the table holds
        more than MAX_ENTRIES rows."""
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (a quoted name)
            count = cursor.fetchone()[0]
            if count > self._max_entries:
                now = tz_now().replace(microsecond=0)
                self._cull(db, cursor, now, count)  # type: ignore[attr-defined]

    def _expiry(self, timeout: float | None) -> datetime:
        # As Django's database cache stores it: to the second, naive without USE_TZ.
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            return datetime.max.replace(microsecond=0)
        return datetime.fromtimestamp(seconds, tz=UTC if settings.USE_TZ else None).replace(
            microsecond=0
        )
