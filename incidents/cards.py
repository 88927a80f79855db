"""Statements with everything a statement card shows (templates/incidents/
_statement_card.html): the comparison page, the statement, actor, party and source
pages and the search results all list them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import get_template

from .models import Annotation, Claim, Source, Statement
from .segments import Segment, segment_text
from .sides import SideOrder


def statements_for(
    user: Any,
    *,
    claims: bool = False,
    notes: bool = False,
) -> QuerySet[Statement]:
    """Statements the user may see, with everything a statement card shows.

    Cards only say how many notes a statement has: `note_count`, counted in the
    database from the notes the user may see. `notes=True` prefetches the notes
    themselves (the statement page lists them); `claims=True` prefetches the claims.
    The source's archived text is deferred: cards only link to the source, and one
    article quoted by fifty statements would otherwise be fetched fifty times.
    """
    qs = (
        Statement.objects.visible_to(user)
        .select_related("actor", "party", "leaning_towards", "source", "incident")
        .defer("source__archived_text")
        .annotate(note_count=note_count(user))
    )
    if notes:
        qs = qs.prefetch_related(
            Prefetch(
                "annotations",
                queryset=Annotation.objects.visible_to(user).order_by("start", "id"),
            )
        )
    if claims:
        claim_qs = Claim.objects.order_by("start", "id")
        if notes:
            claim_qs = claim_qs.select_related("point")
        qs = qs.prefetch_related(Prefetch("claims", queryset=claim_qs))
    return qs


def note_count(user: Any) -> Coalesce:
    """How many notes the user may see on each statement of a query of statements
    already limited to those the user may see (the number a card shows)."""
    notes = (
        Annotation.objects.visible_on_shown_statement(user)
        .filter(statement=OuterRef("pk"))
        .order_by()
        .values("statement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(notes, output_field=IntegerField()), 0)


CARD_TEMPLATE = "incidents/_statement_card.html"


def card_digest(statement: Statement, claim: Any, side_class: str) -> str:
    """A digest of everything a closed card (CARD_TEMPLATE) shows that its page's URL
    does not decide: two cards with the same digest, on pages with the same URL and
    audience, are the same HTML (incidents.views.comparison_cards keeps cards by it).

    It reads: the statement's row by its version (every write of a row bumps it,
    models.VersionedModel; updated_at too, in case a row is ever restored), the
    speaker's name, role and slug, the party's and the leaned-towards party's label
    and slug, the source's publisher and title, the number of notes the audience may
    see (`note_count`), and on a claim card the claim's words and each relation
    shown with it (its kind and direction, the other claim's words and party). The
    statement must come with these loaded (comparison.load_comparison's do)."""
    s = statement
    source = s.source if s.source_id else None
    leaning = s.leaning_towards if s.leaning_towards_id else None
    shown: list[Any] = [
        side_class,
        s.pk,
        s.version,
        s.updated_at,
        s.status,
        s.note_count,  # type: ignore[attr-defined]  # annotated by the query
        (s.actor.pk, s.actor.name, s.actor.role, s.actor.slug),
        (s.party.pk, s.party.label, s.party.slug),
        (leaning.label, leaning.slug) if leaning else None,
        (source.pk, source.publisher, source.title) if source else None,
        _code_version(),
    ]
    if claim is not None:
        shown.append((claim.pk, claim.quote))
        shown.extend(
            (link.kind, link.outgoing, link.other.pk, link.other.quote)
            + (link.other.statement.party.label,)
            for link in claim.relation_links
        )
    return hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()


@cache
def _code_version() -> str:
    """The card template and the code it shows through (its tags, the models' labels
    and links, the URLs), as deployed: a release that changes how a card looks does
    not get cards rendered by the previous one."""
    from . import dates, models, urls
    from .templatetags import cards as card_tags
    from .templatetags import dates as date_tags

    parts = [get_template(CARD_TEMPLATE).template.source.encode()]  # type: ignore[attr-defined]
    code = (card_tags, date_tags, dates, models, urls)
    parts += [Path(m.__file__ or "").read_bytes() for m in code]
    return hashlib.blake2b(b"\0".join(parts), digest_size=8).hexdigest()


@dataclass
class ExpandedCard:
    """A statement card opened in full: its text with the notes highlighted, the source
    excerpt and the notes. `key` is the card's id on its page, the same as the closed
    card's it replaces (incidents/templatetags/cards.py)."""

    key: str
    statement: Statement
    side_class: str
    annotations: list[Annotation]
    segments: list[Segment]
    excerpt: tuple[str, str, str]
    source: Source | None
    claims: list[Claim]

    def context(self) -> dict[str, Any]:
        """The names the card template reads for an expanded card."""
        return {
            "card_key": self.key,
            "statement": self.statement,
            "side_class": self.side_class,
            "annotations": self.annotations,
            "segments": self.segments,
            "excerpt": self.excerpt,
            "source": self.source,
            "claims": self.claims,
        }


def expanded_card(
    user: Any, statements: QuerySet[Statement], pk: int, key: str = ""
) -> ExpandedCard:
    """Statement `pk`, one of `statements` and visible to `user`, opened in full: the
    statement page, and a card opened on the comparison page (?card=).
    Raises Statement.DoesNotExist."""
    statement = (
        statements_for(user, claims=True, notes=True)
        .filter(pk__in=statements.values("pk"))
        .get(pk=pk)
    )
    annotations = list(statement.annotations.all())
    # A note whose words were lost in a text correction keeps its number in the list
    # but is not highlighted: its offsets may point at other words until an editor
    # re-anchors it.
    spans = [
        (a.start, a.end, n, f"ann ann-{a.tag}{' ann-internal' if a.is_internal else ''}")
        for n, a in enumerate(annotations, start=1)
        if not a.needs_review
    ]
    for n, a in enumerate(annotations, start=1):
        a.number = n  # type: ignore[attr-defined]
    source = None
    excerpt = ("", "", "")
    if statement.source_id:
        # The card query defers the archived text; the excerpt needs it.
        source = Source.objects.visible_to(user).filter(pk=statement.source_id).first()
        if source is not None:
            statement.source = source
            excerpt = statement.source_excerpt()
    # The expanded card keeps the colour of its side's column on the comparison page.
    order = SideOrder.of_conflict(statement.incident.conflict_id)
    return ExpandedCard(
        key=key or f"statement-{statement.pk}",
        statement=statement,
        side_class=order.css_class(statement.party_id),
        annotations=annotations,
        segments=segment_text(statement.text, spans),
        excerpt=excerpt,
        source=source,
        claims=list(statement.claims.all()),
    )


def open_card(incident: Any, user: Any, key: str) -> ExpandedCard | None:
    """The comparison page's card `key` (`claim-N` or `statement-N`, already checked
    by valid_card_key), opened in full; None when it is not a card of this incident
    that the user may see."""
    kind, _, number = key.partition("-")
    visible = Statement.objects.visible_to(user).filter(incident=incident)
    if kind == "claim":
        owner = (
            Claim.objects.filter(pk=int(number), statement__in=visible)
            .values_list("statement_id", flat=True)
            .first()
        )
    else:
        owner = int(number)
    if owner is None:
        return None
    try:
        return expanded_card(user, visible, owner, key)
    except Statement.DoesNotExist:
        return None
