"""The search index: one row per statement, with the words it is found by.

The row holds plain text only (incident title, statement text, speaker and source);
each database builds its own index over it, created by migration 0002:

- PostgreSQL: a stored, generated `vector` tsvector column (title weight A, text B,
  speaker and source C) with a GIN index; PostgreSQL recomputes it on every write.
- SQLite: an FTS5 virtual table `search_statementsearch_fts` using this table as its
  external content, kept in step by SQLite triggers on this table.

So Python only keeps these rows in step with the data (search.signals), and
`manage.py rebuild_search_index` rebuilds them all (after bulk loads that bypass
signals). Visibility is never decided here: search.query intersects matches with
Statement.objects.visible_to(user).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from incidents.models import Statement


class StatementSearch(models.Model):
    statement = models.OneToOneField(
        Statement, on_delete=models.CASCADE, primary_key=True, related_name="search_doc"
    )
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    meta = models.TextField(blank=True)

    class Meta:
        verbose_name = "statement search entry"
        verbose_name_plural = "statement search entries"

    def __str__(self) -> str:
        return f"Search entry for statement {self.statement_id}"

    @staticmethod
    def fields_for(statement: Statement) -> dict[str, str]:
        """The indexed text of a statement (expects actor, party, incident and source
        loaded, or loads them)."""
        actor = statement.actor
        source = statement.source
        meta = [actor.name, actor.role, *actor.aliases, statement.party.name]
        meta += [statement.party.short_name]
        if source is not None:
            meta += [source.publisher, source.title]
        return {
            "title": statement.incident.title,
            "body": statement.text,
            "meta": " · ".join(str(m) for m in meta if m),
        }

    @classmethod
    def index(cls, statement: Statement) -> None:
        cls.objects.update_or_create(statement=statement, defaults=cls.fields_for(statement))

    @classmethod
    def reindex(cls, statements: Iterable[Statement], batch_size: int = 500) -> int:
        """Rewrite the rows of many statements; returns how many were written."""
        batch: list[StatementSearch] = []
        written = 0
        for statement in statements:
            batch.append(cls(statement=statement, **cls.fields_for(statement)))
            if len(batch) >= batch_size:
                written += cls._write(batch)
                batch = []
        if batch:
            written += cls._write(batch)
        return written

    @classmethod
    def _write(cls, batch: list[StatementSearch]) -> int:
        # Delete then insert (rather than an upsert) so that SQLite's FTS triggers see
        # plain deletes and inserts on both databases.
        ids = [row.statement_id for row in batch]
        StatementSearch.objects.filter(statement_id__in=ids).delete()
        StatementSearch.objects.bulk_create(batch)
        return len(batch)


def statements_for_indexing() -> models.QuerySet[Statement]:
    # The archived source text can be large and is not indexed.
    return (
        Statement.objects.select_related("actor", "party", "incident", "source")
        .defer("source__archived_text", "incident__summary", "original_text")
        .order_by("pk")
    )
