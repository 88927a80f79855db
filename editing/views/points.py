"""Points of contention of an incident: add, edit, reorder."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from editing.forms import (
    PointForm,
)
from incidents.models import (
    Incident,
    PointOfContention,
)

from .common import _reason, _save, _status


def _points_context(incident: Incident, add_form: PointForm | None = None, **kw: Any):
    points = list(incident.points.all())
    forms = {p.pk: PointForm(instance=p, prefix=f"p{p.pk}") for p in points}
    forms.update(kw.get("forms", {}))
    return {
        "incident": incident,
        "rows": [(p, forms[p.pk]) for p in points],
        "add_form": add_form or PointForm(prefix="new"),
    }


def _points_response(
    request: HtmxHttpRequest, incident: Incident, status: int = 200, **kw: Any
) -> HttpResponse:
    if request.htmx or status != 200 or request.method == "GET":
        template = "editing/points.html"
        if request.htmx:
            template += "#points"
        return render(
            request, template, _points_context(incident, **kw), status=_status(request, status)
        )
    return redirect("editing:points", slug=incident.slug)


@editor_required
@require_GET
def points(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _points_response(request, get_object_or_404(Incident, slug=slug))


@editor_required
@require_POST
def point_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    incident = get_object_or_404(Incident, slug=slug)
    form = PointForm(request.POST, prefix="new")
    form.instance.incident = incident
    if form.is_valid():
        last = incident.points.aggregate(m=Max("order"))["m"]
        form.instance.order = 0 if last is None else last + 1
        _save(request, form, "added")
        messages.success(request, f"Point “{form.instance.label}” added.")
        return _points_response(request, incident)
    return _points_response(request, incident, 400, add_form=form)


@editor_required
@require_POST
def point_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(PointOfContention.objects.select_related("incident"), pk=pk)
    incident = point.incident
    form = PointForm(request.POST, instance=point, prefix=f"p{pk}")
    if form.is_valid():
        if _save(request, form, "renamed") is not None:
            messages.success(request, f"Point renamed to “{form.instance.label}”.")
            return _points_response(request, incident)
        current = form.concurrent
        data = request.POST.copy()
        data[f"p{pk}-version"] = str(current.version)
        fresh = PointOfContention.objects.get(pk=pk)
        form = PointForm(data, instance=fresh, prefix=f"p{pk}")
        form.is_valid()
        form.concurrent = current
        messages.error(
            request, f"Another editor renamed this point to “{current.label}” meanwhile."
        )
        return _points_response(request, incident, 409, forms={pk: form})
    return _points_response(request, incident, 400, forms={pk: form})


@editor_required
@require_POST
def point_move(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(PointOfContention.objects.select_related("incident"), pk=pk)
    incident = point.incident
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        messages.error(request, "Move a point up or down.")
        return _points_response(request, incident, 400)
    with transaction.atomic():
        ordered = list(incident.points.select_for_update().order_by("order", "id"))
        i = next(n for n, p in enumerate(ordered) if p.pk == point.pk)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(ordered):
            ordered[i], ordered[j] = ordered[j], ordered[i]
            for order, p in enumerate(ordered):
                if p.order != order:
                    p.order = order
                    _reason(p, "reordered")
                    p.save_versioned(p.version)
    return _points_response(request, incident)
