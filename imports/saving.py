"""Saving a reviewed import: the accepted proposals become draft statements, with the
Source that archives the article's text, on an existing incident or a new one, in one
transaction (the review page's save and the tests call it; nothing else writes an
import's statements)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from incidents.models import (
    Actor,
    Claim,
    Conflict,
    ConflictSide,
    Incident,
    Party,
    Place,
    PointOfContention,
    Source,
    Statement,
    save_with_fresh_slug,
)
from incidents.sides import SideOrder

from .models import ImportDraft

if TYPE_CHECKING:
    from accounts.models import User


@transaction.atomic
def save_import(
    draft: ImportDraft,
    *,
    by: User | None,
    incident: Incident | None = None,
    conflict: Conflict | None = None,
    new_conflict: str = "",
    sides: Sequence[str] = (),
    title: str = "",
    date_start: date | None = None,
    add_third_parties: bool = True,
) -> Incident:
    """Save every accepted statement as a draft, with the Source that archives
    the text, on `incident` or on a new one (of `conflict`, or of a conflict named
    `new_conflict` whose `sides` are party slugs the article names); all or nothing
    (ValidationError)."""
    # Lock the draft so two editors saving at once cannot both save it, and read
    # the decisions from the stored row: one made after this page was loaded
    # counts.
    locked = ImportDraft.objects.select_for_update(of=("self",)).get(pk=draft.pk)
    if locked.status != ImportDraft.Status.REVIEW:
        raise ValidationError("This import has already been saved or discarded.")
    draft.proposals = locked.proposals
    accepted = draft.accepted()
    if not accepted:
        raise ValidationError("Accept at least one statement before saving.")
    if incident is None:
        if conflict is None and new_conflict:
            conflict = _create_conflict(draft, new_conflict, sides)
        if conflict is None or not title or date_start is None:
            raise ValidationError("Choose an incident, or give a conflict, title and date.")
        incident = Incident(conflict=conflict, title=title, date_start=date_start, created_by=by)
        incident.save()
        for place_name in [p["name"] for p in draft.proposals.get("places", [])]:
            place = Place.objects.filter(name__iexact=place_name).first()
            if place is not None:
                incident.places.add(place)
    source = Source.objects.create(
        url=draft.url,
        publisher=draft.publisher,
        title=draft.title or "Imported article",
        published_on=draft.published_on,
        kind=draft.source_kind,
        language=draft.language,
        archived_text=draft.text,
    )
    conflict = incident.conflict
    # A side speaks for itself: only third parties lean (incidents.sides).
    side_order = SideOrder(conflict.ordered_sides())
    issued_on = draft.published_on or incident.date_start
    errors: list[str] = []
    points: dict[str, PointOfContention] = {p.label: p for p in incident.points.all()}
    for n, item in enumerate(accepted, start=1):
        party = Party.objects.filter(slug=item.get("party") or "").first()
        if party is None and item.get("new_party_confirmed"):
            # A state, organisation or group the site did not have, proposed by
            # the import and confirmed by the editor on review.
            party = _new_party(item)
        actor = Actor.objects.filter(slug=item.get("actor") or "").first()
        if actor is None:
            if party is None:
                errors.append(f"Statement {n} ({item['speaker']}): choose a party.")
                continue
            actor = Actor.objects.filter(name__iexact=item["speaker"], party=party).first()
            if actor is None:
                new = item.get("new_actor") or {}
                kind = new.get("kind") or Actor.Kind.BODY
                actor = Actor.objects.create(
                    name=item["speaker"][:200],
                    party=party,
                    kind=kind,
                    role=stacked_title(draft.text, item) if kind == Actor.Kind.PERSON else "",
                )
        if not conflict.knows(actor.party_id):
            if add_third_parties:
                conflict.third_parties.add(actor.party)
            else:
                errors.append(
                    f"Statement {n}: {actor.party} is neither a side nor a recorded third "
                    f"party of {conflict}."
                )
                continue
        leaning_towards = (
            Party.objects.filter(slug=item["leaning_towards"]).first()
            if item.get("leaning_towards")
            else None
        )
        leaning = item.get("leaning") or ""
        if leaning == Statement.Leaning.SIDE and leaning_towards is None:
            leaning = Statement.Leaning.NONE
        statement = Statement(
            incident=incident,
            actor=actor,
            party=actor.party,
            text=draft.text[item["start"] : item["end"]],
            kind=item.get("kind") or Statement.Kind.REPORTED,
            statement_type=item.get("statement_type") or Statement.Type.OTHER,
            leaning=leaning if not side_order.is_side(actor.party_id) else "",
            leaning_towards=leaning_towards if not side_order.is_side(actor.party_id) else None,
            issued_on=issued_on,
            source=source,
            source_start=item["start"],
            source_end=item["end"],
            original_language=draft.language,
            status=Statement.Status.DRAFT,
            created_by=by,
        )
        statement._change_reason = f"imported by {by}" if by else "imported"
        statement.save()
        for label in item.get("points") or []:
            point = points.get(label)
            if point is None:
                point = PointOfContention.objects.create(
                    incident=incident, label=label, order=len(points)
                )
                points[label] = point
            claim = Claim(statement=statement, point=point)
            claim.set_span(statement.text, 0, len(statement.text))
            claim.save()
    if errors:
        # Raising inside the atomic block rolls back the source and every statement.
        raise ValidationError(errors)
    draft.status = ImportDraft.Status.SAVED
    draft.source = source
    draft.incident = incident
    draft.save(update_fields=["status", "source", "incident", "updated_at"])
    return incident


def _new_party(item: dict[str, Any]) -> Party | None:
    """The Party an import proposed for this statement, created unless one of that
    name exists already."""
    proposed = item.get("new_party") or {}
    if not proposed.get("name"):
        return None
    party = Party.objects.filter(name__iexact=proposed["name"]).first()
    if party is None:
        party = Party.objects.create(
            slug=proposed["slug"][:60],
            name=proposed["name"][:200],
            kind=proposed.get("kind") or Party.Kind.OTHER,
        )
    return party


def _create_conflict(draft: ImportDraft, name: str, sides: Sequence[str]) -> Conflict:
    """A new conflict whose sides are parties the article names, in the order given;
    choosing a proposed new party as a side is the editor's confirmation of it."""
    proposed = {item.get("party"): item for item in draft.statements if item.get("new_party")}
    parties: list[Party] = []
    for slug in dict.fromkeys(sides):
        party = Party.objects.filter(slug=slug).first()
        if party is None and slug in proposed:
            party = _new_party(proposed[slug])
        if party is None:
            raise ValidationError(f"“{slug}” is not a party this article names.")
        parties.append(party)
    if len(parties) < 2:
        raise ValidationError("A conflict needs at least two sides.")
    if Conflict.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A conflict named “{name}” exists: choose it instead.")
    conflict = Conflict(name=name[:200])
    try:
        save_with_fresh_slug(conflict, name, conflict.save)
    except IntegrityError as exc:  # the same name saved by someone else a moment ago
        raise ValidationError(f"A conflict named “{name}” exists: choose it instead.") from exc
    ConflictSide.objects.bulk_create(
        ConflictSide(conflict=conflict, party=party, order=n) for n, party in enumerate(parties)
    )
    return conflict


def stacked_title(text: str, item: dict[str, Any]) -> str:
    """The title the article stacks before a new person's name ("Defence Ministry
    spokeswoman Marta Kowalska"): the speaker is proposed by name alone, and the
    title becomes the new actor's role."""
    start, end = item.get("speaker_start") or 0, item.get("speaker_end") or 0
    mention, name = text[start:end], item.get("speaker") or ""
    if not name or name not in mention or mention == name:
        return ""
    title = mention[: mention.index(name)].strip(" ,;:–—-")
    title = re.sub(r"(?i)^the\s+", "", title)
    return title[:200]
