"""Resume or fail the import jobs whose worker died (see ImportJob.recover_stale).

The job page does this by itself while someone looks at it; run this from cron or
before starting a worker to catch jobs nobody is watching."""

from typing import Any

from django.core.management.base import BaseCommand

from imports.models import ImportJob


class Command(BaseCommand):
    help = "Resume (or mark failed) the import jobs whose worker stopped."

    def handle(self, *args: Any, **options: Any) -> None:
        for job in ImportJob.objects.recover_stale():
            self.stdout.write(f"Job {job.pk}: {job.note}")
