"""The Parallax domain: who said what about which incident, and where it was said.

Visibility is decided here, in QuerySet methods (`visible_to(user)`), so that every page,
partial, export and count uses the same rule: the public sees published incidents,
their published (or withdrawn-after-publication) statements and public annotations;
analysts and editors see everything.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from accounts.models import can_see_unpublished
from core.db import retrying

from .dates import format_date

if TYPE_CHECKING:
    from accounts.models import User


# Every URL the site renders as a link is http(s): anything else (javascript:, data:)
# could run in a reader's browser. Enforced by the model (validator, save() and a
# database constraint), so no import or bulk path can store one.
HTTP_URL_SCHEMES = ["http", "https"]
_http_url = URLValidator(schemes=HTTP_URL_SCHEMES)


def validate_http_url(value: str) -> None:
    if value:
        _http_url(value)


def http_url_constraint(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{field: ""})
        | Q(**{f"{field}__istartswith": "http://"})
        | Q(**{f"{field}__istartswith": "https://"}),
        name=name,
    )


class StaleObjectError(Exception):
    """Raised by save_versioned() when another editor saved the object first."""

    def __init__(self, current: models.Model) -> None:
        super().__init__(f"{current} was changed by someone else.")
        self.current = current


class VersionedModel(models.Model):
    """Optimistic concurrency: every write of a versioned row bumps `version`, so a
    write based on an older copy is refused instead of silently undoing another.

    Two ways in, and every write path uses one of them:
    - save_versioned(expected): an editor's form, carrying the version it was loaded
      at (hidden field); a compare-and-set, refused when the row moved on;
    - change(reason, apply): a domain action (publish, withdraw, re-anchor): the
      row is locked, `apply` decides on the stored copy and names the fields it
      changed, and only those are written.
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Fields written only by the model's own actions (change()), never by an edit
    # form: save_versioned() leaves them as stored whatever its copy says.
    GUARDED_FIELDS: ClassVar[tuple[str, ...]] = ()
    # The reason django-simple-history records with the next save.
    _change_reason: str

    class Meta:
        abstract = True

    def edited_fields(self) -> list[str]:
        skip = {"id", "version", "created_at", "updated_at", *self.GUARDED_FIELDS}
        return [
            f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in skip
        ]

    def save_versioned(
        self, expected_version: int, fields: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        """Save only if the stored version is still `expected_version`, writing the
        editable fields (or `fields`), never the guarded ones.

        The compare-and-set is one UPDATE, so two concurrent saves cannot both win;
        it also locks the row until the caller's transaction ends.
        """
        model = type(self)
        with transaction.atomic():
            updated = model._default_manager.filter(pk=self.pk, version=expected_version).update(
                version=F("version") + 1
            )
            if not updated:
                current = model._default_manager.filter(pk=self.pk).first()
                if current is None:
                    raise model.DoesNotExist(f"{model._meta.verbose_name} was deleted meanwhile.")
                raise StaleObjectError(current)
            self.version = expected_version + 1
            names = list(fields) if fields is not None else self.edited_fields()
            self.save(update_fields=[*names, "version", "updated_at"], **kwargs)

    def change(
        self,
        reason: str,
        apply: Callable[[Any], Iterable[str]],
        expected_version: int | None = None,
    ) -> None:
        """Apply a domain action to the stored row under a lock: `apply` gets the
        locked copy, checks what it needs (raising ValidationError to refuse), sets
        fields and returns their names. Only those are written, with a new version.
        This copy is then refreshed to what is stored."""
        current = retrying(lambda: self._locked_change(reason, apply, expected_version))
        for field in self._meta.concrete_fields:
            setattr(self, field.attname, getattr(current, field.attname))

    def _locked_change(
        self,
        reason: str,
        apply: Callable[[Any], Iterable[str]],
        expected_version: int | None,
    ) -> Any:
        model = type(self)
        with transaction.atomic():
            current = (
                model._default_manager.select_for_update(of=("self",))
                .filter(pk=self.pk)
                .order_by()
                .first()
            )
            if current is None:
                raise model.DoesNotExist(f"{model._meta.verbose_name} was deleted meanwhile.")
            if expected_version is not None and current.version != expected_version:
                raise StaleObjectError(current)
            names = list(apply(current))
            if names:
                current.version += 1
                current._change_reason = reason
                current.save(update_fields=[*dict.fromkeys(names), "version", "updated_at"])
        return current

    def changes_since(self, version: int) -> list[tuple[str, str, str]]:
        """(field label, then, now) for every field that differs between the version
        an editor started from (its history record) and this copy: what the editor
        is told when their save is refused."""
        history = getattr(type(self), "history", None)
        if history is None:
            return []
        then = history.filter(id=self.pk, version=version).order_by("-history_id").first()
        if then is None:
            return []
        rows = []
        for field in self._meta.concrete_fields:
            if field.name in {"id", "version", "created_at", "updated_at"}:
                continue
            old, new = getattr(then, field.attname), getattr(self, field.attname)
            if old != new:
                label = str(field.verbose_name).capitalize()
                rows.append((label, _shown(field, old), _shown(field, new)))
        return rows


def _shown(field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.related_model is not None:
        obj = field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value}"
    return str(value)


# A stand-in argument: reverse() once per URL name with it, then only string joins.
_URL_ARG = "7319028465"


@functools.cache
def _url_parts(name: str, prefix: str, urlconf: str) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[_URL_ARG], urlconf=urlconf).partition(_URL_ARG)
    return head, tail


def fast_reverse(name: str, arg: str | int) -> str:
    """reverse() for a one-argument URL, at the cost of a string join. The comparison
    page links the same kinds of objects from hundreds of cards, and reverse() was a
    third of the time spent rendering a card. Keyed on the script prefix and the
    URLconf in use, so a mounted site or a test's URLconf gets its own links."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    head, tail = _url_parts(name, get_script_prefix(), urlconf)
    return f"{head}{arg}{tail}"


class PartyQuerySet(models.QuerySet["Party"]):
    def of_conflict(self, **conflict: Any) -> PartyQuerySet:
        """The sides and recorded third parties of the conflict matching these lookups
        (`pk=...` or `slug=...`): the parties a statement on it may speak for.
        Subqueries rather than joins, so that each party comes once."""
        lookups = {f"conflict__{k}": v for k, v in conflict.items()}
        sides = ConflictSide.objects.filter(**lookups).values("party")
        thirds = Conflict.third_parties.through.objects.filter(**lookups).values("party")
        return self.filter(Q(pk__in=sides) | Q(pk__in=thirds))

    def visible_to(self, user: Any) -> PartyQuerySet:
        """Parties a public page may name: one that speaks in a publicly visible
        statement, or a side of a conflict with a published incident (the comparison
        page shows each side's column, even an empty one). A party known only from
        drafts (an import's proposal, a draft conflict's side) stays internal."""
        if can_see_unpublished(user):
            return self.all()
        spoke = Statement.objects.publicly_visible().filter(party=OuterRef("pk"))
        side = ConflictSide.objects.filter(
            party=OuterRef("pk"), conflict__in=Conflict.objects.visible_to(user)
        )
        return self.filter(Exists(spoke) | Exists(side))


class Party(models.Model):
    """A state or organisation that statements speak for."""

    class Kind(models.TextChoices):
        STATE = "state", "State"
        ORGANISATION = "organisation", "International organisation"
        GROUP = "group", "Group or coalition"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    # Short, lower-case and stable: also the party code used by gold annotation files
    # (armenia, azerbaijan, usa, un, eu, osce, ...).
    slug = models.SlugField(max_length=60, unique=True)
    short_name = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STATE)
    # Extraction matches speakers against these: "Armenian", "Yerevan", "Azeri", "Baku".
    aliases = models.JSONField(default=list, blank=True, help_text="Other names, capitals.")
    demonyms = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return fast_reverse("incidents:party_detail", self.slug)

    @property
    def label(self) -> str:
        return self.short_name or self.name

    def all_names(self) -> list[str]:
        names = [self.name, self.short_name, *self.aliases, *self.demonyms]
        return [n for n in dict.fromkeys(names) if n]


class ConflictQuerySet(models.QuerySet["Conflict"]):
    def visible_to(self, user: Any) -> ConflictQuerySet:
        """For the public, conflicts with a published incident: a conflict entered for
        drafts only is not listed anywhere yet."""
        if can_see_unpublished(user):
            return self.all()
        return self.filter(Exists(Incident.objects.published().filter(conflict=OuterRef("pk"))))


class Conflict(models.Model):
    """A conflict has two or more ordered sides; every other party is a third party."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    sides = models.ManyToManyField(Party, through="ConflictSide", related_name="conflicts")
    # Third parties whose reactions are recorded (US, UN, ...). A statement's party must
    # be a side or one of these: adding a reacting party is data, not code.
    third_parties = models.ManyToManyField(Party, blank=True, related_name="observed_conflicts")

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("incidents:list") + f"?conflict={self.slug}"

    def knows(self, party_id: int) -> bool:
        return Party.objects.of_conflict(pk=self.pk).filter(pk=party_id).exists()

    def ordered_sides(self) -> list[Party]:
        return [cs.party for cs in self.conflictside_set.select_related("party").order_by("order")]


class ConflictSideQuerySet(models.QuerySet["ConflictSide"]):
    def visible_to(self, user: Any) -> ConflictSideQuerySet:
        return self.filter(conflict__in=Conflict.objects.visible_to(user))


class ConflictSide(models.Model):
    conflict = models.ForeignKey(Conflict, on_delete=models.CASCADE)
    party = models.ForeignKey(Party, on_delete=models.PROTECT)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ConflictSideQuerySet.as_manager()

    class Meta:
        ordering = ["conflict", "order"]
        constraints = [
            models.UniqueConstraint(fields=["conflict", "party"], name="conflictside_unique_party"),
            models.UniqueConstraint(fields=["conflict", "order"], name="conflictside_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.conflict}: {self.party} (side {self.order + 1})"


class ActorQuerySet(models.QuerySet["Actor"]):
    def visible_to(self, user: Any) -> ActorQuerySet:
        """For the public, actors with a publicly visible statement: a speaker that an
        import proposed for a draft is not public until one of its statements is."""
        if can_see_unpublished(user):
            return self.all()
        return self.filter(
            Exists(Statement.objects.publicly_visible().filter(actor=OuterRef("pk")))
        )


class Actor(models.Model):
    """Who speaks: a body (a ministry) or a person, speaking for a party."""

    class Kind(models.TextChoices):
        BODY = "body", "Body"
        PERSON = "person", "Person"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BODY)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="actors")
    role = models.CharField(max_length=200, blank=True, help_text="e.g. acting Prime Minister")
    aliases = models.JSONField(default=list, blank=True)

    objects = ActorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["party", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return fast_reverse("incidents:actor_detail", self.slug)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.slug:
            super().save(*args, **kwargs)
        else:
            save_with_fresh_slug(self, self.name, lambda: super(Actor, self).save(*args, **kwargs))


class SourceQuerySet(models.QuerySet["Source"]):
    def visible_to(self, user: Any) -> SourceQuerySet:
        """For the public, sources quoted by a publicly visible statement or cited as
        evidence by a public annotation: material gathered for drafts stays internal."""
        if can_see_unpublished(user):
            return self.all()
        quoted = Statement.objects.publicly_visible().filter(source=OuterRef("pk"))
        cited = Annotation.objects.visible_to(user).filter(evidence=OuterRef("pk"))
        return self.filter(Exists(quoted) | Exists(cited))


class Source(VersionedModel):
    """Where a statement was published or reported, with an archived copy of its text.

    The SHA-256 of the archived text lets anyone check a quote against what the source
    said when it was captured; offsets in statements refer to this exact text.
    """

    class Kind(models.TextChoices):
        OFFICIAL = "official", "Official release"
        NEWS = "news", "News report"
        AGENCY = "agency", "News agency"
        SOCIAL = "social", "Social media"
        OTHER = "other", "Other"

    url = models.URLField(max_length=1000, blank=True, validators=[validate_http_url])
    publisher = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=500)
    published_on = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS)
    language = models.CharField(max_length=12, default="en")
    archived_text = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    captured_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "title"]
        indexes = [models.Index(fields=["url"])]
        constraints = [http_url_constraint("url", "source_url_http")]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}" if self.publisher else self.title

    def get_absolute_url(self) -> str:
        return fast_reverse("incidents:source_detail", self.pk)

    def save(self, *args: Any, **kwargs: Any) -> None:
        validate_http_url(self.url)
        self.sha256 = hashlib.sha256(self.archived_text.encode("utf-8")).hexdigest()
        if self.archived_text and self.captured_at is None:
            self.captured_at = timezone.now()
        super().save(*args, **kwargs)

    def excerpt(
        self, start: int | None, end: int | None, context: int = 160
    ) -> tuple[str, str, str]:
        """(before, quoted, after) around [start, end) of the archived text."""
        if start is None or end is None or not self.archived_text:
            return "", "", ""
        text = self.archived_text
        return text[max(0, start - context) : start], text[start:end], text[end : end + context]


class PlaceQuerySet(models.QuerySet["Place"]):
    def visible_to(self, user: Any) -> PlaceQuerySet:
        """For the public, places of published incidents: a place entered for a draft
        incident must not reveal that incident (e.g. through the list's filter)."""
        if can_see_unpublished(user):
            return self.all()
        return self.filter(Exists(Incident.objects.published().filter(places=OuterRef("pk"))))


class Place(models.Model):
    """A named location; the party that administers it and each party's own name."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    administered_by = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="administered_places"
    )
    aliases = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, help_text="e.g. whose territory it is, is disputed")

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("incidents:list") + f"?place={self.slug}"


class PlaceNameQuerySet(models.QuerySet["PlaceName"]):
    def visible_to(self, user: Any) -> PlaceNameQuerySet:
        return self.filter(place__in=Place.objects.visible_to(user))


class PlaceName(models.Model):
    """A party's own name for a place (names are often part of the dispute)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="names")
    party = models.ForeignKey(Party, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)

    objects = PlaceNameQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "party"], name="placename_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.party.label})"


class IncidentQuerySet(models.QuerySet["Incident"]):
    def published(self) -> IncidentQuerySet:
        return self.filter(status=Incident.Status.PUBLISHED)

    def visible_to(self, user: Any) -> IncidentQuerySet:
        if can_see_unpublished(user):
            return self.all()
        return self.published()

    def involving(self, party_slug: str, user: Any) -> IncidentQuerySet:
        """Incidents where the party is a side of the conflict or made a statement the
        user may see (a draft statement must not list a published incident under its
        party). The list page's filter and the exports share this rule."""
        is_side = ConflictSide.objects.filter(conflict=OuterRef("conflict"), party__slug=party_slug)
        spoke = Statement.objects.visible_to(user).filter(
            incident=OuterRef("pk"), party__slug=party_slug
        )
        return self.filter(Exists(is_side) | Exists(spoke))

    def overlapping(self, start: date | None, end: date | None) -> IncidentQuerySet:
        """Incidents whose date, or date range, overlaps [start, end] (either open)."""
        qs = self
        if start:
            qs = qs.filter(Q(date_end__gte=start) | Q(date_end__isnull=True, date_start__gte=start))
        if end:
            qs = qs.filter(date_start__lte=end)
        return qs


class Incident(VersionedModel):
    GUARDED_FIELDS = ("status", "published_at")

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Precision(models.TextChoices):
        DAY = "day", "Exact day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"
        APPROXIMATE = "approximate", "Approximate"

    conflict = models.ForeignKey(Conflict, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    date_start = models.DateField()
    date_end = models.DateField(null=True, blank=True, help_text="For an event spanning days.")
    date_precision = models.CharField(
        max_length=12, choices=Precision.choices, default=Precision.DAY
    )
    places = models.ManyToManyField(Place, blank=True, related_name="incidents")
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    # Rows made by `generate_data`; never mixed with real or demo content.
    is_synthetic = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(m2m_fields=[places])

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-date_start", "-id"]
        indexes = [
            models.Index(fields=["status", "-date_start", "-id"], name="incident_list_idx"),
            models.Index(fields=["conflict", "status", "-date_start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_end__isnull=True) | Q(date_end__gte=F("date_start")),
                name="incident_date_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return fast_reverse("incidents:detail", self.slug)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.slug:
            super().save(*args, **kwargs)
        else:
            save_with_fresh_slug(
                self,
                f"{self.date_start:%Y-%m-%d} {self.title}",
                lambda: super(Incident, self).save(*args, **kwargs),
            )

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def date_display(self) -> str:
        return format_date(self.date_start, self.date_precision, self.date_end)

    def publish(self, by: User | None = None) -> None:
        def apply(current: Incident) -> list[str]:
            current.status = self.Status.PUBLISHED
            current.published_at = current.published_at or timezone.now()
            return ["status", "published_at"]

        self.change(f"published by {by}" if by else "published", apply)

    def unpublish(self, by: User | None = None) -> None:
        def apply(current: Incident) -> list[str]:
            current.status = self.Status.DRAFT
            return ["status"]

        self.change(f"unpublished by {by}" if by else "unpublished", apply)

    def sides(self) -> list[Party]:
        return self.conflict.ordered_sides()


class StatementQuerySet(models.QuerySet["Statement"]):
    def publicly_visible(self) -> StatementQuerySet:
        # A withdrawn statement that had been published stays on the public record,
        # shown as withdrawn with its reason (never silently removed).
        return self.filter(
            incident__status=Incident.Status.PUBLISHED,
            status__in=[Statement.Status.PUBLISHED, Statement.Status.WITHDRAWN],
            published_at__isnull=False,
        )

    def visible_to(self, user: Any) -> StatementQuerySet:
        if can_see_unpublished(user):
            return self.all()
        return self.publicly_visible()


class Statement(VersionedModel):
    """What an actor said about an incident, with its place in the source's text."""

    GUARDED_FIELDS = ("status", "published_at", "withdrawn_reason")

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Kind(models.TextChoices):
        DIRECT = "direct", "Direct quote"
        REPORTED = "reported", "Reported speech"
        MIXED = "mixed", "Partly quoted"

    class Type(models.TextChoices):
        ALLEGATION = "allegation", "Allegation"
        DENIAL = "denial", "Denial"
        COUNTER_ACCUSATION = "counter_accusation", "Counter-accusation"
        CONDEMNATION = "condemnation", "Condemnation"
        RESTRAINT = "call_for_restraint", "Call for restraint"
        DEMAND = "demand", "Demand"
        PROPOSAL = "proposal", "Proposal"
        CONCERN = "concern", "Expression of concern"
        OTHER = "other", "Other"

    class Leaning(models.TextChoices):
        NOT_APPLICABLE = "", "Not applicable (a side's own statement)"
        NONE = "none", "Leans towards neither side"
        SIDE = "side", "Leans towards one side"
        BOTH = "both", "Even-handed towards both sides"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="statements")
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="statements")
    # Always the actor's party (enforced in save() and by a database trigger); stored
    # so that the grid can group by party without a join through actors.
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="statements")
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPORTED)
    statement_type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    leaning = models.CharField(max_length=5, choices=Leaning.choices, default="", blank=True)
    leaning_towards = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_on = models.DateField()
    issued_precision = models.CharField(
        max_length=12, choices=Incident.Precision.choices, default=Incident.Precision.DAY
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    source_start = models.PositiveIntegerField(null=True, blank=True)
    source_end = models.PositiveIntegerField(null=True, blank=True)
    original_language = models.CharField(max_length=12, blank=True)
    original_text = models.TextField(blank=True)
    translation_note = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # Set by verify_quote(): the words were found in the source's archived text.
    quote_verified = models.BooleanField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["issued_on", "id"]
        indexes = [
            models.Index(fields=["incident", "issued_on", "id"], name="statement_timeline_idx"),
            models.Index(fields=["party", "issued_on"]),
            models.Index(fields=["actor", "issued_on"]),
            models.Index(fields=["status", "issued_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(source_start__isnull=True) & Q(source_end__isnull=True))
                | Q(source_end__gte=F("source_start")),
                name="statement_source_span_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(leaning="side") | Q(leaning_towards__isnull=False),
                name="statement_side_leaning_names_side",
            ),
        ]

    def __str__(self) -> str:
        words = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"{self.actor}: {words}"

    def get_absolute_url(self) -> str:
        return fast_reverse("incidents:statement_detail", self.pk)

    def clean(self) -> None:
        if self.actor_id and self.party_id and self.actor.party_id != self.party_id:
            raise ValidationError({"actor": "The statement's party must be the actor's party."})
        self._check_party_known()
        source = self.source if self.source_id else None
        if (
            self.source_start is not None
            and source is not None
            and source.archived_text
            and (self.source_end is None or self.source_end > len(source.archived_text))
        ):
            raise ValidationError("The source span lies outside the source's text.")

    def _check_party_known(self) -> None:
        if self.actor_id and self.incident_id:
            party_id = self.actor.party_id
            if not self.incident.conflict.knows(party_id):
                raise ValidationError(
                    {
                        "actor": f"{self.actor.party} is neither a side nor a recorded third "
                        f"party of {self.incident.conflict}."
                    }
                )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.actor_id:
            self.party_id = self.actor.party_id
        self._check_party_known()
        # Quote verification is a step of every save that can change the words or
        # their source (editing, import, admin, demo data): the comparison page flags
        # unverified quotes to analysts and editors.
        fields = kwargs.get("update_fields")
        if fields is None or {"text", "source", "source_id"} & set(fields):
            self.verify_quote()
            if fields is not None:
                kwargs["update_fields"] = {*fields, "quote_verified"}
        super().save(*args, **kwargs)

    @property
    def is_publicly_visible(self) -> bool:
        return self.status != self.Status.DRAFT and self.published_at is not None

    def is_third_party(self, sides: list[Party] | None = None) -> bool:
        side_ids = {p.pk for p in (sides if sides is not None else self.incident.sides())}
        return self.party_id not in side_ids

    def publish(self, by: User | None = None) -> None:
        def apply(current: Statement) -> list[str]:
            current.status = self.Status.PUBLISHED
            current.published_at = current.published_at or timezone.now()
            current.withdrawn_reason = ""
            return ["status", "published_at", "withdrawn_reason"]

        self.change(f"published by {by}" if by else "published", apply)

    def unpublish(self, by: User | None = None) -> None:
        """Back to draft. Only for statements never seen by the public; a published
        statement of a published incident is withdrawn instead, so the public record
        keeps it (checked on the stored row, under its lock)."""

        def apply(current: Statement) -> list[str]:
            if (
                current.status == self.Status.PUBLISHED
                and Incident.objects.filter(
                    pk=current.incident_id, status=Incident.Status.PUBLISHED
                ).exists()
            ):
                raise ValidationError(
                    "This statement is public; withdraw it with a reason instead, so the "
                    "public record keeps it."
                )
            current.status = self.Status.DRAFT
            current.published_at = None
            return ["status", "published_at"]

        self.change(f"unpublished by {by}" if by else "unpublished", apply)

    def withdraw(self, reason: str, by: User | None = None) -> None:
        if not reason.strip():
            raise ValidationError("A withdrawal needs a reason.")

        def apply(current: Statement) -> list[str]:
            if current.status != self.Status.PUBLISHED:
                # Decided on the stored row: someone may have unpublished or withdrawn
                # it since this page was loaded.
                raise ValidationError(
                    "Only a published statement can be withdrawn; it is "
                    f"{current.get_status_display().lower()} now."
                )
            current.status = self.Status.WITHDRAWN
            current.withdrawn_reason = reason.strip()
            return ["status", "withdrawn_reason"]

        self.change(f"withdrawn by {by}" if by else "withdrawn", apply)

    def source_excerpt(self, context: int = 160) -> tuple[str, str, str]:
        if self.source is None:
            return "", "", ""
        return self.source.excerpt(self.source_start, self.source_end, context)

    def verify_quote(self) -> bool | None:
        """Do the statement's words appear in the source's archived text? Compared
        ignoring whitespace and quote-character differences; None when there is no
        archived text to check against."""
        if self.source is None or not self.source.archived_text:
            self.quote_verified = None
        else:
            self.quote_verified = normalise_for_match(self.text) in normalise_for_match(
                self.source.archived_text
            )
        return self.quote_verified


class PointQuerySet(models.QuerySet["PointOfContention"]):
    def visible_to(self, user: Any) -> PointQuerySet:
        return self.filter(incident__in=Incident.objects.visible_to(user))


class PointOfContention(VersionedModel):
    """A question on which the accounts differ, e.g. "What were the soldiers doing?"."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="points")
    label = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    objects = PointQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "order", "id"]
        verbose_name = "point of contention"
        verbose_name_plural = "points of contention"

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.incident.slug]) + f"?point={self.pk}"


# The public-statement rule of StatementQuerySet.publicly_visible(), written as join
# conditions from a claim or annotation: measured several times faster than an
# `IN (subquery of every public statement)` at 300,000 statements.
PUBLIC_STATEMENT_VIA_SPAN = Q(
    statement__incident__status="published",
    statement__status__in=["published", "withdrawn"],
    statement__published_at__isnull=False,
)


class SpanQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> SpanQuerySet:
        if can_see_unpublished(user):
            return self.all()
        return self.filter(PUBLIC_STATEMENT_VIA_SPAN)


class AnchoredSpan(VersionedModel):
    """A span [start, end) of a statement's text, kept with its quoted words and a
    little context so it can be found again when the text is corrected."""

    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    # Set when re-anchoring after a text correction could not find the quote again;
    # an editor must look at it. Never deleted automatically.
    needs_review = models.BooleanField(default=False)

    class Meta:
        abstract = True

    CONTEXT = 32

    def set_span(self, text: str, start: int, end: int) -> None:
        if not (0 <= start < end <= len(text)):
            raise ValidationError("The span lies outside the statement's text.")
        self.start, self.end = start, end
        self.quote = text[start:end]
        self.prefix = text[max(0, start - self.CONTEXT) : start]
        self.suffix = text[end : end + self.CONTEXT]
        self.needs_review = False

    def reanchor(self, text: str) -> bool:
        """Find the quote in the corrected text; prefer the occurrence whose context
        matches best. Returns False (and flags needs_review) when it is gone."""
        if text[self.start : self.end] == self.quote:
            self.set_span(text, self.start, self.end)
            return True
        best: tuple[int, int] | None = None
        pos = text.find(self.quote)
        while pos != -1 and self.quote:
            score = _common_suffix(text[:pos], self.prefix) + _common_prefix(
                text[pos + len(self.quote) :], self.suffix
            )
            if best is None or score > best[0]:
                best = (score, pos)
            pos = text.find(self.quote, pos + 1)
        if best is None:
            self.needs_review = True
            return False
        self.set_span(text, best[1], best[1] + len(self.quote))
        return True


class Claim(AnchoredSpan):
    """A span of one statement that answers one point of contention."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="claims")
    point = models.ForeignKey(PointOfContention, on_delete=models.CASCADE, related_name="claims")
    # Figures side by side: "six" soldiers, "two groups".
    figure = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    figure_unit = models.CharField(max_length=60, blank=True)
    history = HistoricalRecords()

    objects = SpanQuerySet.as_manager()

    class Meta:
        ordering = ["point", "statement__issued_on", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="claim_span_nonempty"),
        ]

    def __str__(self) -> str:
        return f"{self.point}: {self.quote[:60]}"

    def get_absolute_url(self) -> str:
        return self.statement.get_absolute_url() + f"#claim-{self.pk}"


class ClaimRelationQuerySet(models.QuerySet["ClaimRelation"]):
    def visible_to(self, user: Any) -> ClaimRelationQuerySet:
        """Relations whose two claims the user may both see: a draft's claim never
        shows through a relation to a public one."""
        if can_see_unpublished(user):
            return self.all()
        visible = Claim.objects.visible_to(user)
        return self.filter(from_claim__in=visible, to_claim__in=visible)


class ClaimRelation(models.Model):
    class Kind(models.TextChoices):
        CONTRADICTS = "contradicts", "contradicts"
        DENIES = "denies", "denies"
        CORROBORATES = "corroborates", "corroborates"
        RESPONDS_TO = "responds_to", "responds to"

    from_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_from")
    to_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_to")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ClaimRelationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_claim", "to_claim", "kind"], name="claimrelation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_claim=F("to_claim")), name="claimrelation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_claim_id} {self.get_kind_display()} {self.to_claim_id}"


class AnnotationQuerySet(SpanQuerySet):
    def visible_to(self, user: Any) -> AnnotationQuerySet:
        if can_see_unpublished(user):
            return self.all()
        return self.filter(PUBLIC_STATEMENT_VIA_SPAN, visibility=Annotation.Visibility.PUBLIC)

    def visible_on_shown_statement(self, user: Any) -> AnnotationQuerySet:
        """The notes the user may see, for a query that has already limited the
        statements to visible ones (a subquery of `Statement.objects.visible_to`):
        only the note's own visibility is left to check. Skipping the joins back to
        the statement and incident halves the cost of counting notes on a list of
        300 statements."""
        if can_see_unpublished(user):
            return self.all()
        return self.filter(visibility=Annotation.Visibility.PUBLIC)


class Annotation(AnchoredSpan):
    """An editor's note on a span of a statement's text."""

    class Tag(models.TextChoices):
        DISPUTED = "disputed", "Disputed"
        UNVERIFIED = "unverified", "Unverified"
        CORROBORATED = "corroborated", "Corroborated"
        CONTRADICTED = "contradicted", "Contradicted"
        CONTEXT = "context", "Context"
        LOADED = "loaded_language", "Loaded language"
        TRANSLATION = "translation_note", "Translation note"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        INTERNAL = "internal", "Internal (analysts and editors only)"

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="annotations")
    tag = models.CharField(max_length=20, choices=Tag.choices)
    body = models.TextField(blank=True)
    evidence = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence_for"
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["statement", "start"]
        indexes = [models.Index(fields=["statement", "visibility"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="annotation_span_nonempty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tag_display()}: {self.quote[:60]}"

    def get_absolute_url(self) -> str:
        return self.statement.get_absolute_url() + f"#annotation-{self.pk}"

    @property
    def is_internal(self) -> bool:
        return self.visibility == self.Visibility.INTERNAL


# --- helpers -------------------------------------------------------------------------

_QUOTE_FOLD = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "`": "'"}
)


def normalise_for_match(text: str) -> str:
    """Fold quote characters and collapse whitespace, for quote verification."""
    return " ".join(text.translate(_QUOTE_FOLD).split())


def unique_slug(model: type[models.Model], text: str, max_length: int = 180) -> str:
    base = slugify(text)[:max_length].strip("-") or "item"
    slug, n = base, 2
    while model._default_manager.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def save_with_fresh_slug(obj: models.Model, text: str, save: Callable[[], None]) -> None:
    """Save a new object under the first free slug for `text`. Two created at the same
    moment with the same name both find the same slug free; the second insert then
    fails on the unique index and is tried again with the next one."""
    attempts = 5
    for attempt in range(1, attempts + 1):
        obj.slug = unique_slug(type(obj), text)  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                save()
            return
        except IntegrityError as exc:
            if attempt == attempts or "slug" not in str(exc):
                raise
            obj.pk = None
            obj._state.adding = True


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n
