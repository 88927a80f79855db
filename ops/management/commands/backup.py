"""Write the whole database to one gzip'd file (ops.backup_format).

    python manage.py backup parallax-2026-11-25.jsonl.gz

Every table of every app: incidents with their full edit history (simple_history's
historical tables), sources with their archived text and SHA-256, users, groups and
their permissions, import jobs, the search index, task results and the admin log.
Left out: content types and permissions (every migrated database creates its own;
rows refer to them by natural key), sessions (sign-ins do not survive a restore) and
the cache table. Restore with `manage.py restore FILE` into an empty database.

The whole file is one snapshot: every table is read inside one REPEATABLE READ,
read-only transaction on PostgreSQL (one read transaction on SQLite), so rows
written while the backup runs are either all in it or all left out. Rows are
streamed to the file; memory does not grow with the database. The web's statement
timeout does not apply (it is switched off for this transaction).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from ops.backup_format import backed_up_models, without_statement_timeout, write_backup

__all__ = ["Command", "backed_up_models"]


class Command(BaseCommand):
    help = "Write the whole database to FILE (gzip'd JSON lines); restore it with `restore`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the backup (e.g. backup.jsonl.gz).")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        without_statement_timeout()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # First statement of the transaction: one snapshot for every table.
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            counts = write_backup(path, taken_at=timezone.now().isoformat())
        size = path.stat().st_size
        self.stdout.write(
            f"Backup written to {path}: {sum(counts.values()):,} rows, "
            f"{size / 1_048_576:.1f} MiB, in {time.monotonic() - started:.1f} s."
        )
