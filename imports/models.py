"""Article imports awaiting an editor's review, and bulk import jobs.

An ImportDraft holds one cleaned article and the extractor's proposals (JSON) until an
editor saves it (imports/saving.py): then its accepted statements become draft
Statements linked to a new Source carrying the archived text, all in one transaction,
or nothing is saved. An ImportJob runs many articles in the background (its task and
runner are in imports/tasks.py) and leaves one ImportDraft per article.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from geo import gazetteer
from incidents.models import (
    Incident,
    Party,
    Source,
    http_url_constraint,
    normalise_for_match,
    validate_http_url,
)

from . import uploads

if TYPE_CHECKING:
    from accounts.models import User

    from .extract import Analysis
    from .uploads import Upload


logger = logging.getLogger("parallax.imports")


class ImportRejected(ValueError):
    """The article cannot be imported; the message says why, for the page and CLI."""


@dataclass(eq=False)
class NamedParty:
    """A party the proposals of an import speak for (ImportDraft.named_parties)."""

    slug: str
    name: str
    kind: str
    is_new: bool
    proposals: int = 1


@dataclass
class Article:
    """One article to import: its pasted text and what the editor said about it."""

    text: str
    url: str = ""
    publisher: str = ""
    published_on: date | None = None
    title: str = ""
    name: str = ""  # file name in bulk imports


def article_meta(meta: dict[str, Any]) -> dict[str, str]:
    """An article's url, publisher, date and title from its JSON file, as the job keeps
    them; ValidationError naming what is wrong."""
    published = meta.get("published") or meta.get("published_on") or meta.get("date") or ""
    try:
        published_on = date.fromisoformat(str(published)) if published else None
    except ValueError as exc:
        raise ValidationError(f"the date {published!r} is not YYYY-MM-DD") from exc
    url = str(meta.get("url", "")).strip()
    try:
        validate_http_url(url)
    except ValidationError as exc:
        raise ValidationError(f"the url {url!r} is not an http(s) address") from exc
    return {
        "url": url,
        "publisher": str(meta.get("publisher", "")),
        "published_on": published_on.isoformat() if published_on else "",
        "title": str(meta.get("title", "")),
    }


class WorkerStopped(Exception):
    """Recorded on the task row of a job whose worker died mid-way."""


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def stale(self) -> ImportJobQuerySet:
        """Running, but no heartbeat within the lease: its worker died (killed,
        out of memory, the machine restarted)."""
        lease = timezone.now() - timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS)
        return self.filter(status=ImportJob.Status.RUNNING).filter(
            Q(heartbeat_at__lt=lease) | Q(heartbeat_at__isnull=True, started_at__lt=lease)
        )

    def recover_stale(self) -> list[ImportJob]:
        """Resume each job whose worker died from where it stopped, once; a job whose
        worker died again is marked failed, and its page offers Retry. Called by the
        job page (it polls every second), when a job starts, and by `manage.py
        recover_import_jobs`."""
        recovered = []
        for job_id in self.stale().values_list("pk", flat=True):
            with transaction.atomic():
                job = (
                    ImportJob.objects.select_for_update(of=("self",), skip_locked=True)
                    .filter(pk=job_id)
                    .first()
                )
                # Checked again under the lock: another page may have just done it.
                if job is None or not ImportJob.objects.stale().filter(pk=job_id).exists():
                    continue
                job.worker_died()
                recovered.append(job)
        return recovered

    def sweep_orphan_files(self) -> list[str]:
        """Delete stored upload folders no job refers to any more (older than a day):
        see imports.uploads.sweep_orphans."""
        holding = [self.model.Status.QUEUED, self.model.Status.RUNNING, self.model.Status.FAILED]
        referenced = {
            uploads.folder_of(ref["path"])
            for payload in self.filter(status__in=holding).values_list("payload", flat=True)
            for ref in payload
            if ref.get("path")
        }
        return uploads.sweep_orphans(referenced)


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        DISCARDED = "discarded", "Discarded"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    drafts_created = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # The articles to process, as references to their files in storage (imports.uploads:
    # name, path, size, sha256, and url/publisher/published_on/title from the article's
    # JSON), never their text. Emptied, and the files deleted, once the job has
    # succeeded or is discarded; a failed job keeps both, for Retry. (Rows written
    # before the files moved to storage carry the text inline, under "text".)
    payload = models.JSONField(default=list, blank=True)
    # One line per article: "name: 7 statements proposed" or "name: <why rejected>".
    results = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written every few seconds by the worker running the job (Heartbeat): a running
    # job whose heartbeat is older than the lease has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # How many times a worker started on it (1 for a job that never had trouble).
    attempts = models.PositiveSmallIntegerField(default=0)
    # What happened to it besides the articles: "resumed after its worker stopped".
    note = models.TextField(blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import job {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("imports:job", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.DISCARDED)

    @property
    def can_discard(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def can_retry(self) -> bool:
        return self.status == self.Status.FAILED and self.processed < self.total

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0

    @classmethod
    def from_uploads(cls, uploaded: list[Upload], by: User | None) -> ImportJob:
        """Store the checked files of a bulk upload and create their job, queued for a
        worker once committed. All or nothing: if storing a file or creating the row
        fails, the files stored so far are deleted before the error goes on."""
        folder = uploads.new_folder()
        refs: list[dict[str, Any]] = []
        try:
            for index, upload in enumerate(uploaded):
                ref = uploads.store(upload, folder, index)
                refs.append(ref)
                ref.update(article_meta(upload.meta))
            with transaction.atomic():
                job = cls.objects.create(created_by=by, total=len(refs), payload=refs)
                job.enqueue()
        except BaseException:
            uploads.delete(refs)
            uploads.delete_folder(folder)
            raise
        return job

    def articles(self, start: int, stop: int) -> list[Article]:
        """Articles start..stop-1 of the job, their text read from storage."""
        return [
            Article(
                text=item["text"] if "text" in item else uploads.read(item),
                url=item.get("url", ""),
                publisher=item.get("publisher", ""),
                published_on=date.fromisoformat(item["published_on"])
                if item.get("published_on")
                else None,
                title=item.get("title", ""),
                name=item.get("name", ""),
            )
            for item in self.payload[start:stop]
        ]

    def forget_files(self) -> None:
        """Delete the job's stored files and its references to them (a job that
        succeeded or was discarded has no use for them)."""
        try:
            uploads.delete(self.payload)
        except OSError:
            # The job's work is done; what is left is removed by the sweep
            # (`manage.py recover_import_jobs`), no job refers to it any more.
            logger.warning("Import job %s: its stored files could not be deleted", self.pk)
        self.payload = []

    def discard(self) -> bool:
        """An editor's Discard of a failed job: its remaining articles are dropped and
        their files deleted; the drafts it made stay. False when it was no longer
        failed (retried meanwhile)."""
        with transaction.atomic():
            job = type(self).objects.select_for_update(of=("self",)).get(pk=self.pk)
            if not job.can_discard:
                return False
            job.status = self.Status.DISCARDED
            job.note = f"Discarded at {job.processed} of {job.total}."
            refs = job.payload
            job.payload = []
            job.save(update_fields=["status", "note", "payload"])
            # Deleted once the row no longer refers to them: a failure here leaves
            # files the sweep removes, never a job whose files are gone.
            transaction.on_commit(lambda: uploads.delete(refs))
        self.refresh_from_db()
        return True

    def enqueue(self) -> None:
        """Hand the job to a worker, once the current transaction has committed (the
        worker must be able to read the job)."""
        from .tasks import run_import_job

        def send() -> None:
            result = run_import_job.enqueue(self.pk)
            ImportJob.objects.filter(pk=self.pk).update(task_id=str(result.id)[:64])

        transaction.on_commit(send)

    def worker_died(self) -> None:
        """Its worker stopped without finishing (see ImportJobQuerySet.recover_stale)."""
        when = self.heartbeat_at or self.started_at
        stopped = f"The worker running this job stopped at {self.processed} of {self.total}"
        stopped += f" (last sign of life {when:%H:%M:%S} UTC)" if when else ""
        self._fail_task_row(stopped)
        if self.attempts < settings.IMPORT_JOB_MAX_ATTEMPTS:
            self.status = self.Status.QUEUED
            self.note = f"{stopped}; resumed automatically from there."
            self.save(update_fields=["status", "note"])
            self.enqueue()
        else:
            self.status = self.Status.FAILED
            self.note = f"{stopped}, again."
            self.error = "Its worker stopped. Retry to continue from where it stopped."
            self.finished_at = timezone.now()
            self.save(update_fields=["status", "note", "error", "finished_at"])

    def retry(self) -> None:
        """An editor's Retry of a failed job: from where it stopped."""
        self.status = self.Status.QUEUED
        self.error = ""
        self.attempts = 0
        self.finished_at = None
        self.note = f"Retried at {self.processed} of {self.total}."
        self.save(update_fields=["status", "error", "attempts", "finished_at", "note"])
        self.enqueue()

    def _fail_task_row(self, why: str) -> None:
        """The tasks framework's own row of the dead run stays RUNNING otherwise."""
        from django_tasks_db.models import DBTaskResult

        if not self.task_id:
            return
        rows = DBTaskResult.objects.filter(pk=self.task_id, status="RUNNING")
        for row in rows:
            row.set_failed(WorkerStopped(why))


class ImportDraftQuerySet(models.QuerySet["ImportDraft"]):
    def awaiting_review(self) -> ImportDraftQuerySet:
        return self.filter(status=ImportDraft.Status.REVIEW)


class ImportDraft(models.Model):
    """One article under review. `proposals` is the extractor's output plus the
    editor's decisions: {"statements": [{..., "decision": "pending|accepted|dropped"}],
    "incident_date": "YYYY-MM-DD", "places": [...], "parties": [...]}."""

    class Status(models.TextChoices):
        REVIEW = "review", "Awaiting review"
        SAVED = "saved", "Saved"
        DISCARDED = "discarded", "Discarded"

    class Decision(models.TextChoices):
        PENDING = "pending", "Not reviewed"
        ACCEPTED = "accepted", "Accepted"
        DROPPED = "dropped", "Dropped"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="drafts"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.REVIEW, db_index=True
    )
    url = models.URLField(max_length=1000, blank=True, validators=[validate_http_url])
    publisher = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    source_kind = models.CharField(
        max_length=20, choices=Source.Kind.choices, default=Source.Kind.NEWS
    )
    language = models.CharField(max_length=12, default="en")
    # The cleaned text: what the Source will archive; every offset refers to it.
    text = models.TextField()
    sha256 = models.CharField(max_length=64, editable=False)
    proposals = models.JSONField(default=dict)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ImportDraftQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [http_url_constraint("url", "importdraft_url_http")]

    def __str__(self) -> str:
        return self.title or f"Import {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("imports:review", args=[self.pk])

    def save(self, *args: Any, **kwargs: Any) -> None:
        validate_http_url(self.url)
        self.sha256 = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        super().save(*args, **kwargs)

    # --- construction -------------------------------------------------------------
    @classmethod
    def from_analysis(
        cls,
        article: Article,
        cleaned: str,
        analysis: Analysis,
        by: User | None = None,
        job: ImportJob | None = None,
    ) -> ImportDraft:
        proposals = analysis.as_dict()
        # Where each place not yet known might be, from the offline gazetteer: the
        # review page offers to create it with these coordinates.
        proposals["places"] = gazetteer.propose_for_places(proposals.get("places", []))
        for st in proposals["statements"]:
            st["decision"] = cls.Decision.PENDING
            st["original_text"] = st["text"]
        return cls.objects.create(
            created_by=by,
            job=job,
            url=article.url,
            publisher=article.publisher,
            title=article.title or _title_from(cleaned),
            published_on=article.published_on,
            text=cleaned,
            proposals=proposals,
        )

    # --- review -------------------------------------------------------------------
    @property
    def statements(self) -> list[dict[str, Any]]:
        return list(self.proposals.get("statements", []))

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.REVIEW

    def named_parties(self) -> list[NamedParty]:
        """The parties the proposals speak for, in order of first appearance: the
        ones the site has, and the new ones the import proposes (created on save)."""
        found: dict[str, NamedParty] = {}
        known = {
            p.slug: p
            for p in Party.objects.filter(
                slug__in={s.get("party") for s in self.statements if s.get("party")}
            )
        }
        for item in self.statements:
            slug = item.get("party") or ""
            if not slug:
                continue
            if slug in found:
                found[slug].proposals += 1
                continue
            party, new = known.get(slug), item.get("new_party") or {}
            if party is not None:
                found[slug] = NamedParty(slug, party.name, party.kind, is_new=False)
            elif new.get("name"):
                kind = new.get("kind") or Party.Kind.OTHER
                found[slug] = NamedParty(slug, new["name"], kind, is_new=True)
        return list(found.values())

    def suggested_sides(self, named: list[NamedParty] | None = None) -> list[NamedParty]:
        """The two parties most likely to be the conflict's sides: the states with the
        most proposals (earlier first on a tie), or any parties when fewer than two
        states speak. Only a suggestion: the editor confirms or changes it."""
        named = self.named_parties() if named is None else named
        states = [p for p in named if p.kind == Party.Kind.STATE]
        pool = states if len(states) >= 2 else named
        ranked = sorted(pool, key=lambda p: (-p.proposals, named.index(p)))[:2]
        return sorted(ranked, key=named.index) if len(ranked) == 2 else []

    def earlier_imports(self) -> list[ImportDraft]:
        """Earlier imports of the same article: the same URL, or the same cleaned text
        (its SHA-256), whatever became of them. The review page names them, so an
        editor does not save the same statements twice."""
        same = models.Q(sha256=self.sha256)
        if self.url:
            same |= models.Q(url=self.url)
        return list(
            ImportDraft.objects.filter(same, pk__lt=self.pk)
            .order_by("-pk")
            .only("pk", "title", "url", "status", "created_at", "sha256")[:5]
        )

    def statement(self, index: int) -> dict[str, Any]:
        items = self.statements
        if not 0 <= index < len(items):
            raise IndexError(index)
        return items[index]

    def update_statement(self, index: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Record an editor's decision or correction for one proposed statement.

        Applied to the stored proposals under the row's lock: two editors deciding on
        different statements of one article at once both keep their decision, and a
        decision arriving after the import was saved is refused."""
        with transaction.atomic():
            locked = type(self).objects.select_for_update(of=("self",)).get(pk=self.pk)
            if locked.status != self.Status.REVIEW:
                raise ValidationError("This import has already been saved or discarded.")
            items = locked.statements
            item = dict(items[index])
            item.update(changes)
            items[index] = item
            locked.proposals = {**locked.proposals, "statements": items}
            locked.save(update_fields=["proposals", "updated_at"])
        self.proposals, self.status = locked.proposals, locked.status
        self.updated_at = locked.updated_at
        return item

    def locate(self, words: str, near: int) -> tuple[int, int] | None:
        """Offsets of `words` in the archived text, nearest to `near`; compared the way
        quote verification compares (whitespace and quote characters ignored)."""
        exact = [i for i in _find_all(self.text, words)]
        if exact:
            best = min(exact, key=lambda i: abs(i - near))
            return best, best + len(words)
        # Tolerant search: map the normalised text back to the archived offsets.
        target = normalise_for_match(words)
        if not target:
            return None
        folded, index = _normalised_with_index(self.text)
        hits = list(_find_all(folded, target))
        if not hits:
            return None
        best = min(hits, key=lambda i: abs(index[i] - near))
        return index[best], index[best + len(target) - 1] + 1

    def accepted(self) -> list[dict[str, Any]]:
        return [s for s in self.statements if s.get("decision") == self.Decision.ACCEPTED]

    def discard(self) -> bool:
        """False when it was no longer under review (saved meanwhile): a discard
        never overwrites a save that has just committed."""
        done = (
            type(self)
            .objects.filter(pk=self.pk, status=self.Status.REVIEW)
            .update(status=self.Status.DISCARDED, updated_at=timezone.now())
        )
        self.refresh_from_db(fields=["status", "updated_at"])
        return bool(done)


def _title_from(text: str) -> str:
    """A pasted article's headline is its first line when that line is short and not a
    sentence; otherwise its first words."""
    first = text.strip().split("\n", 1)[0].strip()
    if first and len(first) <= 150 and not first.endswith((".", "”", '"')):
        return first
    words = first.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def _find_all(text: str, words: str):  # type: ignore[no-untyped-def]
    if not words:
        return
    pos = text.find(words)
    while pos != -1:
        yield pos
        pos = text.find(words, pos + 1)


def _normalised_with_index(text: str) -> tuple[str, list[int]]:
    """normalise_for_match(text) with, for each of its characters, the offset of the
    character of `text` it came from."""
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        folded = normalise_for_match(ch) if not ch.isspace() else ""
        if not folded:
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            index.append(i)
            pending_space = False
        out.append(folded)
        index.append(i)
    return "".join(out), index
