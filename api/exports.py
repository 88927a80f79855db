"""Downloads: datasets (what is exported) and writers (in which format), each
registered by name, so that a new format is one writer and one test, and a new
dataset is one column list and one query.

    /api/export/<dataset>.<format>      e.g. /api/export/statements.csv

Datasets: incidents, statements, annotations (DATASETS). Formats (WRITERS):
- `csv`: RFC 4180, UTF-8 without a byte-order mark (what scripts expect);
- `excel.csv`: the same bytes after a UTF-8 byte-order mark, which spreadsheet
  programs need to read non-Latin text correctly;
- `json`: one object with the licence, the filters and `results`, one object per row.

The column sets are a documented, stable contract (docs/api.md): columns are only
ever added at the end, never renamed or reordered. A column holding several values
(an incident's places) is a list: a JSON array in CSV cells (`["Tavush; Tovuz"]`,
read back with any JSON parser), a real array in JSON. Every row set is already
limited to what the user may see before it reaches a writer.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

from incidents.models import Annotation, Incident, Statement

from . import filters
from .conditional import audience, dumps
from .endpoint import endpoint, not_found, read
from .representations import iso, precise_date, visible_statement_count

# Rows are read in chunks: with prefetch_related one query per chunk for the rows'
# places, so a 300,000-row export runs a few hundred queries, not 300,000.
EXPORT_CHUNK = 1000

Column = tuple[str, Callable[[Any], Any]]


# --- datasets ---------------------------------------------------------------------------


INCIDENT_COLUMNS: list[Column] = [
    ("slug", lambda i: i.slug),
    ("title", lambda i: i.title),
    ("conflict", lambda i: i.conflict.slug),
    ("conflict_name", lambda i: i.conflict.name),
    ("date_start", lambda i: precise_date(i.date_start, i.date_precision)),
    ("date_end", lambda i: precise_date(i.date_end, i.date_precision)),
    ("date_precision", lambda i: i.date_precision),
    ("places", lambda i: [p.slug for p in i.places.all()]),
    ("place_names", lambda i: [p.name for p in i.places.all()]),
    ("summary", lambda i: i.summary),
    ("status", lambda i: i.status),
    ("published_at", lambda i: i.published_at),
    ("statement_count", lambda i: i.statement_count),
    ("url", lambda i: i.get_absolute_url()),
    ("updated_at", lambda i: i.updated_at),
    # [latitude, longitude] per place, in the order of `places`; null for a place not
    # located (docs/maps.md).
    ("place_coordinates", lambda i: _place_coordinates(i)),
]


def _place_coordinates(inc: Incident) -> list[list[float] | None]:
    return [
        [float(p.latitude), float(p.longitude)]
        if p.latitude is not None and p.longitude is not None
        else None
        for p in inc.places.all()
    ]


STATEMENT_COLUMNS: list[Column] = [
    ("id", lambda s: s.pk),
    ("incident", lambda s: s.incident.slug),
    ("incident_title", lambda s: s.incident.title),
    ("conflict", lambda s: s.incident.conflict.slug),
    ("issued_on", lambda s: precise_date(s.issued_on, s.issued_precision)),
    ("issued_precision", lambda s: s.issued_precision),
    ("actor", lambda s: s.actor.slug),
    ("actor_name", lambda s: s.actor.name),
    ("actor_kind", lambda s: s.actor.kind),
    ("party", lambda s: s.party.slug),
    ("party_name", lambda s: s.party.name),
    ("kind", lambda s: s.kind),
    ("statement_type", lambda s: s.statement_type),
    ("leaning", lambda s: s.leaning),
    ("leaning_towards", lambda s: s.leaning_towards.slug if s.leaning_towards else None),
    ("text", lambda s: s.text),
    ("original_language", lambda s: s.original_language),
    ("original_text", lambda s: s.original_text),
    ("translation_note", lambda s: s.translation_note),
    ("source_id", lambda s: s.source_id),
    ("source_title", lambda s: s.source.title if s.source else None),
    ("source_publisher", lambda s: s.source.publisher if s.source else None),
    ("source_url", lambda s: s.source.url if s.source else None),
    ("source_published_on", lambda s: s.source.published_on if s.source else None),
    ("source_sha256", lambda s: s.source.sha256 if s.source else None),
    ("source_start", lambda s: s.source_start),
    ("source_end", lambda s: s.source_end),
    ("quote_verified", lambda s: s.quote_verified),
    ("status", lambda s: s.status),
    ("published_at", lambda s: s.published_at),
    ("withdrawn_reason", lambda s: s.withdrawn_reason),
    ("url", lambda s: s.get_absolute_url()),
    ("updated_at", lambda s: s.updated_at),
]

ANNOTATION_COLUMNS: list[Column] = [
    ("id", lambda a: a.pk),
    ("statement_id", lambda a: a.statement_id),
    ("incident", lambda a: a.statement.incident.slug),
    ("tag", lambda a: a.tag),
    ("body", lambda a: a.body),
    ("visibility", lambda a: a.visibility),
    ("quote", lambda a: a.quote),
    ("start", lambda a: a.start),
    ("end", lambda a: a.end),
    ("prefix", lambda a: a.prefix),
    ("suffix", lambda a: a.suffix),
    ("needs_review", lambda a: a.needs_review),
    ("evidence_source_id", lambda a: a.evidence_id),
    ("created_at", lambda a: a.created_at),
    ("updated_at", lambda a: a.updated_at),
    ("url", lambda a: a.get_absolute_url()),
]


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: list[Column]
    form: type[forms.Form]
    # The rows the user may see, filtered by the validated form, with their joins.
    rows: Callable[[HttpRequest, Any], QuerySet[Any]]


def _incidents(request: HttpRequest, form: Any) -> QuerySet[Incident]:
    user = request.user
    return (
        form.filter(Incident.objects.visible_to(user), user)
        .select_related("conflict")
        .prefetch_related("places")
        .annotate(statement_count=visible_statement_count(user, "incident"))
        .order_by("-date_start", "-pk")
    )


def _statements(request: HttpRequest, form: Any) -> QuerySet[Statement]:
    user = request.user
    return (
        form.filter(Statement.objects.visible_to(user), user)
        .select_related("incident__conflict", "actor", "party", "leaning_towards", "source")
        .defer("source__archived_text")
        .order_by("issued_on", "pk")
    )


def _annotations(request: HttpRequest, form: Any) -> QuerySet[Annotation]:
    user = request.user
    return (
        form.filter(Annotation.objects.visible_to(user), user)
        .select_related("statement__incident")
        .order_by("statement_id", "start", "pk")
    )


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("incidents", INCIDENT_COLUMNS, filters.IncidentQueryForm, _incidents),
        Dataset("statements", STATEMENT_COLUMNS, filters.StatementFilterForm, _statements),
        Dataset("annotations", ANNOTATION_COLUMNS, filters.AnnotationFilterForm, _annotations),
    )
}


# --- writers ----------------------------------------------------------------------------


@dataclass
class Export:
    """What a writer writes: the header, the rows (lists of plain values in column
    order, lists for multi-valued columns) and what the JSON head states."""

    dataset: str
    header: list[str]
    rows: Iterator[list[Any]]
    head: dict[str, Any]


Writer = Callable[[Export], Iterator[str | bytes]]


@dataclass(frozen=True)
class Format:
    content_type: str
    write: Writer


WRITERS: dict[str, Format] = {}


def writer(name: str, content_type: str) -> Callable[[Writer], Writer]:
    """Register a writer for /api/export/<dataset>.<name>."""

    def register(write: Writer) -> Writer:
        WRITERS[name] = Format(content_type, write)
        return write

    return register


class _Echo:
    """csv.writer target that hands each formatted row back instead of storing it."""

    def write(self, value: str) -> str:
        return value


# Spreadsheet programs run a cell starting with one of these as a formula (OWASP
# "CSV injection"), some also after leading spaces, and some read the full-width
# forms as the ASCII ones: such cells get a leading apostrophe. Documented in docs/api.md.
FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def neutralise(text: str) -> str:
    if text.startswith(("\t", "\r", "\n")) or text.lstrip().startswith(FORMULA_START):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        # A JSON array: unambiguous whatever the values contain, and it round-trips.
        return neutralise(json.dumps(value, ensure_ascii=False))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def _csv_lines(export: Export) -> Iterator[str]:
    # RFC 4180: comma separated, CRLF line ends, fields quoted when needed.
    out = csv.writer(_Echo())
    yield out.writerow(export.header)
    for row in export.rows:
        yield out.writerow([csv_cell(v) for v in row])


@writer("csv", "text/csv; charset=utf-8")
def write_csv(export: Export) -> Iterator[str]:
    return _csv_lines(export)


@writer("excel.csv", "text/csv; charset=utf-8")
def write_excel_csv(export: Export) -> Iterator[str | bytes]:
    # Without the byte-order mark Excel reads UTF-8 as the local code page.
    yield "\ufeff"
    yield from _csv_lines(export)


@writer("json", "application/json")
def write_json(export: Export) -> Iterator[str]:
    yield dumps({**export.head, "columns": export.header})[:-1] + ', "results": ['
    first = True
    for row in export.rows:
        values = [iso(v) if hasattr(v, "isoformat") else v for v in row]
        yield ("\n" if first else ",\n") + dumps(dict(zip(export.header, values, strict=True)))
        first = False
    yield "\n]}\n"


# --- the view ---------------------------------------------------------------------------


def _rows(objects: Iterator[Any], columns: list[Column], base: str) -> Iterator[list[Any]]:
    for obj in objects:
        row = []
        for name, get in columns:
            value = get(obj)
            if name == "url":
                value = base + value
            row.append(value)
        yield row


def export_response(request: HttpRequest, dataset: Dataset, fmt: str) -> StreamingHttpResponse:
    form = read(dataset.form, request)
    stamp = timezone.now()
    export = Export(
        dataset=dataset.name,
        header=[name for name, _ in dataset.columns],
        rows=_rows(
            dataset.rows(request, form).iterator(chunk_size=EXPORT_CHUNK),
            dataset.columns,
            request.build_absolute_uri("/").rstrip("/"),
        ),
        head={
            "generated_at": stamp,
            "visibility": audience(request),
            "license": settings.DATA_LICENSE_URL,
            "filters": {
                k: getattr(v, "raw", v) for k, v in form.cleaned_data.items() if v not in (None, "")
            },
        },
    )
    chosen = WRITERS[fmt]
    response = StreamingHttpResponse(chosen.write(export), content_type=chosen.content_type)
    filename = f"parallax-{dataset.name}-{stamp:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Link"] = f'<{settings.DATA_LICENSE_URL}>; rel="license"'
    return response


def export_view(name: str) -> Callable[..., Any]:
    """The view for one dataset; its URL takes any registered format."""
    dataset = DATASETS[name]

    @endpoint(dataset.form)
    def view(request: HttpRequest, fmt: str) -> Any:
        if fmt not in WRITERS:
            return not_found(f"No format {fmt!r}; the formats are {', '.join(WRITERS)}.")
        return export_response(request, dataset, fmt)

    view.__name__ = f"export_{name}"
    return view
