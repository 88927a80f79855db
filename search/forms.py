from __future__ import annotations

from django import forms

from incidents.models import Statement


class SearchForm(forms.Form):
    """The search page's GET parameters. Invalid filters are reported and ignored,
    never a server error."""

    # Not length-checked: search.backends cuts long queries instead of refusing them.
    q = forms.CharField(required=False, strip=True, label="Search")
    conflict = forms.SlugField(required=False, max_length=200)
    party = forms.SlugField(required=False, max_length=60)
    actor = forms.SlugField(required=False, max_length=200)
    type = forms.ChoiceField(required=False, choices=[("", "Any"), *Statement.Type.choices])
    point = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    year = forms.IntegerField(required=False, min_value=1000, max_value=9999)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    FILTERS = ("conflict", "party", "actor", "type", "point", "year")

    def values(self) -> dict[str, object]:
        """The valid values only (invalid fields are dropped, and listed in errors)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "")}
