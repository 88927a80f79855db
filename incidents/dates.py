"""How a date is written, with the precision it was recorded with. The one rule for
every page, table, chart label, feed and export that writes an incident's or a
statement's date: a month-precision date is "May 2021" and is said "in May 2021",
never "on May 2021"; an approximate date says "around".

Templates use it through the filters of incidents/templatetags/dates.py.
"""

from __future__ import annotations

from datetime import date

DAY, MONTH, YEAR, APPROXIMATE = "day", "month", "year", "approximate"


def _plain(d: date, precision: str) -> str:
    if precision == YEAR:
        return f"{d:%Y}"
    if precision == MONTH:
        return f"{d:%B %Y}"
    return f"{d.day} {d:%B %Y}"


def format_date(start: date, precision: str, end: date | None = None) -> str:
    """ "12 May 2021", "May 2021", "2021", "around 12 May 2021"; a range as
    "12 May 2021 – 14 May 2021" (each end with the same precision)."""
    text = _plain(start, precision)
    if end and end != start:
        end_text = _plain(end, precision)
        if end_text != text:
            text += f" – {end_text}"
    if precision == APPROXIMATE:
        text = "around " + text
    return text


def date_phrase(start: date, precision: str) -> str:
    """The date as said after a verb: "on 12 May 2021", "in May 2021", "in 2021",
    "around 12 May 2021"."""
    if precision == APPROXIMATE:
        return format_date(start, precision)
    preposition = "on" if precision not in (MONTH, YEAR) else "in"
    return f"{preposition} {_plain(start, precision)}"


def machine_date(start: date, precision: str) -> str:
    """For <time datetime>: only as precise as the record ("2021-05", "2021")."""
    if precision == YEAR:
        return f"{start:%Y}"
    if precision == MONTH:
        return f"{start:%Y-%m}"
    return start.isoformat()


def coarser(a: str, b: str) -> str:
    """The less precise of two precisions (for a first date found among several)."""
    order = [DAY, APPROXIMATE, MONTH, YEAR]
    return a if order.index(a if a in order else DAY) > order.index(b if b in order else DAY) else b
