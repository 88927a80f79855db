"""The write paths of one row, one after the other (any database): every action
bumps the version, writes only its own fields, and a refused save says what
changed. tests/editing/test_concurrency.py runs the same actions at once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.models import Annotation, Statement
from tests import factories as f
from tests.editing.test_editing import statement_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> f.World:
    return f.World()


def test_publishing_bumps_the_version_and_a_stale_edit_is_told_it_was_published(
    editor_client, world
):
    s = f.statement(world.incident, world.south_mfa, "Words.", published=False)
    opened = statement_data(Statement.objects.get(pk=s.pk), translation_note="mine")
    before = Statement.objects.get(pk=s.pk).version
    s.publish()
    assert Statement.objects.get(pk=s.pk).version == before + 1
    response = editor_client.post(reverse("editing:statement_edit", args=[s.pk]), opened)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this meanwhile" in body
    # What changed, though no field of the form differs: the status.
    assert "Status" in body and "Published" in body
    stored = Statement.objects.get(pk=s.pk)
    assert stored.status == "published" and stored.translation_note == ""


def test_an_edit_never_writes_the_publication_fields_back(world):
    s = Statement.objects.get(pk=world.south_says.pk)
    stale = Statement.objects.get(pk=s.pk)
    s.withdraw("Retracted.")
    # A copy loaded before the withdrawal, saved with the current version (as a
    # deliberate overwrite after a conflict would): the status stays withdrawn.
    stale.translation_note = "edited"
    stale.save_versioned(Statement.objects.get(pk=s.pk).version)
    stored = Statement.objects.get(pk=s.pk)
    assert stored.status == "withdrawn" and stored.withdrawn_reason == "Retracted."
    assert stored.translation_note == "edited"


def test_actions_decide_on_the_stored_row_not_the_loaded_copy(world):
    s = world.south_says
    stale = Statement.objects.get(pk=s.pk)
    s.withdraw("Retracted.")
    # Withdrawn meanwhile: withdrawing the stale copy again is refused with why.
    with pytest.raises(ValidationError, match="withdrawn now"):
        stale.withdraw("Again.")
    assert Statement.objects.get(pk=s.pk).withdrawn_reason == "Retracted."
    # A public statement cannot be unpublished, whatever the copy says.
    pub = f.statement(world.incident, world.north_mod, "Public words.")
    old = Statement.objects.get(pk=pub.pk)
    old.status = "draft"
    with pytest.raises(ValidationError, match="withdraw it"):
        old.unpublish()
    assert Statement.objects.get(pk=pub.pk).status == "published"


def test_reanchoring_keeps_a_note_saved_in_between(editor_client, world):
    s = world.south_says
    note = f.annotation(s, "armed group", body="First words")
    # The note is edited; the text correction that follows re-anchors it and must
    # keep the new words.
    Annotation.objects.filter(pk=note.pk).update(body="Edited note")
    url = reverse("editing:statement_edit", args=[s.pk])
    s.refresh_from_db()
    response = editor_client.post(url, statement_data(s, text="Reportedly, " + s.text))
    assert response.status_code == 302
    stored = Annotation.objects.get(pk=note.pk)
    assert stored.body == "Edited note"
    assert stored.quote == "armed group" and stored.start == len("Reportedly, An ")
    assert stored.version == note.version + 1


def test_a_span_saved_against_a_corrected_text_is_refused(rf, world):
    from editing.forms import AnnotationForm
    from editing.views import _save

    s = world.south_says
    note = f.annotation(s, "armed group", body="Who says so?")
    data = {
        "span_start": 3,
        "span_end": 14,
        "span_quote": "armed group",
        "tag": "disputed",
        "body": "Changed",
        "visibility": "public",
        "version": note.version,
    }
    # The form is checked against the text as loaded; the text is corrected before
    # the save takes its locks.
    form = AnnotationForm(data, instance=Annotation.objects.get(pk=note.pk), statement=s)
    assert form.is_valid(), form.errors
    Statement.objects.filter(pk=s.pk).update(text="Reportedly, " + s.text)
    with pytest.raises(ValidationError, match="corrected meanwhile"):
        _save(rf.post("/"), form, "annotation edited")
    assert Annotation.objects.get(pk=note.pk).body == "Who says so?"


def test_a_deleted_object_answers_404_not_500(editor_client, world):
    s = world.south_says
    note = f.annotation(s, "armed group", body="Note")
    data = {
        "span_quote": "armed group",
        "tag": "disputed",
        "body": "Changed",
        "visibility": "public",
        "version": note.version,
    }
    url = reverse("editing:annotation_edit", args=[note.pk])
    editor_client.get(url)
    Annotation.objects.filter(pk=note.pk).delete()
    assert editor_client.post(url, data).status_code == 404


def test_the_admin_refuses_a_save_over_a_newer_version(client, world, admin_user):
    from accounts.models import User
    from tests.editing.test_concurrency import _admin_form_data

    User.objects.filter(pk=admin_user.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    s = world.south_says
    url = reverse("admin:incidents_statement_change", args=[s.pk])
    data = _admin_form_data(client.get(url))
    data["translation_note"] = "from the admin"
    s.withdraw("Retracted meanwhile.")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "after you opened this page" in response.content.decode()
    stored = Statement.objects.get(pk=s.pk)
    assert stored.status == "withdrawn" and stored.translation_note == ""
    # Opened afresh, the admin's save goes through and bumps the version.
    data = _admin_form_data(client.get(url))
    data["translation_note"] = "from the admin"
    assert client.post(url, data).status_code == 302
    stored = Statement.objects.get(pk=s.pk)
    assert stored.translation_note == "from the admin" and stored.status == "withdrawn"
