"""Analysis pages. Everything is computed over what the user may see: the public sees
analysis of published incidents and statements only; analysts and editors also of
drafts."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from core.cache import depends_on
from core.http import HtmxHttpRequest
from incidents import caching
from incidents.models import Conflict, Incident, Statement

from . import framing, measures


def _incident(request: HtmxHttpRequest, slug: str) -> Incident:
    # 404, not 403, for an unpublished incident: the public may not learn it exists.
    incident = get_object_or_404(
        Incident.objects.visible_to(request.user).select_related("conflict"), slug=slug
    )
    depends_on(*caching.incident_scopes(incident.pk, incident.conflict_id))
    return incident


def _conflict(request: HtmxHttpRequest, slug: str) -> Conflict:
    # A conflict with no published incident yet is not public (Conflict.visible_to).
    return get_object_or_404(Conflict.objects.visible_to(request.user), slug=slug)


def _page(request: HtmxHttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_GET
def index(request: HtmxHttpRequest) -> HttpResponse:
    depends_on(*caching.list_scopes())
    incidents = dict(
        Incident.objects.visible_to(request.user)
        .values_list("conflict_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    statements = dict(
        Statement.objects.visible_to(request.user)
        .values_list("incident__conflict_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    conflicts = [
        (c, incidents.get(c.pk, 0), statements.get(c.pk, 0))
        for c in Conflict.objects.visible_to(request.user)
    ]
    return render(request, "analysis/index.html", {"conflicts": conflicts})


@require_GET
def conflict_timeline(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    conflict = _conflict(request, slug)
    depends_on(*caching.list_scopes([conflict.pk]))
    context = {
        "conflict": conflict,
        "tab": "timeline",
        "monthly": measures.monthly(conflict, request.user),
        "lags": measures.lags(conflict, request.user, _page(request)),
    }
    return render(request, "analysis/conflict_timeline.html", context)


@require_GET
def conflict_leanings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    conflict = _conflict(request, slug)
    depends_on(*caching.list_scopes([conflict.pk]))
    context = {
        "conflict": conflict,
        "tab": "leanings",
        "leanings": measures.leanings(conflict, request.user),
    }
    return render(request, "analysis/conflict_leanings.html", context)


@require_GET
def conflict_terms(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    conflict = _conflict(request, slug)
    depends_on(*caching.text_scopes([conflict.pk]))
    context = {
        "conflict": conflict,
        "tab": "terms",
        "terms": measures.distinctive_terms(conflict, request.user),
    }
    return render(request, "analysis/conflict_terms.html", context)


@require_GET
@vary_on_headers("HX-Request")
def incident_framing(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The comparison page loads this into its <section id="framing"> (innerHTML);
    without htmx it is a page of its own."""
    incident = _incident(request, slug)
    context = {
        "incident": incident,
        "rows": framing.incident_framing(incident, request.user),
        "sides": incident.sides(),
    }
    template = "analysis/incident_framing.html"
    if request.htmx:
        template += "#framing"
    return render(request, template, context)


@require_GET
def incident_figures(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    incident = _incident(request, slug)
    return render(request, "analysis/incident_figures.html", {"incident": incident})
