"""Rewrite every search row from the data (after bulk loads, or to repair the index)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from search import title_index
from search.backends import SqliteFts5Backend, get_backend
from search.models import StatementSearch, statements_for_indexing


class Command(BaseCommand):
    help = "Rebuild the full-text search index of statements."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        with transaction.atomic():
            StatementSearch.objects.all().delete()
            written = StatementSearch.reindex(
                statements_for_indexing().iterator(chunk_size=batch_size), batch_size=batch_size
            )
            backend = get_backend()
            if isinstance(backend, SqliteFts5Backend):
                # Rebuild FTS5's own structures from the content table as well.
                t = SqliteFts5Backend.TABLE
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {t}({t}) VALUES ('rebuild')")  # noqa: S608
            if connection.vendor == "sqlite" and title_index.sqlite_table_exists(connection):
                # The incidents' titles (search.title_index), from their rows too.
                with connection.cursor() as cursor:
                    cursor.execute(title_index.SQLITE_REBUILD)
        self.stdout.write(f"Indexed {written} statements ({backend.name}).")
