"""Parallax's read-only JSON API, exports, Web Annotations and claims.

Every view starts from `Model.objects.visible_to(request.user)` (or the registry
helpers in api.filters), so the public gets published incidents, publicly visible
statements and public annotations only, and analysts and editors (session sign-in)
get drafts and internal annotations too, each marked by its `status`/`visibility`.
Query strings are validated by the forms in api.filters: bad input is a 400 JSON error.
List endpoints run a fixed number of queries whatever the page size (tests assert it).
"""

from __future__ import annotations

import base64
import csv
import math
from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from incidents import caching
from incidents.models import (
    Actor,
    Annotation,
    Claim,
    ConflictSide,
    Incident,
    Party,
    Source,
    Statement,
)

from . import filters
from .conditional import audience, conditional_json, dumps, finish, latest
from .jsonld import ANNO_CONTEXTS, ANNO_PROFILE, annotation_document, claim_document
from .representations import (
    INCIDENT_COLUMNS,
    STATEMENT_COLUMNS,
    Column,
    absolute,
    actor_item,
    export_incidents,
    export_statements,
    incident_item,
    iso,
    party_item,
    source_item,
    statement_item,
    visible_statement_count,
)

DEFAULT_PAGE_SIZE = 50
ANNOTATION_PAGE_SIZE = 100
EXPORT_CHUNK = 1000


# --- errors and parameters ------------------------------------------------------------


def json_error(status: int, message: str, details: dict[str, Any] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"error": message, "status": status}
    if details:
        body["details"] = details
    return JsonResponse(body, status=status)


def not_found(what: str = "Not found.") -> JsonResponse:
    # The same answer for "does not exist" and "exists but you may not see it".
    return json_error(404, what)


class BadRequest(Exception):
    def __init__(self, form: forms.Form) -> None:
        super().__init__("Invalid query parameters.")
        errors = form.errors.get_json_data()
        self.details = {field: [e["message"] for e in errs] for field, errs in errors.items()}


def read[F: forms.Form](form_class: type[F], request: HttpRequest, *, paged: bool = False) -> F:
    """The validated form, or BadRequest. With `paged`, `page` and `page_size` are
    checked too, so one 400 reports every bad parameter at once."""
    form = form_class(request.GET)
    valid = form.is_valid()
    if paged:
        paging = filters.PageForm(request.GET)
        if not paging.is_valid():
            for field, errors in paging.errors.items():
                form.errors[field] = errors
            valid = False
    if not valid:
        raise BadRequest(form)
    return form


def handles_bad_input(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Turns a BadRequest from read() into a 400 JSON answer with the form's messages."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except BadRequest as exc:
            return finish(request, json_error(400, str(exc), exc.details))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def active_filters(form: forms.Form) -> dict[str, Any]:
    """The filters applied, echoed back (a parsed search query as its text)."""
    return {k: getattr(v, "raw", v) for k, v in form.cleaned_data.items() if v not in (None, "")}


# --- pagination -----------------------------------------------------------------------


class Paging:
    """Offset pagination from the `page`/`page_size` parameters and a known count
    (taken from the same aggregate query as the validators)."""

    def __init__(self, request: HttpRequest, count: int, default_size: int) -> None:
        form = read(filters.PageForm, request)
        self.request = request
        self.count = count
        self.number = form.cleaned_data["page"] or 1
        self.size = form.cleaned_data["page_size"] or default_size
        self.num_pages = max(1, math.ceil(count / self.size))
        self.offset = (self.number - 1) * self.size

    @property
    def out_of_range(self) -> bool:
        return self.number > self.num_pages

    def url(self, number: int | None) -> str | None:
        if number is None or not 1 <= number <= self.num_pages:
            return None
        params = self.request.GET.copy()
        params["page"] = str(number)
        return self.request.build_absolute_uri(f"{self.request.path}?{params.urlencode()}")

    def slice(
        self, qs: QuerySet[Any], decorate: Callable[[QuerySet[Any]], QuerySet[Any]]
    ) -> list[Any]:
        """The page's rows: first their ids (an offset over the ordered ids alone, so a
        deep page does not join every skipped row), then the rows with `decorate`'s
        joins, prefetches and annotations for those ids only."""
        ordered = decorate(qs)
        ids = list(ordered.values_list("pk", flat=True)[self.offset : self.offset + self.size])
        if not ids:
            return []
        # The ids were chosen under the user's visibility a moment ago; a row deleted
        # in between is left out rather than failing the page.
        rows = {o.pk: o for o in decorate(qs.model._default_manager.filter(pk__in=ids))}
        return [rows[pk] for pk in ids if pk in rows]

    def envelope(self, results: list[Any], form: forms.Form | None = None) -> dict[str, Any]:
        return {
            "count": self.count,
            "page": self.number,
            "page_size": self.size,
            "num_pages": self.num_pages,
            "next": self.url(self.number + 1),
            "previous": self.url(self.number - 1),
            "visibility": audience(self.request),
            "filters": active_filters(form) if form is not None else {},
            "results": results,
        }

    def missing(self) -> JsonResponse:
        return json_error(
            404, f"Page {self.number} does not exist; there are {self.num_pages} page(s)."
        )


def list_response(
    request: HttpRequest,
    qs: QuerySet[Any],
    form: forms.Form,
    item: Callable[[HttpRequest, Any], dict[str, Any]],
    *,
    stamps: dict[str, Any] | None,
    page_qs: Callable[[QuerySet[Any]], QuerySet[Any]],
    scopes: list[str] | None = None,
) -> HttpResponse:
    """A paginated list: one aggregate query (count and latest changes, used for the
    count and the validators), then the page's ids and its rows (Paging.slice)."""
    aggregates = {"n": Count("pk")}
    aggregates.update(stamps or {})
    agg = qs.aggregate(**aggregates)
    paging = Paging(request, agg["n"], DEFAULT_PAGE_SIZE)
    if paging.out_of_range:
        return finish(request, paging.missing())

    def build() -> dict[str, Any]:
        return paging.envelope([item(request, o) for o in paging.slice(qs, page_qs)], form)

    if stamps is None:
        return conditional_json(request, build)
    changed = latest(*(agg[k] for k in stamps))
    return conditional_json(
        request,
        build,
        parts=[agg[k] for k in sorted(agg)],
        scopes=scopes or (),
        last_modified=changed,
    )


# --- root -----------------------------------------------------------------------------


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The API root: every endpoint with its URL, so clients need not build URLs."""

    def url(name: str, *args: Any) -> str:
        return absolute(request, name, *args)

    body = {
        "name": "Parallax API",
        "description": (
            "Read-only data on incidents and the official statements about them, "
            "attributed to who said them and where. Parallax does not rate claims."
        ),
        "documentation": "docs/api.md in the Parallax repository",
        "visibility": audience(request),
        "endpoints": {
            "incidents": url("api:incident_list"),
            "statements": url("api:statement_list"),
            "actors": url("api:actor_list"),
            "parties": url("api:party_list"),
            "sources": url("api:source_list"),
            "annotations": url("api:annotation_collection"),
        },
        "exports": {
            "incidents_csv": url("api:export_incidents", "csv"),
            "incidents_json": url("api:export_incidents", "json"),
            "statements_csv": url("api:export_statements", "csv"),
            "statements_json": url("api:export_statements", "json"),
        },
        "feeds": {"incidents_atom": url("api:incident_feed")},
        "filters": {
            "incidents": list(filters.IncidentFilterForm.base_fields),
            "statements": list(filters.StatementFilterForm.base_fields),
            "actors": list(filters.ActorFilterForm.base_fields),
            "parties": list(filters.PartyFilterForm.base_fields),
            "sources": list(filters.SourceFilterForm.base_fields),
            "annotations": list(filters.AnnotationFilterForm.base_fields),
            "pagination": list(filters.PageForm.base_fields),
        },
    }
    return conditional_json(request, lambda: body)


# --- incidents ------------------------------------------------------------------------


def _incident_page(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    return qs.select_related("conflict").prefetch_related("places")


@require_safe
@handles_bad_input
def incident_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.IncidentFilterForm, request, paged=True)
    qs = form.filter(Incident.objects.visible_to(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        incident_item,
        stamps={"changed": Max("updated_at")},
        page_qs=_incident_page,
        scopes=caching.list_scopes(),
    )


@require_safe
def incident_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    inc = Incident.objects.visible_to(user).select_related("conflict").filter(slug=slug).first()
    if inc is None:
        return finish(request, not_found("No such incident."))
    statements = Statement.objects.visible_to(user).filter(incident=inc)
    st_agg = statements.aggregate(n=Count("pk"), changed=Max("updated_at"))
    pt_agg = inc.points.aggregate(n=Count("pk"), changed=Max("updated_at"))

    def build() -> dict[str, Any]:
        sides = ConflictSide.objects.filter(conflict=inc.conflict_id).select_related("party")
        related = Incident.objects.visible_to(user).filter(related=inc)
        return {
            **incident_item(request, inc),
            "sides": [{"slug": cs.party.slug, "name": cs.party.name} for cs in sides],
            "third_parties": [
                {"slug": p.slug, "name": p.name} for p in inc.conflict.third_parties.all()
            ],
            "points_of_contention": [
                {"id": p.pk, "label": p.label, "description": p.description, "order": p.order}
                for p in inc.points.all()
            ],
            "statement_count": st_agg["n"],
            "statements": [
                {
                    "id": s.pk,
                    "url": absolute(request, "api:statement_detail", s.pk),
                    "actor": s.actor.name,
                    "party": s.party.slug,
                    "issued_on": iso(s.issued_on),
                    "statement_type": s.statement_type,
                    "kind": s.kind,
                    "status": s.status,
                    "text": s.text,
                }
                for s in statements.select_related("actor", "party")
            ],
            "related": [
                {
                    "slug": r.slug,
                    "title": r.title,
                    "url": absolute(request, "api:incident_detail", r.slug),
                }
                for r in related
            ],
            "links": {
                "statements": absolute(request, "api:statement_list") + f"?incident={inc.slug}",
                "annotations": absolute(request, "api:incident_annotations", inc.slug),
                "statements_csv": absolute(request, "api:export_statements", "csv")
                + f"?incident={inc.slug}",
            },
        }

    return conditional_json(
        request,
        build,
        parts=[inc.pk, inc.updated_at, st_agg, pt_agg],
        scopes=caching.incident_scopes(inc.pk, inc.conflict_id),
        last_modified=latest(inc.updated_at, st_agg["changed"], pt_agg["changed"]),
    )


# --- statements -----------------------------------------------------------------------


def _statement_page(qs: QuerySet[Statement]) -> QuerySet[Statement]:
    return qs.select_related("incident", "actor", "party", "leaning_towards", "source").defer(
        "source__archived_text"
    )


@require_safe
@handles_bad_input
def statement_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.StatementFilterForm, request, paged=True)
    qs = form.filter(Statement.objects.visible_to(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        statement_item,
        # Items show their incident's title and their source: those changing must
        # change the validators too.
        stamps={
            "changed": Max("updated_at"),
            "incident_changed": Max("incident__updated_at"),
            "source_changed": Max("source__updated_at"),
        },
        page_qs=_statement_page,
        scopes=caching.text_scopes(),
    )


def _visible_statement(request: HttpRequest, pk: int) -> Statement | None:
    return (
        _statement_page(Statement.objects.visible_to(request.user))
        .select_related("actor__party", "incident__conflict")
        .filter(pk=pk)
        .first()
    )


@require_safe
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    st = _visible_statement(request, pk)
    if st is None:
        return finish(request, not_found("No such statement."))
    annotations = Annotation.objects.visible_to(request.user).filter(statement=st)
    claims = Claim.objects.filter(statement=st)
    an_agg = annotations.aggregate(n=Count("pk"), changed=Max("updated_at"))
    cl_agg = claims.aggregate(n=Count("pk"), changed=Max("updated_at"))

    def build() -> dict[str, Any]:
        return {
            **statement_item(request, st),
            "claims": [
                {
                    "id": c.pk,
                    "point": {"id": c.point_id, "label": c.point.label},
                    "quote": c.quote,
                    "start": c.start,
                    "end": c.end,
                    "figure": c.figure,
                    "figure_unit": c.figure_unit,
                    "needs_review": c.needs_review,
                }
                for c in claims.select_related("point").order_by("start", "pk")
            ],
            "annotations": [
                {
                    "id": a.pk,
                    "url": absolute(request, "api:annotation_detail", a.pk),
                    "tag": a.tag,
                    "body": a.body,
                    "visibility": a.visibility,
                    "quote": a.quote,
                    "start": a.start,
                    "end": a.end,
                    "prefix": a.prefix,
                    "suffix": a.suffix,
                    "needs_review": a.needs_review,
                    "created_at": iso(a.created_at),
                    "updated_at": iso(a.updated_at),
                }
                for a in annotations.order_by("start", "pk")
            ],
            "links": {
                "annotations": absolute(request, "api:statement_annotations", st.pk),
                "claim_jsonld": absolute(request, "api:statement_claim", st.pk),
            },
        }

    return conditional_json(
        request,
        build,
        parts=[st.pk, st.updated_at, st.incident.updated_at, an_agg, cl_agg],
        scopes=caching.incident_scopes(st.incident_id, st.incident.conflict_id),
        last_modified=latest(
            st.updated_at, st.incident.updated_at, an_agg["changed"], cl_agg["changed"]
        ),
    )


@require_safe
def statement_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as a schema.org Claim (the same document its page embeds)."""
    st = _visible_statement(request, pk)
    if st is None:
        return finish(request, not_found("No such statement."))
    return conditional_json(
        request,
        lambda: claim_document(request, st),
        parts=[st.pk, st.updated_at, st.incident.updated_at],
        scopes=caching.incident_scopes(st.incident_id, st.incident.conflict_id),
        last_modified=latest(st.updated_at, st.incident.updated_at),
        content_type="application/ld+json",
    )


# --- actors, parties, sources ---------------------------------------------------------


def _actor_page(request: HttpRequest, qs: QuerySet[Actor]) -> QuerySet[Actor]:
    return (
        qs.select_related("party")
        .annotate(statement_count=visible_statement_count(request.user, "actor"))
        .order_by("name", "pk")
    )


@require_safe
@handles_bad_input
def actor_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.ActorFilterForm, request, paged=True)
    qs = form.filter(filters.visible_actors(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        actor_item,
        stamps=None,
        page_qs=lambda q: _actor_page(request, q),
    )


@require_safe
def actor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _actor_page(request, filters.visible_actors(request.user).filter(slug=slug)).first()
    if actor is None:
        return finish(request, not_found("No such actor."))

    def build() -> dict[str, Any]:
        return {
            **actor_item(request, actor),
            "links": {
                "statements": absolute(request, "api:statement_list") + f"?actor={actor.slug}"
            },
        }

    return conditional_json(request, build)


def _party_page(qs: QuerySet[Party]) -> QuerySet[Party]:
    # No statement_count in the list: counting every statement of every party on
    # each request is the one cost here that grows with the data (the detail has it).
    return qs.prefetch_related(
        Prefetch(
            "conflictside_set",
            queryset=ConflictSide.objects.select_related("conflict").order_by("conflict"),
        ),
        "observed_conflicts",
    ).order_by("name", "pk")


@require_safe
@handles_bad_input
def party_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.PartyFilterForm, request, paged=True)
    qs = form.filter(Party.objects.all(), request.user)
    return list_response(request, qs, form, party_item, stamps=None, page_qs=_party_page)


@require_safe
def party_detail(request: HttpRequest, slug: str) -> HttpResponse:
    party = (
        _party_page(Party.objects.filter(slug=slug))
        .annotate(statement_count=visible_statement_count(request.user, "party"))
        .first()
    )
    if party is None:
        return finish(request, not_found("No such party."))

    def build() -> dict[str, Any]:
        actors = filters.visible_actors(request.user).filter(party=party).order_by("name")
        return {
            **party_item(request, party),
            "actors": [
                {
                    "slug": a.slug,
                    "name": a.name,
                    "url": absolute(request, "api:actor_detail", a.slug),
                }
                for a in actors
            ],
            "links": {
                "statements": absolute(request, "api:statement_list") + f"?party={party.slug}"
            },
        }

    return conditional_json(request, build)


def _source_page(request: HttpRequest, qs: QuerySet[Source]) -> QuerySet[Source]:
    return (
        qs.defer("archived_text")
        .annotate(statement_count=visible_statement_count(request.user, "source"))
        .order_by("-published_on", "title", "pk")
    )


@require_safe
@handles_bad_input
def source_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.SourceFilterForm, request, paged=True)
    qs = form.filter(Source.objects.visible_to(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        source_item,
        stamps={"changed": Max("updated_at")},
        page_qs=lambda q: _source_page(request, q),
    )


@require_safe
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    src = _source_page(request, Source.objects.visible_to(request.user).filter(pk=pk)).first()
    if src is None:
        return finish(request, not_found("No such source."))

    def build() -> dict[str, Any]:
        return {
            **source_item(request, src),
            "links": {
                "statements": absolute(request, "api:statement_list") + f"?source={src.pk}",
            },
        }

    return conditional_json(
        request,
        build,
        parts=[src.pk, src.updated_at, getattr(src, "statement_count", None)],
        last_modified=src.updated_at,
    )


@require_safe
def source_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """The archived copy of a source's text, exactly the bytes its SHA-256 covers.

    The strong ETag is that hash; Repr-Digest (RFC 9530) carries it for checking."""
    src = Source.objects.visible_to(request.user).filter(pk=pk).first()
    if src is None:
        return finish(request, not_found("No such source."))
    etag = f'"{src.sha256}"'
    if request.headers.get("If-None-Match", "").strip() in {etag, f"W/{etag}"}:
        response: HttpResponse = HttpResponse(status=304)
    else:
        response = HttpResponse(src.archived_text, content_type="text/plain; charset=utf-8")
    digest = base64.b64encode(bytes.fromhex(src.sha256)).decode()
    response["ETag"] = etag
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    if src.captured_at:
        response["Last-Modified"] = http_date(src.captured_at.timestamp())
    return finish(request, response)


# --- Web Annotations ------------------------------------------------------------------


def _annotation_page_qs(qs: QuerySet[Annotation]) -> QuerySet[Annotation]:
    return (
        qs.select_related("statement__source", "author", "evidence")
        .defer("statement__source__archived_text", "evidence__archived_text")
        .order_by("statement__issued_on", "statement_id", "start", "pk")
    )


def annotation_collection_response(
    request: HttpRequest, qs: QuerySet[Annotation], label: str
) -> HttpResponse:
    """An AnnotationCollection with its first page embedded; `?page=N` answers with
    that AnnotationPage on its own (Web Annotation Protocol, section 4)."""
    form = read(filters.AnnotationFilterForm, request, paged=True)
    qs = form.filter(qs, request.user)
    agg = qs.aggregate(n=Count("pk"), changed=Max("updated_at"))
    paging = Paging(request, agg["n"], ANNOTATION_PAGE_SIZE)
    if paging.out_of_range:
        return finish(request, paging.missing())
    params = request.GET.copy()
    params.pop("page", None)
    collection_id = request.build_absolute_uri(
        request.path + (f"?{params.urlencode()}" if params else "")
    )

    def page_document() -> dict[str, Any]:
        page: dict[str, Any] = {
            "id": paging.url(paging.number),
            "type": "AnnotationPage",
            "partOf": {"id": collection_id, "total": paging.count},
            "startIndex": paging.offset,
            "items": [
                annotation_document(request, a, with_context=False)
                for a in paging.slice(qs, _annotation_page_qs)
            ],
        }
        if paging.url(paging.number + 1):
            page["next"] = paging.url(paging.number + 1)
        if paging.url(paging.number - 1):
            page["prev"] = paging.url(paging.number - 1)
        return page

    def build() -> dict[str, Any]:
        if "page" in request.GET:
            return {"@context": ANNO_CONTEXTS, **page_document()}
        collection: dict[str, Any] = {
            "@context": ANNO_CONTEXTS,
            "id": collection_id,
            "type": "AnnotationCollection",
            "label": label,
            "total": paging.count,
        }
        if paging.count:
            first = page_document()
            del first["partOf"]
            collection["first"] = first
            collection["last"] = paging.url(paging.num_pages)
        return collection

    return conditional_json(
        request,
        build,
        parts=[agg["n"], agg["changed"]],
        last_modified=agg["changed"],
        content_type=ANNO_PROFILE,
    )


@require_safe
@handles_bad_input
def annotation_collection(request: HttpRequest) -> HttpResponse:
    qs = Annotation.objects.visible_to(request.user)
    label = "Parallax annotations" + (
        " (public and internal)" if audience(request) == "internal" else ""
    )
    return annotation_collection_response(request, qs, label)


@require_safe
@handles_bad_input
def statement_annotations(request: HttpRequest, pk: int) -> HttpResponse:
    st = Statement.objects.visible_to(request.user).filter(pk=pk).first()
    if st is None:
        return finish(request, not_found("No such statement."))
    qs = Annotation.objects.visible_to(request.user).filter(statement=st)
    return annotation_collection_response(request, qs, f"Annotations on statement {st.pk}")


@require_safe
@handles_bad_input
def incident_annotations(request: HttpRequest, slug: str) -> HttpResponse:
    inc = Incident.objects.visible_to(request.user).filter(slug=slug).first()
    if inc is None:
        return finish(request, not_found("No such incident."))
    qs = Annotation.objects.visible_to(request.user).filter(statement__incident=inc)
    return annotation_collection_response(request, qs, f"Annotations on “{inc.title}”")


@require_safe
def annotation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ann = _annotation_page_qs(Annotation.objects.visible_to(request.user)).filter(pk=pk).first()
    if ann is None:
        return finish(request, not_found("No such annotation."))
    return conditional_json(
        request,
        lambda: annotation_document(request, ann),
        parts=[ann.pk, ann.updated_at],
        last_modified=ann.updated_at,
        content_type=ANNO_PROFILE,
    )


# --- exports --------------------------------------------------------------------------


class _Echo:
    """csv.writer target that hands each formatted row back instead of storing it."""

    def write(self, value: str) -> str:
        return value


# Spreadsheet programs run a cell starting with one of these as a formula; such
# cells get a leading apostrophe (OWASP "CSV injection"). Documented in docs/api.md.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rows(objects: Iterator[Any], columns: list[Column], base: str) -> Iterator[list[Any]]:
    for obj in objects:
        row = []
        for name, get in columns:
            value = get(obj)
            if name == "url":
                value = base + value
            row.append(value)
        yield row


def _stream(
    request: HttpRequest,
    fmt: str,
    name: str,
    columns: list[Column],
    qs: QuerySet[Any],
    form: forms.Form,
) -> HttpResponseBase:
    # iterator(chunk_size) with prefetch_related: one query per chunk for the rows'
    # places, so a 300,000-row export runs a few hundred queries, not 300,000.
    base = request.build_absolute_uri("/").rstrip("/")
    rows = _rows(qs.iterator(chunk_size=EXPORT_CHUNK), columns, base)
    header = [c[0] for c in columns]
    stamp = timezone.now()
    filename = f"parallax-{name}-{stamp:%Y%m%d}.{fmt}"
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow(header)
            for row in rows:
                yield writer.writerow([_csv_cell(v) for v in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    else:

        def chunks() -> Iterator[str]:
            head = {
                "generated_at": stamp,
                "visibility": audience(request),
                "filters": active_filters(form),
                "columns": header,
            }
            yield dumps(head)[:-1] + ', "results": ['
            first = True
            for row in rows:
                values = [iso(v) if hasattr(v, "isoformat") else v for v in row]
                yield ("\n" if first else ",\n") + dumps(dict(zip(header, values, strict=True)))
                first = False
            yield "\n]}\n"

        response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return finish(request, response)


@require_safe
@handles_bad_input
def export_incidents_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    form = read(filters.IncidentFilterForm, request)
    qs = form.filter(Incident.objects.visible_to(request.user), request.user)
    return _stream(
        request, fmt, "incidents", INCIDENT_COLUMNS, export_incidents(qs, request.user), form
    )


@require_safe
@handles_bad_input
def export_statements_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    form = read(filters.StatementFilterForm, request)
    qs = form.filter(Statement.objects.visible_to(request.user), request.user)
    return _stream(request, fmt, "statements", STATEMENT_COLUMNS, export_statements(qs), form)
