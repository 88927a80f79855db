"""The bulk upload streams its files to storage: the job row keeps references only, the
worker reads the files from storage, they are deleted when the job succeeds or is
discarded and kept for Retry when it fails; bad files are refused by name with
nothing stored, and a request that fails half-way leaves no file behind."""

from __future__ import annotations

import hashlib
import json
import os
import time
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import reverse

from imports import uploads
from imports.models import ImportJob
from imports.tasks import run_import_job
from tests.imports.conftest import stored_paths
from tests.imports.test_import import ARTICLE, IMMEDIATE

pytestmark = pytest.mark.django_db

META = {"url": "https://news.example/n", "publisher": "Example", "published": "2024-03-08"}


@pytest.fixture
def world(db):
    from tests.factories import World

    return World()


def upload(name: str, content: str | bytes) -> SimpleUploadedFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/plain")


def post(client: Client, *files: SimpleUploadedFile, **extra):
    return client.post(reverse("imports:bulk"), {"articles": list(files)}, **extra)


def stored_job(texts: dict[str, str], **fields) -> ImportJob:
    """A job whose articles are stored as an upload stores them."""
    folder = uploads.new_folder()
    refs = []
    for index, (name, text) in enumerate(texts.items()):
        data = text.encode("utf-8")
        item = uploads.Upload(
            name=f"{name}.txt",
            file=ContentFile(data),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        refs.append(uploads.store(item, folder, index))
    return ImportJob.objects.create(total=len(refs), payload=refs, **fields)


# --- what the job row keeps ---------------------------------------------------------


def test_the_job_keeps_references_and_storage_keeps_the_bytes(
    editor_client, world, media, django_capture_on_commit_callbacks
):
    other = ARTICLE.replace("Northland", "Eastland") + " é ✓ 𝔸\n"
    with django_capture_on_commit_callbacks(execute=False):
        response = post(
            editor_client,
            upload("north.txt", ARTICLE),
            upload("north.json", json.dumps(META)),
            upload("east.txt", other),
        )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ImportJob.Status.QUEUED and job.total == 2
    # Sorted by name; no text in the row, only what finds and checks the file.
    east, north = job.payload
    for ref, text in ((east, other), (north, ARTICLE)):
        assert "text" not in ref
        data = text.encode("utf-8")
        assert ref["size"] == len(data)
        assert ref["sha256"] == hashlib.sha256(data).hexdigest()
        with media.open(ref["path"], "rb") as fh:
            assert fh.read() == data
        # Stored under a name of the job's own, not the uploader's.
        assert ref["path"].startswith("imports/") and ref["name"] not in ref["path"]
    assert (east["name"], north["name"]) == ("east", "north")
    assert north["url"] == META["url"] and north["published_on"] == "2024-03-08"
    assert len(json.dumps(job.payload)) < 1000
    assert len(stored_paths(media)) == 2


@override_settings(TASKS=IMMEDIATE)
def test_the_worker_reads_the_files_from_storage_and_deletes_them_when_done(world, media):
    job = stored_job({f"article-{i:02d}": ARTICLE for i in range(3)})
    paths = [ref["path"] for ref in job.payload]
    assert all(media.exists(p) for p in paths)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.processed, job.drafts_created) == (3, 3)
    assert job.payload == [] and stored_paths(media) == []
    # Its folder is gone too.
    assert media.listdir("imports") == ([], [])


def test_the_worker_holds_one_batch_at_a_time(world, media, monkeypatch):
    from imports import tasks

    monkeypatch.setattr(tasks, "BATCH_SIZE", 2)
    read: list[str] = []
    real_read = uploads.read

    def counting_read(ref):
        read.append(ref["name"])
        return real_read(ref)

    monkeypatch.setattr(uploads, "read", counting_read)
    sizes: list[int] = []
    real_import = tasks.import_articles

    def batch(articles, **kwargs):
        sizes.append(len(articles))
        return real_import(articles, **kwargs)

    monkeypatch.setattr(tasks, "import_articles", batch)
    job = stored_job({f"a{i}": ARTICLE for i in range(5)})
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert sizes == [2, 2, 1] and read == ["a0", "a1", "a2", "a3", "a4"]


def test_a_failed_job_keeps_its_files_for_retry(editor_client, world, media, monkeypatch):
    from imports import tasks

    job = stored_job({"a0": ARTICLE, "a1": ARTICLE})

    def broken(articles, **kwargs):
        raise RuntimeError("the extractor broke")

    monkeypatch.setattr(tasks, "import_articles", broken)
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "extractor broke" in job.error
    assert len(job.payload) == 2 and len(stored_paths(media)) == 2
    monkeypatch.undo()
    with override_settings(TASKS=IMMEDIATE):
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            editor_client.post(reverse("imports:job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.drafts_created == 2
    assert stored_paths(media) == []


def test_a_file_missing_from_storage_fails_the_job_with_a_message(world, media):
    job = stored_job({"a0": ARTICLE, "a1": ARTICLE})
    media.delete(job.payload[1]["path"])
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "missing from storage" in job.error and "MEDIA_ROOT" in job.error
    # A batch is read before it is processed: nothing of it was imported.
    assert job.processed == 0 and job.can_retry
    # The file that is still there stays, for the Retry.
    assert stored_paths(media) == [job.payload[0]["path"]]


def test_a_file_changed_in_storage_is_not_imported(world, media):
    job = stored_job({"a0": ARTICLE})
    path = job.payload[0]["path"]
    media.delete(path)
    media.save(path, ContentFile(b"Someone else's words."))
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "changed in storage" in job.error and job.drafts_created == 0


def test_discarding_a_failed_job_deletes_its_files(
    editor_client, world, media, django_capture_on_commit_callbacks
):
    job = stored_job({"a0": ARTICLE, "a1": ARTICLE}, status=ImportJob.Status.FAILED, processed=1)
    page = editor_client.get(job.get_absolute_url()).content.decode()
    assert "Discard the remaining articles" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(reverse("imports:job_discard", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED and job.is_finished
    assert job.payload == [] and stored_paths(media) == []
    assert not job.can_retry
    page = editor_client.get(job.get_absolute_url()).content.decode()
    assert "Discarded at 1 of 2" in page and "Discard the remaining" not in page


def test_only_a_failed_job_can_be_discarded(editor_client, world, media):
    job = stored_job({"a0": ARTICLE}, status=ImportJob.Status.RUNNING)
    response = editor_client.post(reverse("imports:job_discard", args=[job.pk]), follow=True)
    assert "Only a failed job can be discarded" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and len(stored_paths(media)) == 1


def test_discarding_needs_an_editor(analyst_client, world, media):
    job = stored_job({"a0": ARTICLE}, status=ImportJob.Status.FAILED)
    response = analyst_client.post(reverse("imports:job_discard", args=[job.pk]))
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and len(stored_paths(media)) == 1


# --- bad input: a message naming the file, nothing stored ----------------------------


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("empty.txt", b"")], "empty.txt is empty"),
        ([("blank.txt", b"  \n\t\n")], "blank.txt is empty"),
        ([("latin.txt", "Le ministère a déclaré".encode("latin-1"))], "latin.txt is not UTF-8"),
        ([("cut.txt", "Minist\u00e8".encode()[:-1])], "cut.txt is not UTF-8"),
        ([("image.txt", b"GIF89a\x00\x01\x00")], "image.txt contains NUL bytes"),
        ([("north.json", b"{not json")], "north.json: not valid JSON"),
        ([("north.json", b"[1, 2]")], "north.json: must hold a JSON object"),
        ([("north.json", b'{"published": "8 March"}')], "north.json: the date '8 March'"),
        ([("north.json", b'{"url": "javascript:alert(1)"}')], "is not an http(s) address"),
        ([("north.md", ARTICLE.encode())], "a second article named “north”"),
    ],
)
def test_bad_files_are_refused_by_name_and_nothing_is_stored(
    editor_client, world, media, files, message
):
    sent = [upload("north.txt", ARTICLE), *(upload(n, data) for n, data in files)]
    response = post(editor_client, *sent)
    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert "Nothing was imported" in html and message in html
    assert ImportJob.objects.count() == 0 and stored_paths(media) == []


def test_too_many_files_are_refused_with_a_message(editor_client, world, media, settings):
    settings.IMPORT_BULK_MAX_FILES = 3
    # More than Django itself accepts: refused while the body is read.
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    response = post(editor_client, *(upload(f"a{i}.txt", ARTICLE) for i in range(5)))
    assert response.status_code == 400
    assert "at most 3 at a time" in response.content.decode()
    # Accepted by Django, refused by the form.
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 10
    response = post(editor_client, *(upload(f"a{i}.txt", ARTICLE) for i in range(4)))
    assert response.status_code == 400
    assert "4 files were uploaded; at most 3 at a time" in response.content.decode()
    assert ImportJob.objects.count() == 0 and stored_paths(media) == []


def test_an_upload_over_the_limit_stores_nothing(editor_client, world, media, settings):
    settings.IMPORT_BULK_MAX_BYTES = 100_000
    response = post(editor_client, *(upload(f"a{i}.txt", "word " * 12_000) for i in range(3)))
    assert response.status_code == 413
    settings.IMPORT_BULK_MAX_BYTES = 150_000
    response = post(editor_client, *(upload(f"b{i}.txt", "word " * 12_000) for i in range(3)))
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0 and stored_paths(media) == []


def test_the_csrf_check_still_applies(editor, world, media, settings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    # The size is checked first, from the headers: an oversized body is not read
    # (the site-wide CSRF middleware would have read it to find the token).
    settings.IMPORT_BULK_MAX_BYTES = 10_000
    response = post(client, upload("big.txt", "word " * 30_000))
    assert response.status_code == 413
    settings.IMPORT_BULK_MAX_BYTES = 20 * 1024 * 1024
    response = post(client, upload("north.txt", ARTICLE))
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0 and stored_paths(media) == []
    page = client.get(reverse("imports:bulk"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("imports:bulk"),
        {"articles": [upload("north.txt", ARTICLE)], "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and ImportJob.objects.count() == 1


# --- a request that fails half-way leaves no file ------------------------------------


def test_a_storage_failure_half_way_deletes_what_was_stored(
    editor_client, world, media, monkeypatch
):
    real_store = uploads.store
    calls = []

    def failing_store(item, folder, index):
        calls.append(index)
        if index == 2:
            # The disk fills up half-way through the third file.
            media.save(f"{folder}/{index:04d}.txt", ContentFile(b"half of an art"))
            raise OSError(28, "No space left on device")
        return real_store(item, folder, index)

    monkeypatch.setattr(uploads, "store", failing_store)
    response = post(editor_client, *(upload(f"a{i}.txt", ARTICLE) for i in range(4)))
    assert response.status_code == 503
    assert "could not be stored" in response.content.decode()
    assert calls == [0, 1, 2]
    assert ImportJob.objects.count() == 0 and stored_paths(media) == []


def test_a_database_failure_after_storing_deletes_the_files(
    editor_client, world, media, monkeypatch
):
    def no_row(*args, **kwargs):
        raise DatabaseError("could not extend file")

    monkeypatch.setattr(ImportJob.objects, "create", no_row)
    with pytest.raises(DatabaseError):
        post(editor_client, upload("a.txt", ARTICLE), upload("b.txt", ARTICLE))
    assert stored_paths(media) == []


def test_orphan_uploads_are_swept(world, media):
    kept = stored_job({"a0": ARTICLE}, status=ImportJob.Status.FAILED)
    done = stored_job({"a0": ARTICLE}, status=ImportJob.Status.DONE)
    fresh = uploads.store(
        uploads.Upload("new.txt", ContentFile(b"x"), 1, ""), uploads.new_folder(), 0
    )
    old = time.time() - 2 * 86400
    for ref in (*kept.payload, *done.payload):
        os.utime(media.path(ref["path"]), (old, old))
    swept = ImportJob.objects.sweep_orphan_files()
    # The finished job's folder goes; the failed job's files stay for Retry, and an
    # upload being stored right now is too young to be an orphan.
    assert swept == [uploads.folder_of(done.payload[0]["path"])]
    assert sorted(stored_paths(media)) == sorted([kept.payload[0]["path"], fresh["path"]])
