"""Creating, editing and publishing incidents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from editing.forms import (
    IncidentForm,
)
from incidents.models import (
    Incident,
)
from incidents.publishing import OneSidedError, one_sided_message, publish_incident, readiness

from .common import _conflict_form, _next_url, _save, _status, _user


@editor_required
@require_http_methods(["GET", "POST"])
def incident_create(request: HtmxHttpRequest) -> HttpResponse:
    return _incident_form(request, Incident())


@editor_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _incident_form(request, get_object_or_404(Incident, slug=slug))


def _incident_page_context(incident: Incident, form: IncidentForm) -> dict[str, Any]:
    return {
        "form": form,
        "incident": incident,
        "creating": False,
        "statements": incident.statements.select_related("actor", "party"),
        "points": incident.points.all(),
    }


def _incident_form(request: HtmxHttpRequest, incident: Incident) -> HttpResponse:
    template = "editing/incident_form.html"
    status = 200
    creating = incident.pk is None
    if request.method == "POST":
        form = IncidentForm(request.POST, instance=incident)
        if form.is_valid():
            if creating:
                form.instance.created_by = _user(request)
            saved = _save(request, form, "created" if creating else "edited")
            if saved is not None:
                messages.success(request, f"Saved “{saved}”.")
                url = reverse("editing:incident_edit", args=[saved.slug])
                if request.htmx and not creating:
                    form = IncidentForm(instance=saved)
                    incident = saved
                else:
                    return redirect(url)
            else:
                form = _conflict_form(IncidentForm, request, form.concurrent)
                incident = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        form = IncidentForm(instance=incident)
    context = {"form": form, "incident": incident, "creating": creating}
    if not creating:
        context.update(_status_context(incident))
        context.update(_incident_page_context(incident, form))
    if request.htmx and request.method == "POST":
        template += "#incident-form"
    return render(request, template, context, status=status)


@editor_required
@require_POST
def incident_publish(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Publish or unpublish an incident. Publishing goes through
    incidents.publishing.publish_incident: optionally with the incident's draft
    statements (`with_drafts`), and refused until confirmed (`confirm_one_sided`)
    when a side would have no published statement."""
    incident = get_object_or_404(Incident.objects.select_related("conflict"), slug=slug)
    refused: OneSidedError | None = None
    with_drafts = request.POST.get("with_drafts") == "1"
    try:
        if request.POST.get("action") == "unpublish":
            incident.unpublish(by=_user(request))
            messages.success(request, f"“{incident}” is a draft again, hidden from the public.")
        else:
            try:
                n = publish_incident(
                    incident,
                    by=_user(request),
                    with_drafts=with_drafts,
                    confirm_one_sided=request.POST.get("confirm_one_sided") == "1",
                )
            except OneSidedError as exc:
                refused = exc
            else:
                with_n = f" with {n} draft statement{'s' if n != 1 else ''}" if n else ""
                messages.success(request, f"“{incident}” is published{with_n}.")
    except Incident.DoesNotExist:
        raise Http404("The incident was deleted meanwhile.") from None
    if refused is not None:
        status = _status(request, 409)
        context = {**_status_context(incident, refused, with_drafts)}
        if request.htmx:
            return render(
                request, "editing/incident_form.html#incident-status", context, status=status
            )
        context.update(_incident_page_context(incident, IncidentForm(instance=incident)))
        return render(request, "editing/incident_form.html", context, status=status)
    if request.htmx:
        return render(
            request, "editing/incident_form.html#incident-status", _status_context(incident)
        )
    return redirect(_next_url(request, reverse("editing:incident_edit", args=[slug])))


def _status_context(
    incident: Incident, refused: OneSidedError | None = None, with_drafts: bool = False
) -> dict[str, Any]:
    """The publication box: per side, what the public sees now and after publishing."""
    state = refused.readiness if refused is not None else readiness(incident)
    return {
        "incident": incident,
        "readiness": state,
        "silent_now": state.silent_sides(),
        "silent_with_drafts": state.silent_sides(with_drafts=True),
        "refused": refused,
        "refused_message": one_sided_message(refused.silent) if refused else "",
        "with_drafts": with_drafts,
    }
