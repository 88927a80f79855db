"""Statements with everything a statement card shows (templates/incidents/
_statement_card.html): the comparison page, the statement, actor, party and source
pages and the search results all list them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Annotation, Claim, Statement


def statements_for(
    user: Any,
    *,
    claims: bool = False,
    notes: bool = False,
    incident: bool = True,
    joins: bool = True,
) -> QuerySet[Statement]:
    """Statements the user may see, with everything a statement card shows.

    Cards only say how many notes a statement has: `note_count`, counted in the
    database from the notes the user may see. `notes=True` prefetches the notes
    themselves (the statement page lists them); `claims=True` prefetches the claims.
    The source's archived text is deferred: cards only link to the source, and one
    article quoted by fifty statements would otherwise be fetched fifty times.
    """
    # `joins=False` leaves the speakers, parties and sources out: a page showing
    # hundreds of statements by a few dozen speakers attaches them itself (see
    # incidents.comparison), building each once instead of once per row.
    related = ["actor", "party", "leaning_towards", "source"] if joins else ["source"]
    if incident:
        related.append("incident")
    note_count = (
        Annotation.objects.visible_on_shown_statement(user)
        .filter(statement=OuterRef("pk"))
        .order_by()
        .values("statement")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        Statement.objects.visible_to(user)
        .select_related(*related)
        .defer("source__archived_text")
        .annotate(note_count=Coalesce(Subquery(note_count, output_field=IntegerField()), 0))
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
