"""The maps of the public pages, each with the table that carries the same data.

Plain functions returning typed dataclasses (house style): the views call them, the
templates draw them (templates/geo/_map.html for the map, the page for its table).
The geometry (boundaries, projection, path data, clustering) is the `geo` package's;
what to show, for whom, is decided here, with the domain's visibility rules.

- `incident_list_map`: the filtered incident list at `/`, one marker per place (or
  per cluster of nearby places) sized by its number of incidents. Two aggregate
  queries whatever the number of incidents; at most one marker per 36-pixel cell.
- `incident_map`: the places of one incident.
- `location_claims_map`: for a point of contention about location, each side's
  claimed location (a point, an administrative area or a country) in its colour.
- `conflict_map`: the analysis of a conflict: where its incidents are and where each
  side has said events happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.urls import reverse

from accounts.models import can_see_unpublished
from geo import boundaries, render
from geo.boundaries import Area
from geo.render import Highlight, Marker, SvgMap

from .models import PUBLIC_STATEMENT_VIA_SPAN, Claim, Incident, Party, Place
from .sides import css_class

TABLE_LIMIT = 200  # rows of a map's table; the rest are counted


@dataclass
class MapView:
    svg: SvgMap
    title: str
    caption: str = ""
    empty_text: str = "Nothing to show on the map"


@dataclass
class Located:
    """Where a place is, as a map needs it."""

    lon: float
    lat: float
    area: Area | None  # drawn as an area (kind AREA or COUNTRY with a known code)
    area_label: str  # "Gegharkunik, administrative area in Armenia", or ""


def locate(place: Any) -> Located | None:
    """A place's point (its coordinates, or the anchor of its area) and the area to draw
    for it; None when it has neither coordinates nor a known area."""
    area = boundaries.get(place.area_code) if place.area_code else None
    label = describe_area(area)
    if place.latitude is not None and place.longitude is not None:
        lon, lat = float(place.longitude), float(place.latitude)
    elif area is not None:
        lon, lat = area.anchor
    else:
        return None
    drawn = area if place.kind != "point" and area is not None else None
    return Located(lon=lon, lat=lat, area=drawn, area_label=label)


def describe_area(area: Area | None) -> str:
    if area is None:
        return ""
    if area.level == 0:
        return f"{area.name} (country)"
    country = boundaries.get(area.country)
    return f"{area.name}, administrative area of {country.name if country else area.country}"


def coordinates_text(lon: float, lat: float) -> str:
    return f"{abs(lat):.3f}°{'N' if lat >= 0 else 'S'}, {abs(lon):.3f}°{'E' if lon >= 0 else 'W'}"


# --- the incident list ------------------------------------------------------------


@dataclass
class PlaceRow:
    name: str
    href: str
    incidents: int
    coordinates: str
    area: str


@dataclass
class ListMap:
    map: MapView
    rows: list[PlaceRow]
    more_places: int  # places left out of the table (TABLE_LIMIT)
    unmapped: int  # incidents with no place on the map
    total_places: int


def incident_places(
    incidents: QuerySet[Any], base_query: dict[str, Any]
) -> tuple[list[Marker], list[PlaceRow], int]:
    """One marker and one table row per place of these incidents, with its number of
    incidents, and the number of incidents with no located place. Two aggregate
    queries, whatever the number of incidents."""
    ids = incidents.order_by().values("pk")
    located = Place.objects.filter(Q(latitude__isnull=False) | ~Q(area_code=""))
    through = Incident.places.through
    per_place = (
        through.objects.filter(incident__in=ids, place__in=located)
        .values(
            "place__slug",
            "place__name",
            "place__latitude",
            "place__longitude",
            "place__area_code",
            "place__kind",
        )
        .annotate(n=Count("incident"), first=Min("incident__slug"), title=Min("incident__title"))
        .order_by("-n", "place__name")
    )
    has_located_place = through.objects.filter(incident=OuterRef("pk"), place__in=located)
    unmapped = incidents.order_by().exclude(Exists(has_located_place)).count()

    list_url = reverse("incidents:list")
    markers: list[Marker] = []
    rows: list[PlaceRow] = []
    for r in per_place:
        place = _PlaceLike(
            r["place__latitude"], r["place__longitude"], r["place__area_code"], r["place__kind"]
        )
        where = locate(place)
        if where is None:
            continue
        n = r["n"]
        place_href = list_url + "?" + urlencode({**base_query, "place": r["place__slug"]})
        # A marker standing for one incident opens it; otherwise the list at the place.
        href = reverse("incidents:detail", args=[r["first"]]) if n == 1 else place_href
        what = f"“{r['title']}”" if n == 1 else f"{n} incidents"
        markers.append(
            Marker(
                lon=where.lon,
                lat=where.lat,
                label=f"{r['place__name']}: {what}",
                href=href,
                css="place-marker",
                weight=n,
            )
        )
        rows.append(
            PlaceRow(
                name=r["place__name"],
                href=place_href,
                incidents=n,
                coordinates=coordinates_text(where.lon, where.lat),
                area=where.area_label,
            )
        )
    return markers, rows, unmapped


def clustered(markers: list[Marker], extent: render.BBox | None) -> list[Marker]:
    if extent is None:
        return []
    return [_merge(g) for g in render.cluster(markers, render.frame_for(extent))]


def incident_list_map(incidents: QuerySet[Any], base_query: dict[str, Any]) -> ListMap:
    """The map of the filtered list: `incidents` is the list's filtered queryset (any
    ordering), `base_query` its valid filters (kept in the markers' links)."""
    markers, rows, unmapped = incident_places(incidents, base_query)
    extent = render.extent_of((m.lon, m.lat) for m in markers)
    drawn = clustered(markers, extent)
    svg = render.draw(extent, drawn)
    # Not "place": the filter form's "Place" label must stay the only one of that name.
    title = (
        f"Map of the incidents listed: {len(rows)} location"
        f"{'s' if len(rows) != 1 else ''}, {len(drawn)} marker{'s' if len(drawn) != 1 else ''}"
    )
    caption = (
        "Each marker is a place, or several nearby places, sized by its number of "
        "incidents (an incident with several places counts at each). A marker for one "
        "incident opens it; the others list the incidents at the place."
    )
    return ListMap(
        map=MapView(
            svg=svg,
            title=title,
            caption=caption,
            empty_text="No incident listed has a place with coordinates",
        ),
        rows=rows[:TABLE_LIMIT],
        more_places=max(0, len(rows) - TABLE_LIMIT),
        unmapped=unmapped,
        total_places=len(rows),
    )


@dataclass(frozen=True)
class _PlaceLike:
    latitude: Decimal | None
    longitude: Decimal | None
    area_code: str
    kind: str


def _merge(group: list[Marker]) -> Marker:
    """One marker for a cluster: at the weighted centre, linking to its largest place."""
    if len(group) == 1:
        return group[0]
    weight = sum(m.weight for m in group)
    biggest = max(group, key=lambda m: m.weight)
    lon = sum(m.lon * m.weight for m in group) / weight
    lat = sum(m.lat * m.weight for m in group) / weight
    name = biggest.label.split(":")[0]
    label = f"{name} and {len(group) - 1} more nearby: {weight} incidents"
    return Marker(lon=lon, lat=lat, label=label, href=biggest.href, css=biggest.css, weight=weight)


# --- one incident -------------------------------------------------------------------


@dataclass
class LocationRow:
    who: str  # "Armenia" or "" for the incident's own places
    side_index: int | None
    words: str  # the claim's own words for the location
    place: str
    href: str
    kind: str
    area: str
    coordinates: str


@dataclass
class IncidentMap:
    map: MapView
    rows: list[LocationRow]


def _draw_places(
    entries: Iterable[tuple[Any, str, str, str]],
) -> tuple[list[Marker], list[Highlight], list[Area], list[tuple[float, float]]]:
    """(place, css, label, text) → markers for points, highlights for areas."""
    markers, highlights, areas, points = [], [], [], []
    for place, css, label, text in entries:
        where = locate(place)
        if where is None:
            continue
        href = place.get_absolute_url()
        if where.area is not None:
            highlights.append(
                Highlight(area=where.area, css=css.replace("marker", "area"), label=label)
            )
            areas.append(where.area)
            markers.append(
                Marker(where.area.anchor[0], where.area.anchor[1], label, href, css, text)
            )
        else:
            markers.append(Marker(where.lon, where.lat, label, href, css, text))
            points.append((where.lon, where.lat))
    return markers, highlights, areas, points


def _row(place: Any, who: str, side_index: int | None, words: str) -> LocationRow:
    where = locate(place)
    return LocationRow(
        who=who,
        side_index=side_index,
        words=words,
        place=place.name,
        href=place.get_absolute_url(),
        kind=place.get_kind_display(),
        area=where.area_label if where else "",
        coordinates=coordinates_text(where.lon, where.lat) if where else "not located",
    )


def incident_map(places: list[Any]) -> IncidentMap | None:
    """The incident's places; None when none of them is located."""
    located = [p for p in places if locate(p) is not None]
    if not located:
        return None
    markers, highlights, areas, points = _draw_places(
        (p, "place-marker", p.name, "") for p in located
    )
    extent = render.extent_of(points, areas)
    svg = render.draw(extent, markers, highlights)
    return IncidentMap(
        map=MapView(svg=svg, title=f"Map of the incident’s place{'s' if len(located) > 1 else ''}"),
        rows=[_row(p, "", None, "") for p in places],
    )


def location_claims_map(point: Any, claims: list[tuple[Any, Any, int]]) -> IncidentMap | None:
    """Each side's claimed location on one point of contention: `claims` holds
    (claim, party, side index) for claims with a location. Areas are drawn filled in
    the side's colour, points as markers with the side's number."""
    claims = [c for c in claims if c[0].location is not None and locate(c[0].location)]
    if not claims:
        return None
    entries = []
    rows = []
    for claim, party, index in claims:
        words = claim.location_name or claim.location.name
        label = f"{party.label} (side {index + 1}) places it in {words}: {claim.location.name}"
        entries.append((claim.location, css_class(index), label, str(index + 1)))
        rows.append(_row(claim.location, party.label, index, words))
    markers, highlights, areas, points = _draw_places(entries)
    extent = render.extent_of(points, areas)
    svg = render.draw(extent, markers, highlights)
    sides = sorted({(i, p.label) for _, p, i in claims})
    title = f"Where each side places it — {point.label}: " + "; ".join(
        f"side {i + 1}, {label}" for i, label in sides
    )
    return IncidentMap(
        map=MapView(
            svg=svg,
            title=title,
            caption="Each side’s claimed location in its colour, numbered as its column; "
            "country borders are drawn in dark grey, administrative areas dashed.",
        ),
        rows=rows,
    )


# --- a conflict (analysis) -------------------------------------------------------------


@dataclass
class ClaimedRow:
    party: str
    side_index: int | None
    place: str
    href: str
    kind: str
    area: str
    claims: int


@dataclass
class ConflictMap:
    map: MapView
    places: list[PlaceRow]
    claimed: list[ClaimedRow]
    unmapped: int


def conflict_map(conflict: Any, user: Any) -> ConflictMap:
    """Where the conflict's incidents are, and where each side has said they happened
    (claimed locations, counted per side and place). A constant number of queries."""
    incidents = Incident.objects.visible_to(user).filter(conflict=conflict)
    place_markers, place_rows, unmapped = incident_places(incidents, {"conflict": conflict.slug})
    sides = conflict.ordered_sides()
    index = {p.pk: i for i, p in enumerate(sides)}
    claims = Claim.objects.filter(statement__incident__conflict=conflict, location__isnull=False)
    if not can_see_unpublished(user):
        claims = claims.filter(PUBLIC_STATEMENT_VIA_SPAN)
    counted = list(
        claims.values("location", "statement__party")
        .annotate(n=Count("pk"))
        .order_by("-n", "location")
    )
    places = Place.objects.in_bulk({c["location"] for c in counted})
    parties = Party.objects.in_bulk({c["statement__party"] for c in counted})
    rows: list[ClaimedRow] = []
    entries = []
    for c in counted:
        place, party, n = places[c["location"]], parties[c["statement__party"]], c["n"]
        i = index.get(party.pk)
        where = locate(place)
        rows.append(
            ClaimedRow(
                party=party.label,
                side_index=i,
                place=place.name,
                href=place.get_absolute_url(),
                kind=place.get_kind_display(),
                area=where.area_label if where else "",
                claims=n,
            )
        )
        if where is not None and i is not None:
            label = (
                f"{party.label} (side {i + 1}): {n} claim{'s' if n != 1 else ''} "
                f"place events in {place.name}"
            )
            entries.append((place, css_class(i), label, str(i + 1)))
    markers, highlights, areas, points = _draw_places(entries)
    extent = render.extent_of(points + [(m.lon, m.lat) for m in place_markers], areas)
    svg = render.draw(extent, clustered(place_markers, extent) + markers, highlights)
    return ConflictMap(
        map=MapView(
            svg=svg,
            title=f"Map of {conflict.name}: places of its incidents (grey) and the "
            "locations claimed by each side (in its colour, numbered as the side)",
            caption="Grey markers: places of incidents, sized by their number. Coloured "
            "areas and numbered markers: where each side’s statements say events happened.",
            empty_text="No incident of this conflict has a located place",
        ),
        places=place_rows[:TABLE_LIMIT],
        claimed=rows[:TABLE_LIMIT],
        unmapped=unmapped,
    )
