from django.contrib import admin

from .models import ImportDraft, ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "status",
        "processed",
        "total",
        "drafts_created",
        "rejected",
        "created_at",
    )
    list_filter = ("status",)
    readonly_fields = ("payload", "results", "error", "task_id", "started_at", "finished_at")


@admin.register(ImportDraft)
class ImportDraftAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "publisher", "published_on", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "publisher", "url")
    readonly_fields = ("sha256", "source", "incident", "job")
