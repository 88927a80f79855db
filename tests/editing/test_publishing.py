"""Issue 11, point 1: no incident goes public one-sided by accident. The editor sees
per side how many statements are published and how many are drafts, can publish the
incident with its drafts in one transaction, and must confirm explicitly when a side
would have no published statement. The admin follows the same rule."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from incidents.models import Incident, Statement
from incidents.publishing import OneSidedError, publish_incident, readiness
from tests import factories as f

HX = {"HX-Request": "true"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(db):
    """As an import leaves it: a draft incident whose statements are all drafts, one
    of them (Northland's) since published by hand."""
    w = f.World()
    inc = f.incident(w.conflict, "Imported clash", published=False)
    north = f.statement(inc, w.north_mod, "Northland says one thing.")
    f.statement(inc, w.north_mod, "Northland adds another.", published=False)
    f.statement(inc, w.south_mfa, "Southland says the opposite.", published=False)
    f.statement(inc, w.south_mfa, "Southland adds more.", published=False)
    f.statement(inc, w.league_spokes, "The League urges calm.", published=False)
    return w, inc, north


def statuses(inc: Incident) -> list[str]:
    return sorted(inc.statements.values_list("status", flat=True))


def test_readiness_counts_per_side_then_third_parties(imported):
    w, inc, _ = imported
    state = readiness(inc)
    rows = [(r.party.slug, r.published, r.drafts, r.is_side) for r in state.parties]
    assert rows == [
        ("northland", 1, 1, True),
        ("southland", 0, 2, True),
        ("league", 0, 1, False),
    ]
    assert state.drafts == 4
    assert state.silent_sides() == [w.south]
    assert state.silent_sides(with_drafts=True) == []


def test_publishing_a_one_sided_incident_is_refused_until_confirmed(imported):
    w, inc, _ = imported
    with pytest.raises(OneSidedError) as exc:
        publish_incident(inc)
    assert exc.value.silent == [w.south]
    inc.refresh_from_db()
    assert inc.status == Incident.Status.DRAFT
    publish_incident(inc, confirm_one_sided=True)
    inc.refresh_from_db()
    assert inc.is_published and inc.published_at
    # Only the incident: its drafts stay drafts.
    assert statuses(inc).count("draft") == 4


def test_publish_with_drafts_in_one_transaction(imported, monkeypatch):
    _, inc, _ = imported
    calls = []
    real = Statement.publish

    def failing(self, by=None):
        calls.append(self.pk)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        real(self, by=by)

    monkeypatch.setattr(Statement, "publish", failing)
    with pytest.raises(RuntimeError):
        publish_incident(inc, with_drafts=True)
    # Nothing half-done: the two statements published before the failure are drafts again.
    inc.refresh_from_db()
    assert inc.status == Incident.Status.DRAFT
    assert statuses(inc).count("draft") == 4
    monkeypatch.setattr(Statement, "publish", real)
    assert publish_incident(inc, with_drafts=True) == 4
    inc.refresh_from_db()
    assert inc.is_published
    assert statuses(inc) == ["published"] * 5


def test_the_editor_sees_per_side_counts_and_the_publish_with_drafts_button(
    editor_client, imported
):
    _, inc, _ = imported
    html = editor_client.get(reverse("editing:incident_edit", args=[inc.slug])).content.decode()
    assert "What the public would see" in html
    assert "Southland" in html and "no account from this side" in html
    assert "Publish with its 4 draft statements" in html
    assert "Publish without the drafts" in html


def test_the_publish_view_asks_for_confirmation_and_saves_nothing(editor_client, imported):
    _, inc, _ = imported
    url = reverse("editing:incident_publish", args=[inc.slug])
    response = editor_client.post(url, {"action": "publish"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Southland has no published statement" in html
    assert "Publish anyway, without Southland’s account" in html
    assert 'name="confirm_one_sided" value="1"' in html
    inc.refresh_from_db()
    assert inc.status == Incident.Status.DRAFT
    # htmx: only the status box, answered 200 so that htmx swaps it in.
    response = editor_client.post(url, {"action": "publish"}, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="incident-status"' in html
    assert "Publish anyway" in html
    # Confirmed: published, one-sided, as the editor chose.
    response = editor_client.post(url, {"action": "publish", "confirm_one_sided": "1"})
    assert response.status_code == 302
    inc.refresh_from_db()
    assert inc.is_published


def test_the_publish_view_publishes_with_the_drafts(editor_client, editor, imported):
    _, inc, _ = imported
    url = reverse("editing:incident_publish", args=[inc.slug])
    response = editor_client.post(url, {"action": "publish", "with_drafts": "1"}, headers=HX)
    html = response.content.decode()
    assert "is published with 4 draft statements" in html
    inc.refresh_from_db()
    assert inc.is_published
    assert statuses(inc) == ["published"] * 5
    assert inc.history.first().history_change_reason == f"published by {editor}"


def test_an_incident_with_every_side_published_needs_no_confirmation(editor_client):
    w = f.World()
    inc = f.incident(w.conflict, "Both spoke", published=False)
    f.statement(inc, w.north_mod, "North.")
    f.statement(inc, w.south_mfa, "South.")
    html = editor_client.get(reverse("editing:incident_edit", args=[inc.slug])).content.decode()
    assert "no account from this side" not in html and ">Publish</button>" in html
    response = editor_client.post(
        reverse("editing:incident_publish", args=[inc.slug]), {"action": "publish"}
    )
    assert response.status_code == 302
    inc.refresh_from_db()
    assert inc.is_published


def admin_data(inc: Incident, **changes) -> dict:
    data = {
        "conflict": inc.conflict_id,
        "title": inc.title,
        "slug": inc.slug,
        "date_start": inc.date_start.isoformat(),
        "date_precision": inc.date_precision,
        "summary": inc.summary,
        "status": inc.status,
    }
    for prefix in ("points", "statements"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    data.update(changes)
    return data


def test_the_admin_follows_the_same_rule(client, imported):
    _, inc, _ = imported
    root = User.objects.create_superuser("root_admin", "root@example.org", "x-pass-123!")
    client.force_login(root)
    url = reverse("admin:incidents_incident_change", args=[inc.pk])
    page = client.get(url).content.decode()
    prefixes = {name for name in ("points", "statements") if f'name="{name}-TOTAL_FORMS"' in page}
    assert prefixes == {"points", "statements"}, "inline prefixes changed"
    # The inlines list the existing rows; post them back unchanged.
    data = admin_data(inc, status="published")
    statements = list(inc.statements.order_by("pk"))
    data["statements-TOTAL_FORMS"] = data["statements-INITIAL_FORMS"] = str(len(statements))
    for n, s in enumerate(statements):
        data.update(
            {
                f"statements-{n}-id": s.pk,
                f"statements-{n}-incident": inc.pk,
                f"statements-{n}-actor": s.actor_id,
                f"statements-{n}-statement_type": s.statement_type,
                f"statements-{n}-issued_on": s.issued_on.isoformat(),
                f"statements-{n}-status": s.status,
            }
        )
    points = list(inc.points.all())
    data["points-TOTAL_FORMS"] = data["points-INITIAL_FORMS"] = str(len(points))
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Southland has no published statement" in response.content.decode()
    inc.refresh_from_db()
    assert inc.status == Incident.Status.DRAFT
    response = client.post(url, {**data, "confirm_one_sided": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    inc.refresh_from_db()
    assert inc.is_published and inc.published_at
