"""What every editing view shares: saving with compare-and-set, the conflict form shown
when another editor saved first, status codes for htmx, safe next-URLs, re-anchoring
spans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model
from django.forms import ModelChoiceField
from django.http import Http404, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from core.db import retrying
from core.http import HtmxHttpRequest
from editing.forms import (
    SpanFormMixin,
    VersionedForm,
)
from incidents.models import (
    Annotation,
    Claim,
    StaleObjectError,
    Statement,
)


def _user(request: HtmxHttpRequest) -> User:
    # role_required has already refused anyone who is not a signed-in editor.
    return cast(User, request.user)


def _reason(obj: Any, text: str) -> None:
    """The change reason django-simple-history records with the next save."""
    obj._change_reason = text


def _status(request: HtmxHttpRequest, code: int) -> int:
    return 200 if request.htmx else code


def _next_url(request: HtmxHttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: redirect() would try a bare word ("0") as a URL name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _save(
    request: HtmxHttpRequest,
    form: VersionedForm,
    reason: str,
    after_save: Callable[[Any], None] | None = None,
) -> Any:
    """Save a valid form in one transaction. Returns None when another editor saved
    the object first (the current stored object is then in form.concurrent).

    A claim or annotation form was checked against the statement's text as it was
    loaded: the statement is locked first (the order a text correction takes its
    locks too: statement, then its spans) and a text corrected meanwhile refuses the
    save with a ValidationError, since the selected offsets may point elsewhere now.
    """
    obj = form.save(commit=False)
    _reason(obj, reason)
    creating = obj.pk is None

    def attempt() -> None:
        if creating:
            # A retried insert starts again as an insert.
            obj.pk = None
            obj._state.adding = True
        with transaction.atomic():
            if isinstance(form, SpanFormMixin):
                stored = (
                    Statement.objects.select_for_update(of=("self",))
                    .filter(pk=form.statement.pk)
                    .values_list("text", flat=True)
                    .first()
                )
                if stored != form.statement.text:
                    raise ValidationError(
                        "The statement's text was corrected meanwhile; select the words again."
                    )
            if creating:
                obj.save()
            else:
                obj.save_versioned(form.cleaned_data["version"])
            form.save_m2m()
            if after_save is not None:
                after_save(obj)

    try:
        retrying(attempt)
    except StaleObjectError as exc:
        form.concurrent = exc.current
        return None
    except ObjectDoesNotExist:
        raise Http404("It was deleted by someone else meanwhile.") from None
    return obj


def _conflict_form(
    form_class: type[VersionedForm], request: HtmxHttpRequest, current: Any, **kw: Any
) -> Any:
    """The second editor's form after a conflict: their own words kept, the version
    moved to the stored one so that saving again is a deliberate overwrite."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    # A separate copy: validating the form writes the editor's values into its instance,
    # and `current` must keep showing the other editor's.
    fresh = type(current)._default_manager.get(pk=current.pk)
    form = form_class(data, instance=fresh, **kw)
    form.is_valid()
    form.concurrent = current
    form.concurrent_rows = _conflict_rows(form, current)
    form.concurrent_rows += _changed_elsewhere(
        form, current, form.concurrent_rows, request.POST.get("version")
    )
    form.concurrent_by = _last_editor(current)
    return form


def _changed_elsewhere(
    form: VersionedForm, current: Any, rows: list[dict[str, Any]], started_at: str | None
) -> list[dict[str, Any]]:
    """Rows for what changed outside the form's fields since the version the editor
    started from (published, withdrawn, re-anchored...): a refusal always says what
    changed, even when no field of the form differs."""
    try:
        started = int(started_at or 0)
    except ValueError:
        return []
    if not started or not hasattr(current, "changes_since"):
        return []
    shown = {str(row["label"]).lower() for row in rows}
    shown |= {str(f.label or n).lower() for n, f in form.fields.items()}
    return [
        {"label": label, "theirs": now, "mine": f"{then} (unchanged by you)"}
        for label, then, now in current.changes_since(started)
        if label.lower() not in shown
    ]


def _conflict_rows(form: VersionedForm, current: Model) -> list[dict[str, Any]]:
    """Field by field: what is stored now (the other editor's) and what this editor
    typed, for every field where they differ."""
    rows: list[dict[str, Any]] = []
    for name, field in form.fields.items():
        if name == "version" or not hasattr(current, name) or name.startswith("span_"):
            continue
        theirs = getattr(current, name)
        if hasattr(theirs, "all"):
            theirs = ", ".join(str(o) for o in theirs.all())
        data = cast(QueryDict, form.data)
        mine_raw = data.get(form.add_prefix(name), "")
        if isinstance(field, ModelChoiceField) and mine_raw:
            try:
                picked = field.queryset.filter(  # type: ignore[union-attr]
                    pk__in=data.getlist(form.add_prefix(name))
                )
                mine = ", ".join(str(o) for o in picked) or mine_raw
            except (ValueError, ValidationError):
                mine = mine_raw
        else:
            mine = mine_raw
        theirs_text = "" if theirs is None else str(theirs)
        if hasattr(current, f"get_{name}_display"):
            theirs_text = getattr(current, f"get_{name}_display")()
            mine = dict(getattr(field, "choices", [])).get(mine_raw, mine)
        if theirs_text.strip() != str(mine).strip():
            rows.append({"label": field.label or name, "theirs": theirs_text, "mine": mine})
    return rows


def _last_editor(obj: Model) -> Any:
    history = getattr(obj, "history", None)
    return history.select_related("history_user").first() if history is not None else None


SPAN_FIELDS = ["start", "end", "quote", "prefix", "suffix", "needs_review"]


def _reanchor_spans(statement: Statement) -> int:
    """Re-anchor claims and annotations on the corrected text, in the caller's
    transaction (which holds the statement's row). Each span is locked and only its
    offsets are written, with a new version: an annotation's note saved meanwhile is
    kept, and an editor holding the old offsets gets a conflict. Spans whose words
    are gone are flagged needs_review, never deleted; their offsets are pulled inside
    the new text so the database accepts them."""
    lost = 0
    text = statement.text
    for model in (Claim, Annotation):
        for span in (
            model.objects.select_for_update(of=("self",)).filter(statement=statement).order_by("pk")
        ):
            old = (span.start, span.end, span.quote, span.needs_review)
            if not span.reanchor(text):
                lost += 1
                span.end = min(span.end, len(text))
                span.start = min(span.start, span.end - 1)
            if (span.start, span.end, span.quote, span.needs_review) != old:
                _reason(span, "re-anchored after a text correction")
                # One UPDATE with the new offsets: the database refuses any
                # intermediate row whose span lies outside the new text.
                span.version += 1
                span.save(update_fields=[*SPAN_FIELDS, "version", "updated_at"])
    return lost
