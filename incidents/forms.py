"""Forms for the public pages. They only read GET parameters: a malformed value is
reported next to its field and ignored, so a hand-edited URL never causes an error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef

from .models import Conflict, Incident, Party, Place

TABS = [("grid", "Points of contention"), ("timeline", "Timeline"), ("sources", "Sources")]


class IncidentFilterForm(forms.Form):
    conflict = forms.ModelChoiceField(
        queryset=Conflict.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All conflicts",
    )
    party = forms.ModelChoiceField(
        queryset=Party.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All parties",
        help_text="A side of the conflict, or a party that made a statement.",
    )
    place = forms.ModelChoiceField(
        queryset=Place.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label="All places",
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only places of incidents this visitor may see: a place entered for a draft
        # incident must not reveal that incident through the filter's choices.
        visible = Incident.objects.visible_to(user).filter(places=OuterRef("pk"))
        self.fields["place"].queryset = Place.objects.filter(Exists(visible))  # type: ignore[attr-defined]
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
            incidents = incidents.filter(conflict=conflict)
        if party := values.get("party"):
            incidents = incidents.involving(party.slug, self.user)
        if place := values.get("place"):
            incidents = incidents.filter(places=place)
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
