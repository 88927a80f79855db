"""An index of incidents' titles for search (search.title_index): a trigram GIN index
(pg_trgm) on PostgreSQL, an FTS5 trigram table kept in step by triggers on SQLite.

Without it, the titles part of every search tried a regular expression on every
incident's title. Where the database cannot build it (PostgreSQL without the pg_trgm
extension, SQLite without FTS5's trigram tokenizer) search works as before.
"""

import warnings

from django.db import migrations, transaction

from search import title_index


def forward(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        try:
            # A savepoint: a refused extension must not abort the migration.
            with transaction.atomic(using=conn.alias):
                for sql in title_index.PG_FORWARD:
                    schema_editor.execute(sql)
        except Exception as error:  # noqa: BLE001 - any refusal leaves search as it was
            warnings.warn(
                f"No trigram index on incident titles ({error}); search still works, "
                "trying every title.",
                stacklevel=1,
            )
    elif conn.vendor == "sqlite" and title_index.sqlite_has_trigram(conn):
        schema_editor.execute(title_index.SQLITE_TABLE)
        for sql in title_index.SQLITE_TRIGGERS.values():
            schema_editor.execute(sql)
        schema_editor.execute(title_index.SQLITE_REBUILD)


def backward(apps, schema_editor):
    conn = schema_editor.connection
    statements = {"postgresql": title_index.PG_BACKWARD, "sqlite": title_index.SQLITE_BACKWARD}
    for sql in statements.get(conn.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_vector_without_title"), ("incidents", "0002_span_triggers")]

    operations = [migrations.RunPython(forward, backward)]
