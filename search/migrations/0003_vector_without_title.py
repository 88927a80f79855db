"""PostgreSQL: the search vector of a statement holds its own words (text, weight B)
and its speaker, party and source (weight C), no longer its incident's title (weight
A): a word of a title matched every statement of the incident, and a query limited to
weights B and C could not use the GIN index without rechecking every candidate row.
The title stays in the row, for highlighting. (SQLite's FTS5 table keeps its columns;
queries name the columns to search.)
"""

from django.db import migrations

from search.backends import PG_CONFIG


def _vector(parts: list[tuple[str, str]]) -> str:
    return " || ".join(
        f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce({column}, '')), '{weight}')"
        for column, weight in parts
    )


def _replace(parts: list[tuple[str, str]]) -> list[str]:
    return [
        "DROP INDEX IF EXISTS search_statementsearch_vector_gin",
        "ALTER TABLE search_statementsearch DROP COLUMN IF EXISTS vector",
        f"ALTER TABLE search_statementsearch ADD COLUMN vector tsvector "
        f"GENERATED ALWAYS AS ({_vector(parts)}) STORED",
        "CREATE INDEX search_statementsearch_vector_gin ON search_statementsearch "
        "USING GIN (vector)",
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _replace([("body", "B"), ("meta", "C")]):
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _replace([("title", "A"), ("body", "B"), ("meta", "C")]):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext_index")]

    operations = [migrations.RunPython(forward, backward)]
