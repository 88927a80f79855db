"""How Parallax objects look in the JSON API and in the CSV/JSON exports.

The export column sets are a documented, stable contract (docs/api.md): columns are
only ever added at the end, never renamed or reordered. The JSON API's fields are
likewise documented there. Every function here takes objects that the caller has
already limited to what the user may see; nested lists (statements of an incident,
annotations of a statement) are limited again here by the querysets the views pass in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse

from incidents.models import Actor, Incident, Party, Source, Statement


def absolute(request: HttpRequest, name: str, *args: Any) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


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


def incident_item(request: HttpRequest, inc: Incident) -> dict[str, Any]:
    """One incident in a list (needs select_related conflict, prefetched places)."""
    return {
        "slug": inc.slug,
        "url": absolute(request, "api:incident_detail", inc.slug),
        "html_url": request.build_absolute_uri(inc.get_absolute_url()),
        "title": inc.title,
        "conflict": {"slug": inc.conflict.slug, "name": inc.conflict.name},
        "date_start": iso(inc.date_start),
        "date_end": iso(inc.date_end),
        "date_precision": inc.date_precision,
        "date_display": inc.date_display(),
        "places": [{"slug": p.slug, "name": p.name} for p in inc.places.all()],
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
        "issued_on": iso(st.issued_on),
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


# --- exports --------------------------------------------------------------------------

Column = tuple[str, Callable[[Any], Any]]


def _join(values: Any) -> str:
    return "; ".join(values)


INCIDENT_COLUMNS: list[Column] = [
    ("slug", lambda i: i.slug),
    ("title", lambda i: i.title),
    ("conflict", lambda i: i.conflict.slug),
    ("conflict_name", lambda i: i.conflict.name),
    ("date_start", lambda i: i.date_start),
    ("date_end", lambda i: i.date_end),
    ("date_precision", lambda i: i.date_precision),
    ("places", lambda i: _join(p.slug for p in i.places.all())),
    ("place_names", lambda i: _join(p.name for p in i.places.all())),
    ("summary", lambda i: i.summary),
    ("status", lambda i: i.status),
    ("published_at", lambda i: i.published_at),
    ("statement_count", lambda i: i.statement_count),
    ("url", lambda i: i.get_absolute_url()),
]

STATEMENT_COLUMNS: list[Column] = [
    ("id", lambda s: s.pk),
    ("incident", lambda s: s.incident.slug),
    ("incident_title", lambda s: s.incident.title),
    ("conflict", lambda s: s.incident.conflict.slug),
    ("issued_on", lambda s: s.issued_on),
    ("issued_precision", lambda s: s.issued_precision),
    ("actor", lambda s: s.actor.slug),
    ("actor_name", lambda s: s.actor.name),
    ("actor_kind", lambda s: s.actor.kind),
    ("party", lambda s: s.party.slug),
    ("party_name", lambda s: s.party.name),
    ("kind", lambda s: s.kind),
    ("statement_type", lambda s: s.statement_type),
    ("leaning", lambda s: s.leaning),
    ("leaning_towards", lambda s: s.leaning_towards.slug if s.leaning_towards else None),
    ("text", lambda s: s.text),
    ("original_language", lambda s: s.original_language),
    ("original_text", lambda s: s.original_text),
    ("translation_note", lambda s: s.translation_note),
    ("source_id", lambda s: s.source_id),
    ("source_title", lambda s: s.source.title if s.source else None),
    ("source_publisher", lambda s: s.source.publisher if s.source else None),
    ("source_url", lambda s: s.source.url if s.source else None),
    ("source_published_on", lambda s: s.source.published_on if s.source else None),
    ("source_sha256", lambda s: s.source.sha256 if s.source else None),
    ("source_start", lambda s: s.source_start),
    ("source_end", lambda s: s.source_end),
    ("quote_verified", lambda s: s.quote_verified),
    ("status", lambda s: s.status),
    ("published_at", lambda s: s.published_at),
    ("withdrawn_reason", lambda s: s.withdrawn_reason),
    ("url", lambda s: s.get_absolute_url()),
]


def export_incidents(qs: QuerySet[Incident], user: Any) -> QuerySet[Incident]:
    return (
        qs.select_related("conflict")
        .prefetch_related("places")
        .annotate(statement_count=visible_statement_count(user, "incident"))
    )


def export_statements(qs: QuerySet[Statement]) -> QuerySet[Statement]:
    return qs.select_related(
        "incident__conflict", "actor", "party", "leaning_towards", "source"
    ).defer("source__archived_text")
