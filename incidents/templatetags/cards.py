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
