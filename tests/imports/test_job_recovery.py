"""A bulk import job whose worker died is noticed (its heartbeat stops), resumed from
where it stopped once, and marked failed with a Retry button if it dies again; the
job page says which. The last test kills a real `db_worker` with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from imports.models import ImportDraft, ImportJob
from imports.tasks import run_import_job
from ops.bench import servers
from tests.imports.conftest import stored_paths
from tests.imports.test_bulk_upload import stored_job
from tests.imports.test_import import ARTICLE, IMMEDIATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    from tests.factories import World

    return World()


def dead_job(processed: int, attempts: int, total: int = 4) -> ImportJob:
    """A job as a killed worker leaves it: running, heartbeat long gone, its articles'
    files in storage."""
    long_ago = timezone.now() - timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS + 5)
    return stored_job(
        {f"article-{i:02d}": ARTICLE for i in range(total)},
        status=ImportJob.Status.RUNNING,
        processed=processed,
        rejected=processed,
        results=[f"article-{i:02d}: rejected" for i in range(processed)],
        started_at=long_ago,
        heartbeat_at=long_ago,
        attempts=attempts,
    )


@override_settings(TASKS=IMMEDIATE)
def test_a_job_whose_worker_died_is_resumed_from_where_it_stopped(
    editor_client, world, django_capture_on_commit_callbacks, media
):
    job = dead_job(processed=2, attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        page = editor_client.get(job.get_absolute_url())
    assert page.status_code == 200
    job.refresh_from_db()
    # Resumed (the immediate backend ran it at once): only the two articles left.
    assert job.status == ImportJob.Status.DONE
    assert (job.processed, job.drafts_created, job.attempts) == (4, 2, 2)
    assert "stopped at 2 of 4" in job.note and "resumed automatically" in job.note
    assert job.payload == [] and stored_paths(media) == []
    page = editor_client.get(job.get_absolute_url()).content.decode()
    assert "resumed automatically" in page


def test_a_job_whose_worker_died_twice_fails_with_a_retry_button(
    editor_client, world, django_capture_on_commit_callbacks, media
):
    job = dead_job(processed=1, attempts=settings.IMPORT_JOB_MAX_ATTEMPTS)
    html = editor_client.get(job.get_absolute_url()).content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.is_finished
    assert "Its worker stopped" in html and "Retry from article 2 of 4" in html
    assert job.payload and len(stored_paths(media)) == 4  # kept for the retry

    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(reverse("imports:job_retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.processed, job.drafts_created, job.rejected) == (4, 3, 1)
    assert job.payload == [] and stored_paths(media) == []
    # Nothing to retry any more.
    editor_client.post(reverse("imports:job_retry", args=[job.pk]))
    assert ImportDraft.objects.filter(job=job).count() == 3


def test_a_live_job_is_left_alone(editor_client, world, media):
    job = dead_job(processed=1, attempts=1)
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    editor_client.get(job.get_absolute_url())
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and not job.note


def test_a_draft_made_just_before_the_kill_is_not_made_twice(world, media):
    job = dead_job(processed=1, attempts=1, total=2)
    # The worker made the second article's draft, then died before counting it.
    job_copy = ImportJob.objects.get(pk=job.pk)
    from imports.models import Article
    from imports.pipeline import import_articles

    list(import_articles([Article(text=ARTICLE, name="article-01")], by=None, job=job_copy))
    assert job.drafts.count() == 1
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.drafts.count() == 1 and job.processed == 2


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_while_a_job_runs(world, settings, media):
    from imports.tasks import Heartbeat

    settings.IMPORT_JOB_HEARTBEAT_SECONDS = 0.05
    job = dead_job(processed=0, attempts=1)
    before = job.heartbeat_at
    with Heartbeat(job.pk):
        time.sleep(0.5)
    job.refresh_from_db()
    assert job.heartbeat_at > before


POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


@pytest.mark.skipif(not POSTGRES, reason="a worker process shares the database: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_sigkill_of_the_worker_mid_job(editor_client, world, media):
    """A real `db_worker`, killed with SIGKILL in the middle of a 48-article job whose
    files are in storage; a new worker is started; the job page notices the dead run
    within the lease and the job is finished by the new worker, each article once,
    reading the files from the storage the upload wrote them to."""
    gold = sorted(Path(__file__).resolve().parents[1].glob("extraction_gold/*.txt"))
    texts = {
        f"{i:02d}-{path.stem}": path.read_text(encoding="utf-8") for i, path in enumerate(gold * 4)
    }
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = servers.server_env(
        url,
        DJANGO_SETTINGS_MODULE="config.settings",
        IMPORT_JOB_HEARTBEAT_SECONDS="0.5",
        IMPORT_JOB_LEASE_SECONDS="3",
        # The workers share the test's storage, as web and worker share a volume.
        MEDIA_ROOT=settings.MEDIA_ROOT,
    )

    def worker() -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603
            [servers.PYTHON, "manage.py", "db_worker", "--queue-name", "default"],
            cwd=servers.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = worker()
    second = None
    try:
        job = stored_job(texts)
        assert len(stored_paths(media)) == len(texts)
        job.enqueue()
        deadline = time.monotonic() + 180
        while True:
            job.refresh_from_db()
            if job.processed > 0 and job.processed < job.total:
                break
            assert job.processed < job.total, "finished before it could be killed"
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_at = ImportJob.objects.get(pk=job.pk).processed
        second = worker()
        with override_settings(IMPORT_JOB_LEASE_SECONDS=3):
            while True:
                editor_client.get(job.get_absolute_url())  # as the polling page does
                job.refresh_from_db()
                if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
                    break
                assert time.monotonic() < deadline + 120, f"still {job.status}"
                time.sleep(0.5)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(15)
    assert job.status == ImportJob.Status.DONE, (job.status, job.error, job.note)
    assert f"stopped at {killed_at} of {len(texts)}" in job.note
    assert "resumed automatically" in job.note
    assert job.processed == job.total == len(texts)
    assert job.payload == [] and stored_paths(media) == []
    # Each article once: as many drafts as counted, no duplicate.
    assert job.drafts.count() == job.drafts_created
    assert job.attempts == 2
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.filter(status="RUNNING").exists()
