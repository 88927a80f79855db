from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
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
    Statement,
)
from .publishing import one_sided_message, publish_incident, readiness


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
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ("title", "publisher", "published_on", "kind", "language")
    list_filter = ("kind", "language")
    search_fields = ("title", "publisher", "url")
    readonly_fields = ("sha256", "captured_at", "version")
    date_hierarchy = "published_on"


class PointInline(admin.TabularInline):
    model = PointOfContention
    extra = 0
    fields = ("order", "label", "description")


class StatementInline(admin.TabularInline):
    model = Statement
    extra = 0
    fields = ("actor", "statement_type", "issued_on", "status")
    autocomplete_fields = ("actor",)
    show_change_link = True


class IncidentAdminForm(forms.ModelForm):
    """Setting the status to Published here follows the editors' rule
    (incidents.publishing): refused while a side has no published statement, unless
    the box below is ticked. Statements changed in the inline rows are saved after
    the incident, so the check counts the statements as they were before this save."""

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
class IncidentAdmin(SimpleHistoryAdmin):
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


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    fields = ("point", "start", "end", "quote", "needs_review")
    readonly_fields = ("quote",)


class AnnotationInline(admin.TabularInline):
    model = Annotation
    extra = 0
    fields = ("tag", "visibility", "start", "end", "quote", "body", "needs_review")
    readonly_fields = ("quote",)


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "incident", "party", "statement_type", "issued_on", "status")
    list_filter = ("status", "statement_type", "kind", "party", "quote_verified")
    search_fields = ("text", "actor__name", "incident__title")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("actor", "incident", "source")
    readonly_fields = ("party", "version", "published_at", "quote_verified")
    list_select_related = ("actor", "party", "incident")
    inlines = [ClaimInline, AnnotationInline]


@admin.register(PointOfContention)
class PointOfContentionAdmin(SimpleHistoryAdmin):
    list_display = ("label", "incident", "order")
    search_fields = ("label", "incident__title")
    autocomplete_fields = ("incident",)


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
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
class AnnotationAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "tag", "visibility", "author", "needs_review", "updated_at")
    list_filter = ("tag", "visibility", "needs_review")
    search_fields = ("quote", "body")
    raw_id_fields = ("statement", "evidence")
