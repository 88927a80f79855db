"""The files of a bulk upload, between the request that receives them and the worker
that imports them.

The request never holds them in memory: Django spools the body to temporary files as
it arrives (FILE_UPLOAD_MAX_MEMORY_SIZE), `inspect` reads each one in chunks (size,
SHA-256, UTF-8), `store` hands it to Django's storage (settings STORAGES "default",
under MEDIA_ROOT by default: a move of the temporary file, or a chunked copy), and the
ImportJob row keeps only a reference to each: name, size, SHA-256 and storage path.
The worker reads one batch of articles at a time (`read`). The files are deleted when
the job has succeeded or is discarded; a failed job keeps them for Retry.

Used by imports.forms.BulkForm (inspect), ImportJob (store, read, delete) and
`manage.py recover_import_jobs` (sweep_orphans).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

logger = logging.getLogger("parallax.imports")

# Every upload's files live in a folder of their own under this one.
FOLDER = "imports"


class NotText(ValueError):
    """An uploaded article that cannot be imported as text; the message says why."""


class StoredFileChanged(ValueError):
    """A stored article whose bytes no longer match the SHA-256 taken at upload."""


@dataclass
class Upload:
    """One uploaded article file, checked: what the job will keep of it."""

    name: str  # as uploaded, for the job's report
    file: File
    size: int
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem


def inspect(upload: File) -> tuple[int, str]:
    """(size, SHA-256) of an uploaded article, read in chunks; NotText when it is
    empty, not UTF-8 or binary."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    has_words = False
    for chunk in upload.chunks():
        if b"\x00" in chunk:
            raise NotText("contains NUL bytes: it is a binary file, not text")
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise NotText(
                f"is not UTF-8 text (byte {size + exc.start:,} is not valid UTF-8); "
                "save it as UTF-8"
            ) from exc
        has_words = has_words or bool(text.strip())
        digest.update(chunk)
        size += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise NotText("is not UTF-8 text (it ends in the middle of a character)") from exc
    if not has_words:
        raise NotText("is empty")
    return size, digest.hexdigest()


def new_folder() -> str:
    return f"{FOLDER}/{uuid.uuid4().hex}"


def folder_of(path: str) -> str:
    return str(PurePosixPath(path).parent)


def store(upload: Upload, folder: str, index: int) -> dict[str, Any]:
    """Save one checked upload into `folder`; the reference the job keeps. File names
    in storage are the job's own (index), never the uploader's."""
    upload.file.seek(0)
    path = default_storage.save(f"{folder}/{index:04d}.txt", upload.file)
    return {"name": upload.stem, "path": path, "size": upload.size, "sha256": upload.sha256}


def read(ref: dict[str, Any]) -> str:
    """The text of one stored article, checked against its SHA-256 (FileNotFoundError
    when storage no longer has it)."""
    with default_storage.open(ref["path"], "rb") as fh:
        raw = fh.read()
    if hashlib.sha256(raw).hexdigest() != ref["sha256"]:
        raise StoredFileChanged(f"{ref['path']} changed in storage since it was uploaded")
    return raw.decode("utf-8-sig")


def delete(refs: list[dict[str, Any]]) -> None:
    """Delete the stored files of these references (and their folders, when empty and
    the storage has folders); files already gone are no error."""
    folders = set()
    for ref in refs:
        path = ref.get("path")
        if not path:
            continue  # an article of an old job row, kept inline
        default_storage.delete(path)
        folders.add(folder_of(path))
    for folder in folders:
        _remove_empty_folder(folder)


def delete_folder(folder: str) -> None:
    """Delete everything in one upload's folder: what a failed upload stored, a file
    written half-way included (the storage leaves it when a copy fails)."""
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    _remove_empty_folder(folder)


def _remove_empty_folder(folder: str) -> None:
    try:
        location = default_storage.path(folder)
    except NotImplementedError:
        return  # object stores have no folders
    # Not empty (another upload's files) or already gone: left as it is.
    with contextlib.suppress(OSError):
        os.rmdir(location)


def sweep_orphans(referenced: set[str], older_than: timedelta = timedelta(days=1)) -> list[str]:
    """Delete upload folders that no job refers to and that are older than a day: what
    a web worker killed between storing an upload's files and committing its job
    leaves. Returns the folders deleted."""
    try:
        folders, _ = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return []
    cutoff = timezone.now() - older_than
    removed = []
    for name in folders:
        folder = f"{FOLDER}/{name}"
        if folder in referenced:
            continue
        _, files = default_storage.listdir(folder)
        paths = [f"{folder}/{f}" for f in files]
        if any(default_storage.get_modified_time(p) > cutoff for p in paths):
            continue
        for path in paths:
            default_storage.delete(path)
        _remove_empty_folder(folder)
        removed.append(folder)
        logger.info("Deleted %s: an upload no import job refers to", folder)
    return removed
