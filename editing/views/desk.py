"""The editor's desk (/edit/): drafts, recent changes, imports awaiting review."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from incidents.models import (
    Annotation,
    Claim,
    Incident,
    Source,
    Statement,
)


@editor_required
@require_GET
def index(request: HtmxHttpRequest) -> HttpResponse:
    drafts = Incident.objects.filter(status=Incident.Status.DRAFT).select_related("conflict")[:50]
    draft_statements = (
        Statement.objects.filter(status=Statement.Status.DRAFT)
        .select_related("actor", "incident")
        .order_by("-updated_at")[:50]
    )
    review_claims = Claim.objects.filter(needs_review=True).select_related(
        "statement__actor", "point"
    )[:50]
    review_annotations = Annotation.objects.filter(needs_review=True).select_related(
        "statement__actor"
    )[:50]
    return render(
        request,
        "editing/index.html",
        {
            "drafts": drafts,
            "draft_statements": draft_statements,
            "review_claims": review_claims,
            "review_annotations": review_annotations,
            "recent_incidents": Incident.objects.order_by("-updated_at")[:20],
            "recent_sources": Source.objects.order_by("-updated_at")[:20],
        },
    )
