"""{% card_id statement claim as key %}: the id of one statement card on a page.

A statement can show in several cards of one page (one per claim in the comparison
grid), so every id inside a card, and the card's own, derives from this key: the
editor's tools act on the card that was clicked, labels point at their own field,
and an expanded card keeps the id of the card it replaced. Views that render a
single card (the expanded card, the editor's tools after a publish) pass the key as
`card_key`, checked by `valid_card_key`.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

CARD_KEY = re.compile(r"(claim|statement)-[1-9][0-9]{0,17}")


def valid_card_key(value: str | None) -> str:
    """The key if it is one (`claim-12`, `statement-3`), else ""."""
    return value if value and CARD_KEY.fullmatch(value) else ""


def card_key(statement: Any, claim: Any = None, expanded: bool = False) -> str:
    if claim is not None and not expanded:
        return f"claim-{claim.pk}"
    return f"statement-{statement.pk}"


@register.simple_tag(takes_context=True)
def card_id(context: template.Context, statement: Any, claim: Any = None) -> str:
    given = valid_card_key(context.get("card_key"))
    return given or card_key(statement, claim, bool(context.get("expanded")))


@register.simple_tag(takes_context=True)
def comparison_card(context: template.Context, statement: Any, claim: Any = None) -> str:
    """A card of the comparison page, rendered beforehand by incidents.views.
    comparison_cards (with the page's context, per audience, cached)."""
    return mark_safe(context["card_html"][card_key(statement, claim)])  # noqa: S308


OPENING, CLOSING = "“", "”"


@register.filter
def balanced(words: str) -> str:
    """An excerpt with its quotation marks paired: words cut from inside a quotation
    ("“sabotage group of the armed forces") get the missing mark at the cut, so a
    card never shows a quotation that opens and never closes."""
    depth, missing_open = 0, 0
    for ch in words:
        if ch == OPENING:
            depth += 1
        elif ch == CLOSING:
            if depth:
                depth -= 1
            else:
                missing_open += 1
    return OPENING * missing_open + words + CLOSING * depth


@register.filter
def names_that_differ(place: Any) -> list[Any]:
    """A place's names used by the parties, leaving out those equal to the name the
    site uses: "(Armenia calls it “Gegharkunik”)" says nothing about Gegharkunik."""
    return [n for n in place.names.all() if n.name.strip().casefold() != place.name.casefold()]
