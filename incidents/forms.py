"""Forms for the public pages. They only read GET parameters: a malformed value is
reported next to its field and ignored, so a hand-edited URL never causes an error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef

from accounts.models import audience
from core.cache import depends_on, remember

from . import caching
from .models import Conflict, Incident, Party, Place

TABS = [("grid", "Points of contention"), ("timeline", "Timeline"), ("sources", "Sources")]


class Select(forms.Select):
    """A select that writes its options in its own template instead of including a
    template per option: the place filter alone has a hundred options, and those
    includes were a third of the incident list's time."""

    template_name = "widgets/select.html"


def filter_choices(user: Any) -> dict[str, list[tuple[str, str]]]:
    """The list filter's conflicts, parties and places as (slug, name), computed once
    per audience while the lists of incidents stay the same (core.cache scopes) and
    shared by every worker: every list page needs them."""
    who = audience(user).value

    def compute() -> dict[str, list[tuple[str, str]]]:
        depends_on(*caching.list_scopes())
        # Only places of incidents this visitor may see: a place entered for a draft
        # incident must not reveal that incident through the filter's choices.
        visible = Incident.objects.visible_to(user).filter(places=OuterRef("pk"))
        places = Place.objects.filter(Exists(visible))
        return {
            name: [(obj.slug, str(obj)) for obj in qs]
            for name, qs in (
                ("conflict", Conflict.objects.all()),
                ("party", Party.objects.all()),
                ("place", places),
            )
        }

    choices: dict[str, list[tuple[str, str]]] = remember(
        f"parallax:list-filter-choices:{who}", compute
    )
    return choices


class IncidentFilterForm(forms.Form):
    conflict = forms.ChoiceField(required=False, widget=Select)
    party = forms.ChoiceField(
        required=False,
        widget=Select,
        help_text="A side of the conflict, or a party that made a statement.",
    )
    place = forms.ChoiceField(required=False, widget=Select)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    EMPTY_LABELS = {"conflict": "All conflicts", "party": "All parties", "place": "All places"}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in filter_choices(user).items():
            self.fields[name].choices = [("", self.EMPTY_LABELS[name]), *choices]  # type: ignore[attr-defined]
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the date range is before its start.")
        return data

    def valid_values(self) -> dict[str, Any]:
        """The values that passed validation; invalid ones are left out (ignored)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}

    def filter(self, incidents: Any) -> Any:
        values = self.valid_values()
        if conflict := values.get("conflict"):
            incidents = incidents.filter(conflict__slug=conflict)
        if party := values.get("party"):
            incidents = incidents.involving(party, self.user)
        if place := values.get("place"):
            incidents = incidents.filter(places__slug=place)
        return incidents.overlapping(values.get("date_from"), values.get("date_to"))


class IncidentViewForm(forms.Form):
    """Tab and filters of the comparison page; choices come from the incident itself."""

    tab = forms.ChoiceField(choices=TABS, required=False)
    point = forms.TypedChoiceField(coerce=int, required=False, label="Point of contention")
    party = forms.ChoiceField(required=False, label="Party")

    def __init__(self, *args: Any, points: list[Any], parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["point"].choices = [("", "All points"), *[(p.pk, p.label) for p in points]]  # type: ignore[attr-defined]
        self.fields["party"].choices = [("", "All parties"), *[(p.slug, p.name) for p in parties]]  # type: ignore[attr-defined]

    def valid_values(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in ("", None)}
