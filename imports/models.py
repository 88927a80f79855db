"""Article imports awaiting an editor's review, and bulk import jobs.

An ImportDraft holds one cleaned article and the extractor's proposals (JSON) until an
editor saves it: then its accepted statements become draft Statements linked to a new
Source carrying the archived text, all in one transaction, or nothing is saved.
An ImportJob runs many articles in the background (Django's tasks framework) and
leaves one ImportDraft per article.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    Actor,
    Claim,
    Conflict,
    Incident,
    Party,
    PointOfContention,
    Source,
    Statement,
    http_url_constraint,
    normalise_for_match,
    validate_http_url,
)

if TYPE_CHECKING:
    from accounts.models import User

    from .extract import Analysis


class ImportRejected(ValueError):
    """The article cannot be imported; the message says why, for the page and CLI."""


@dataclass
class Article:
    """One article to import: its pasted text and what the editor said about it."""

    text: str
    url: str = ""
    publisher: str = ""
    published_on: date | None = None
    title: str = ""
    name: str = ""  # file name in bulk imports


class ImportJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    drafts_created = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # The articles waiting to be processed; emptied once the job has run.
    payload = models.JSONField(default=list, blank=True)
    # One line per article: "name: 7 statements proposed" or "name: <why rejected>".
    results = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import job {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("imports:job", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0

    @classmethod
    def for_articles(cls, articles: list[Article], by: User | None) -> ImportJob:
        return cls.objects.create(
            created_by=by,
            total=len(articles),
            payload=[
                {
                    "name": a.name,
                    "text": a.text,
                    "url": a.url,
                    "publisher": a.publisher,
                    "published_on": a.published_on.isoformat() if a.published_on else "",
                    "title": a.title,
                }
                for a in articles
            ],
        )

    def run(self) -> None:
        """Process every article (nlp.pipe batches), recording progress as it goes so
        the page can poll it. A rejected article is reported and skipped; an
        unexpected error fails the job with its message."""
        from .pipeline import import_articles

        self.status = self.Status.RUNNING
        self.started_at = timezone.now()
        self.save(update_fields=["status", "started_at"])
        articles = [
            Article(
                text=item["text"],
                url=item.get("url", ""),
                publisher=item.get("publisher", ""),
                published_on=date.fromisoformat(item["published_on"])
                if item.get("published_on")
                else None,
                title=item.get("title", ""),
                name=item.get("name", ""),
            )
            for item in self.payload
        ]
        try:
            for outcome in import_articles(articles, by=self.created_by, job=self):
                self.processed += 1
                if outcome.draft is not None:
                    self.drafts_created += 1
                else:
                    self.rejected += 1
                self.results = [*self.results, outcome.summary]
                self.save(update_fields=["processed", "drafts_created", "rejected", "results"])
        except Exception as exc:  # the job page must say what went wrong
            self.status = self.Status.FAILED
            self.error = f"{type(exc).__name__}: {exc}"
        else:
            self.status = self.Status.DONE
        self.payload = []
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "error", "payload", "finished_at"])


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

    @transaction.atomic
    def save_statements(
        self,
        *,
        by: User | None,
        incident: Incident | None = None,
        conflict: Conflict | None = None,
        title: str = "",
        date_start: date | None = None,
        add_third_parties: bool = True,
    ) -> Incident:
        """Save every accepted statement as a draft, with the Source that archives
        the text, on `incident` or on a new one; all or nothing (ValidationError)."""
        # Lock the draft so two editors saving at once cannot both save it, and read
        # the decisions from the stored row: one made after this page was loaded
        # counts.
        locked = type(self).objects.select_for_update(of=("self",)).get(pk=self.pk)
        if locked.status != self.Status.REVIEW:
            raise ValidationError("This import has already been saved or discarded.")
        self.proposals = locked.proposals
        accepted = self.accepted()
        if not accepted:
            raise ValidationError("Accept at least one statement before saving.")
        if incident is None:
            if conflict is None or not title or date_start is None:
                raise ValidationError("Choose an incident, or give a conflict, title and date.")
            incident = Incident(
                conflict=conflict, title=title, date_start=date_start, created_by=by
            )
            incident.save()
            for place_name in [p["name"] for p in self.proposals.get("places", [])]:
                from incidents.models import Place

                place = Place.objects.filter(name__iexact=place_name).first()
                if place is not None:
                    incident.places.add(place)
        source = Source.objects.create(
            url=self.url,
            publisher=self.publisher,
            title=self.title or "Imported article",
            published_on=self.published_on,
            kind=self.source_kind,
            language=self.language,
            archived_text=self.text,
        )
        conflict = incident.conflict
        issued_on = self.published_on or incident.date_start
        errors: list[str] = []
        points: dict[str, PointOfContention] = {p.label: p for p in incident.points.all()}
        for n, item in enumerate(accepted, start=1):
            party = Party.objects.filter(slug=item.get("party") or "").first()
            new_party = item.get("new_party") or {}
            if party is None and item.get("new_party_confirmed") and new_party:
                # A state, organisation or group the site did not have, proposed by
                # the import and confirmed by the editor on review.
                party = Party.objects.filter(name__iexact=new_party["name"]).first()
                if party is None:
                    party = Party.objects.create(
                        slug=new_party["slug"][:60],
                        name=new_party["name"][:200],
                        kind=new_party.get("kind") or Party.Kind.OTHER,
                    )
            actor = Actor.objects.filter(slug=item.get("actor") or "").first()
            if actor is None:
                if party is None:
                    errors.append(f"Statement {n} ({item['speaker']}): choose a party.")
                    continue
                actor = Actor.objects.filter(name__iexact=item["speaker"], party=party).first()
                if actor is None:
                    new = item.get("new_actor") or {}
                    actor = Actor.objects.create(
                        name=item["speaker"][:200],
                        party=party,
                        kind=new.get("kind") or Actor.Kind.BODY,
                    )
            if not conflict.knows(actor.party_id):
                if add_third_parties:
                    conflict.third_parties.add(actor.party)
                else:
                    errors.append(
                        f"Statement {n}: {actor.party} is neither a side nor a recorded third "
                        f"party of {conflict}."
                    )
                    continue
            leaning_towards = (
                Party.objects.filter(slug=item["leaning_towards"]).first()
                if item.get("leaning_towards")
                else None
            )
            leaning = item.get("leaning") or ""
            if leaning == Statement.Leaning.SIDE and leaning_towards is None:
                leaning = Statement.Leaning.NONE
            statement = Statement(
                incident=incident,
                actor=actor,
                party=actor.party,
                text=self.text[item["start"] : item["end"]],
                kind=item.get("kind") or Statement.Kind.REPORTED,
                statement_type=item.get("statement_type") or Statement.Type.OTHER,
                leaning=leaning if actor.party_id not in _side_ids(conflict) else "",
                leaning_towards=leaning_towards
                if actor.party_id not in _side_ids(conflict)
                else None,
                issued_on=issued_on,
                source=source,
                source_start=item["start"],
                source_end=item["end"],
                original_language=self.language,
                status=Statement.Status.DRAFT,
                created_by=by,
            )
            statement._change_reason = f"imported by {by}" if by else "imported"
            statement.save()
            for label in item.get("points") or []:
                point = points.get(label)
                if point is None:
                    point = PointOfContention.objects.create(
                        incident=incident, label=label, order=len(points)
                    )
                    points[label] = point
                claim = Claim(statement=statement, point=point)
                claim.set_span(statement.text, 0, len(statement.text))
                claim.save()
        if errors:
            # Raising inside the atomic block rolls back the source and every statement.
            raise ValidationError(errors)
        self.status = self.Status.SAVED
        self.source = source
        self.incident = incident
        self.save(update_fields=["status", "source", "incident", "updated_at"])
        return incident


def _side_ids(conflict: Conflict) -> set[int]:
    return set(conflict.conflictside_set.values_list("party_id", flat=True))


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
