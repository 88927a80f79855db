from django.contrib import admin
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


@admin.register(Incident)
class IncidentAdmin(SimpleHistoryAdmin):
    list_display = ("title", "conflict", "date_start", "status", "is_synthetic")
    list_filter = ("status", "conflict", "is_synthetic", "date_precision")
    search_fields = ("title", "summary", "slug")
    date_hierarchy = "date_start"
    prepopulated_fields = {"slug": ("title",)}
    filter_horizontal = ("places", "related")
    readonly_fields = ("version", "published_at")
    list_select_related = ("conflict",)
    inlines = [PointInline, StatementInline]


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
