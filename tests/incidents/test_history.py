"""History pages with a readable diff, and revert (editors only)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Annotation, Claim, Incident, Statement
from tests import factories as f
from tests.editing.test_editing import incident_data, statement_data


@pytest.fixture
def world(db) -> f.World:
    return f.World()


def test_history_shows_who_changed_what_field_by_field(editor_client, editor, world):
    s = world.north_says
    new_text = "Our patrol was repairing a wooden bridge when it was seized by force."
    editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]),
        statement_data(s, text=new_text, statement_type=Statement.Type.DENIAL),
    )
    html = editor_client.get(reverse("editing:history", args=["statement", s.pk])).content.decode()
    assert "eddie_editor" in html  # who (HistoryRequestMiddleware)
    assert "Statement type" in html and "Denial" in html  # choice shown by its label
    assert "<ins>wooden</ins>" in html  # long text: a word-level diff
    assert "<ins>by force.</ins>" in html or "<ins>seized by force.</ins>" in html
    assert "Restore this version" in html


def test_revert_restores_the_earlier_version(editor_client, world):
    s = world.north_says
    original = s.text
    url = reverse("editing:statement_edit", args=[s.pk])
    editor_client.post(url, statement_data(s, text="A wrong correction of the words."))
    s.refresh_from_db()
    assert s.text == "A wrong correction of the words."
    # the last record before the correction
    earlier = s.history.filter(text=original).order_by("-history_date").first()
    response = editor_client.post(
        reverse("editing:history_revert", args=["statement", s.pk, earlier.history_id]),
        {"version": s.version},
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.text == original
    assert s.status == Statement.Status.PUBLISHED
    assert s.history.first().history_change_reason.startswith("reverted to the version of")


def test_revert_of_a_statement_reanchors_its_spans(editor_client, world):
    s = world.north_says
    original = s.text
    claim = Claim(statement=s, point=world.point)
    claim.set_span(s.text, s.text.index("bridge"), s.text.index("bridge") + 6)
    claim.save()
    editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]),
        statement_data(s, text="Yes: our patrol was repairing a bridge when it was seized."),
    )
    s.refresh_from_db()
    earlier = s.history.filter(text=original).order_by("-history_date").first()
    editor_client.post(
        reverse("editing:history_revert", args=["statement", s.pk, earlier.history_id]),
        {"version": s.version},
    )
    claim.refresh_from_db()
    assert original[claim.start : claim.end] == "bridge"


def test_revert_refuses_when_someone_changed_it_since(editor_client, world):
    inc = world.incident
    first = inc.history.first()
    editor_client.post(
        reverse("editing:incident_edit", args=[inc.slug]), incident_data(inc, summary="Newer.")
    )
    response = editor_client.post(
        reverse("editing:history_revert", args=["incident", inc.pk, first.history_id]),
        {"version": inc.version},  # the version the editor saw, now stale
    )
    assert response.status_code == 302
    inc.refresh_from_db()
    assert inc.summary == "Newer."
    page = editor_client.get(response["Location"]).content.decode()
    assert "Someone changed it after you opened this page" in page


def test_a_deleted_annotation_can_be_restored(editor_client, world):
    s = world.north_says
    a = Annotation(statement=s, tag="context", body="A note worth keeping.")
    a.set_span(s.text, 4, 10)
    a.save()
    created = a.history.first()
    editor_client.post(reverse("editing:annotation_delete", args=[a.pk]))
    assert not Annotation.objects.filter(pk=a.pk).exists()
    page = editor_client.get(reverse("editing:history", args=["annotation", a.pk]))
    assert page.status_code == 200 and "was deleted" in page.content.decode()
    editor_client.post(
        reverse("editing:history_revert", args=["annotation", a.pk, created.history_id])
    )
    restored = Annotation.objects.get(pk=a.pk)
    assert restored.body == "A note worth keeping." and restored.quote == s.text[4:10]


def test_incident_revert_restores_places(editor_client, world):
    from incidents.models import Place

    river = Place.objects.create(name="River crossing", slug="river-crossing")
    inc = world.incident
    inc.places.set([river])
    inc.save()
    with_place = inc.history.first()
    data = incident_data(inc, title="Renamed incident")
    editor_client.post(reverse("editing:incident_edit", args=[inc.slug]), data)  # no places
    inc.refresh_from_db()
    assert inc.title == "Renamed incident" and not inc.places.exists()
    editor_client.post(
        reverse("editing:history_revert", args=["incident", inc.pk, with_place.history_id]),
        {"version": inc.version},
    )
    inc = Incident.objects.get(pk=inc.pk)
    assert inc.title == "Patrol stopped at the river crossing"
    assert list(inc.places.all()) == [river]


def test_history_is_for_editors_only_and_unknown_kinds_are_404(analyst, editor_client, world):
    url = reverse("editing:history", args=["statement", world.north_says.pk])
    c = Client()
    assert c.get(url).status_code == 302
    c.force_login(analyst)
    assert c.get(url).status_code == 403
    assert editor_client.get(reverse("editing:history", args=["party", 1])).status_code == 404
    assert (
        editor_client.get(reverse("editing:history", args=["statement", 99999])).status_code == 404
    )
    bad = reverse("editing:history_revert", args=["statement", world.north_says.pk, 99999])
    assert editor_client.post(bad).status_code == 404


def test_every_kind_of_object_has_a_history_page(editor_client, world):
    s = world.north_says
    claim = Claim(statement=s, point=world.point)
    claim.set_span(s.text, 0, 10)
    claim.save()
    note = Annotation(statement=s, tag="context", body="Context.")
    note.set_span(s.text, 0, 3)
    note.save()
    source = f.source("Gazette", text="Some text.")
    for kind, pk in [
        ("incident", world.incident.pk),
        ("statement", s.pk),
        ("source", source.pk),
        ("point", world.point.pk),
        ("claim", claim.pk),
        ("annotation", note.pk),
    ]:
        response = editor_client.get(reverse("editing:history", args=[kind, pk]))
        assert response.status_code == 200, kind
        assert "created by" in response.content.decode(), kind


def test_revert_never_unpublishes(editor_client, world):
    s = world.north_says
    created = s.history.order_by("history_date", "history_id").first()  # a draft then
    assert created.status == Statement.Status.DRAFT
    editor_client.post(
        reverse("editing:history_revert", args=["statement", s.pk, created.history_id]),
        {"version": s.version},
    )
    s.refresh_from_db()
    assert s.status == Statement.Status.PUBLISHED and s.published_at is not None
    assert Statement.objects.publicly_visible().filter(pk=s.pk).exists()
