"""Background import jobs on Django's tasks framework (django-tasks-db backend; the
worker is `manage.py db_worker`, started by `make run` and in docker-compose): the
task, and the function that runs a job's articles through the pipeline with a
heartbeat, so that a job whose worker died is noticed (ImportJob.worker_died)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connections
from django.tasks import task
from django.utils import timezone

from .models import ImportJob
from .pipeline import BATCH_SIZE, import_articles

logger = logging.getLogger("parallax.imports")


@task()
def run_import_job(job_id: int) -> None:
    # Any job whose worker died meanwhile is noticed here too (and on its page).
    ImportJob.objects.recover_stale()
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).first()
    if job is not None:
        run_job(job)


def run_job(job: ImportJob) -> None:
    """Process the articles not processed yet (nlp.pipe batches), recording
    progress as it goes so the page can poll it, with a heartbeat meanwhile. A
    rejected article is reported and skipped; an unexpected error fails the job
    with its message. A run after a dead worker continues where it stopped."""
    recount(job)
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    job.attempts += 1
    job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts"])
    try:
        with Heartbeat(job.pk):
            # A batch at a time, each article's text read from storage just before it
            # is needed: the worker holds one batch of articles, not the whole upload.
            while job.processed < job.total:
                articles = job.articles(job.processed, job.processed + BATCH_SIZE)
                if not articles:
                    break
                for outcome in import_articles(articles, by=job.created_by, job=job):
                    job.processed += 1
                    if outcome.draft is not None:
                        job.drafts_created += 1
                    else:
                        job.rejected += 1
                    job.results = [*job.results, outcome.summary]
                    job.heartbeat_at = timezone.now()
                    job.save(
                        update_fields=[
                            "processed",
                            "drafts_created",
                            "rejected",
                            "results",
                            "heartbeat_at",
                        ]
                    )
    except FileNotFoundError as exc:
        # The stored files are kept for Retry; a missing one means storage is not the
        # one the upload was written to (a volume not shared by web and worker).
        job.status = ImportJob.Status.FAILED
        job.error = (
            f"An uploaded file is missing from storage ({exc.filename or exc}); check that "
            "the web app and the worker share MEDIA_ROOT (or STORAGE_BACKEND), then Retry."
        )
    except Exception as exc:  # the job page must say what went wrong
        job.status = ImportJob.Status.FAILED
        job.error = f"{type(exc).__name__}: {exc}"
    else:
        job.status = ImportJob.Status.DONE
        job.forget_files()
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "payload", "finished_at"])


def recount(job: ImportJob) -> None:
    """A worker killed between creating an article's draft and counting it left
    the draft uncounted: count it now, so a resumed run does not make it twice."""
    made = job.drafts.count()
    if made > job.drafts_created:
        missing = made - job.drafts_created
        job.processed += missing
        job.drafts_created = made
        job.results = [*job.results, *["(recovered) draft made before the stop"] * missing]
        job.save(update_fields=["processed", "drafts_created", "results"])


class Heartbeat:
    """While a job runs, a thread stamps its heartbeat every few seconds on a
    connection of its own, so that a long batch of articles is not mistaken for a
    dead worker. Stops with the job (or with the process, being a daemon)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.beat, daemon=True, name=f"job-{job_id}-beat")

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def beat(self) -> None:
        try:
            while not self.stop.wait(settings.IMPORT_JOB_HEARTBEAT_SECONDS):
                try:
                    ImportJob.objects.filter(
                        pk=self.job_id, status=ImportJob.Status.RUNNING
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError as exc:
                    # A missed beat is not fatal (the job saves one with each
                    # article too); the next one may get through.
                    logger.warning("Heartbeat of import job %s missed: %s", self.job_id, exc)
        finally:
            connections.close_all()
