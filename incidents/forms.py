"""Forms for the public pages. They only read GET parameters: a malformed value is
reported next to its field and ignored, so a hand-edited URL never causes an error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef

from accounts.models import audience
from core.cache import depends_on, remember

from . import caching
from .filters import filter_incidents
from .models import Conflict, ConflictSide, Incident, IncidentQuerySet, Party, Place, Statement


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's choice field, typed as one (Form.fields holds plain Fields)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


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
        incidents = Incident.objects.visible_to(user)
        visible = incidents.filter(places=OuterRef("pk"))
        places = Place.objects.visible_to(user).filter(Exists(visible))
        # Only choices that can find something: conflicts with an incident this visitor
        # may see, and parties that are a side of such a conflict or made a statement
        # this visitor may see (the rule of IncidentQuerySet.involving).
        conflicts = Conflict.objects.visible_to(user).filter(
            Exists(incidents.filter(conflict=OuterRef("pk")))
        )
        side_of_visible = ConflictSide.objects.filter(
            party=OuterRef("pk"), conflict__in=incidents.values("conflict")
        )
        spoke = Statement.objects.visible_to(user).filter(party=OuterRef("pk"))
        parties = Party.objects.visible_to(user).filter(Exists(side_of_visible) | Exists(spoke))
        return {
            name: [(obj.slug, str(obj)) for obj in qs]
            for name, qs in (
                ("conflict", conflicts),
                ("party", parties),
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
            choice_field(self, name).choices = [("", self.EMPTY_LABELS[name]), *choices]
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

    def widen(self) -> list[tuple[str, str]]:
        """For an empty result: (what to do, query string) for each filter in use,
        each dropping that one filter and keeping the others."""
        values = self.valid_values()
        if not values:
            return []
        query = self.data.copy()  # type: ignore[attr-defined]
        query.pop("page", None)
        links = []
        for name, value in values.items():
            rest = query.copy()
            rest.pop(name, None)
            if name in ("date_from", "date_to"):
                what = f"remove the date “{self.fields[name].label}”"
            else:
                label = dict(self.fields[name].choices).get(value, value)  # type: ignore[attr-defined]
                what = f"remove “{label}”"
            links.append((what, "?" + rest.urlencode() if rest else "?"))
        return links

    def filter(self, incidents: IncidentQuerySet) -> IncidentQuerySet:
        return filter_incidents(incidents, self.user, self.valid_values())


class IncidentViewForm(forms.Form):
    """Tab and filters of the comparison page; choices come from the incident itself."""

    tab = forms.ChoiceField(choices=TABS, required=False)
    point = forms.TypedChoiceField(coerce=int, required=False, label="Point of contention")
    party = forms.ChoiceField(required=False, label="Party")

    def __init__(self, *args: Any, points: list[Any], parties: list[Party], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "point").choices = [
            ("", "All points"),
            *[(p.pk, p.label) for p in points],
        ]
        choice_field(self, "party").choices = [
            ("", "All parties"),
            *[(p.slug, p.name) for p in parties],
        ]

    def valid_values(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in ("", None)}
