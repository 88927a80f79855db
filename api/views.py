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
import hashlib
import math
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Count, Max, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.http import http_date

from incidents import caching
from incidents.models import (
    Actor,
    Annotation,
    Claim,
    Conflict,
    ConflictSide,
    Incident,
    Party,
    Source,
    Statement,
)

from . import filters
from .conditional import audience, conditional_json, latest
from .cursor import CursorPage, choose_sort
from .endpoint import endpoint, json_error, not_found, read
from .exports import DATASETS, WRITERS
from .jsonld import ANNO_CONTEXTS, ANNO_PROFILE, annotation_document, claim_document
from .representations import (
    absolute,
    actor_item,
    incident_item,
    iso,
    party_item,
    precise_date,
    source_item,
    statement_item,
    visible_statement_count,
)

DEFAULT_PAGE_SIZE = 50
ANNOTATION_PAGE_SIZE = 100


# --- parameters -----------------------------------------------------------------------


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
            "license": settings.DATA_LICENSE_URL,
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
    sorts: list[str],
    scopes: list[str] | None = None,
) -> HttpResponse:
    """A paginated list: one aggregate query (count and latest changes, used for the
    count and the validators), then the page's ids and its rows.

    Pages are cursor pages (api.cursor: stable while the data changes) unless the
    client asks for a numbered `page` (offset pages, for jumping to page N)."""
    sort = choose_sort(request, sorts, sorts[0])
    qs = qs.order_by(*sort.order())
    aggregates = {"n": Count("pk")}
    aggregates.update(stamps or {})
    agg = qs.aggregate(**aggregates)
    paging = Paging(request, agg["n"], DEFAULT_PAGE_SIZE)
    if paging.out_of_range:
        return paging.missing()
    by_cursor = "page" not in request.GET
    cursor = CursorPage(request, sort, paging.size) if by_cursor else None

    def build() -> dict[str, Any]:
        if cursor is None:
            body = paging.envelope([item(request, o) for o in paging.slice(qs, page_qs)], form)
        else:
            rows = cursor.rows(qs, page_qs)
            body = paging.envelope([item(request, o) for o in rows], form)
            body.update(page=None, next=cursor.next, previous=cursor.previous)
        body["sort"] = sort.name
        return body

    if stamps is None:
        return conditional_json(request, build, scopes=scopes)
    changed = latest(*(agg[k] for k in stamps))
    return conditional_json(
        request, build, parts=[agg[k] for k in sorted(agg)], last_modified=changed, scopes=scopes
    )


# --- root -----------------------------------------------------------------------------


@endpoint()
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
            f"{name}_{fmt.replace('.', '_')}": url(f"api:export_{name}", fmt)
            for name in DATASETS
            for fmt in WRITERS
        },
        "openapi": url("api:openapi"),
        "license": settings.DATA_LICENSE_URL,
        "feeds": {"incidents_atom": url("api:incident_feed")},
        "filters": {
            "incidents": list(filters.IncidentQueryForm.base_fields),
            "statements": list(filters.StatementFilterForm.base_fields),
            "actors": list(filters.ActorFilterForm.base_fields),
            "parties": list(filters.PartyFilterForm.base_fields),
            "sources": list(filters.SourceFilterForm.base_fields),
            "annotations": list(filters.AnnotationFilterForm.base_fields),
            "pagination": list(filters.PageForm.base_fields),
        },
    }
    return conditional_json(request, lambda: body)


@endpoint(any_params=True)
def unknown_path(request: HttpRequest) -> HttpResponse:
    # The catch-all resolves every path, so CommonMiddleware's APPEND_SLASH no longer
    # redirects "/api/incidents" to "/api/incidents/": done here instead.
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "unknown_path":
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(
                request.path + "/" + (f"?{query}" if query else "")
            )
    return not_found(
        f"No API endpoint at {request.path}. The endpoints are listed at "
        f"{absolute(request, 'api:index')}."
    )


# --- incidents ------------------------------------------------------------------------


def _incident_page(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    return qs.select_related("conflict").prefetch_related("places")


@endpoint(filters.IncidentQueryForm, paged=True)
def incident_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.IncidentQueryForm, request, paged=True)
    qs = form.filter(Incident.objects.visible_to(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        incident_item,
        stamps={"changed": Max("updated_at")},
        page_qs=_incident_page,
        sorts=filters.IncidentQueryForm.SORTS,
        # What lists of incidents show, in every conflict.
        scopes=caching.list_scopes(),
    )


@endpoint()
def incident_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    inc = Incident.objects.visible_to(user).select_related("conflict").filter(slug=slug).first()
    if inc is None:
        return not_found("No such incident.")
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
                {"slug": p.slug, "name": p.name}
                for p in Party.objects.visible_to(user).filter(observed_conflicts=inc.conflict)
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
                    "issued_on": precise_date(s.issued_on, s.issued_precision),
                    "issued_precision": s.issued_precision,
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

    # The incident and everything under it, and the related incidents' titles.
    related = Incident.objects.visible_to(user).filter(related=inc).values_list("pk", flat=True)
    scopes = caching.incident_scopes(inc.pk, inc.conflict_id)
    return conditional_json(
        request,
        build,
        scopes=[*scopes, *(caching.incident(pk) for pk in related)],
        parts=[inc.pk, inc.updated_at, st_agg, pt_agg],
        last_modified=latest(inc.updated_at, st_agg["changed"], pt_agg["changed"]),
    )


# --- statements -----------------------------------------------------------------------


def _statement_page(qs: QuerySet[Statement]) -> QuerySet[Statement]:
    return qs.select_related("incident", "actor", "party", "leaning_towards", "source").defer(
        "source__archived_text"
    )


@endpoint(filters.StatementFilterForm, paged=True)
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
        sorts=filters.StatementFilterForm.SORTS,
        # Statements' words, statuses, speakers and sources, in every conflict.
        scopes=caching.text_scopes(),
    )


def _visible_statement(request: HttpRequest, pk: int) -> Statement | None:
    return (
        _statement_page(Statement.objects.visible_to(request.user))
        .select_related("actor__party", "incident__conflict")
        .filter(pk=pk)
        .first()
    )


@endpoint()
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    st = _visible_statement(request, pk)
    if st is None:
        return not_found("No such statement.")
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
        scopes=caching.incident_scopes(st.incident_id, st.incident.conflict_id),
        parts=[st.pk, st.updated_at, st.incident.updated_at, an_agg, cl_agg],
        last_modified=latest(
            st.updated_at, st.incident.updated_at, an_agg["changed"], cl_agg["changed"]
        ),
    )


@endpoint()
def statement_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as a schema.org Claim (the same document its page embeds)."""
    st = _visible_statement(request, pk)
    if st is None:
        return not_found("No such statement.")
    return conditional_json(
        request,
        lambda: claim_document(request, st),
        scopes=caching.incident_scopes(st.incident_id, st.incident.conflict_id),
        parts=[st.pk, st.updated_at, st.incident.updated_at],
        last_modified=latest(st.updated_at, st.incident.updated_at),
        content_type="application/ld+json",
    )


# --- actors, parties, sources ---------------------------------------------------------


def _actor_page(request: HttpRequest, qs: QuerySet[Actor]) -> QuerySet[Actor]:
    return qs.select_related("party").annotate(
        statement_count=visible_statement_count(request.user, "actor")
    )


@endpoint(filters.ActorFilterForm, paged=True)
def actor_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.ActorFilterForm, request, paged=True)
    qs = form.filter(Actor.objects.visible_to(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        actor_item,
        stamps=None,
        page_qs=lambda q: _actor_page(request, q),
        sorts=filters.ActorFilterForm.SORTS,
    )


@endpoint()
def actor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _actor_page(request, Actor.objects.visible_to(request.user).filter(slug=slug)).first()
    if actor is None:
        return not_found("No such actor.")

    def build() -> dict[str, Any]:
        return {
            **actor_item(request, actor),
            "links": {
                "statements": absolute(request, "api:statement_list") + f"?actor={actor.slug}"
            },
        }

    return conditional_json(request, build)


def _party_page(request: HttpRequest, qs: QuerySet[Party]) -> QuerySet[Party]:
    # No statement_count in the list: counting every statement of every party on
    # each request is the one cost here that grows with the data (the detail has it).
    # Only conflicts the user may see are named (a draft-only conflict is internal).
    user = request.user
    return qs.prefetch_related(
        Prefetch(
            "conflictside_set",
            queryset=ConflictSide.objects.visible_to(user)
            .select_related("conflict")
            .order_by("conflict"),
        ),
        Prefetch("observed_conflicts", queryset=Conflict.objects.visible_to(user)),
    )


@endpoint(filters.PartyFilterForm, paged=True)
def party_list(request: HttpRequest) -> HttpResponse:
    form = read(filters.PartyFilterForm, request, paged=True)
    qs = form.filter(Party.objects.visible_to(request.user), request.user)
    return list_response(
        request,
        qs,
        form,
        party_item,
        stamps=None,
        page_qs=lambda q: _party_page(request, q),
        sorts=filters.PartyFilterForm.SORTS,
    )


@endpoint()
def party_detail(request: HttpRequest, slug: str) -> HttpResponse:
    party = (
        _party_page(request, Party.objects.visible_to(request.user).filter(slug=slug))
        .annotate(statement_count=visible_statement_count(request.user, "party"))
        .first()
    )
    if party is None:
        return not_found("No such party.")

    def build() -> dict[str, Any]:
        actors = Actor.objects.visible_to(request.user).filter(party=party).order_by("name")
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
    return qs.defer("archived_text").annotate(
        statement_count=visible_statement_count(request.user, "source")
    )


@endpoint(filters.SourceFilterForm, paged=True)
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
        sorts=filters.SourceFilterForm.SORTS,
    )


@endpoint()
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    src = _source_page(request, Source.objects.visible_to(request.user).filter(pk=pk)).first()
    if src is None:
        return not_found("No such source.")

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


@endpoint()
def source_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """The archived copy of a source's text, exactly the bytes its SHA-256 covers.

    The strong ETag is that hash; Repr-Digest (RFC 9530) carries it for checking."""
    src = Source.objects.visible_to(request.user).filter(pk=pk).first()
    if src is None:
        return not_found("No such source.")
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
    return response


@endpoint()
def statement_text(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement's words as text/plain: the representation the Web Annotations'
    selectors select from (TextPositionSelector offsets are code points into it)."""
    st = Statement.objects.visible_to(request.user).filter(pk=pk).only("text").first()
    if st is None:
        return not_found("No such statement.")
    digest = hashlib.sha256(st.text.encode()).hexdigest()
    etag = f'"{digest}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponse(status=304)
    else:
        response = HttpResponse(st.text, content_type="text/plain; charset=utf-8")
    response["ETag"] = etag
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    return response


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
        return paging.missing()
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


@endpoint(filters.AnnotationFilterForm, paged=True, annotation="container")
def annotation_collection(request: HttpRequest) -> HttpResponse:
    qs = Annotation.objects.visible_to(request.user)
    label = "Parallax annotations" + (
        " (public and internal)" if audience(request) == "internal" else ""
    )
    return annotation_collection_response(request, qs, label)


@endpoint(filters.AnnotationFilterForm, paged=True, annotation="container")
def statement_annotations(request: HttpRequest, pk: int) -> HttpResponse:
    st = Statement.objects.visible_to(request.user).filter(pk=pk).first()
    if st is None:
        return not_found("No such statement.")
    qs = Annotation.objects.visible_to(request.user).filter(statement=st)
    return annotation_collection_response(request, qs, f"Annotations on statement {st.pk}")


@endpoint(filters.AnnotationFilterForm, paged=True, annotation="container")
def incident_annotations(request: HttpRequest, slug: str) -> HttpResponse:
    inc = Incident.objects.visible_to(request.user).filter(slug=slug).first()
    if inc is None:
        return not_found("No such incident.")
    qs = Annotation.objects.visible_to(request.user).filter(statement__incident=inc)
    return annotation_collection_response(request, qs, f"Annotations on “{inc.title}”")


@endpoint(annotation="resource")
def annotation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ann = _annotation_page_qs(Annotation.objects.visible_to(request.user)).filter(pk=pk).first()
    if ann is None:
        return not_found("No such annotation.")
    return conditional_json(
        request,
        lambda: annotation_document(request, ann),
        parts=[ann.pk, ann.updated_at],
        last_modified=ann.updated_at,
        content_type=ANNO_PROFILE,
    )
