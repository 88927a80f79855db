"""The backup file: every row of every table, as it is in the database, written and
read as a stream (memory does not grow with the data).

A gzip'd file of JSON lines:

    {"format": "parallax-backup", "version": 2, "taken_at": ..., "tables": [...]}
    {"t": "incidents.statement", "r": {"id": 1, "actor_id": 3, "text": ..., ...}}
    ...
    {"end": true, "rows": 941926, "counts": {...}, "sha256": "..."}

Rows carry their column values (foreign keys as ids, many-to-many tables as rows
of their own), so a restore is a bulk insert, table by table, parents first. The
only ids that differ between two databases, those of content types and permissions
(every migrated database makes its own), are written as natural keys. The last
line counts the rows and hashes every line before it: a truncated or altered file
is refused before anything in the target database changes.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import gzip
import hashlib
import json
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils.duration import duration_iso_string

FORMAT = "parallax-backup"
VERSION = 2
CHUNK = 2000

# Rebuilt by `migrate` (content types, permissions) or not worth keeping (sessions,
# the page cache, which is not a model).
EXCLUDED = {"contenttypes", "auth.permission", "sessions"}


def without_statement_timeout() -> None:
    """A backup or restore runs as long as it needs: the statement timeout the web
    processes may set (DATABASE_STATEMENT_TIMEOUT_MS) is switched off for this
    command's connection, whatever its environment says."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


class BackupError(Exception):
    """The file is not a complete, unaltered backup; the message says what is wrong."""


def backed_up_models() -> list[type[models.Model]]:
    """Every table with rows to keep, many-to-many tables included, parents before
    the tables whose foreign keys (and database triggers) need them."""
    tables = set(connection.introspection.table_names())
    chosen = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label not in EXCLUDED
        and m._meta.label_lower not in EXCLUDED
        and m._meta.managed
        and not m._meta.proxy
        and m._meta.db_table in tables
    ]
    return _parents_first(chosen)


def _parents_first(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    inside = set(chosen)
    needs = {
        m: {
            f.related_model
            for f in m._meta.concrete_fields
            if f.is_relation and f.related_model in inside and f.related_model is not m
        }
        for m in chosen
    }
    ordered: list[type[models.Model]] = []
    done: set[Any] = set()
    while len(ordered) < len(chosen):
        ready = [m for m in chosen if m not in done and needs[m] <= done]
        if not ready:  # a cycle: deferred foreign keys let the rest go in any order
            ready = [m for m in chosen if m not in done]
        for m in ready:
            ordered.append(m)
            done.add(m)
    return ordered


# --- values ---------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"Cannot write {type(value).__name__} to a backup.")


class _Keys:
    """Content type and permission ids <-> natural keys, looked up once each."""

    def __init__(self) -> None:
        self.ct_key = {
            ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.all().iterator()
        }
        self.perm_key = {
            p.pk: [p.codename, p.content_type.app_label, p.content_type.model]
            for p in Permission.objects.select_related("content_type").iterator()
        }

        self._ids: dict[tuple[str, ...], int] = {}

    def ct_id(self, key: list[str]) -> int:
        found = self._ids.get(("ct", *key))
        if found is None:
            found = self._ids[("ct", *key)] = ContentType.objects.get_by_natural_key(*key).pk
        return found

    def perm_id(self, key: list[str]) -> int:
        found = self._ids.get(("perm", *key))
        if found is None:
            found = self._ids[("perm", *key)] = Permission.objects.get_by_natural_key(*key).pk
        return found


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


# --- writing ----------------------------------------------------------------------------


def write_backup(path: Path, taken_at: str) -> dict[str, int]:
    """Write every table to `path` (through a side file renamed at the end, so an
    interrupted backup never leaves a truncated file under the real name). The
    caller holds the transaction that makes the tables one snapshot."""
    tmp = path.with_name(f".{path.name}.partial")
    chosen = backed_up_models()
    keys = _Keys()
    digest = hashlib.sha256()
    counts: dict[str, int] = {}

    def line(out: gzip.GzipFile, obj: Any, hashed: bool = True) -> None:
        data = json.dumps(obj, default=_encode, ensure_ascii=False).encode("utf-8") + b"\n"
        if hashed:
            digest.update(data)
        out.write(data)

    with gzip.open(tmp, "wb", compresslevel=6) as out:
        line(
            out,
            {
                "format": FORMAT,
                "version": VERSION,
                "taken_at": taken_at,
                "tables": [m._meta.label_lower for m in chosen],
            },
        )
        for model in chosen:
            label = model._meta.label_lower
            fields = _columns(model)
            names = [f.attname for f in fields]
            ct_cols = {f.attname for f in fields if f.related_model is ContentType}
            perm_cols = {f.attname for f in fields if f.related_model is Permission}
            n = 0
            rows = model._base_manager.order_by("pk").values_list(*names)
            for values in rows.iterator(chunk_size=CHUNK):
                row = dict(zip(names, values, strict=True))
                for col in ct_cols:
                    if row[col] is not None:
                        row[col] = keys.ct_key[row[col]]
                for col in perm_cols:
                    if row[col] is not None:
                        row[col] = keys.perm_key[row[col]]
                line(out, {"t": label, "r": row})
                n += 1
            counts[label] = n
        line(
            out,
            {
                "end": True,
                "rows": sum(counts.values()),
                "counts": counts,
                "sha256": digest.hexdigest(),
            },
            hashed=False,
        )
    tmp.replace(path)
    return counts


# --- reading ----------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[bytes]:
    try:
        with gzip.open(path, "rb") as src:
            yield from src
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise BackupError(f"{path} is truncated or damaged ({exc}).") from exc


def is_legacy(path: Path) -> bool:
    """A backup of the first format (Django's dumpdata: one JSON array)."""
    try:
        with gzip.open(path, "rb") as src:
            return src.read(1) == b"["
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError):
        return False


def verify(path: Path) -> dict[str, Any]:
    """Read the whole file once, without touching the database: the header, every
    line, the row counts and the hash must all agree. Returns the header and the
    trailer; raises BackupError with what is wrong."""
    digest = hashlib.sha256()
    header: dict[str, Any] | None = None
    trailer: dict[str, Any] | None = None
    counts: dict[str, int] = {}
    for number, raw in enumerate(_lines(path), start=1):
        if trailer is not None:
            raise BackupError(f"{path}: data after the end marker (line {number}).")
        try:
            obj = json.loads(raw)
        except ValueError as exc:
            raise BackupError(f"{path}: line {number} is not valid JSON.") from exc
        if header is None:
            if not isinstance(obj, dict) or obj.get("format") != FORMAT:
                raise BackupError(f"{path} is not a Parallax backup.")
            if obj.get("version") != VERSION:
                raise BackupError(f"{path}: backup format version {obj.get('version')} unknown.")
            header = obj
            digest.update(raw)
            continue
        if isinstance(obj, dict) and obj.get("end"):
            trailer = obj
            continue
        if not isinstance(obj, dict) or "t" not in obj or not isinstance(obj.get("r"), dict):
            raise BackupError(f"{path}: line {number} is not a row.")
        counts[obj["t"]] = counts.get(obj["t"], 0) + 1
        digest.update(raw)
    if header is None:
        raise BackupError(f"{path} is empty.")
    if trailer is None:
        raise BackupError(f"{path} is truncated: its end marker is missing.")
    if trailer.get("sha256") != digest.hexdigest():
        raise BackupError(f"{path} was altered: its content does not match its checksum.")
    expected = {k: v for k, v in trailer.get("counts", {}).items() if v}
    if counts != expected:
        raise BackupError(f"{path}: the row counts do not match its end marker.")
    known = {m._meta.label_lower for m in backed_up_models()}
    unknown = sorted(set(header["tables"]) - known)
    if unknown:
        raise BackupError(
            "The backup has tables this database does not (run `migrate` first?): "
            + ", ".join(unknown[:10])
        )
    return {"header": header, "trailer": trailer}


def load_rows(path: Path, batch: int = 1000) -> dict[str, int]:
    """Insert every row of a verified backup, in the caller's transaction, table by
    table in the file's order (parents first), `batch` rows at a time. Plain
    INSERTs of the stored values: no save(), no signals, and no auto_now field
    stamping the time of the restore over the time of the edit."""
    by_label = {m._meta.label_lower: m for m in backed_up_models()}
    keys = _Keys()
    loaded: dict[str, int] = {}
    pending: list[list[Any]] = []
    table: _Table | None = None
    with connection.cursor() as cursor:

        def flush() -> None:
            if table is not None and pending:
                cursor.executemany(table.sql, pending)
                loaded[table.label] = loaded.get(table.label, 0) + len(pending)
                pending.clear()

        for raw in _lines(path):
            obj = json.loads(raw)
            if "t" not in obj:
                continue  # the header and the end marker
            if table is None or table.label != obj["t"]:
                flush()
                table = _Table(by_label[obj["t"]], keys)
            pending.append(table.values(obj["r"]))
            if len(pending) >= batch:
                flush()
        flush()
    return loaded


class _Table:
    def __init__(self, model: type[models.Model], keys: _Keys) -> None:
        self.label = model._meta.label_lower
        self.fields = _columns(model)
        self.convert = [_converter(f, keys) for f in self.fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # Names from the models' own metadata, quoted; the values go as parameters.
        table = quote(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608

    def values(self, row: dict[str, Any]) -> list[Any]:
        out = []
        for field, convert in zip(self.fields, self.convert, strict=True):
            value = convert(row.get(field.attname))
            out.append(field.get_db_prep_save(value, connection))
        return out


def _converter(field: models.Field, keys: _Keys) -> Any:
    if field.is_relation and field.related_model is ContentType:
        return lambda v: None if v is None else keys.ct_id(v)
    if field.is_relation and field.related_model is Permission:
        return lambda v: None if v is None else keys.perm_id(v)
    if field.is_relation:
        return lambda v: v
    if isinstance(field, models.JSONField):
        return lambda v: v
    return lambda v: None if v is None else field.to_python(v)
