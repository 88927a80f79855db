"""Places: the list, and the place form with the gazetteer's proposals."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from editing.forms import (
    PlaceForm,
)
from geo import gazetteer
from incidents.models import (
    Place,
)

from .common import _status


@editor_required
@require_GET
def places(request: HtmxHttpRequest) -> HttpResponse:
    """Every place, with whether the maps can show it."""
    rows = Place.objects.order_by("name")
    return render(request, "editing/places.html", {"places": rows})


@editor_required
@require_http_methods(["GET", "POST"])
def place_create(request: HtmxHttpRequest) -> HttpResponse:
    return _place_form(request, Place())


@editor_required
@require_http_methods(["GET", "POST"])
def place_edit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _place_form(request, get_object_or_404(Place, slug=slug))


# A gazetteer proposal is applied by a plain link carrying its values: these GET
# parameters prefill the form (nothing is saved until the editor submits it).
PROPOSAL_FIELDS = ("name", "kind", "latitude", "longitude", "area_code")


def _place_form(request: HtmxHttpRequest, place: Place) -> HttpResponse:
    creating = place.pk is None
    status = 200
    if request.method == "POST":
        form = PlaceForm(request.POST, instance=place)
        if form.is_valid():
            saved = form.save()
            messages.success(request, f"Place “{saved.name}” saved.")
            return redirect("editing:place_edit", slug=saved.slug)
        status = _status(request, 400)
    else:
        initial = {k: request.GET[k] for k in PROPOSAL_FIELDS if request.GET.get(k)}
        form = PlaceForm(instance=place, initial=initial)
    name = (form["name"].value() or "").strip()
    proposals = gazetteer.propose(name) if name else []
    links = []
    for p in proposals:
        values = {
            "name": form["name"].value() or p.name,
            "kind": p.kind,
            "latitude": f"{p.latitude:.5f}",
            "longitude": f"{p.longitude:.5f}",
            "area_code": p.area_code,
        }
        links.append((p, request.path + "?" + urlencode(values)))
    context = {"form": form, "place": place, "creating": creating, "proposals": links}
    return render(request, "editing/place_form.html", context, status=status)
