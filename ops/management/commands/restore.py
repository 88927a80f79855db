"""Load a backup written by `manage.py backup` into an empty database.

    python manage.py migrate            # an empty, migrated database
    python manage.py createcachetable   # unless the cache is Redis
    python manage.py restore parallax-2026-11-25.jsonl.gz [--force]

First the whole file is read and checked (its end marker, row counts and checksum):
a truncated or altered backup is refused before anything in the database changes.
Refuses a database that already holds content (users, incidents, statements,
sources...) unless --force, which deletes everything first (`flush`), in the same
transaction as the load: a failed restore leaves the database as it was. Rows are
streamed from the file; memory does not grow with the data, and the web's statement
timeout does not apply. Afterwards every source's archived text is checked against
its stored SHA-256, and cached public pages are invalidated.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from accounts.models import User
from core.cache import bump_generation
from incidents.models import Actor, Incident, Party, Source, Statement
from ops.backup_format import (
    BackupError,
    backed_up_models,
    is_legacy,
    load_rows,
    verify,
    without_statement_timeout,
)

# A database holding any of these is not empty.
CONTENT_MODELS = [User, Party, Actor, Source, Incident, Statement]


@contextlib.contextmanager
def muted_signals() -> Iterator[None]:
    """Loading rows must not run the receivers that derive data from them (search
    rows, history rows, cache bumps): the backup holds the derived rows as they were."""
    signals = [pre_save, post_save, pre_delete, post_delete, m2m_changed]
    saved = [(s, s.receivers[:]) for s in signals]
    try:
        for s in signals:
            s.receivers = []
            s.sender_receivers_cache.clear()
        yield
    finally:
        for s, receivers in saved:
            s.receivers = receivers
            s.sender_receivers_cache.clear()


def source_mismatches() -> list[int]:
    bad = []
    rows = Source.objects.order_by("pk").values_list("pk", "archived_text", "sha256")
    for pk, text, digest in rows.iterator(chunk_size=500):
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            bad.append(pk)
    return bad


class Command(BaseCommand):
    help = "Restore a backup written by `backup` into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Delete everything in the database first (flush), then restore.",
        )

    def handle(self, *args: Any, file: str, force: bool, **options: Any) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        started = time.monotonic()
        without_statement_timeout()
        legacy = is_legacy(path)
        if not legacy:
            try:
                checked = verify(path)
            except BackupError as exc:
                raise CommandError(f"Restore refused, nothing was changed: {exc}") from exc
            self.stdout.write(
                f"Checked {checked['trailer']['rows']:,} rows of {path} "
                f"({time.monotonic() - started:.1f} s)."
            )
        nonempty = [
            m._meta.verbose_name_plural for m in CONTENT_MODELS if m._default_manager.exists()
        ]
        if nonempty and not force:
            raise CommandError(
                "The database is not empty (it has "
                + ", ".join(str(n) for n in nonempty)
                + "). Restore into an empty, migrated database, or add --force to delete "
                "everything in it first."
            )
        with transaction.atomic():
            if force:
                call_command("flush", interactive=False, verbosity=0)
            # The groups a migration made are replaced by the backup's own.
            Group.objects.all().delete()
            with muted_signals():
                if legacy:
                    self._load_legacy(path)
                else:
                    load_rows(path)
            self._reset_sequences()
            bad = source_mismatches()
            if bad:
                raise CommandError(
                    f"Restore abandoned: the archived text of sources {bad[:20]} does not "
                    "match its SHA-256."
                )
        bump_generation()
        counts = {m._meta.label: m._base_manager.count() for m in backed_up_models()}
        total = sum(counts.values())
        self.stdout.write(
            f"Restored {total:,} rows from {path} in {time.monotonic() - started:.1f} s:"
        )
        for label, n in counts.items():
            if n:
                self.stdout.write(f"  {label}: {n}")

    def _load_legacy(self, path: Path) -> None:
        """A backup of the first format (dumpdata's JSON array), read by loaddata."""
        with tempfile.TemporaryDirectory() as tmp:
            fixture = Path(tmp) / "parallax-backup.json.gz"
            os.symlink(path.resolve(), fixture)
            call_command("loaddata", str(fixture), verbosity=0)

    def _reset_sequences(self) -> None:
        """Rows came with their ids: the next id of each table must follow them."""
        statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
