"""The index of incidents' titles: which incidents can have a searched word in their
title, without a regular expression over every title.

A title matches a query when it has the query's words as whole words, in any case
(search.query.title_matches, a regular expression). That expression stays the rule;
the index only narrows the incidents it is tried on, and never leaves out one it
would match:

- PostgreSQL: a trigram GIN index on the title (pg_trgm, migration
  search/0004_incident_title_index). PostgreSQL uses it for the regular expression
  itself (`~*`), and rechecks every row it finds: nothing changes in the query.
- SQLite: an FTS5 table with the `trigram` tokenizer over the titles
  (TABLE, external content: the incidents' own rows), kept in step by triggers on
  the incidents' table. Every word of three letters or more of a query must occur in
  a matching title (folded case), so `title_candidates()` asks the table for the
  titles with those words as substrings; the regular expression then decides.

SQLite's trigram tokenizer folds case as Unicode's lowercase mapping does, while
Python's regular expressions (SQLite's REGEXP in Django) also take "ı" (dotless i)
and "İ" for "i" ("ſ" and the Kelvin sign "K" are folded alike by both):
titles with either letter are always candidates for a word with an "i". Words with
other letters than ASCII ones are not looked up in the table (their groups are left to
the regular expression alone). tests/search/test_title_index.py checks every letter
Python's IGNORECASE takes for an ASCII one.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from .backends import ParsedQuery

TABLE = "search_incidenttitle_fts"
INCIDENTS = "incidents_incident"
PG_INDEX = "search_incident_title_trgm"
# Letters Python's case-insensitive matching takes for an ASCII letter that SQLite's
# trigram folding does not turn into it: {ASCII letter: those letters}.
UNFOLDED = {"i": ("ı", "İ")}
# Trigrams: a shorter word cannot be looked up.
MIN_CHARS = 3

PG_FORWARD = [
    # Trusted extension (PostgreSQL 13+): the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {INCIDENTS} USING GIN (title gin_trgm_ops)",
]
PG_BACKWARD = [f"DROP INDEX IF EXISTS {PG_INDEX}"]

SQLITE_TABLE = f"""
    CREATE VIRTUAL TABLE {TABLE} USING fts5(
        title, content='{INCIDENTS}', content_rowid='id', tokenize='trigram'
    )
"""
# Named so that ensure_sqlite_triggers() can tell a missing one.
SQLITE_TRIGGERS = {
    "search_incidenttitle_fts_ai": """
        CREATE TRIGGER IF NOT EXISTS search_incidenttitle_fts_ai
        AFTER INSERT ON incidents_incident BEGIN
            INSERT INTO search_incidenttitle_fts(rowid, title) VALUES (new.id, new.title);
        END
    """,
    "search_incidenttitle_fts_ad": """
        CREATE TRIGGER IF NOT EXISTS search_incidenttitle_fts_ad
        AFTER DELETE ON incidents_incident BEGIN
            INSERT INTO search_incidenttitle_fts(search_incidenttitle_fts, rowid, title)
            VALUES ('delete', old.id, old.title);
        END
    """,
    "search_incidenttitle_fts_au": """
        CREATE TRIGGER IF NOT EXISTS search_incidenttitle_fts_au
        AFTER UPDATE OF title ON incidents_incident BEGIN
            INSERT INTO search_incidenttitle_fts(search_incidenttitle_fts, rowid, title)
            VALUES ('delete', old.id, old.title);
            INSERT INTO search_incidenttitle_fts(rowid, title) VALUES (new.id, new.title);
        END
    """,
}
SQLITE_REBUILD = "INSERT INTO search_incidenttitle_fts(search_incidenttitle_fts) VALUES ('rebuild')"
SQLITE_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    f"DROP TABLE IF EXISTS {TABLE}",
]


def sqlite_has_trigram(conn: Any) -> bool:
    """FTS5's trigram tokenizer: SQLite 3.34 and later, built with FTS5."""
    with conn.cursor() as cursor:
        try:
            probe = "temp._parallax_trigram_probe"
            cursor.execute(f"CREATE VIRTUAL TABLE {probe} USING fts5(x, tokenize='trigram')")
            cursor.execute(f"DROP TABLE {probe}")
            return True
        except Exception:
            return False


def sqlite_table_exists(conn: Any) -> bool:
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE])
        return cursor.fetchone() is not None


def ensure_sqlite_triggers(conn: Any) -> bool:
    """Put back any missing trigger and rebuild the table then; True if it had to.

    Django rebuilds a SQLite table to alter one of its columns (a new table, the rows
    copied, the old one dropped with its triggers): a later migration of the
    incidents' table would silently stop the index following the titles. Run after
    every `migrate` (SearchConfig.ready)."""
    if conn.vendor != "sqlite" or not sqlite_table_exists(conn):
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [INCIDENTS],
        )
        present = {row[0] for row in cursor.fetchall()}
        missing = [sql for name, sql in SQLITE_TRIGGERS.items() if name not in present]
        for sql in missing:
            cursor.execute(sql)
        if missing:
            cursor.execute(SQLITE_REBUILD)
    return bool(missing)


def fts_words(query: ParsedQuery) -> str | None:
    """An FTS5 expression (trigram table) that every title matching the query's
    positive words matches, or None when no group of the query can be looked up.

    A group (`a OR b`) is looked up when each of its terms has a word of ASCII letters
    and digits of at least MIN_CHARS: a term needs all such words of it, a group any of
    its terms, the query every group looked up. Excluded words narrow nothing."""
    groups = []
    for group in query.groups:
        terms: list[str] = []
        for term in group:
            usable = [w for w in term.words if w.isascii() and len(w) >= MIN_CHARS]
            if not usable:
                terms = []
                break
            # Letters and digits only: nothing inside the quotes for FTS5 to parse.
            terms.append("(" + " AND ".join(f'"{w}"' for w in usable) + ")")
        if terms:
            groups.append("(" + " OR ".join(terms) + ")")
    return " AND ".join(groups) if groups else None


_FOUND: dict[str, bool] = {}


def _has_table() -> bool:
    # One query per process and database, not per search (a migration that adds or
    # drops the table is followed by a restart of the workers).
    key = connection.alias + ":" + str(connection.settings_dict["NAME"])
    if key not in _FOUND:
        _FOUND[key] = sqlite_table_exists(connection)
    return _FOUND[key]


def title_candidates(query: ParsedQuery) -> RawSQL | None:
    """A subquery of the ids of the incidents whose title can match the query (SQLite
    with the trigram table), or None: then every title is tried (PostgreSQL's trigram
    index serves the regular expression itself)."""
    if connection.vendor != "sqlite" or not _has_table():
        return None
    expression = fts_words(query)
    if expression is None:
        return None
    sql = f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s"  # noqa: S608 - constant names
    params: list[str] = [expression]
    looked_up = {c for w in query.words() if w.isascii() and len(w) >= MIN_CHARS for c in w}
    for letter, others in UNFOLDED.items():
        if letter in looked_up:
            for other in others:
                sql += f" UNION SELECT id FROM {INCIDENTS} WHERE instr(title, %s) > 0"  # noqa: S608
                params.append(other)
    return RawSQL(sql, tuple(params))  # noqa: S611
