"""Load a backup written by `manage.py backup` into an empty database.

    python manage.py migrate            # an empty, migrated database
    python manage.py restore parallax-2026-11-25.json.gz [--force]

Refuses a database that already holds content (users, incidents, statements,
sources...) unless --force, which first deletes everything (`flush`). Runs in one
transaction: a failed restore leaves the database as it was. Afterwards every
source's archived text is checked against its stored SHA-256, and cached public
pages are invalidated.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from accounts.models import User
from core.cache import bump_generation
from incidents.models import Actor, Incident, Party, Source, Statement
from ops.management.commands.backup import FORMAT, backed_up_models

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
    for pk, text, digest in Source.objects.values_list("pk", "archived_text", "sha256").iterator():
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
        with tempfile.TemporaryDirectory() as tmp:
            # loaddata recognises gzip by the file name's extension.
            fixture = Path(tmp) / f"parallax-backup.{FORMAT}.gz"
            os.symlink(path.resolve(), fixture)
            with transaction.atomic():
                if force:
                    call_command("flush", interactive=False, verbosity=0)
                # The groups a migration made are replaced by the backup's own.
                Group.objects.all().delete()
                with muted_signals():
                    call_command("loaddata", str(fixture), verbosity=0)
                bad = source_mismatches()
                if bad:
                    raise CommandError(
                        f"Restore abandoned: the archived text of sources {bad[:20]} does not "
                        "match its SHA-256."
                    )
        bump_generation()
        counts = {m._meta.label: m._default_manager.count() for m in backed_up_models()}
        total = sum(counts.values())
        self.stdout.write(f"Restored {total} rows from {path}:")
        for label, n in counts.items():
            if n:
                self.stdout.write(f"  {label}: {n}")
