"""The span workspace of a statement: annotations, claims and claim relations on selected
words."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from editing.forms import (
    AnnotationForm,
    ClaimForm,
    ClaimRelationForm,
    VersionedForm,
)
from incidents.comparison import by_point_and_side
from incidents.models import (
    Annotation,
    Claim,
    ClaimRelation,
    Statement,
)
from incidents.segments import Span, segment_text
from incidents.sides import SideOrder

from .common import _conflict_form, _next_url, _reason, _save, _status, _user
from .statements import _card_key


def _segments(text: str, spans: list[Annotation | Claim]) -> list[dict[str, Any]]:
    """The statement text cut for highlighting (incidents.segments), each piece with
    the annotations and claims covering it. A span awaiting re-anchoring is left out:
    its offsets may point at other words."""
    pieces = segment_text(text, [Span(s.start, s.end, item=s) for s in spans if not s.needs_review])
    return [
        {
            "text": seg.text,
            "annotations": [i for i in seg.items if isinstance(i, Annotation)],
            "claims": [i for i in seg.items if isinstance(i, Claim)],
        }
        for seg in pieces
    ]


def _workspace_context(
    statement: Statement,
    annotation_form: AnnotationForm | None = None,
    claim_form: ClaimForm | None = None,
) -> dict[str, Any]:
    annotations = list(
        statement.annotations.select_related("evidence", "author").order_by("start", "id")
    )
    claims = list(
        statement.claims.select_related("point")
        .prefetch_related("relations_from__to_claim__statement__actor")
        .order_by("start", "id")
    )
    incident = statement.incident
    points = list(incident.points.all())
    sides = incident.sides()
    grid_claims = list(
        Claim.objects.filter(statement__incident=incident)
        .select_related("statement__actor", "statement__party", "point")
        .prefetch_related("relations_from__to_claim__statement__actor")
    )
    for claim in claims:
        form = ClaimRelationForm(from_claim=claim, prefix=f"rel{claim.pk}")
        # Choices from the claims already loaded for the grid: no query per claim.
        form.fields["to_claim"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a claim…"),
            *[
                (other.pk, form.fields["to_claim"].label_from_instance(other))  # type: ignore[attr-defined]
                for other in grid_claims
                if other.pk != claim.pk
            ],
        ]
        claim.relation_form = form  # type: ignore[attr-defined]
    grid = by_point_and_side(
        points,
        SideOrder(sides),
        ((c.point_id, c.statement.party_id, c) for c in grid_claims),
    )
    return {
        "statement": statement,
        "incident": incident,
        "segments": _segments(statement.text, [*annotations, *claims]),
        "annotations": annotations,
        "claims": claims,
        "annotation_form": annotation_form or AnnotationForm(statement=statement),
        "claim_form": claim_form or ClaimForm(statement=statement),
        "points": points,
        "sides": sides,
        "grid": grid,
        "can_relate": len(grid_claims) > 1,
        "can_edit": True,
    }


def _statement_for_spans(pk: int) -> Statement:
    return get_object_or_404(
        Statement.objects.select_related("incident__conflict", "actor", "party", "source"), pk=pk
    )


@editor_required
@require_GET
def statement_spans(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_for_spans(pk)
    template = "editing/statement_spans.html"
    if request.htmx and request.GET.get("part") == "forms":
        # The annotate/assign forms inside a statement card of a public page.
        # Saving comes back to the page the card is on, scrolled to the card: that
        # page's URL opens the card again (?card=, incidents.views.open_card).
        came_from = request.headers.get("HX-Current-URL") or statement.get_absolute_url()
        key = _card_key(request) or f"statement-{statement.pk}"
        context = {
            **_workspace_context(
                statement,
                annotation_form=AnnotationForm(statement=statement, auto_id=f"{key}-annotate-%s"),
                claim_form=ClaimForm(statement=statement, auto_id=f"{key}-assign-%s"),
            ),
            "in_card": True,
            "next_url": _same_site_path(came_from, statement.get_absolute_url()).split("#")[0]
            + f"#{key}",
            "card_key": key,
        }
        return render(request, template + "#span-forms", context)
    if request.htmx:
        template += "#span-workspace"
    return render(request, template, _workspace_context(statement))


def _same_site_path(url: str, default: str) -> str:
    """The path and query of a URL of this site (HX-Current-URL is absolute)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not path.startswith("//") else default


def _workspace_response(
    request: HtmxHttpRequest, statement: Statement, status: int = 200, **forms: Any
) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "editing/statement_spans.html#span-workspace",
            _workspace_context(statement, **forms),
            status=_status(request, status),
        )
    if status != 200:
        return render(
            request,
            "editing/statement_spans.html",
            _workspace_context(statement, **forms),
            status=status,
        )
    return redirect(_next_url(request, reverse("editing:statement_spans", args=[statement.pk])))


@editor_required
@require_POST
def annotation_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_for_spans(pk)
    form = AnnotationForm(request.POST, statement=statement)
    if form.is_valid():
        form.instance.author = _user(request)
        try:
            _save(request, form, "annotated")
        except (IntegrityError, ValidationError):
            form.add_error(None, "The statement changed meanwhile; select the words again.")
            return _workspace_response(request, statement, 409, annotation_form=form)
        messages.success(request, "Annotation added.")
        return _workspace_response(request, statement)
    return _workspace_response(request, statement, 400, annotation_form=form)


@editor_required
@require_http_methods(["GET", "POST"])
def annotation_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    annotation = get_object_or_404(
        Annotation.objects.select_related("statement__incident", "statement__actor"), pk=pk
    )
    return _span_edit(request, annotation, AnnotationForm, "annotation")


@editor_required
@require_http_methods(["GET", "POST"])
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(
        Claim.objects.select_related("statement__incident", "statement__actor", "point"), pk=pk
    )
    return _span_edit(request, claim, ClaimForm, "claim")


def _span_edit(
    request: HtmxHttpRequest, span: Any, form_class: type[VersionedForm], kind: str
) -> HttpResponse:
    """Edit an annotation's note or a claim's point, and optionally its words (also
    the way to fix one flagged needs_review after a text correction)."""
    statement = span.statement
    template = f"editing/{kind}_form.html"
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, instance=span, statement=statement)
        if form.is_valid():
            try:
                saved = _save(request, form, f"{kind} edited")
            except ValidationError as exc:
                form.add_error(None, exc)
                return render(
                    request,
                    template + (f"#{kind}-form" if request.htmx else ""),
                    {"form": form, kind: span, "statement": statement},
                    status=_status(request, 409),
                )
            if saved is not None:
                messages.success(request, f"{kind.capitalize()} saved.")
                if not request.htmx:
                    return redirect("editing:statement_spans", pk=statement.pk)
                span, form = saved, form_class(instance=saved, statement=statement)
            else:
                form = _conflict_form(form_class, request, form.concurrent, statement=statement)
                span = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        form = form_class(instance=span, statement=statement)
    if request.htmx and request.method == "POST":
        template += f"#{kind}-form"
    return render(
        request, template, {"form": form, kind: span, "statement": statement}, status=status
    )


@editor_required
@require_POST
def annotation_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    annotation = get_object_or_404(Annotation.objects.select_related("statement"), pk=pk)
    statement = annotation.statement
    _reason(annotation, "deleted")
    annotation.delete()
    messages.success(request, "Annotation deleted (its history keeps it and can restore it).")
    return _workspace_response(request, _statement_for_spans(statement.pk))


@editor_required
@require_POST
def claim_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    statement = _statement_for_spans(pk)
    form = ClaimForm(request.POST, statement=statement)
    if form.is_valid():
        try:
            _save(request, form, "claim assigned")
        except (IntegrityError, ValidationError):
            form.add_error(None, "The statement changed meanwhile; select the words again.")
            return _workspace_response(request, statement, 409, claim_form=form)
        messages.success(request, f"Claim assigned to “{form.instance.point}”.")
        return _workspace_response(request, statement)
    return _workspace_response(request, statement, 400, claim_form=form)


@editor_required
@require_POST
def claim_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim, pk=pk)
    statement_pk = claim.statement_id
    _reason(claim, "deleted")
    claim.delete()
    messages.success(request, "Claim removed from its point.")
    return _workspace_response(request, _statement_for_spans(statement_pk))


@editor_required
@require_POST
def relation_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.select_related("statement"), pk=pk)
    form = ClaimRelationForm(request.POST, from_claim=claim, prefix=f"rel{claim.pk}")
    statement = _statement_for_spans(claim.statement_id)
    if form.is_valid():
        relation = form.save(commit=False)
        relation.created_by = _user(request)
        try:
            with transaction.atomic():
                # Both claims held until the relation is stored: a claim deleted
                # meanwhile is reported as such, not as a duplicate.
                ids = sorted({relation.from_claim_id, relation.to_claim_id})
                if len(
                    Claim.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
                ) != len(ids):
                    messages.error(request, "One of the claims was removed meanwhile.")
                    return _workspace_response(request, statement, 409)
                relation.save()
        except IntegrityError:
            messages.error(request, "That relation is already recorded.")
            return _workspace_response(request, statement, 400)
        messages.success(request, f"Recorded: this claim {relation.get_kind_display()} another.")
        return _workspace_response(request, statement)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return _workspace_response(request, statement, 400)


@editor_required
@require_POST
def relation_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    relation = get_object_or_404(ClaimRelation.objects.select_related("from_claim"), pk=pk)
    statement_pk = relation.from_claim.statement_id
    relation.delete()
    messages.success(request, "Relation removed.")
    return _workspace_response(request, _statement_for_spans(statement_pk))
