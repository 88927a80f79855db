"""Forms of the import pages; each does all of its own validation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from incidents.models import Conflict, Incident, Party, Source, Statement

from . import uploads
from .models import Article, ImportDraft, ImportRejected, NamedParty, article_meta
from .nlp import ModelUnavailable
from .pipeline import analyse_article, draft_from
from .proposals import POINTS
from .uploads import Upload


class ArticleForm(forms.Form):
    text = forms.CharField(
        label="Article text",
        widget=forms.Textarea(attrs={"rows": 16}),
        # The size limit is checked by the pipeline with a clearer message than
        # max_length's; the raw request size is capped by DATA_UPLOAD_MAX_MEMORY_SIZE.
        strip=False,
        help_text="Paste the article as text or HTML; page furniture is removed.",
    )
    url = forms.URLField(label="URL", required=False, max_length=1000, assume_scheme="https")
    publisher = forms.CharField(max_length=200, required=False)
    published_on = forms.DateField(
        label="Published on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Relative dates (“on Thursday”) are resolved against this date.",
    )
    title = forms.CharField(max_length=500, required=False)
    source_kind = forms.ChoiceField(
        label="Kind of source", choices=Source.Kind.choices, initial=Source.Kind.NEWS
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if len(text) > settings.IMPORT_MAX_CHARS:
            raise ValidationError(
                f"The article is {len(text):,} characters long; the limit is "
                f"{settings.IMPORT_MAX_CHARS:,}."
            )
        return text

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        article = Article(
            text=data["text"],
            url=data.get("url") or "",
            publisher=data.get("publisher") or "",
            published_on=data.get("published_on"),
            title=data.get("title") or "",
        )
        try:
            self.cleaned_article, self.analysis = analyse_article(article)
        except (ImportRejected, ModelUnavailable) as exc:
            raise ValidationError(str(exc)) from exc
        self.article = article
        return data

    def save(self, by: Any) -> ImportDraft:
        draft = draft_from(self.article, self.cleaned_article, self.analysis, by)
        draft.source_kind = self.cleaned_data["source_kind"]
        draft.save(update_fields=["source_kind"])
        return draft


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        # Empty files are refused by BulkForm with their names, all at once.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


# An article's JSON file holds four short fields.
META_MAX_BYTES = 65536


class BulkForm(forms.Form):
    """Text files, each optionally with a JSON file of the same name giving url,
    publisher, published (YYYY-MM-DD) and title. Checked without holding them in
    memory (imports.uploads.inspect); the job stores them (ImportJob.from_uploads)."""

    articles = MultipleFileField(
        label="Article files",
        help_text="Text files (.txt, UTF-8), each with an optional .json of the same name: "
        '{"url": ..., "publisher": ..., "published": "YYYY-MM-DD", "title": ...}.',
    )

    def clean_articles(self) -> list[Upload]:
        files = self.cleaned_data["articles"]
        most = settings.IMPORT_BULK_MAX_FILES
        if len(files) > most:
            raise ValidationError(
                f"{len(files)} files were uploaded; at most {most} at a time. Upload them in parts."
            )
        # Sizes are known before anything is read (Django has spooled the upload to
        # temporary files): refuse what cannot be imported without reading it.
        total = sum(f.size or 0 for f in files)
        if total > settings.IMPORT_BULK_MAX_BYTES:
            limit = round(settings.IMPORT_BULK_MAX_BYTES / 1_048_576, 1)
            raise ValidationError(
                f"The files add up to {total / 1_048_576:.1f} MB; the limit for one upload "
                f"is {limit:g} MB. Upload them in parts."
            )
        # UTF-8 takes at most four bytes a character.
        too_big = [f.name for f in files if (f.size or 0) > 4 * settings.IMPORT_MAX_CHARS]
        if too_big:
            raise ValidationError(
                f"{', '.join(too_big[:5])}: longer than an article can be "
                f"({settings.IMPORT_MAX_CHARS:,} characters)."
            )
        texts: dict[str, Upload] = {}
        metas: dict[str, dict[str, Any]] = {}
        problems: list[str] = []
        for f in files:
            name = PurePosixPath(f.name)
            if name.suffix.lower() == ".json":
                try:
                    metas[name.stem] = read_meta(f)
                except ValidationError as exc:
                    problems.append(f"{f.name}: {' '.join(exc.messages)}")
                continue
            if name.stem in texts:
                problems.append(f"{f.name}: a second article named “{name.stem}”; rename one")
                continue
            try:
                size, digest = uploads.inspect(f)
            except uploads.NotText as exc:
                problems.append(f"{f.name} {exc}")
                continue
            texts[name.stem] = Upload(name=f.name, file=f, size=size, sha256=digest)
        if not texts and not problems:
            raise ValidationError("No article text files among the uploaded files.")
        for stem, upload in texts.items():
            upload.meta = metas.get(stem, {})
            try:
                article_meta(upload.meta)
            except ValidationError as exc:
                problems.append(f"{stem}.json: {' '.join(exc.messages)}")
        if problems:
            shown = problems[:10]
            if len(problems) > len(shown):
                shown.append(f"and {len(problems) - len(shown)} more")
            raise ValidationError(
                "Nothing was imported. Correct these files and upload again: "
                + "; ".join(shown)
                + "."
            )
        return [texts[stem] for stem in sorted(texts)]


def read_meta(f: Any) -> dict[str, Any]:
    """An article's JSON file: a small object."""
    if (f.size or 0) > META_MAX_BYTES:
        raise ValidationError(f"larger than {META_MAX_BYTES // 1024} KB, too large for metadata")
    try:
        meta = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError("not valid JSON") from exc
    if not isinstance(meta, dict):
        raise ValidationError("must hold a JSON object")
    return meta


def article_from(name: str, text: str, meta: dict[str, Any]) -> Article:
    """An Article of `manage.py import_articles` (a text file and its JSON)."""
    try:
        fields = article_meta(meta)
    except ValidationError as exc:
        raise ValidationError(f"{name}: {' '.join(exc.messages)}.") from exc
    published = fields["published_on"]
    return Article(
        text=text,
        url=fields["url"],
        publisher=fields["publisher"],
        published_on=date.fromisoformat(published) if published else None,
        title=fields["title"],
        name=name,
    )


class StatementReviewForm(forms.Form):
    """Accept, correct or drop one proposed statement."""

    decision = forms.ChoiceField(choices=ImportDraft.Decision.choices)
    speaker = forms.CharField(max_length=200)
    # Choices are the parties' slugs, given by the view once for all the page's forms
    # (a queryset per form would cost two queries per proposal).
    party = forms.ChoiceField(required=False)
    span = forms.ChoiceField(
        label="Span",
        required=False,
        widget=forms.RadioSelect,
        help_text="Direct speech: the quoted words. Reported speech: the words after "
        "“said (that)”. With the verb when the verb carries the meaning (accused, denied, "
        "rejected, urged, called on, condemned, warned of). Stop where the speaker’s words "
        "stop: no narration, places explained, or another speaker’s attribution.",
    )
    text = forms.CharField(
        label="Words", widget=forms.Textarea(attrs={"rows": 3}), strip=True, required=False
    )
    kind = forms.ChoiceField(choices=Statement.Kind.choices)
    statement_type = forms.ChoiceField(label="Type", choices=Statement.Type.choices)
    leaning = forms.ChoiceField(choices=Statement.Leaning.choices, required=False)
    leaning_towards = forms.ChoiceField(required=False)
    points = forms.MultipleChoiceField(
        choices=[(label, label) for label, _ in POINTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        draft: ImportDraft,
        index: int,
        party_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        # The review page holds one form per proposal: ids per proposal, so that each
        # label names its own field (the posted names stay the same).
        kwargs.setdefault("auto_id", f"proposal-{index}-%s")
        super().__init__(*args, **kwargs)
        if party_choices is None:
            party_choices = [(p.slug, p.name) for p in Party.objects.all()]
        for name in ("party", "leaning_towards"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *party_choices]
        self.draft = draft
        self.index = index
        self.item = draft.statement(index)
        # A party the site does not have yet is offered under its own slug; choosing
        # it and accepting is the editor's confirmation (it is created on saving).
        new_party = self.item.get("new_party") or None
        known = {slug for slug, _ in party_choices}
        if new_party and new_party.get("slug") not in known:
            field = self.fields["party"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                ("", "—"),
                *party_choices,
                (new_party["slug"], f"{new_party['name']} (new party, created on saving)"),
            ]
        span_field = self.fields["span"]
        assert isinstance(span_field, forms.ChoiceField)
        self.spans = {
            f"{alt['start']}-{alt['end']}": (alt["start"], alt["end"])
            for alt in self.item.get("alternatives") or []
        }
        span_field.choices = [
            (
                f"{alt['start']}-{alt['end']}",
                f"{alt['label']}: “{_shorten(draft.text[alt['start'] : alt['end']])}”",
            )
            for alt in self.item.get("alternatives") or []
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        if data["decision"] == ImportDraft.Decision.ACCEPTED:
            if not data.get("party") and not self.item.get("actor"):
                self.add_error("party", "Choose the party this speaker speaks for.")
            if data.get("leaning") == Statement.Leaning.SIDE and not data.get("leaning_towards"):
                self.add_error("leaning_towards", "Choose the side it leans towards.")
        chosen = self.spans.get(data.get("span") or "")
        words = data.get("text") or self.item["text"]
        if chosen is not None and chosen != (self.item["start"], self.item["end"]):
            if words == self.item["text"]:
                # One of the spans the rules allow, picked instead of typing the words.
                data["span"] = chosen
                return data
        else:
            data.pop("span", None)
        if words != self.item["text"]:
            found = self.draft.locate(words, self.item["start"])
            if found is None:
                self.add_error(
                    "text",
                    "These words do not appear in the archived article; a statement's words "
                    "must be the source's own.",
                )
            else:
                data["span"] = found
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        party = data.get("party") or ""
        changes: dict[str, Any] = {
            "decision": data["decision"],
            "kind": data["kind"],
            "statement_type": data["statement_type"],
            "leaning": data.get("leaning") or "",
            "leaning_towards": data.get("leaning_towards") or "",
            "points": list(data.get("points") or []),
        }
        if data["speaker"] != self.item["speaker"]:
            # A corrected speaker is matched anew when saving (an existing actor of that
            # name and party, or a new actor).
            changes.update(speaker=data["speaker"], actor="", actor_name="")
        if party and party != self.item.get("party"):
            changes["party"] = party
            if self.item.get("actor") and "actor" not in changes:
                changes.update(actor="", actor_name="")
        new_party = self.item.get("new_party") or {}
        changes["new_party_confirmed"] = bool(new_party) and party == new_party.get("slug")
        if "span" in data:
            start, end = data["span"]
            changes.update(start=start, end=end, text=self.draft.text[start:end])
        return changes


def _shorten(words: str, limit: int = 90) -> str:
    return words if len(words) <= limit else f"{words[: limit // 2]} … {words[-limit // 2 :]}"


class SaveForm(forms.Form):
    """Attach the accepted statements to an existing incident or a new one; a new
    incident belongs to an existing conflict or to a new one whose sides are parties
    the article names (so an editor can cover a conflict the site has never heard of
    without the admin)."""

    incident = forms.ModelChoiceField(
        queryset=Incident.objects.select_related("conflict").order_by("-date_start"),
        required=False,
        empty_label="— a new incident —",
    )
    conflict = forms.ModelChoiceField(
        queryset=Conflict.objects.all(),
        required=False,
        empty_label="— a new conflict (below) —",
        label="Conflict of the new incident",
    )
    new_conflict = forms.CharField(
        max_length=200,
        required=False,
        label="New conflict's name",
        help_text="Only when no conflict above fits, e.g. “Kyrgyzstan–Tajikistan”.",
    )
    sides = forms.MultipleChoiceField(
        required=False,
        label="New conflict's sides",
        help_text="Two or more of the parties this article names, in the order shown.",
        widget=forms.CheckboxSelectMultiple,
    )
    title = forms.CharField(max_length=300, required=False, label="New incident title")
    date_start = forms.DateField(
        required=False, label="Incident date", widget=forms.DateInput(attrs={"type": "date"})
    )
    add_third_parties = forms.BooleanField(
        required=False,
        initial=True,
        label="Record reacting parties as third parties of the conflict",
    )

    def __init__(self, *args: Any, draft: ImportDraft, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named = draft.named_parties()
        self.fields["sides"].choices = [  # type: ignore[attr-defined]
            (p.slug, f"{p.name} (new party)" if p.is_new else p.name) for p in named
        ]
        if not self.is_bound and "conflict" not in self.initial:
            self._suggest_conflict(draft.suggested_sides(named))

    def _suggest_conflict(self, pair: list[NamedParty]) -> None:
        """Preselect the conflict whose sides are the article's two main parties, or
        propose a new one made of them."""
        if not pair:
            return
        slugs = {p.slug for p in pair}
        for conflict in Conflict.objects.prefetch_related("sides"):
            if {p.slug for p in conflict.sides.all()} == slugs:
                self.initial["conflict"] = conflict.pk
                return
        self.initial["new_conflict"] = "–".join(p.name for p in pair)
        self.initial["sides"] = [p.slug for p in pair]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("incident") is not None:
            return data
        for f in ("title", "date_start"):
            if not data.get(f):
                self.add_error(f, "Needed for a new incident (or choose an existing one).")
        name = (data.get("new_conflict") or "").strip()
        data["new_conflict"] = name
        if data.get("conflict") is not None:
            if name:
                self.add_error(
                    "new_conflict", "Choose an existing conflict or name a new one, not both."
                )
        elif not name:
            self.add_error("conflict", "Choose the incident's conflict, or name a new one below.")
        else:
            if Conflict.objects.filter(name__iexact=name).exists():
                self.add_error("new_conflict", "A conflict of this name exists: choose it above.")
            if len(data.get("sides") or []) < 2:
                self.add_error("sides", "A conflict needs at least two sides.")
        return data
