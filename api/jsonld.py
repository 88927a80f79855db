"""Linked-data documents: W3C Web Annotations and schema.org Claims.

Web Annotation Data Model: https://www.w3.org/TR/annotation-model/
- target: the statement's words as text/plain (/api/statements/<id>/text.txt), located
  by a TextQuoteSelector (exact/prefix/suffix, for re-anchoring after a correction)
  and a TextPositionSelector (start/end in Unicode code points, which are Python
  string indices); its scope is the statement's page;
- target state: a TimeState whose `cached` IRI is that same text/plain copy, in which
  the selectors select the annotated words (the W3C model requires an IRI there);
  the source article and its archived copy are linked from the statement itself;
- bodies: a TextualBody with the editor's note (purpose commenting) and one with the tag
  (purpose tagging);
- audience: who may see it (public or internal), the visibility field.

schema.org: a statement is a `Claim` (author, appearance, datePublished, text). Never a
ClaimReview: Parallax attributes claims, it does not rate them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.models import can_see_unpublished
from incidents.models import Actor, Annotation, Incident, Party, Source, Statement, format_date

from .representations import absolute, iso, precise_date

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
# Source.save() hashes the archived text even when there is none: this hash means
# "no archived copy", and nothing should point readers at an empty file.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SCHEMA_CONTEXT = "https://schema.org"
ANNO_PROFILE = f'application/ld+json; profile="{ANNO_CONTEXT}"'

# A term the Web Annotation context lacks: the audience's type (schema.org, whose
# prefix the anno context already defines).
EXTRA_CONTEXT: dict[str, Any] = {
    "audienceType": "schema:audienceType",
}
ANNO_CONTEXTS: list[Any] = [ANNO_CONTEXT, EXTRA_CONTEXT]


def has_archive(source: Source) -> bool:
    return bool(source.sha256) and source.sha256 != EMPTY_SHA256


def annotation_document(
    request: HttpRequest, ann: Annotation, *, with_context: bool = True
) -> dict[str, Any]:
    """One annotation (needs select_related statement__source, author, evidence)."""
    statement = ann.statement
    text_url = absolute(request, "api:statement_text", statement.pk)
    target: dict[str, Any] = {
        "type": "SpecificResource",
        # The statement's words as text/plain, where the selectors apply.
        "source": {
            "id": text_url,
            "type": "Text",
            "format": "text/plain",
        },
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": ann.quote,
                "prefix": ann.prefix,
                "suffix": ann.suffix,
            },
            {"type": "TextPositionSelector", "start": ann.start, "end": ann.end},
        ],
        # The statement as readers see it, on its page.
        "scope": request.build_absolute_uri(statement.get_absolute_url()),
        # The text as it was when the note was last anchored (annotations are
        # re-anchored on every correction of the text, so that is its current state).
        "state": {
            "type": "TimeState",
            "sourceDate": iso(statement.updated_at),
            "cached": text_url,
        },
    }

    bodies: list[dict[str, Any]] = []
    if ann.body:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": ann.body,
                "format": "text/plain",
            }
        )
    bodies.append({"type": "TextualBody", "purpose": "tagging", "value": ann.tag})
    if ann.evidence_id is not None and ann.evidence is not None:
        evidence = ann.evidence
        bodies.append(
            {
                "type": "SpecificResource",
                "purpose": "linking",
                "source": {
                    "id": evidence.url or absolute(request, "api:source_detail", evidence.pk),
                    "type": "Text",
                    "label": str(evidence),
                },
            }
        )

    doc: dict[str, Any] = {}
    if with_context:
        doc["@context"] = ANNO_CONTEXTS
    doc.update(
        {
            "id": absolute(request, "api:annotation_detail", ann.pk),
            "type": "Annotation",
            "motivation": "commenting" if ann.body else "tagging",
            "created": iso(ann.created_at),
            "modified": iso(ann.updated_at),
            "audience": {"type": "Audience", "audienceType": ann.visibility},
            "body": bodies,
            "target": target,
        }
    )
    # Editors are named to colleagues only: the public pages do not name them either.
    if ann.author_id is not None and ann.author is not None and can_see_unpublished(request.user):
        doc["creator"] = {"type": "Person", "name": str(ann.author)}
    if ann.needs_review:
        # The quote could not be found again after a text correction: say so rather
        # than point readers at the wrong words.
        doc["label"] = "Needs review: the annotated words changed."
    return doc


# --- schema.org Claim -----------------------------------------------------------------


def _party_org(party: Party) -> dict[str, Any]:
    return {"@type": "Organization", "name": party.name}


def _author(actor: Actor) -> dict[str, Any]:
    if actor.kind == Actor.Kind.PERSON:
        author: dict[str, Any] = {"@type": "Person", "name": actor.name}
        if actor.role:
            author["jobTitle"] = actor.role
        author["affiliation"] = _party_org(actor.party)
        return author
    return {
        "@type": "Organization",
        "name": actor.name,
        "parentOrganization": _party_org(actor.party),
    }


def claim_document(request: HttpRequest | None, statement: Statement) -> dict[str, Any]:
    """The statement as a schema.org Claim (needs actor__party, source and incident).

    `request` makes URLs absolute; without one (e.g. a template rendered outside a
    request) they stay site-relative.
    """

    def url(path: str) -> str:
        return request.build_absolute_uri(path) if request is not None else path

    page = url(statement.get_absolute_url())
    doc: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "Claim",
        "@id": page + "#claim",
        "url": page,
        "text": statement.text,
        # ISO 8601 to the date's precision ("2021-05" for a month).
        "datePublished": precise_date(statement.issued_on, statement.issued_precision),
        "author": _author(statement.actor),
        "about": {
            "@type": "Event",
            "name": statement.incident.title,
            "startDate": precise_date(
                statement.incident.date_start, statement.incident.date_precision
            ),
            "url": url(statement.incident.get_absolute_url()),
        },
    }
    if statement.issued_precision == Incident.Precision.APPROXIMATE:
        # schema.org has no approximate date; say so in words beside the day.
        doc["disambiguatingDescription"] = (
            "The date is approximate: "
            + format_date(statement.issued_on, statement.issued_precision)
            + "."
        )
    source = statement.source
    if source is not None:
        appearance: dict[str, Any] = {"@type": "CreativeWork", "name": source.title}
        if source.url:
            appearance["url"] = source.url
        if source.publisher:
            appearance["publisher"] = {"@type": "Organization", "name": source.publisher}
        if source.published_on:
            appearance["datePublished"] = iso(source.published_on)
        if has_archive(source):
            appearance["archivedAt"] = url(reverse("api:source_archive", args=[source.pk]))
        doc["appearance"] = appearance
    return doc


# Like django.utils.html.json_script: characters that could end the <script> element or
# start an HTML comment are escaped inside the JSON strings, where they mean the same.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def ld_json_script(document: dict[str, Any]) -> SafeString:
    """A `<script type="application/ld+json">` data block, safe inside HTML. A data
    block is not executed, so the Content Security Policy does not forbid it."""
    payload = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False)
    return mark_safe(  # noqa: S308 - every <, > and & in the payload is escaped above
        '<script type="application/ld+json">' + payload.translate(_SCRIPT_ESCAPES) + "</script>"
    )
