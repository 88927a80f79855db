"""The admin. Versioned rows (incidents, statements, sources, points, claims,
annotations) are saved with the same compare-and-set as the editing pages: the change
form carries the version it was opened at, and a save over someone else's newer
version is refused with what changed. Rows of another versioned model are edited on
their own change page, never through an inline that would write them unchecked."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    Conflict,
    ConflictSide,
    Incident,
    Party,
    Place,
    PlaceName,
    PointOfContention,
    Source,
    StaleObjectError,
    Statement,
)
from .publishing import one_sided_message, publish_incident, readiness


class VersionedAdminForm(forms.ModelForm):
    opened_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["opened_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        opened = data.get("opened_version")
        if self.instance.pk and opened is not None:
            stored = type(self.instance)._default_manager.filter(pk=self.instance.pk)
            current = stored.first()
            if current is not None and current.version != opened:
                changed = "; ".join(f"{f}: {now}" for f, _, now in current.changes_since(opened))
                raise forms.ValidationError(
                    f"Someone saved version {current.version} after you opened this page"
                    + (f" ({changed})" if changed else "")
                    + ". Reload it; nothing was saved."
                )
        return data


class VersionedAdmin(SimpleHistoryAdmin):
    """Compare-and-set on save; every field the admin form shows is written (status
    included: the admin is the way to correct it by hand)."""

    form = VersionedAdminForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        return fields if "opened_version" in fields else [*fields, "opened_version"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        opened = form.cleaned_data.get("opened_version")
        if not change or opened is None:
            obj.save()
            return
        editable = [
            f.name
            for f in obj._meta.concrete_fields
            if not f.primary_key and f.name not in {"version", "created_at", "updated_at"}
        ]
        try:
            obj.save_versioned(opened, fields=editable)
        except StaleObjectError:
            # Between the form's check and this save (a narrow window): say so
            # rather than report success.
            request._parallax_refused = True  # type: ignore[attr-defined]

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        if getattr(request, "_parallax_refused", False):
            messages.error(request, "Someone saved this meanwhile; nothing was saved. Reload.")
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


class ReadOnlyInline(admin.TabularInline):
    """Lists versioned rows with a link to their own (versioned) change page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields or []


class ConflictSideInline(admin.TabularInline):
    model = ConflictSide
    extra = 0


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("third_parties",)
    inlines = [ConflictSideInline]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "short_name", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ("name", "party", "kind", "role")
    list_filter = ("kind", "party")
    search_fields = ("name", "role")
    list_select_related = ("party",)
    autocomplete_fields = ("party",)


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 0


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "administered_by")
    list_filter = ("administered_by",)
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PlaceNameInline]


@admin.register(Source)
class SourceAdmin(VersionedAdmin):
    list_display = ("title", "publisher", "published_on", "kind", "language")
    list_filter = ("kind", "language")
    search_fields = ("title", "publisher", "url")
    readonly_fields = ("sha256", "captured_at", "version")
    date_hierarchy = "published_on"


class PointInline(ReadOnlyInline):
    model = PointOfContention
    fields = ("order", "label", "description")


class StatementInline(ReadOnlyInline):
    model = Statement
    fields = ("actor", "statement_type", "issued_on", "status")


class IncidentAdminForm(VersionedAdminForm):
    """Setting the status to Published here follows the editors' rule
    (incidents.publishing): refused while a side has no published statement, unless
    the box below is ticked."""

    confirm_one_sided = forms.BooleanField(
        required=False,
        label="Publish even though a side has no published statement",
        help_text="The public would see this incident without that side's account.",
    )

    class Meta:
        model = Incident
        # Every field, as the admin's own form has: the admin takes the field list
        # from a form that names one.
        fields = "__all__"  # noqa: DJ007

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        becomes_public = (
            data.get("status") == Incident.Status.PUBLISHED
            and self.instance.pk is not None
            and self.instance.status != Incident.Status.PUBLISHED
        )
        if becomes_public and not data.get("confirm_one_sided"):
            silent = readiness(self.instance).silent_sides()
            if silent:
                self.add_error("confirm_one_sided", one_sided_message(silent))
        if (
            data.get("status") == Incident.Status.PUBLISHED
            and self.instance.pk is None
            and not data.get("confirm_one_sided")
        ):
            self.add_error(
                "status",
                "A new incident has no published statement yet: save it as a draft, add "
                "its statements, then publish it.",
            )
        return data


@admin.register(Incident)
class IncidentAdmin(VersionedAdmin):
    form = IncidentAdminForm
    list_display = ("title", "conflict", "date_start", "status", "is_synthetic")
    list_filter = ("status", "conflict", "is_synthetic", "date_precision")
    search_fields = ("title", "summary", "slug")
    date_hierarchy = "date_start"
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("places", "related")
    readonly_fields = ("version", "published_at")
    list_select_related = ("conflict",)
    inlines = [PointInline, StatementInline]

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        publishing = obj.status == Incident.Status.PUBLISHED and (
            not change or form.initial.get("status") != Incident.Status.PUBLISHED
        )
        if not publishing:
            super().save_model(request, obj, form, change)
            return
        # Saved as it was, then published by the one publishing rule (which records
        # who published it and when).
        obj.status = form.initial.get("status") or Incident.Status.DRAFT
        super().save_model(request, obj, form, change)
        publish_incident(
            obj,
            by=request.user,  # type: ignore[arg-type]
            confirm_one_sided=bool(form.cleaned_data.get("confirm_one_sided")),
        )


class ClaimInline(ReadOnlyInline):
    model = Claim
    fields = ("point", "start", "end", "quote", "needs_review")


class AnnotationInline(ReadOnlyInline):
    model = Annotation
    fields = ("tag", "visibility", "start", "end", "quote", "body", "needs_review")


@admin.register(Statement)
class StatementAdmin(VersionedAdmin):
    list_display = ("__str__", "incident", "party", "statement_type", "issued_on", "status")
    list_filter = ("status", "statement_type", "kind", "party", "quote_verified")
    search_fields = ("text", "actor__name", "incident__title")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("actor", "incident", "source")
    readonly_fields = ("party", "version", "published_at", "quote_verified")
    list_select_related = ("actor", "party", "incident")
    inlines = [ClaimInline, AnnotationInline]


@admin.register(PointOfContention)
class PointOfContentionAdmin(VersionedAdmin):
    list_display = ("label", "incident", "order")
    search_fields = ("label", "incident__title")
    autocomplete_fields = ("incident",)


@admin.register(Claim)
class ClaimAdmin(VersionedAdmin):
    list_display = ("__str__", "point", "needs_review", "figure", "figure_unit")
    list_filter = ("needs_review",)
    search_fields = ("quote", "point__label")
    raw_id_fields = ("statement", "point")


@admin.register(ClaimRelation)
class ClaimRelationAdmin(SimpleHistoryAdmin):
    list_display = ("from_claim", "kind", "to_claim")
    list_filter = ("kind",)
    raw_id_fields = ("from_claim", "to_claim")


@admin.register(Annotation)
class AnnotationAdmin(VersionedAdmin):
    list_display = ("__str__", "tag", "visibility", "author", "needs_review", "updated_at")
    list_filter = ("tag", "visibility", "needs_review")
    search_fields = ("quote", "body")
    raw_id_fields = ("statement", "evidence")
