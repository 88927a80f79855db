"""Forms of the editing pages. Every rule an editor can break is checked here (or in
the model's clean(), which ModelForm calls), so htmx and plain posts get the same
messages and nothing is saved half-way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from core.text import check_text
from geo import boundaries
from incidents.models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    Incident,
    Party,
    Place,
    PointOfContention,
    Source,
    Statement,
    unique_slug,
)


def _model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


# The largest id a database column can hold (bigint). An id beyond it is refused
# like any unknown choice: SQLite cannot even bind it in the `IN (...)` query that
# checks a multiple choice (Django guards single lookups, not this one).
MAX_ID = 2**63 - 1


class IdsChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                too_large = abs(int(str(pk))) > MAX_ID
            except ValueError:
                continue  # Django's own check names it as an invalid choice
            if too_large:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:30]},
                )
        return super().clean(value)


# Choice lists stay short however large the database grows (docs/performance.md: 10,000
# incidents, 300,000 statements): a select offers the likely candidates only.
RECENT_CHOICES = 40


def source_choices(incident: Incident, current_id: int | None) -> QuerySet[Source]:
    """Sources already used by the incident's statements or annotations, the most
    recently added ones, and the current choice."""
    recent = Source.objects.order_by("-created_at").values("pk")[:RECENT_CHOICES]
    return (
        Source.objects.filter(
            Q(statements__incident=incident)
            | Q(evidence_for__statement__incident=incident)
            | Q(pk__in=[pk for pk in [current_id] if pk])
            | Q(pk__in=[row["pk"] for row in recent])
        )
        .distinct()
        .only("id", "title", "publisher", "published_on")
        .order_by("-published_on", "title")
    )


def _related_choices(incident: Incident) -> QuerySet[Incident]:
    """Incidents of the same conflict within two years, and those already related."""
    base = Incident.objects.only("id", "title", "date_start").order_by("-date_start")
    if not incident.pk:
        recent = Incident.objects.order_by("-date_start").values("pk")[:RECENT_CHOICES]
        return base.filter(pk__in=[row["pk"] for row in recent])
    window = Q(
        conflict_id=incident.conflict_id,
        date_start__gte=incident.date_start - timedelta(days=730),
        date_start__lte=incident.date_start + timedelta(days=730),
    )
    current = list(incident.related.values_list("pk", flat=True))
    return base.filter(window | Q(pk__in=current)).exclude(pk=incident.pk)


class CheckedTextMixin(forms.BaseForm):
    """Every text field of an editing form is checked for what the database and the
    feeds cannot carry (core.text.check_text): a NUL or control character, a length
    beyond the documented limit, or (when required) nothing visible at all."""

    # Fields whose text is a verbatim capture: control characters are kept (the
    # SHA-256 must match what was captured); NUL and the length are still checked.
    VERBATIM = frozenset({"archived_text"})

    def text_limit(self, name: str, field: forms.Field) -> int:
        if name in {"text", "original_text"}:
            return settings.STATEMENT_MAX_CHARS
        if name == "archived_text":
            return settings.IMPORT_MAX_CHARS
        return getattr(field, "max_length", None) or settings.NOTE_MAX_CHARS

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        for name, field in self.fields.items():
            value = data.get(name)
            if not isinstance(field, forms.CharField) or not isinstance(value, str):
                continue
            what = str(field.label or name.replace("_", " ")).lower()
            try:
                check_text(
                    value,
                    limit=self.text_limit(name, field),
                    what=what,
                    required=field.required,
                    controls_ok=name in self.VERBATIM,
                )
            except ValidationError as exc:
                self.add_error(name, exc)
                data.pop(name, None)
        return data


class VersionedForm(CheckedTextMixin, forms.ModelForm):
    """Carries the version the editor started from; the view saves with
    save_versioned(version) so a concurrent change is refused, never overwritten."""

    # Bounded like the column (PositiveIntegerField): a larger number would overflow
    # the database integer in save_versioned()'s comparison.
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, required=False
    )
    # Set by the editing views when another editor saved first (see editing.views.common._save).
    # Not named "conflict": templates look up form.conflict as the incident's field.
    concurrent: Any = None
    concurrent_rows: list[dict[str, Any]] = []
    concurrent_by: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version

    def clean_version(self) -> int | None:
        version = self.cleaned_data.get("version")
        if self.instance.pk and version is None:
            raise ValidationError("The form lost its version; reload the page.")
        return version


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class IncidentForm(VersionedForm):
    class Meta:
        model = Incident
        fields = [
            "conflict",
            "title",
            "date_start",
            "date_end",
            "date_precision",
            "places",
            "summary",
            "related",
        ]
        widgets = {
            "date_start": DateInput(),
            "date_end": DateInput(),
            "places": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 5}),
            "related": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {
            "title": (
                "Attribute contested facts in the title (“One side says …”); "
                "never state them as fact."
            ),
            "related": "Earlier or later incidents this one refers to.",
        }
        field_classes = {"places": IdsChoiceField, "related": IdsChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        related = _related_choices(self.instance)
        # Statements are tied to the conflict's parties; moving the incident to
        # another conflict would orphan them.
        if self.instance.pk and self.instance.statements.exists():
            self.fields["conflict"].disabled = True
            self.fields["conflict"].help_text = "Fixed: the incident has statements."
        _model_field(self, "related").queryset = related
        self.fields["related"].required = False

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        start, end = data.get("date_start"), data.get("date_end")
        if start and end and end < start:
            self.add_error("date_end", "The end date is before the start date.")
        return data


class StatementForm(VersionedForm):
    """The speaker is picked from an htmx autocomplete that renders radio buttons named
    `actor`; without JavaScript the same list comes from a GET search of the page."""

    actor = forms.ModelChoiceField(
        queryset=Actor.objects.select_related("party"),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose who made the statement.",
            "invalid_choice": "That speaker no longer exists; choose another.",
        },
    )

    class Meta:
        model = Statement
        fields = [
            "actor",
            "statement_type",
            "leaning",
            "leaning_towards",
            "text",
            "kind",
            "issued_on",
            "issued_precision",
            "source",
            "source_start",
            "source_end",
            "original_language",
            "original_text",
            "translation_note",
        ]
        widgets = {
            "issued_on": DateInput(),
            "text": forms.Textarea(attrs={"rows": 6}),
            "original_text": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "statement_type": "Type",
            "kind": "Direct or reported",
            "issued_on": "Issued on",
            "source_start": "Excerpt starts at (character)",
            "source_end": "Excerpt ends at (character)",
        }
        help_texts = {
            "leaning": "For third parties: whose account the statement leans towards.",
            "text": "Exactly the words of the source (quote) or its paraphrase (reported).",
            "source_start": "Position of the statement in the source's archived text.",
        }

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.instance.incident = incident
        _model_field(self, "leaning_towards").queryset = Party.objects.filter(
            conflictside__conflict=incident.conflict
        )
        _model_field(self, "source").queryset = source_choices(incident, self.instance.source_id)
        self.fields["source"].help_text = (
            "Sources of this incident and the most recently added ones; add a new "
            "source first if it is not listed."
        )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError("The statement needs its words.")
        return text

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        leaning, towards = data.get("leaning"), data.get("leaning_towards")
        if leaning == Statement.Leaning.SIDE and not towards:
            self.add_error("leaning_towards", "Say which side's account it leans towards.")
        if towards and leaning != Statement.Leaning.SIDE:
            self.add_error("leaning", "Choose “leans towards one side” to name a side.")
        actor = data.get("actor")
        if actor:
            # The party always follows the speaker (Statement.save() does the same);
            # set it now so that the model's clean() compares the right pair.
            self.instance.party_id = actor.party_id
        if (
            actor
            and leaning
            and actor.party.conflictside_set.filter(conflict=self.incident.conflict).exists()
        ):
            self.add_error("leaning", "Leaning is for third parties; this speaker is a side.")
        source = data.get("source")
        start, end = data.get("source_start"), data.get("source_end")
        if (start is None) != (end is None):
            self.add_error("source_end", "Give both ends of the excerpt, or neither.")
        elif start is not None and end is not None:
            if not source:
                self.add_error("source", "An excerpt position needs a source.")
            elif end <= start:
                self.add_error("source_end", "The excerpt must end after it starts.")
            elif end > len(source.archived_text):
                self.add_error(
                    "source_end",
                    f"The source's archived text has only {len(source.archived_text)} characters.",
                )
        elif source and data.get("text") and source.archived_text:
            # No position given: find the words in the source's archived text, so the
            # excerpt (and its check against the source) comes for free.
            pos = source.archived_text.find(data["text"])
            if pos != -1:
                data["source_start"], data["source_end"] = pos, pos + len(data["text"])
        return data


class SourceForm(VersionedForm):
    class Meta:
        model = Source
        fields = [
            "title",
            "publisher",
            "url",
            "published_on",
            "kind",
            "language",
            "archived_text",
        ]
        widgets = {
            "published_on": DateInput(),
            "archived_text": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "archived_text": "The text as captured; its SHA-256 is computed when saved. "
            "Statements point into this exact text.",
        }

    def clean_archived_text(self) -> str:
        text = self.cleaned_data["archived_text"]
        if self.instance.pk and text != self.instance.archived_text:
            # Excerpt offsets of statements refer to the archived text; refuse a change
            # that would leave one pointing past its end.
            longest = (
                self.instance.statements.filter(source_end__gt=len(text))
                .values_list("pk", flat=True)
                .first()
            )
            if longest is not None:
                raise ValidationError(
                    "Statements point beyond the end of this text (e.g. statement "
                    f"#{longest}); correct their excerpt positions first."
                )
        return text


class PointForm(VersionedForm):
    class Meta:
        model = PointOfContention
        fields = ["label", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"label": "A neutral question, e.g. “What were the soldiers doing?”"}

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if not label:
            raise ValidationError("The point needs a question.")
        return label


class SpanFormMixin(forms.ModelForm):
    """span_start/span_end are filled by static/js/selection.js from the selected words;
    `span_quote` is the keyboard and no-JavaScript way: type the words and the first
    place they occur in the statement is used. (Not named after the model's fields so
    that ModelForm leaves the span to set_span().)"""

    span_start = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    span_end = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    span_quote = forms.CharField(
        label="Words",
        required=False,
        max_length=5000,
        strip=False,
        help_text="Select words in the statement, or type them exactly.",
    )

    statement: Statement

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        text = self.statement.text
        start, end = data.get("span_start"), data.get("span_end")
        quote = data.get("span_quote") or ""
        span: tuple[int, int] | None = None
        if (
            start is not None
            and end is not None
            and 0 <= start < end <= len(text)
            and (not quote.strip() or text[start:end] == quote)
        ):
            span = (start, end)
        elif (
            self.instance.pk
            and quote.strip() == self.instance.quote
            and not self.instance.needs_review
            and text[self.instance.start : self.instance.end] == self.instance.quote
        ):
            return data  # the same words as before: the span stays where it is
        elif quote.strip():
            words = quote.strip()
            pos = text.find(words)
            if pos == -1:
                self.add_error("span_quote", "These words are not in the statement's text.")
                return data
            span = (pos, pos + len(words))
        elif self.instance.pk:
            return data  # editing the note only; the span stays where it is
        else:
            self.add_error("span_quote", "Select the words in the statement (or type them).")
            return data
        if self.instance.pk is None or span != (self.instance.start, self.instance.end):
            self.instance.set_span(text, *span)
        return data


class AnnotationForm(SpanFormMixin, VersionedForm):
    field_order = ["span_quote", "tag", "body", "evidence", "visibility"]

    class Meta:
        model = Annotation
        fields = ["tag", "body", "evidence", "visibility"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3}), "visibility": forms.RadioSelect}
        labels = {"body": "Note", "evidence": "Evidence (a source)"}

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        # Shown beside a ClaimForm, which has span fields too: ids of its own.
        kwargs.setdefault("auto_id", "annotate-%s")
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.instance.statement = statement
        _model_field(self, "evidence").queryset = source_choices(
            statement.incident, self.instance.evidence_id
        )
        self.fields["evidence"].required = False
        if self.instance.pk and not self.is_bound:
            self.fields["span_quote"].initial = self.instance.quote

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if (
            data.get("tag")
            and data["tag"] != Annotation.Tag.CONTEXT
            and not (data.get("body") or "").strip()
        ):
            # A bare "disputed" says nothing about who disputes it.
            self.add_error("body", "Write a note: who disputes it, what contradicts it…")
        return data


class ClaimForm(SpanFormMixin, VersionedForm):
    field_order = ["span_quote", "point", "figure", "figure_unit", "location", "location_name"]

    class Meta:
        model = Claim
        fields = ["point", "figure", "figure_unit", "location", "location_name"]
        labels = {
            "point": "Point of contention",
            "figure_unit": "Unit of the figure",
            "location": "Location it states",
            "location_name": "The location in the claim's words",
        }
        help_texts = {
            "figure": "Optional: a number the claim states (six soldiers → 6).",
            "location": "Optional: the place, area or country the claim says it happened "
            "in. The comparison page maps each side's location in its colour.",
        }

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if (data.get("location_name") or "").strip() and not data.get("location"):
            self.add_error("location", "Choose the place these words refer to.")
        return data

    def __init__(self, *args: Any, statement: Statement, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "assign-%s")
        super().__init__(*args, **kwargs)
        self.statement = statement
        self.instance.statement = statement
        _model_field(self, "point").queryset = PointOfContention.objects.filter(
            incident_id=statement.incident_id
        )
        self.fields["point"].error_messages["invalid_choice"] = (
            "Choose a point of contention of this incident."
        )
        if self.instance.pk and not self.is_bound:
            self.fields["span_quote"].initial = self.instance.quote


class ClaimChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.statement.actor}: “{obj.quote[:70]}” ({obj.point})"


class ClaimRelationForm(forms.ModelForm):
    class Meta:
        model = ClaimRelation
        fields = ["kind", "to_claim"]
        field_classes = {"to_claim": ClaimChoiceField}
        labels = {"kind": "This claim", "to_claim": "the claim"}

    def __init__(self, *args: Any, from_claim: Claim, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.from_claim = from_claim
        self.instance.from_claim = from_claim
        _model_field(self, "to_claim").queryset = (
            Claim.objects.filter(statement__incident_id=from_claim.statement.incident_id)
            .exclude(pk=from_claim.pk)
            .select_related("statement__actor", "point")
        )
        self.fields["to_claim"].error_messages["invalid_choice"] = (
            "Choose another claim of the same incident."
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        to_claim, kind = data.get("to_claim"), data.get("kind")
        if (
            to_claim
            and kind
            and ClaimRelation.objects.filter(
                Q(from_claim=self.from_claim, to_claim=to_claim, kind=kind)
            ).exists()
        ):
            raise ValidationError("That relation is already recorded.")
        return data

    def validate_unique(self) -> None:
        # The unique constraint's message is replaced by the clearer one in clean().
        pass


class WithdrawForm(CheckedTextMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Shown to the public beside the withdrawn statement.",
        error_messages={"required": "Give the reason for withdrawing it."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Give the reason for withdrawing it.")
        return reason


class ActorForm(CheckedTextMixin, forms.ModelForm):
    """Inline "new speaker" in the statement form; prefixed so its fields never clash
    with the statement's own."""

    prefix = "new_actor"

    class Meta:
        model = Actor
        fields = ["name", "kind", "party", "role"]
        labels = {"name": "Name of the new speaker"}

    def __init__(self, *args: Any, incident: Incident | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if incident is not None:
            _model_field(self, "party").queryset = Party.objects.of_conflict(
                pk=incident.conflict_id
            )
        self.fields["party"].help_text = "A side or a recorded third party of the conflict."

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the speaker's name.")
        return name

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if (
            data.get("name")
            and data.get("party")
            and Actor.objects.filter(name__iexact=data["name"], party=data["party"]).exists()
        ):
            raise ValidationError(
                f"{data['name']} of {data['party']} already exists; search for it instead."
            )
        return data


class PlaceForm(forms.ModelForm):
    """A place and where it is. The gazetteer's proposals (geo.gazetteer) fill these
    fields through the page's links; every value is checked here whatever filled it."""

    class Meta:
        model = Place
        fields = ["name", "kind", "latitude", "longitude", "area_code", "administered_by", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        labels = {"area_code": "Country or area code"}
        help_texts = {
            "area_code": "ISO 3166: a country (AM) or a first-level area (AM-GR). For a "
            "point, the area it lies in; for an area or a country, the area itself, which "
            "the maps then draw.",
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("The place needs a name.")
        return name

    def clean_area_code(self) -> str:
        code = self.cleaned_data.get("area_code", "").strip().upper().replace("_", "-")
        if code and boundaries.get(code) is None:
            raise ValidationError(f"“{code}” is not a country or first-level area code we know.")
        return code

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("longitude" if lon is None else "latitude", "Give both coordinates.")
        if lat is not None and not -90 <= lat <= 90:
            self.add_error("latitude", "A latitude is between −90 and 90.")
        if lon is not None and not -180 <= lon <= 180:
            self.add_error("longitude", "A longitude is between −180 and 180.")
        kind, code = data.get("kind"), data.get("area_code", "")
        area = boundaries.get(code) if code else None
        if kind == Place.Kind.COUNTRY and (area is None or area.level != 0):
            self.add_error("area_code", "A country needs its country code (e.g. AM).")
        if kind == Place.Kind.AREA and (area is None or area.level != 1):
            self.add_error("area_code", "An area needs its first-level area code (e.g. AM-GR).")
        if kind == Place.Kind.POINT and lat is None and not self.errors:
            self.add_error("latitude", "A point needs its coordinates.")
        return data

    def save(self, commit: bool = True) -> Place:
        place: Place = super().save(commit=False)
        if not place.slug:
            place.slug = unique_slug(Place, place.name)
        if commit:
            place.save()
        return place
