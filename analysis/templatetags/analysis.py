"""{% incident_figures incident as table %}: for templates/analysis/_figures.html,
which the comparison page includes with only `incident` in its context. Visibility is
decided here, from the request's user, not in the template."""

from __future__ import annotations

from typing import Any

from django import template

from analysis.measures import FiguresTable
from analysis.measures import incident_figures as compute

register = template.Library()


@register.simple_tag(takes_context=True)
def incident_figures(context: template.Context, incident: Any) -> FiguresTable:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return compute(incident, user)
