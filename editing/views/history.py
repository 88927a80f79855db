"""History of every editorial object, with word diffs and revert."""

from __future__ import annotations

import difflib
from datetime import date, datetime
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, TextField
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import editor_required
from core.http import HtmxHttpRequest
from incidents.models import (
    Annotation,
    Claim,
    Incident,
    PointOfContention,
    Source,
    StaleObjectError,
    Statement,
)

from .common import _reanchor_spans, _reason

HISTORY_MODELS: dict[str, Any] = {
    "incident": Incident,
    "statement": Statement,
    "source": Source,
    "point": PointOfContention,
    "claim": Claim,
    "annotation": Annotation,
}
PUBLICATION_FIELDS = {
    "incident": ("status", "published_at"),
    "statement": ("status", "published_at", "withdrawn_reason"),
}
# Bookkeeping fields that would only clutter a diff.
HIDDEN_FIELDS = {"version", "updated_at", "created_at", "id"}


def _history_model(kind: str) -> Any:
    try:
        return HISTORY_MODELS[kind]
    except KeyError:
        raise Http404("No history for that kind of object.") from None


def _display(model: type[Model], field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    field: Any = model._meta.get_field(field_name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation and field.related_model is not None:
        obj = field.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value} (deleted)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%d %b %Y, %H:%M:%S} UTC"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


def _word_diff(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.split(" "), new.split(" ")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("del", " ".join(a[i1:i2])))
            if j2 > j1:
                out.append(("ins", " ".join(b[j1:j2])))
    return out


def _history_entries(model: type[Model], records: list[Any]) -> list[dict[str, Any]]:
    entries = []
    for n, record in enumerate(records):
        previous = records[n + 1] if n + 1 < len(records) else None
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HIDDEN_FIELDS)
            for change in delta.changes:
                field = model._meta.get_field(change.field)
                label = str(getattr(field, "verbose_name", change.field)).capitalize()
                if getattr(field, "many_to_many", False):
                    old = ", ".join(_m2m_names(field, change.old))
                    new = ", ".join(_m2m_names(field, change.new))
                    changes.append({"label": label, "old": old or "—", "new": new or "—"})
                    continue
                old = _display(model, change.field, change.old)
                new = _display(model, change.field, change.new)
                row: dict[str, Any] = {"label": label, "old": old, "new": new}
                if isinstance(field, TextField) and change.old and change.new:
                    row["words"] = _word_diff(old, new)
                changes.append(row)
        entries.append({"record": record, "previous": previous, "changes": changes})
    return entries


def _m2m_names(field: Any, rows: list[dict[str, Any]]) -> list[str]:
    target = field.related_model
    attname = target._meta.model_name
    ids = [r.get(attname) for r in rows or []]
    return [str(o) for o in target._default_manager.filter(pk__in=ids)]


@editor_required
@require_GET
def history(request: HtmxHttpRequest, kind: str, pk: int) -> HttpResponse:
    model = _history_model(kind)
    records = list(
        model.history.filter(id=pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:200]
    )
    if not records:
        raise Http404("No such object.")
    current = model._default_manager.filter(pk=pk).first()
    return render(
        request,
        "editing/history.html",
        {
            "kind": kind,
            "pk": pk,
            "current": current,
            "title": str(current or records[0].instance),
            "entries": _history_entries(model, records),
            "model_name": model._meta.verbose_name,
        },
    )


@editor_required
@require_POST
def history_revert(request: HtmxHttpRequest, kind: str, pk: int, history_id: int) -> HttpResponse:
    model = _history_model(kind)
    record = get_object_or_404(model.history.all(), id=pk, history_id=history_id)
    current = model._default_manager.filter(pk=pk).first()
    back = reverse("editing:history", args=[kind, pk])
    restored = record.instance
    _reason(restored, f"reverted to the version of {record.history_date:%Y-%m-%d %H:%M}")
    if current is not None:
        # Publication changes only through publish/unpublish/withdraw, never as a side
        # effect of a revert: a public statement must not silently disappear.
        for name in PUBLICATION_FIELDS.get(kind, ()):
            setattr(restored, name, getattr(current, name))
    expected = 0
    try:
        with transaction.atomic():
            if current is None:
                # A deleted claim or annotation comes back as it was.
                restored.version = 1
                restored.save(force_insert=True)
            else:
                expected = int(request.POST.get("version") or current.version)
                restored.save_versioned(expected)
            if isinstance(restored, Incident):
                places = getattr(record, "places", None)
                if places is not None:
                    restored.places.set([row.place_id for row in places.all()])
            if (
                isinstance(restored, Statement)
                and current is not None
                and current.text != restored.text
            ):
                lost = _reanchor_spans(restored)
                if lost:
                    messages.warning(request, f"{lost} span(s) flagged for review.")
    except StaleObjectError as exc:
        stored = cast(Any, exc.current)
        changed = "; ".join(
            f"{label}: {now}" for label, _then, now in stored.changes_since(expected)
        )
        messages.error(
            request,
            "Someone changed it after you opened this page; look again."
            + (f" Now: {changed}." if changed else ""),
        )
        return redirect(back)
    except ObjectDoesNotExist:
        messages.error(request, "It was deleted meanwhile.")
        return redirect(back)
    except (IntegrityError, ValidationError, ValueError):
        messages.error(
            request,
            "That version cannot be restored any more (its statement or point changed "
            "or was deleted).",
        )
        return redirect(back)
    messages.success(request, "Restored the earlier version.")
    return redirect(back)
