"""Different write actions on one row, at the same moment, on PostgreSQL with real
connections: every action runs in its own thread, with its own database connection,
all released together by a barrier after each has loaded its page (its form, its
version). Whatever the interleaving, an action that was accepted (302) has its
effect in the database afterwards; a refused one (409) changed nothing.

Run with DATABASE_URL pointing at PostgreSQL (scripts/pg.sh); CONCURRENCY_ROUNDS
sets the rounds per pair (default 12; the figures in docs/scaling.md are from 50).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from django.urls import reverse

from imports.models import ImportDraft
from incidents.models import Annotation, Claim, ClaimRelation, Incident, Statement
from tests import factories as f
from tests.editing.test_editing import incident_data, statement_data

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: concurrent connections to one database",
    ),
    pytest.mark.django_db(transaction=True),
]

ROUNDS = int(os.environ.get("CONCURRENCY_ROUNDS", "12"))
_tokens = itertools.count(1)


def token(label: str) -> str:
    return f"{label} {next(_tokens)}"


@dataclass
class Action:
    """One editor's action: `run` sends the request prepared from the page loaded
    before the race and says whether it was accepted; `check` says whether its
    effect is in the database."""

    name: str
    run: Callable[[], bool]
    check: Callable[[], bool]


def race(*actions: Action) -> list[bool]:
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def go(i: int, action: Action) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = action.run()
        except BaseException as exc:  # re-raised in the test's thread
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=go, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def accepted(response: Any, refused: tuple[int, ...] = (409,)) -> bool:
    """302: saved. A refusal must be a conflict (never a 500, never a silent 200)."""
    assert response.status_code in (302, *refused), (response.status_code, response.content[:500])
    return response.status_code == 302


@pytest.fixture
def editors(editor, second_editor) -> tuple[Client, Client]:
    a, b = Client(), Client()
    a.force_login(editor)
    b.force_login(second_editor)
    return a, b


# --- actions --------------------------------------------------------------------------


def edit_statement(c: Client, s: Statement) -> Action:
    note = token("note")
    data = statement_data(Statement.objects.get(pk=s.pk), translation_note=note)
    url = reverse("editing:statement_edit", args=[s.pk])
    return Action(
        "edit statement",
        lambda: accepted(c.post(url, data)),
        lambda: Statement.objects.get(pk=s.pk).translation_note == note,
    )


def correct_text(c: Client, s: Statement) -> Action:
    """A text correction: the claims and annotations are re-anchored."""
    loaded = Statement.objects.get(pk=s.pk)
    text = "Reportedly, " + loaded.text
    data = statement_data(loaded, text=text)
    url = reverse("editing:statement_edit", args=[s.pk])

    def check() -> bool:
        spans = [*Annotation.objects.filter(statement=s), *Claim.objects.filter(statement=s)]
        return Statement.objects.get(pk=s.pk).text == text and all(
            text[x.start : x.end] == x.quote and not x.needs_review for x in spans
        )

    return Action("correct text", lambda: accepted(c.post(url, data)), check)


def publish_statement(c: Client, s: Statement) -> Action:
    url = reverse("editing:statement_publish", args=[s.pk])
    return Action(
        "publish statement",
        lambda: accepted(c.post(url, {"action": "publish"})),
        lambda: Statement.objects.get(pk=s.pk).status == Statement.Status.PUBLISHED,
    )


def unpublish_statement(c: Client, s: Statement) -> Action:
    url = reverse("editing:statement_publish", args=[s.pk])
    return Action(
        "unpublish statement",
        lambda: accepted(c.post(url, {"action": "unpublish"})),
        lambda: Statement.objects.get(pk=s.pk).status == Statement.Status.DRAFT,
    )


def withdraw_statement(c: Client, s: Statement) -> Action:
    reason = token("reason")
    url = reverse("editing:statement_withdraw", args=[s.pk])

    def check() -> bool:
        now = Statement.objects.get(pk=s.pk)
        return now.status == Statement.Status.WITHDRAWN and now.withdrawn_reason == reason

    return Action("withdraw", lambda: accepted(c.post(url, {"reason": reason})), check)


def revert_statement(c: Client, s: Statement) -> Action:
    """Back to the statement's first recorded version (its original words)."""
    first = Statement.history.filter(id=s.pk).order_by("history_id").first()
    assert first is not None
    url = reverse("editing:history_revert", args=["statement", s.pk, first.history_id])
    version = Statement.objects.get(pk=s.pk).version

    def check() -> bool:
        now = Statement.objects.get(pk=s.pk)
        return now.text == first.text and now.translation_note == first.translation_note

    def run() -> bool:
        # The history page answers every revert with a redirect and a message.
        c.cookies.pop("messages", None)  # only this request's messages
        response = c.post(url, {"version": version})
        assert response.status_code == 302, response.status_code
        return _no_error(response)

    return Action("revert statement", run, check)


def _no_error(response: Any) -> bool:
    return not any(m.level_tag == "error" for m in response.wsgi_request._messages)


def edit_annotation(c: Client, a: Annotation) -> Action:
    body = token("body")
    loaded = Annotation.objects.get(pk=a.pk)
    data = {
        "span_quote": loaded.quote,
        "tag": loaded.tag,
        "body": body,
        "visibility": loaded.visibility,
        "evidence": "",
        "version": loaded.version,
    }
    url = reverse("editing:annotation_edit", args=[a.pk])
    return Action(
        "edit annotation",
        lambda: accepted(c.post(url, data)),
        lambda: Annotation.objects.get(pk=a.pk).body == body,
    )


def edit_claim(c: Client, cl: Claim) -> Action:
    unit = token("unit")
    loaded = Claim.objects.get(pk=cl.pk)
    data = {
        "span_quote": loaded.quote,
        "point": loaded.point_id,
        "figure": "",
        "figure_unit": unit,
        "version": loaded.version,
    }
    url = reverse("editing:claim_edit", args=[cl.pk])
    return Action(
        "edit claim",
        lambda: accepted(c.post(url, data)),
        lambda: Claim.objects.get(pk=cl.pk).figure_unit == unit,
    )


def relate_claims(c: Client, a: Claim, b: Claim) -> Action:
    url = reverse("editing:relation_create", args=[a.pk])
    data = {f"rel{a.pk}-kind": "contradicts", f"rel{a.pk}-to_claim": b.pk}
    return Action(
        "relate claims",
        lambda: accepted(c.post(url, data), refused=(400, 409)),
        lambda: ClaimRelation.objects.filter(from_claim=a, to_claim=b).exists(),
    )


def edit_incident(c: Client, i: Incident) -> Action:
    summary = token("summary")
    data = incident_data(Incident.objects.get(pk=i.pk), summary=summary)
    url = reverse("editing:incident_edit", args=[i.slug])
    return Action(
        "edit incident",
        lambda: accepted(c.post(url, data)),
        lambda: Incident.objects.get(pk=i.pk).summary == summary,
    )


def publish_incident(c: Client, i: Incident, action: str = "publish") -> Action:
    url = reverse("editing:incident_publish", args=[i.slug])
    status = Incident.Status.PUBLISHED if action == "publish" else Incident.Status.DRAFT
    return Action(
        f"{action} incident",
        lambda: accepted(c.post(url, {"action": action})),
        lambda: Incident.objects.get(pk=i.pk).status == status,
    )


def admin_edit_statement(c: Client, s: Statement) -> Action:
    """The admin's change form, posted as the page was loaded."""
    url = reverse("admin:incidents_statement_change", args=[s.pk])
    page = c.get(url)
    assert page.status_code == 200
    data = _admin_form_data(page)
    note = token("admin note")
    data["translation_note"] = note

    def run() -> bool:
        # Refused: the form again with the reason (200), or, when the other action
        # slipped in between the form's check and the save, a redirect with an error.
        c.cookies.pop("messages", None)  # only this request's messages
        response = c.post(url, data)
        return accepted(response, refused=(200,)) and _no_error(response)

    return Action(
        "admin edit", run, lambda: Statement.objects.get(pk=s.pk).translation_note == note
    )


def _admin_form_data(page: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or field.disabled:
                continue
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            data[form.add_prefix(name)] = value
    return data


# --- the pairs --------------------------------------------------------------------------


def fresh(world: f.World, published: bool = True, incident_published: bool = True) -> Statement:
    """A statement of its own for each round, with a claim and an annotation on it."""
    inc = world.incident
    if not incident_published:
        inc = f.incident(world.conflict, token("Draft incident"), published=False)
    s = f.statement(inc, world.south_mfa, "An armed group crossed the river to lay mines.")
    if not published:
        Statement.objects.filter(pk=s.pk).update(status="draft", published_at=None)
    f.annotation(s, "armed group", body="Who says so?")
    f.claim(s, world.point, "crossed the river")
    return s


def run_pair(make: Callable[[], tuple[Action, Action]]) -> dict[str, int]:
    tally = {"both": 0, "one": 0}
    for _ in range(ROUNDS):
        first, second = make()
        results = race(first, second)
        for action, ok in zip((first, second), results, strict=True):
            if ok:
                assert action.check(), f"{action.name} was accepted but its change is lost"
        tally["both" if all(results) else "one"] += 1
        assert any(results), "both actions refused"
    return tally


@pytest.fixture
def world(db) -> f.World:
    return f.World()


STATEMENT_PAIRS: dict[str, Callable[[Client, Client, f.World], tuple[Action, Action]]] = {
    "edit/publish": lambda a, b, w: (
        edit_statement(a, s := fresh(w, published=False)),
        publish_statement(b, s),
    ),
    "edit/unpublish": lambda a, b, w: (
        edit_statement(a, s := fresh(w, incident_published=False)),
        unpublish_statement(b, s),
    ),
    "edit/withdraw": lambda a, b, w: (
        edit_statement(a, s := fresh(w)),
        withdraw_statement(b, s),
    ),
    "edit/revert": lambda a, b, w: (
        edit_statement(a, s := _edited(fresh(w))),
        revert_statement(b, s),
    ),
    "revert/publish": lambda a, b, w: (
        revert_statement(a, s := _edited(fresh(w, published=False))),
        publish_statement(b, s),
    ),
    "revert/withdraw": lambda a, b, w: (
        revert_statement(a, s := _edited(fresh(w))),
        withdraw_statement(b, s),
    ),
    "correct text/publish": lambda a, b, w: (
        correct_text(a, s := fresh(w, published=False)),
        publish_statement(b, s),
    ),
    "correct text/withdraw": lambda a, b, w: (
        correct_text(a, s := fresh(w)),
        withdraw_statement(b, s),
    ),
    "correct text/edit annotation": lambda a, b, w: (
        correct_text(a, s := fresh(w)),
        edit_annotation(b, s.annotations.get()),
    ),
    "correct text/edit claim": lambda a, b, w: (
        correct_text(a, s := fresh(w)),
        edit_claim(b, s.claims.get()),
    ),
    "relate claims/edit claim": lambda a, b, w: (
        relate_claims(a, (s := fresh(w)).claims.get(), w.__dict__.setdefault("other", _other(w))),
        edit_claim(b, s.claims.get()),
    ),
    "relate claims/correct text": lambda a, b, w: (
        relate_claims(a, (s := fresh(w)).claims.get(), w.__dict__.setdefault("other", _other(w))),
        correct_text(b, s),
    ),
    "admin edit/publish": lambda a, b, w: (
        admin_edit_statement(a, s := fresh(w, published=False)),
        publish_statement(b, s),
    ),
    "admin edit/withdraw": lambda a, b, w: (
        admin_edit_statement(a, s := fresh(w)),
        withdraw_statement(b, s),
    ),
}


def _edited(s: Statement) -> Statement:
    """A statement with a second version, so that a revert has something to undo."""
    s.text = s.text.replace("armed group", "armed group of men")
    s.save_versioned(s.version)
    return s


def _other(w: f.World) -> Claim:
    return f.claim(w.north_says, w.point, "repairing a bridge")


@pytest.mark.parametrize("pair", sorted(STATEMENT_PAIRS))
def test_two_actions_on_one_statement_lose_nothing(pair, world, editors, admin_user):
    a, b = editors
    if pair.startswith("admin"):
        from accounts.models import User

        User.objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
        a = Client()
        a.force_login(admin_user)
    tally = run_pair(lambda: STATEMENT_PAIRS[pair](a, b, world))
    assert sum(tally.values()) == ROUNDS


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_editing_and_publishing_one_incident_lose_nothing(action, world, editors):
    a, b = editors

    def make() -> tuple[Action, Action]:
        inc = f.incident(world.conflict, token("Incident"), published=(action == "unpublish"))
        return edit_incident(a, inc), publish_incident(b, inc, action)

    run_pair(make)


def test_every_pair_is_covered():
    """Each write action on a statement meets each other one it can meet."""
    names = {n for pair in STATEMENT_PAIRS for n in pair.split("/")}
    assert names >= {"edit", "publish", "unpublish", "withdraw", "revert", "correct text"}
    assert {"edit annotation", "edit claim", "relate claims", "admin edit"} <= names


# --- import review: decisions and the save ----------------------------------------------


def import_draft() -> ImportDraft:
    statements = [
        {
            "speaker": "Southland Foreign Ministry",
            "actor": "",
            "party": "southland",
            "text": words,
            "original_text": words,
            "start": start,
            "end": start + len(words),
            "kind": "reported",
            "statement_type": "other",
            "decision": "pending",
            "points": [],
        }
        for words, start in [("An armed group crossed.", 0), ("Mines were laid.", 24)]
    ]
    return ImportDraft.objects.create(
        text="An armed group crossed. Mines were laid.",
        title=token("Imported"),
        proposals={"statements": statements},
    )


def decision(draft: ImportDraft, index: int) -> Action:
    copy = ImportDraft.objects.get(pk=draft.pk)  # each editor's page, loaded before

    def run() -> bool:
        try:
            copy.update_statement(index, {"decision": "accepted"})
        except ValidationError:
            return False
        return True

    return Action(f"decide {index}", run, lambda: True)


def import_save(draft: ImportDraft, by: Any, incident: Incident) -> Action:
    copy = ImportDraft.objects.get(pk=draft.pk)

    def run() -> bool:
        copy.save_statements(by=by, incident=incident)
        return True

    return Action("save import", run, lambda: True)


def test_two_decisions_on_one_import_are_both_kept(world):
    for _ in range(ROUNDS):
        draft = import_draft()
        assert race(decision(draft, 0), decision(draft, 1)) == [True, True]
        stored = ImportDraft.objects.get(pk=draft.pk)
        assert [s["decision"] for s in stored.statements] == ["accepted", "accepted"]


def test_a_decision_racing_the_save_is_saved_or_refused(world, editor):
    for _ in range(ROUNDS):
        draft = import_draft()
        draft.update_statement(0, {"decision": "accepted"})
        decided, saved = race(decision(draft, 1), import_save(draft, editor, world.incident))
        assert saved
        stored = ImportDraft.objects.get(pk=draft.pk)
        saved_texts = set(
            Statement.objects.filter(source=stored.source).values_list("text", flat=True)
        )
        assert "An armed group crossed." in saved_texts
        # Accepted before the save took the lock: saved with it; otherwise refused.
        assert ("Mines were laid." in saved_texts) == decided
