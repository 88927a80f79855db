"""Creating and editing sources (with their archived text)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from editing.forms import (
    SourceForm,
)
from incidents.models import (
    Source,
)

from .common import _conflict_form, _save, _status


@editor_required
@require_http_methods(["GET", "POST"])
def source_create(request: HtmxHttpRequest) -> HttpResponse:
    return _source_form(request, Source())


@editor_required
@require_http_methods(["GET", "POST"])
def source_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _source_form(request, get_object_or_404(Source, pk=pk))


def _source_form(request: HtmxHttpRequest, source: Source) -> HttpResponse:
    template = "editing/source_form.html"
    status = 200
    creating = source.pk is None
    if request.method == "POST":
        form = SourceForm(request.POST, instance=source)
        if form.is_valid():
            saved = _save(request, form, "created" if creating else "edited")
            if saved is not None:
                messages.success(request, f"Source saved (SHA-256 {saved.sha256[:12]}…).")
                if request.htmx and not creating:
                    source, form = saved, SourceForm(instance=saved)
                else:
                    return redirect("editing:source_edit", pk=saved.pk)
            else:
                form = _conflict_form(SourceForm, request, form.concurrent)
                source = form.concurrent
                status = _status(request, 409)
        else:
            status = _status(request, 400)
    else:
        form = SourceForm(instance=source)
    if request.htmx and request.method == "POST":
        template += "#source-form"
    return render(
        request,
        template,
        {"form": form, "source": source, "creating": creating},
        status=status,
    )
