"""Resume or fail the import jobs whose worker died (see ImportJob.recover_stale),
and delete uploaded files no job refers to any more (imports.uploads.sweep_orphans).

The job page does the first by itself while someone looks at it; run this from cron
or before starting a worker to catch jobs nobody is watching (docker-compose runs it
as the worker's health check)."""

from typing import Any

from django.core.management.base import BaseCommand

from imports.models import ImportJob


class Command(BaseCommand):
    help = "Resume (or mark failed) the import jobs whose worker stopped; delete orphan uploads."

    def handle(self, *args: Any, **options: Any) -> None:
        for job in ImportJob.objects.recover_stale():
            self.stdout.write(f"Job {job.pk}: {job.note}")
        for folder in ImportJob.objects.sweep_orphan_files():
            self.stdout.write(f"Deleted {folder}: uploaded files no job refers to.")
