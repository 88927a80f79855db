"""Dates with their precision (incidents/dates.py), for templates:

{{ statement.issued_on|precise:statement.issued_precision }}   May 2021
said {{ statement.issued_on|phrase:statement.issued_precision }}   said in May 2021
<time datetime="{{ d|machine:precision }}">
"""

from __future__ import annotations

from datetime import date, timedelta

from django import template

from incidents import dates

register = template.Library()


@register.filter
def precise(value: date | None, precision: str = dates.DAY) -> str:
    return dates.format_date(value, precision or dates.DAY) if value else ""


@register.filter
def phrase(value: date | None, precision: str = dates.DAY) -> str:
    return dates.date_phrase(value, precision or dates.DAY) if value else ""


@register.filter
def machine(value: date | None, precision: str = dates.DAY) -> str:
    return dates.machine_date(value, precision or dates.DAY) if value else ""


@register.filter
def minutes(value: timedelta | None) -> int:
    """A duration in whole minutes (the sign-in lock-out: "15 minutes")."""
    return round(value.total_seconds() / 60) if value else 0
