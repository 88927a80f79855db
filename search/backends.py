"""Full-text search behind one interface, one implementation per database.

`parse_query()` reads the websearch syntax people type (words, "quoted phrases",
`OR`, `-excluded`; `AND` is the default and means nothing more) once, for both
databases. Each database is given an expression built from the parsed terms, made of
letters and digits only: a `to_tsquery` expression of quoted lexemes for PostgreSQL, an
FTS5 expression of double-quoted strings for SQLite; no input can produce a syntax
error.

A statement is found by its own words, its speaker, party and source; not by its
incident's title (a word of a title would otherwise match every statement of the
incident): the statements' rows keep the title for highlighting, PostgreSQL's vector
leaves it out (search migration 0003) and SQLite's queries name the FTS5 columns to
search. Incidents are found by their titles separately (search.query).

Highlights come back from the database wrapped in the control characters STX/ETX
(never HTML), and `marked_to_html()` escapes the text and turns them into <mark>
elements, so a statement's text can never inject markup.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Text search configuration (PostgreSQL) — statements are stored in English
# (originals in other languages keep their translation in `text`).
PG_CONFIG = "english"
START, STOP = "\x02", "\x03"
MAX_QUERY_CHARS = 200
MAX_TERMS = 24
# Weights of title, text, speaker/source: as PostgreSQL's default A/B/C weights
# (1.0, 0.4, 0.2), scaled for bm25.
SQLITE_WEIGHTS = (10.0, 4.0, 2.0)

# A statement's own columns (not the incident's title): FTS5 columns to search. (The
# PostgreSQL vector holds only those: search migration 0003.)
OWN_COLUMNS = ("body", "meta")
# Typed between words, these are operators, never words to find.
OPERATORS = {"or", "and"}

_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]

    def fts5(self) -> str:
        # Only letters and digits reach the string: nothing for FTS5 to parse.
        return '"' + " ".join(self.words) + '"'

    def tsquery(self, weights: str) -> str:
        # Quoted lexemes of letters and digits (no quote can occur in them), limited
        # to the weights given if any; a phrase keeps its words in order.
        label = f":{weights}" if weights else ""
        return "(" + " <-> ".join(f"'{w}'{label}" for w in self.words) + ")"


@dataclass
class ParsedQuery:
    raw: str
    # Every group must match; within a group any term (`a OR b`).
    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def is_searchable(self) -> bool:
        return bool(self.groups)

    def fts5(self) -> str:
        positive = " AND ".join(
            "(" + " OR ".join(t.fts5() for t in group) + ")" for group in self.groups
        )
        if self.excluded:
            negative = " OR ".join(t.fts5() for t in self.excluded)
            positive = f"({positive}) NOT ({negative})"
        # A statement's own columns only (see the module doc).
        return "{" + " ".join(OWN_COLUMNS) + "} : (" + positive + ")"

    def tsquery(self, weights: str = "") -> str:
        positive = " & ".join(
            "(" + " | ".join(t.tsquery(weights) for t in group) + ")" for group in self.groups
        )
        negative = "".join(f" & !{t.tsquery(weights)}" for t in self.excluded)
        return positive + negative

    def words(self) -> list[str]:
        return [w for group in self.groups for t in group for w in t.words]


def parse_query(raw: str) -> ParsedQuery:
    """Websearch syntax, as PostgreSQL's websearch_to_tsquery reads it."""
    # Control characters (NUL above all) are refused by PostgreSQL and mean nothing here.
    text = _CONTROL.sub(" ", raw or "")[:MAX_QUERY_CHARS].strip()
    parsed = ParsedQuery(raw=text)
    pending_or = False
    i, n = 0, len(text)
    count = 0
    while i < n and count < MAX_TERMS:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negate = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negate = True
            i += 1
            ch = text[i]
        if ch == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            chunk, i = text[i + 1 : end], end + 1
            is_or = False
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != '"':
                j += 1
            chunk, i = text[i:j], j
            is_or = not negate and chunk.lower() == "or"
        if is_or:
            pending_or = bool(parsed.groups)
            continue
        if not negate and chunk.lower() in OPERATORS:
            # "AND": what words do anyway.
            continue
        words = tuple(w.lower() for w in _WORD.findall(chunk))
        if not words:
            continue
        count += 1
        term = Term(words)
        if negate:
            parsed.excluded.append(term)
        elif pending_or and parsed.groups:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        pending_or = False
    return parsed


def marked_to_html(text: str) -> SafeString:
    """Escape `text` and turn STX…ETX highlight markers into balanced <mark>s."""
    out: list[str] = []
    open_ = False
    for part in re.split(f"([{START}{STOP}])", text or ""):
        if part == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(escape(part))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every text part is escaped above


@dataclass
class Hit:
    statement_id: int
    rank: float
    title_html: SafeString
    snippet_html: SafeString


class SearchBackend:
    name = "base"
    # Finds a word by its stem, never inside another word: the page cache can then
    # follow the words searched (search.terms).
    whole_words = True

    def matching_ids(self, query: ParsedQuery) -> RawSQL:
        """A subquery of the ids of statements matching `query`, for `pk__in=`."""
        raise NotImplementedError

    def first_ids(self, query: ParsedQuery, limit: int) -> RawSQL:
        """A subquery of up to `limit` ids of matching statements, read from the
        full-text index alone: with its LIMIT the database cannot turn it into a join
        that walks the statements in id order testing each row's words (28,000 rows
        read for a word of 11,000 matches at 300,000 statements)."""
        raw = self.matching_ids(query)
        return RawSQL(f"{raw.sql} LIMIT %s", (*raw.params, limit))  # noqa: S611

    def listed_ids(self, ids: list[int]) -> RawSQL:
        """A subquery of these statement ids for `pk__in=`, with the list as one
        parameter: a thousand ids passed one by one (`IN (%s, %s, ...)`) cost more of
        the app's time to convert and send than the query takes to run."""
        return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(ids),))

    def has_more(self, query: ParsedQuery, limit: int) -> bool:
        """More than `limit` statements match (visible or not)."""
        raw = self.matching_ids(query)
        with connection.cursor() as cursor:
            # raw.sql is the backend's own constant SQL; the words are parameters.
            sql = f"SELECT 1 FROM ({raw.sql} LIMIT 1 OFFSET %s) more"  # noqa: S608
            cursor.execute(sql, [*raw.params, limit])
            return cursor.fetchone() is not None

    def ranked(
        self, query: ParsedQuery, candidates: tuple[str, tuple], limit: int, offset: int
    ) -> list[Hit]:
        """The best matches among the candidate statement ids (a compiled subquery
        (sql, params)), best first, with highlighted title and snippet."""
        raise NotImplementedError

    @staticmethod
    def _fetch(sql: str, params: list) -> list[Hit]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [
                Hit(int(pk), float(rank or 0), marked_to_html(title), marked_to_html(snippet))
                for pk, rank, title, snippet in cursor.fetchall()
            ]


class PostgresBackend(SearchBackend):
    name = "postgresql"
    HEADLINE_TITLE = f"HighlightAll=true, StartSel={START}, StopSel={STOP}"
    HEADLINE_BODY = (
        f"StartSel={START}, StopSel={STOP}, MaxWords=40, MinWords=18, "
        'MaxFragments=2, FragmentDelimiter=" … "'
    )

    def matching_ids(self, query: ParsedQuery) -> RawSQL:
        return RawSQL(
            "SELECT statement_id FROM search_statementsearch "
            "WHERE vector @@ to_tsquery(%s::regconfig, %s)",
            (PG_CONFIG, query.tsquery()),
        )

    def listed_ids(self, ids: list[int]) -> RawSQL:
        # An array literal written once, as text: passed as a list, the ids were
        # converted one by one in Python (a regular expression per id) for each of the
        # three or four queries that use them, ~3 ms of the app's time per search.
        literal = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
        return RawSQL("SELECT unnest(%s::bigint[])", (literal,))

    def ranked(
        self, query: ParsedQuery, candidates: tuple[str, tuple], limit: int, offset: int
    ) -> list[Hit]:
        cand_sql, cand_params = candidates
        # Rank and cut in the inner query; headlines (costly) only for the page shown.
        # The candidates (at most MATCH_CAP ids) as an array, so that PostgreSQL looks
        # them up by primary key: as an IN (subquery) it could choose to scan and match
        # the whole search table instead (15 ms at 30,000 statements).
        sql = f"""
            SELECT s.statement_id, top.rank,
                   ts_headline(%s::regconfig, s.title, top.q, %s),
                   ts_headline(%s::regconfig, s.body, top.q, %s)
            FROM (
                SELECT s.statement_id, ts_rank(s.vector, q) AS rank, q
                FROM search_statementsearch s, to_tsquery(%s::regconfig, %s) q
                WHERE s.vector @@ q AND s.statement_id = ANY(ARRAY({cand_sql}))
                ORDER BY rank DESC, s.statement_id DESC
                LIMIT %s OFFSET %s
            ) top JOIN search_statementsearch s ON s.statement_id = top.statement_id
            ORDER BY top.rank DESC, s.statement_id DESC
        """  # noqa: S608 - cand_sql is compiled by Django's ORM, values are parameters
        params = [
            PG_CONFIG,
            self.HEADLINE_TITLE,
            PG_CONFIG,
            self.HEADLINE_BODY,
            PG_CONFIG,
            query.tsquery(),
            *cand_params,
            limit,
            offset,
        ]
        return self._fetch(sql, params)


class SqliteFts5Backend(SearchBackend):
    name = "sqlite-fts5"
    TABLE = "search_statementsearch_fts"

    def matching_ids(self, query: ParsedQuery) -> RawSQL:
        # The table name is a constant; the query is a parameter.
        return RawSQL(  # noqa: S611
            f"SELECT rowid FROM {self.TABLE} WHERE {self.TABLE} MATCH %s",  # noqa: S608
            (query.fts5(),),
        )

    def ranked(
        self, query: ParsedQuery, candidates: tuple[str, tuple], limit: int, offset: int
    ) -> list[Hit]:
        cand_sql, cand_params = candidates
        t = self.TABLE
        w = ", ".join(str(x) for x in SQLITE_WEIGHTS)
        # bm25() is lower-is-better; negated so that "rank" reads like PostgreSQL's.
        # "+rowid" keeps SQLite from driving the query by the candidate list (one
        # MATCH per candidate: seconds on a large table) instead of by the index.
        # highlight()/snippet() run only for the page's rows, in the outer query.
        sql = f"""
            WITH top AS (
                SELECT rowid AS id, -bm25({t}, {w}) AS rank FROM {t}
                WHERE {t} MATCH %s AND +rowid IN ({cand_sql})
                ORDER BY rank DESC, rowid DESC
                LIMIT %s OFFSET %s
            )
            SELECT {t}.rowid, top.rank,
                   highlight({t}, 0, char(2), char(3)),
                   snippet({t}, 1, char(2), char(3), '…', 32)
            FROM {t} JOIN top ON {t}.rowid = top.id
            WHERE {t} MATCH %s
            ORDER BY top.rank DESC, {t}.rowid DESC
        """  # noqa: S608 - cand_sql is compiled by Django's ORM, values are parameters
        fts = query.fts5()
        return self._fetch(sql, [fts, *cand_params, limit, offset, fts])


class SqliteLikeBackend(SearchBackend):
    """For SQLite builds without FTS5: every word as a substring, unranked."""

    name = "sqlite-like"
    whole_words = False

    def _where(self, query: ParsedQuery) -> tuple[str, list[str]]:
        doc = "(body || ' ' || meta)"
        clauses, params = [], []
        for group in query.groups:
            alts = []
            for term in group:
                alts.append(f"{doc} LIKE %s")
                params.append("%" + " ".join(term.words) + "%")
            clauses.append("(" + " OR ".join(alts) + ")")
        for term in query.excluded:
            clauses.append(f"{doc} NOT LIKE %s")
            params.append("%" + " ".join(term.words) + "%")
        return " AND ".join(clauses), params

    def matching_ids(self, query: ParsedQuery) -> RawSQL:
        where, params = self._where(query)
        # `where` holds only placeholders; the words are parameters.
        return RawSQL(  # noqa: S611
            f"SELECT statement_id FROM search_statementsearch WHERE {where}",  # noqa: S608
            tuple(params),
        )

    def ranked(
        self, query: ParsedQuery, candidates: tuple[str, tuple], limit: int, offset: int
    ) -> list[Hit]:
        cand_sql, cand_params = candidates
        where, params = self._where(query)
        sql = f"""
            SELECT statement_id, 0, title, substr(body, 1, 240) FROM search_statementsearch
            WHERE {where} AND statement_id IN ({cand_sql})
            ORDER BY statement_id DESC LIMIT %s OFFSET %s
        """  # noqa: S608
        return self._fetch(sql, [*params, *cand_params, limit, offset])


def sqlite_has_fts5(conn) -> bool:
    with conn.cursor() as cursor:
        cursor.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')")
        if cursor.fetchone()[0]:
            return True
        try:
            cursor.execute("CREATE VIRTUAL TABLE temp._parallax_fts5_probe USING fts5(x)")
            cursor.execute("DROP TABLE temp._parallax_fts5_probe")
            return True
        except Exception:
            return False


_FTS5_SEEN: set[str] = set()


def _sqlite_index_exists(key: str) -> bool:
    # Remembered once found (one query per process and database, not per request).
    if key in _FTS5_SEEN:
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [SqliteFts5Backend.TABLE])
        found = cursor.fetchone() is not None
    if found:
        _FTS5_SEEN.add(key)
    return found


def get_backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        if _sqlite_index_exists(connection.alias + ":" + str(connection.settings_dict["NAME"])):
            return SqliteFts5Backend()
        return SqliteLikeBackend()
    raise NotImplementedError(f"Search does not support {connection.vendor}.")
