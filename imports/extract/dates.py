"""The incident's date from the article's date expressions."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
]  # fmt: skip


def proposed_date(doc: Doc | Span, published: date | None) -> tuple[date | None, str]:
    """The incident's date from the first date expression that names a day: a
    weekday ("on Thursday") or "yesterday"/"today" against the article's date, or a
    calendar date. Falls back to the article's date."""
    for ent in doc.ents:
        if ent.label_ != "DATE":
            continue
        d = parse_date(ent.text, published)
        if d is not None:
            return d, ent.text
    return published, ""


def parse_date(text: str, published: date | None) -> date | None:
    low = text.lower().strip()
    words = re.findall(r"[a-z]+|\d+", low)
    if published is not None:
        if "yesterday" in words:
            return published - timedelta(days=1)
        if "today" in words or "tonight" in words:
            return published
        for n, weekday in enumerate(WEEKDAYS):
            if weekday in words and not any(m in words for m in MONTHS):
                delta = (published.weekday() - n) % 7
                if "next" in words:
                    return published + timedelta(days=(n - published.weekday()) % 7 or 7)
                if "last" in words and delta == 0:
                    delta = 7
                return published - timedelta(days=delta)
    month = next((k + 1 for k, m in enumerate(MONTHS) if m in words or m[:3] in words), None)
    nums = [int(w) for w in words if w.isdigit()]
    if month:
        day_num = next((n for n in nums if 1 <= n <= 31), None)
        year = next((n for n in nums if n > 1900), published.year if published else None)
        if day_num and year:
            try:
                d = date(year, month, day_num)
            except ValueError:
                return None
            if published and d > published and not any(n > 1900 for n in nums):
                d = date(year - 1, month, day_num)
            return d
    return None
