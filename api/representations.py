"""How Parallax objects look in the JSON API and in the CSV/JSON exports.

The export column sets are a documented, stable contract (docs/api.md): columns are
only ever added at the end, never renamed or reordered. The JSON API's fields are
likewise documented there. Every function here takes objects that the caller has
already limited to what the user may see; nested lists (statements of an incident,
annotations of a statement) are limited again here by the querysets the views pass in.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse

from incidents.models import Actor, Incident, Party, Source, Statement


def absolute(request: HttpRequest, name: str, *args: Any) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def precise_date(value: date | None, precision: str) -> str | None:
    """A date written to its precision (ISO 8601 reduced precision): "2021-05" for
    a month, "2021" for a year, the day otherwise. An approximate date keeps its
    day, and the precision field beside it ("approximate") says it is one."""
    if value is None:
        return None
    if precision == Incident.Precision.MONTH:
        return f"{value:%Y-%m}"
    if precision == Incident.Precision.YEAR:
        return f"{value:%Y}"
    return value.isoformat()


# --- annotations of counts the public may see -----------------------------------------


def visible_statement_count(user: Any, field: str) -> Coalesce:
    """A correlated count of the statements `user` may see whose `field` is the
    outer row; evaluated per returned row, so it costs nothing per page size in
    queries and never counts a draft for the public."""
    counted = (
        Statement.objects.visible_to(user)
        .filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- JSON API -------------------------------------------------------------------------


def party_ref(party: Party | None) -> dict[str, Any] | None:
    if party is None:
        return None
    return {"slug": party.slug, "name": party.name}


def place_ref(place: Any) -> dict[str, Any]:
    """A place with where it is: its coordinates and the ISO 3166 code of the country
    or administrative area it is (kind "area" or "country") or lies in."""
    return {
        "slug": place.slug,
        "name": place.name,
        "kind": place.kind,
        "latitude": None if place.latitude is None else float(place.latitude),
        "longitude": None if place.longitude is None else float(place.longitude),
        "area_code": place.area_code or None,
    }


def incident_item(request: HttpRequest, inc: Incident) -> dict[str, Any]:
    """One incident in a list (needs select_related conflict, prefetched places)."""
    return {
        "slug": inc.slug,
        "url": absolute(request, "api:incident_detail", inc.slug),
        "html_url": request.build_absolute_uri(inc.get_absolute_url()),
        "title": inc.title,
        "conflict": {"slug": inc.conflict.slug, "name": inc.conflict.name},
        "date_start": precise_date(inc.date_start, inc.date_precision),
        "date_end": precise_date(inc.date_end, inc.date_precision),
        "date_precision": inc.date_precision,
        "date_display": inc.date_display(),
        "places": [place_ref(p) for p in inc.places.all()],
        "summary": inc.summary,
        "status": inc.status,
        "published_at": iso(inc.published_at),
        "updated_at": iso(inc.updated_at),
    }


def statement_item(request: HttpRequest, st: Statement) -> dict[str, Any]:
    """One statement in a list (needs select_related incident, actor, party,
    leaning_towards and source)."""
    source = st.source
    return {
        "id": st.pk,
        "url": absolute(request, "api:statement_detail", st.pk),
        "html_url": request.build_absolute_uri(st.get_absolute_url()),
        "incident": {
            "slug": st.incident.slug,
            "title": st.incident.title,
            "url": absolute(request, "api:incident_detail", st.incident.slug),
        },
        "actor": {
            "slug": st.actor.slug,
            "name": st.actor.name,
            "kind": st.actor.kind,
            "role": st.actor.role,
        },
        "party": party_ref(st.party),
        "text": st.text,
        "kind": st.kind,
        "statement_type": st.statement_type,
        "leaning": st.leaning,
        "leaning_towards": party_ref(st.leaning_towards),
        "issued_on": precise_date(st.issued_on, st.issued_precision),
        "issued_precision": st.issued_precision,
        "source": source_ref(request, source) if source else None,
        "source_start": st.source_start,
        "source_end": st.source_end,
        "quote_verified": st.quote_verified,
        "original_language": st.original_language,
        "original_text": st.original_text,
        "translation_note": st.translation_note,
        "status": st.status,
        "published_at": iso(st.published_at),
        "withdrawn_reason": st.withdrawn_reason,
        "updated_at": iso(st.updated_at),
    }


def source_ref(request: HttpRequest, src: Source) -> dict[str, Any]:
    return {
        "id": src.pk,
        "url": absolute(request, "api:source_detail", src.pk),
        "title": src.title,
        "publisher": src.publisher,
        "source_url": src.url,
        "published_on": iso(src.published_on),
        "sha256": src.sha256,
    }


def source_item(request: HttpRequest, src: Source) -> dict[str, Any]:
    """One source (never its archived text, which can be long: see archive_url)."""
    return {
        **source_ref(request, src),
        "html_url": request.build_absolute_uri(src.get_absolute_url()),
        "kind": src.kind,
        "language": src.language,
        "captured_at": iso(src.captured_at),
        "archive_url": absolute(request, "api:source_archive", src.pk),
        "statement_count": getattr(src, "statement_count", None),
        "updated_at": iso(src.updated_at),
    }


def actor_item(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    return {
        "slug": actor.slug,
        "url": absolute(request, "api:actor_detail", actor.slug),
        "html_url": request.build_absolute_uri(actor.get_absolute_url()),
        "name": actor.name,
        "kind": actor.kind,
        "role": actor.role,
        "aliases": actor.aliases,
        "party": party_ref(actor.party),
        "statement_count": getattr(actor, "statement_count", None),
    }


def party_item(request: HttpRequest, party: Party) -> dict[str, Any]:
    """One party (needs prefetched conflictside_set__conflict and observed_conflicts)."""
    return {
        "slug": party.slug,
        "url": absolute(request, "api:party_detail", party.slug),
        "html_url": request.build_absolute_uri(party.get_absolute_url()),
        "name": party.name,
        "short_name": party.short_name,
        "kind": party.kind,
        "aliases": party.aliases,
        "demonyms": party.demonyms,
        "description": party.description,
        "side_in": [
            {"slug": cs.conflict.slug, "name": cs.conflict.name, "side": cs.order + 1}
            for cs in party.conflictside_set.all()
        ],
        "third_party_in": [
            {"slug": c.slug, "name": c.name} for c in party.observed_conflicts.all()
        ],
        "statement_count": getattr(party, "statement_count", None),
    }
