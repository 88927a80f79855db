"""Each database's own full-text index over search_statementsearch (see search.models).

RunPython checks the vendor so the one migration history serves SQLite and PostgreSQL.
"""

from django.db import migrations

from search.backends import PG_CONFIG

PG_FORWARD = [
    f"""
    ALTER TABLE search_statementsearch ADD COLUMN vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(body, '')), 'B')
        || setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(meta, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX search_statementsearch_vector_gin ON search_statementsearch USING GIN (vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_statementsearch_vector_gin",
    "ALTER TABLE search_statementsearch DROP COLUMN IF EXISTS vector",
]

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE search_statementsearch_fts USING fts5(
        title, body, meta,
        content='search_statementsearch', content_rowid='statement_id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_statementsearch_ai AFTER INSERT ON search_statementsearch BEGIN
        INSERT INTO search_statementsearch_fts(rowid, title, body, meta)
        VALUES (new.statement_id, new.title, new.body, new.meta);
    END
    """,
    """
    CREATE TRIGGER search_statementsearch_ad AFTER DELETE ON search_statementsearch BEGIN
        INSERT INTO search_statementsearch_fts(search_statementsearch_fts, rowid, title, body, meta)
        VALUES ('delete', old.statement_id, old.title, old.body, old.meta);
    END
    """,
    """
    CREATE TRIGGER search_statementsearch_au AFTER UPDATE ON search_statementsearch BEGIN
        INSERT INTO search_statementsearch_fts(search_statementsearch_fts, rowid, title, body, meta)
        VALUES ('delete', old.statement_id, old.title, old.body, old.meta);
        INSERT INTO search_statementsearch_fts(rowid, title, body, meta)
        VALUES (new.statement_id, new.title, new.body, new.meta);
    END
    """,
    "INSERT INTO search_statementsearch_fts(search_statementsearch_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_statementsearch_ai",
    "DROP TRIGGER IF EXISTS search_statementsearch_ad",
    "DROP TRIGGER IF EXISTS search_statementsearch_au",
    "DROP TABLE IF EXISTS search_statementsearch_fts",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_FORWARD)
    elif vendor == "sqlite":
        from search.backends import sqlite_has_fts5

        # Without FTS5 (a rare SQLite build) search falls back to substring matching.
        if sqlite_has_fts5(schema_editor.connection):
            _run(schema_editor, SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_BACKWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)


def fill(apps, schema_editor):
    # Index the statements that exist already (later writes are kept by signals).
    # Historical models: this migration must keep working whatever fields are added later.
    from search.models import StatementSearch as Current

    Statement = apps.get_model("incidents", "Statement")
    StatementSearch = apps.get_model("search", "StatementSearch")
    db = schema_editor.connection.alias
    statements = (
        Statement.objects.using(db)
        .select_related("actor", "party", "incident", "source")
        .order_by("pk")
    )
    batch = []
    for statement in statements.iterator(chunk_size=500):
        batch.append(StatementSearch(statement=statement, **Current.fields_for(statement)))
        if len(batch) >= 500:
            StatementSearch.objects.using(db).bulk_create(batch)
            batch = []
    StatementSearch.objects.using(db).bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial"), ("incidents", "0002_span_triggers")]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
