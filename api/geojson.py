"""GeoJSON (RFC 7946) exports: incidents at their places, and the locations that
statements' claims say events happened at.

Both take the incident filters of the other exports (api.filters.IncidentQueryForm)
and stream their features, so a full-size export never holds every row in memory.
Coordinates are longitude, latitude (WGS 84) as GeoJSON requires; a place drawn as an
area (a country or an administrative area) is exported as its point, with the area's
ISO 3166 code in `area_code` (its outline is in geo/data/boundaries.json.gz).
Visibility is that of every other export: the public gets published incidents and
public statements only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from incidents.maps import describe_area, locate
from incidents.models import Claim, Incident, Place
from incidents.sides import SideOrder

from . import filters
from .conditional import audience, dumps
from .endpoint import endpoint, read
from .exports import EXPORT_CHUNK
from .representations import iso

GEOJSON = "application/geo+json"


def place_properties(place: Place) -> dict[str, Any]:
    where = locate(place)
    return {
        "slug": place.slug,
        "name": place.name,
        "kind": place.kind,
        "area_code": place.area_code or None,
        "area": describe_area(where.area) if where and where.area else None,
        "longitude": where.lon if where else None,
        "latitude": where.lat if where else None,
    }


def _collection(
    request: HttpRequest, name: str, features: Iterator[dict[str, Any]], form: Any
) -> HttpResponseBase:
    stamp = timezone.now()

    def chunks() -> Iterator[str]:
        head = {
            "type": "FeatureCollection",
            "generated_at": stamp,
            "visibility": audience(request),
            "license": settings.DATA_LICENSE_URL,
            "filters": {
                k: getattr(v, "raw", v) for k, v in form.cleaned_data.items() if v not in (None, "")
            },
        }
        yield dumps(head)[:-1] + ', "features": ['
        first = True
        for feature in features:
            yield ("\n" if first else ",\n") + dumps(feature)
            first = False
        yield "\n]}\n"

    response = StreamingHttpResponse(chunks(), content_type=GEOJSON)
    response["Content-Disposition"] = (
        f'attachment; filename="parallax-{name}-{stamp:%Y%m%d}.geojson"'
    )
    response["Link"] = f'<{settings.DATA_LICENSE_URL}>; rel="license"'
    return response


@endpoint(filters.IncidentQueryForm)
def export_incidents_geojson(request: HttpRequest) -> HttpResponseBase:
    """One feature per incident: a Point at its place, a MultiPoint for several, no
    geometry (null) when none of its places is located."""
    form = read(filters.IncidentQueryForm, request)
    qs = form.filter(Incident.objects.visible_to(request.user), request.user)
    qs = qs.select_related("conflict").prefetch_related("places").order_by("-date_start", "-id")

    def features() -> Iterator[dict[str, Any]]:
        for inc in qs.iterator(chunk_size=EXPORT_CHUNK):
            places = [place_properties(p) for p in inc.places.all()]
            points = [[p["longitude"], p["latitude"]] for p in places if p["longitude"] is not None]
            geometry: dict[str, Any] | None = None
            if len(points) == 1:
                geometry = {"type": "Point", "coordinates": points[0]}
            elif points:
                geometry = {"type": "MultiPoint", "coordinates": points}
            yield {
                "type": "Feature",
                "id": inc.slug,
                "geometry": geometry,
                "properties": {
                    "title": inc.title,
                    "conflict": inc.conflict.slug,
                    "date_start": iso(inc.date_start),
                    "date_end": iso(inc.date_end),
                    "date_precision": inc.date_precision,
                    "status": inc.status,
                    "places": places,
                    "url": request.build_absolute_uri(inc.get_absolute_url()),
                },
            }

    return _collection(request, "incidents", features(), form)


@endpoint(filters.IncidentQueryForm)
def export_locations_geojson(request: HttpRequest) -> HttpResponseBase:
    """One feature per claim stating a location, on the incidents matching the filters:
    who says where (party, side number, the claim's own words) and the place."""
    form = read(filters.IncidentQueryForm, request)
    incidents = form.filter(Incident.objects.visible_to(request.user), request.user)
    claims = (
        Claim.objects.visible_to(request.user)
        .filter(location__isnull=False, statement__incident__in=incidents.order_by().values("pk"))
        .select_related("location", "point", "statement__party", "statement__incident__conflict")
        .order_by("statement__incident__date_start", "statement__incident_id", "point_id", "id")
    )
    orders: dict[int, SideOrder] = {}

    def features() -> Iterator[dict[str, Any]]:
        for c in claims.iterator(chunk_size=EXPORT_CHUNK):
            incident, party = c.statement.incident, c.statement.party
            conflict = incident.conflict
            if conflict.pk not in orders:
                orders[conflict.pk] = SideOrder(conflict.ordered_sides())
            side = orders[conflict.pk].index(party.pk)
            place = place_properties(c.location)  # type: ignore[arg-type]
            geometry = (
                {"type": "Point", "coordinates": [place["longitude"], place["latitude"]]}
                if place["longitude"] is not None
                else None
            )
            yield {
                "type": "Feature",
                "id": c.pk,
                "geometry": geometry,
                "properties": {
                    "incident": incident.slug,
                    "incident_title": incident.title,
                    "point_of_contention": c.point.label,
                    "party": party.slug,
                    "party_name": party.name,
                    "side": None if side is None else side + 1,
                    "location_words": c.location_name or None,
                    "quote": c.quote,
                    "place": place,
                    "statement_url": request.build_absolute_uri(c.statement.get_absolute_url()),
                },
            }

    return _collection(request, "claimed-locations", features(), form)
