"""Editing in place: incidents, statements, sources, points, claims, annotations,
publishing; optimistic concurrency; re-anchoring; bad input never half-saved."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import (
    Actor,
    Annotation,
    Claim,
    ClaimRelation,
    Incident,
    PointOfContention,
    Source,
    Statement,
)
from tests import factories as f

HX = {"HX-Request": "true"}


@pytest.fixture
def world(db) -> f.World:
    return f.World()


@pytest.fixture
def second_client(second_editor) -> Client:
    c = Client()
    c.force_login(second_editor)
    return c


def statement_data(s: Statement, **changes) -> dict:
    data = {
        "actor": s.actor_id,
        "statement_type": s.statement_type,
        "leaning": s.leaning,
        "leaning_towards": s.leaning_towards_id or "",
        "text": s.text,
        "kind": s.kind,
        "issued_on": s.issued_on.isoformat(),
        "issued_precision": s.issued_precision,
        "source": s.source_id or "",
        "source_start": "" if s.source_start is None else s.source_start,
        "source_end": "" if s.source_end is None else s.source_end,
        "original_language": s.original_language,
        "original_text": s.original_text,
        "translation_note": s.translation_note,
        "version": s.version,
    }
    data.update(changes)
    return data


def incident_data(i: Incident, **changes) -> dict:
    data = {
        "conflict": i.conflict_id,
        "title": i.title,
        "date_start": i.date_start.isoformat(),
        "date_end": i.date_end.isoformat() if i.date_end else "",
        "date_precision": i.date_precision,
        "summary": i.summary,
        "version": i.version,
    }
    data.update(changes)
    return data


# --- incidents ----------------------------------------------------------------------


def test_editor_creates_a_draft_incident_and_history_records_who(editor_client, editor, world):
    place = world.conflict  # noqa: F841 (the conflict is chosen by id below)
    response = editor_client.post(
        reverse("editing:incident_create"),
        {
            "conflict": world.conflict.pk,
            "title": "Northland says a drone crossed the border",
            "date_start": "2024-04-02",
            "date_end": "2024-04-03",
            "date_precision": "day",
            "summary": "According to Northland, a drone crossed.",
            "related": [world.incident.pk],
        },
    )
    incident = Incident.objects.get(title="Northland says a drone crossed the border")
    assert response.status_code == 302
    assert response["Location"] == reverse("editing:incident_edit", args=[incident.slug])
    assert incident.status == Incident.Status.DRAFT
    assert incident.created_by == editor
    assert list(incident.related.all()) == [world.incident]
    assert incident.history.first().history_user == editor


@pytest.mark.parametrize(
    "changes, field_message",
    [
        ({"title": ""}, "This field is required"),
        ({"date_start": "2024-02-31"}, "Enter a valid date"),
        ({"date_start": "2024-04-05", "date_end": "2024-04-01"}, "end date is before the start"),
        ({"date_precision": "fortnight"}, "Select a valid choice"),
        ({"conflict": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_incident_input_is_refused_with_a_message(editor_client, world, changes, field_message):
    before = Incident.objects.count()
    data = incident_data(Incident(conflict=world.conflict, title="X", date_start=date(2024, 4, 1)))
    data.pop("version")
    data.update(changes)
    response = editor_client.post(reverse("editing:incident_create"), data)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert Incident.objects.count() == before


def test_incident_edit_htmx_returns_only_the_form(editor_client, world):
    inc = world.incident
    response = editor_client.post(
        reverse("editing:incident_edit", args=[inc.slug]),
        incident_data(inc, summary="Each side gives its own account."),
        headers=HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="incident-form"' in html
    inc.refresh_from_db()
    assert inc.summary == "Each side gives its own account."
    assert f'name="version" value="{inc.version}"' in html


def test_two_editors_saving_the_same_incident(editor_client, second_client, world):
    inc = world.incident
    opened = incident_data(inc)
    first = editor_client.post(
        reverse("editing:incident_edit", args=[inc.slug]), {**opened, "summary": "First summary."}
    )
    assert first.status_code == 302
    second = second_client.post(
        reverse("editing:incident_edit", args=[inc.slug]), {**opened, "summary": "Second summary."}
    )
    assert second.status_code == 409
    html = second.content.decode()
    assert "Someone else saved this meanwhile" in html
    assert "First summary." in html  # the other editor's version is shown
    assert "Second summary." in html  # and this editor's text is kept in the form
    inc.refresh_from_db()
    assert inc.summary == "First summary."


def test_publish_and_unpublish_an_incident(editor_client, world):
    draft = f.incident(world.conflict, "A draft", published=False)
    f.statement(draft, world.north_mod, "Northland's account.")
    f.statement(draft, world.south_mfa, "Southland's account.")
    url = reverse("editing:incident_publish", args=[draft.slug])
    response = editor_client.post(url, {"action": "publish"}, headers=HX)
    assert "<html" not in response.content.decode() and "Unpublish" in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_published and draft.published_at
    editor_client.post(url, {"action": "unpublish"})
    draft.refresh_from_db()
    assert draft.status == Incident.Status.DRAFT


# --- statements ---------------------------------------------------------------------


def test_editor_creates_a_statement_with_source_excerpt(editor_client, editor, world):
    src = f.source("Gazette", text="Intro. Southland says the patrol laid mines. Outro.")
    response = editor_client.post(
        reverse("editing:statement_create", args=[world.incident.slug]),
        {
            "actor": world.south_mfa.pk,
            "statement_type": Statement.Type.ALLEGATION,
            "leaning": "",
            "text": "the patrol laid mines",
            "kind": Statement.Kind.REPORTED,
            "issued_on": "2024-03-02",
            "issued_precision": "day",
            "source": src.pk,
            "source_start": 22,
            "source_end": 43,
            "original_language": "",
            "original_text": "",
            "translation_note": "",
        },
    )
    statement = Statement.objects.get(text="the patrol laid mines")
    assert response.status_code == 302
    assert response["Location"] == reverse("editing:statement_spans", args=[statement.pk])
    assert statement.party == world.south and statement.status == Statement.Status.DRAFT
    assert statement.created_by == editor
    assert statement.source_excerpt()[1] == "the patrol laid mines"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"actor": ""}, "Choose who made the statement"),
        ({"actor": "999999"}, "no longer exists"),
        ({"text": "   "}, "This field is required"),
        ({"issued_on": "yesterday"}, "Enter a valid date"),
        ({"leaning": "side"}, "Say which side"),
        ({"source_start": "3", "source_end": ""}, "both ends of the excerpt"),
        ({"source_start": "3", "source_end": "9"}, "needs a source"),
        ({"kind": "rumour"}, "Select a valid choice"),
    ],
)
def test_bad_statement_input(editor_client, world, changes, message):
    s = world.league_says
    before = (s.text, s.version)
    data = statement_data(s, **changes)
    if changes.get("leaning") == "side":
        data["leaning_towards"] = ""
    response = editor_client.post(reverse("editing:statement_edit", args=[s.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    s.refresh_from_db()
    assert (s.text, s.version) == before


def test_statement_excerpt_must_lie_inside_the_source(editor_client, world):
    src = f.source("Short", text="Only a few words.")
    s = world.north_says
    response = editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]),
        statement_data(s, source=src.pk, source_start=2, source_end=500),
    )
    assert response.status_code == 400
    assert "has only 17 characters" in response.content.decode()


def test_a_speaker_of_an_unknown_party_is_refused(editor_client, world):
    outsider = f.actor("Far Isles envoy", f.party("Far Isles", "far-isles"))
    s = world.north_says
    response = editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]), statement_data(s, actor=outsider.pk)
    )
    assert response.status_code == 400
    assert "neither a side nor a recorded third party" in response.content.decode()
    s.refresh_from_db()
    assert s.actor == world.north_mod


def test_two_editors_saving_the_same_statement(editor_client, second_client, world):
    s = world.north_says
    opened = statement_data(s)  # both editors opened the form at this version
    first_text = "Our patrol was repairing a bridge on our side when it was seized."
    second_text = "Our patrol was repairing a footbridge when it was seized."
    url = reverse("editing:statement_edit", args=[s.pk])
    assert editor_client.post(url, {**opened, "text": first_text}).status_code == 302
    second = second_client.post(url, {**opened, "text": second_text})
    assert second.status_code == 409
    html = second.content.decode()
    assert "Someone else saved this meanwhile" in html
    assert "eddie_editor" in html  # who saved the other version
    assert first_text in html  # the other editor's version, shown
    assert second_text in html  # this editor's words, kept in the form
    assert f'name="version" value="{s.version + 1}"' in html
    s.refresh_from_db()
    assert s.text == first_text  # the first save survives
    # Saving again is now a deliberate overwrite, from the version shown.
    again = second_client.post(url, {**opened, "text": second_text, "version": s.version})
    assert again.status_code == 302
    s.refresh_from_db()
    assert s.text == second_text


def test_statement_conflict_through_htmx_swaps_the_form(editor_client, second_client, world):
    s = world.north_says
    opened = statement_data(s)
    url = reverse("editing:statement_edit", args=[s.pk])
    editor_client.post(url, {**opened, "text": "First correction of the words."}, headers=HX)
    response = second_client.post(url, {**opened, "text": "Second correction."}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "<html" not in html and 'id="statement-form"' in html
    assert "Someone else saved this meanwhile" in html and "Second correction." in html


def test_correcting_a_statement_reanchors_its_claims_and_flags_lost_annotations(
    editor_client, world
):
    s = world.north_says  # "Our patrol was repairing a bridge when it was seized."
    claim = Claim(statement=s, point=world.point)
    claim.set_span(s.text, s.text.index("repairing a bridge"), s.text.index(" when"))
    claim.save()
    kept = Annotation(statement=s, tag="context", body="Which bridge?")
    kept.set_span(s.text, s.text.index("a bridge"), s.text.index(" when"))
    kept.save()
    lost = Annotation(statement=s, tag="loaded_language", body="'seized' is loaded")
    lost.set_span(s.text, s.text.index("seized"), len(s.text) - 1)
    lost.save()
    new_text = "Yesterday our patrol was repairing a bridge when it was taken."
    response = editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]), statement_data(s, text=new_text)
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    kept.refresh_from_db()
    lost.refresh_from_db()
    assert new_text[claim.start : claim.end] == "repairing a bridge" and not claim.needs_review
    assert new_text[kept.start : kept.end] == "a bridge" and not kept.needs_review
    assert lost.needs_review and lost.quote == "seized"  # flagged, never dropped
    assert Annotation.objects.filter(pk=lost.pk).exists()
    desk = editor_client.get(reverse("editing:index")).content.decode()
    assert "Needs review" in desk and "seized" in desk
    spans = editor_client.get(reverse("editing:statement_spans", args=[s.pk])).content.decode()
    assert "words not found after a correction" in spans


def test_shortening_a_statement_keeps_lost_spans_inside_the_text(editor_client, world):
    s = world.north_says
    a = Annotation(statement=s, tag="context", body="Where?")
    a.set_span(s.text, s.text.index("seized"), len(s.text) - 1)
    a.save()
    response = editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]), statement_data(s, text="Our patrol.")
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.needs_review and a.end <= len("Our patrol.")


def test_actor_autocomplete_and_inline_creation(editor_client, world):
    url = reverse("editing:actor_search", args=[world.incident.slug])
    html = editor_client.get(url, {"actor_q": "ministry"}, headers=HX).content.decode()
    assert "<html" not in html
    assert "Northland Defence Ministry" in html and "Southland Foreign Ministry" in html
    assert "League spokesperson" not in html
    outsider = f.actor("Far envoy", f.party("Far Isles", "far-isles"))
    assert (
        outsider.name
        not in editor_client.get(url, {"actor_q": "envoy"}, headers=HX).content.decode()
    )

    create = reverse("editing:actor_create", args=[world.incident.slug])
    response = editor_client.post(
        create,
        {
            "new_actor-name": "Northland President",
            "new_actor-kind": "person",
            "new_actor-party": world.north.pk,
            "new_actor-role": "Head of state",
        },
        headers=HX,
    )
    actor = Actor.objects.get(name="Northland President")
    assert f'value="{actor.pk}" checked' in response.content.decode()
    # A duplicate, or a party the conflict does not know, is refused.
    dup = editor_client.post(
        create,
        {
            "new_actor-name": "northland president",
            "new_actor-kind": "person",
            "new_actor-party": world.north.pk,
        },
        headers=HX,
    )
    assert "already exists" in dup.content.decode()
    foreign = editor_client.post(
        create,
        {
            "new_actor-name": "Someone",
            "new_actor-kind": "person",
            "new_actor-party": outsider.party_id,
        },
    )
    assert foreign.status_code == 302
    assert Actor.objects.filter(name__iexact="northland president").count() == 1
    assert not Actor.objects.filter(name="Someone").exists()


def test_inline_actor_creation_without_javascript_keeps_the_typed_statement(editor_client, world):
    response = editor_client.post(
        reverse("editing:actor_create", args=[world.incident.slug]),
        {
            "new_actor-name": "Southland Army",
            "new_actor-kind": "body",
            "new_actor-party": world.south.pk,
            "text": "We saw nobody.",
            "kind": "direct",
            "back": reverse("editing:statement_create", args=[world.incident.slug]),
        },
    )
    actor = Actor.objects.get(name="Southland Army")
    assert response.status_code == 302
    page = editor_client.get(response["Location"]).content.decode()
    assert "We saw nobody." in page and f'value="{actor.pk}" checked' in page


def test_publish_unpublish_and_withdraw_a_statement(editor_client, client, world):
    s = f.statement(world.incident, world.north_mod, "Northland regrets nothing.", published=False)
    publish = reverse("editing:statement_publish", args=[s.pk])
    response = editor_client.post(publish, {"action": "publish"}, headers=HX)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    # No client event: nothing on the page listens for one (the fragment is the update).
    assert "HX-Trigger" not in response
    s.refresh_from_db()
    assert s.status == Statement.Status.PUBLISHED
    # Public now: unpublishing would silently remove it, so it is refused.
    refused = editor_client.post(publish, {"action": "unpublish"})
    assert refused.status_code == 302
    refused_hx = editor_client.post(publish, {"action": "unpublish"}, headers=HX)
    assert "withdraw it with a reason instead" in refused_hx.content.decode()
    s.refresh_from_db()
    assert s.status == Statement.Status.PUBLISHED
    withdraw = reverse("editing:statement_withdraw", args=[s.pk])
    empty = editor_client.post(withdraw, {"reason": "   "})
    assert empty.status_code == 400 and "Give the reason" in empty.content.decode()
    s.refresh_from_db()
    assert s.status == Statement.Status.PUBLISHED
    editor_client.post(withdraw, {"reason": "Northland retracted it the next day."})
    s.refresh_from_db()
    assert s.status == Statement.Status.WITHDRAWN
    assert s.withdrawn_reason == "Northland retracted it the next day."
    assert Statement.objects.publicly_visible().filter(pk=s.pk).exists()
    public = client.get(s.get_absolute_url())
    assert public.status_code == 200
    assert "Northland retracted it the next day." in public.content.decode()


def test_a_draft_incidents_statement_can_go_back_to_draft(editor_client, world):
    draft = f.incident(world.conflict, "Draft incident", published=False)
    s = f.statement(draft, world.north_mod, "Words.", published=True)
    editor_client.post(reverse("editing:statement_publish", args=[s.pk]), {"action": "unpublish"})
    s.refresh_from_db()
    assert s.status == Statement.Status.DRAFT and s.published_at is None


# --- sources and points -------------------------------------------------------------


def test_source_hash_is_computed_and_offsets_are_protected(editor_client, world):
    response = editor_client.post(
        reverse("editing:source_create"),
        {
            "title": "Gazette",
            "publisher": "Harbour Gazette",
            "url": "https://example.org/a",
            "published_on": "2024-03-02",
            "kind": "news",
            "language": "en",
            "archived_text": "Our patrol was repairing a bridge when it was seized. More.",
        },
    )
    src = Source.objects.get(title="Gazette")
    assert response.status_code == 302
    import hashlib

    assert src.sha256 == hashlib.sha256(src.archived_text.encode()).hexdigest()
    s = world.north_says
    s.source, s.source_start, s.source_end = src, 0, 52
    s.save()
    cut = editor_client.post(
        reverse("editing:source_edit", args=[src.pk]),
        {
            "title": "Gazette",
            "kind": "news",
            "language": "en",
            "archived_text": "Short.",
            "version": src.version,
        },
    )
    assert cut.status_code == 400 and "point beyond the end" in cut.content.decode()
    src.refresh_from_db()
    assert src.archived_text.startswith("Our patrol")
    bad_url = editor_client.post(
        reverse("editing:source_create"),
        {"title": "X", "kind": "news", "language": "en", "url": "not a url"},
    )
    assert bad_url.status_code == 400 and not Source.objects.filter(title="X").exists()


def test_points_add_rename_reorder(editor_client, second_client, world):
    inc = world.incident
    editor_client.post(
        reverse("editing:point_create", args=[inc.slug]), {"new-label": "Who is responsible?"}
    )
    response = editor_client.post(
        reverse("editing:point_create", args=[inc.slug]),
        {"new-label": "Where was it?"},
        headers=HX,
    )
    html = response.content.decode()
    assert "<html" not in html and 'id="points"' in html
    assert "HX-Trigger" not in response
    labels = list(inc.points.values_list("label", flat=True))
    assert labels == ["What were the patrol doing?", "Who is responsible?", "Where was it?"]
    last = inc.points.get(label="Where was it?")
    editor_client.post(reverse("editing:point_move", args=[last.pk]), {"direction": "up"})
    assert list(inc.points.values_list("label", flat=True))[1] == "Where was it?"
    assert (
        editor_client.post(
            reverse("editing:point_move", args=[last.pk]), {"direction": "sideways"}
        ).status_code
        == 400
    )
    p = world.point
    p.refresh_from_db()
    opened = p.version
    rename = reverse("editing:point_edit", args=[p.pk])
    editor_client.post(
        rename, {f"p{p.pk}-label": "What was the patrol doing?", f"p{p.pk}-version": opened}
    )
    stale = second_client.post(
        rename, {f"p{p.pk}-label": "What happened?", f"p{p.pk}-version": opened}
    )
    assert stale.status_code == 409
    assert "renamed this point to “What was the patrol doing?”" in stale.content.decode()
    p.refresh_from_db()
    assert p.label == "What was the patrol doing?"
    empty = editor_client.post(reverse("editing:point_create", args=[inc.slug]), {"new-label": " "})
    assert empty.status_code == 400
    assert PointOfContention.objects.filter(incident=inc).count() == 3


# --- claims, annotations and relations ----------------------------------------------


def test_assigning_selected_words_to_a_point_updates_the_grid(editor_client, world):
    s = world.south_says  # "An armed group crossed the river to lay mines."
    start = s.text.index("to lay mines")
    response = editor_client.post(
        reverse("editing:claim_create", args=[s.pk]),
        {
            "span_start": start,
            "span_end": start + len("to lay mines"),
            "span_quote": "to lay mines",
            "point": world.point.pk,
        },
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="span-workspace"' in html and 'id="points-grid"' in html
    assert "HX-Trigger" not in response
    claim = Claim.objects.get(statement=s)
    assert (claim.quote, claim.point) == ("to lay mines", world.point)
    # the grid cell of Southland now holds the words
    grid = html[html.index('id="points-grid"') :]
    assert "to lay mines" in grid


def test_typed_words_work_without_a_selection(editor_client, world):
    s = world.north_says
    response = editor_client.post(
        reverse("editing:annotation_create", args=[s.pk]),
        {
            "span_quote": "repairing a bridge",
            "tag": "disputed",
            "body": "Southland says the patrol laid mines.",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    a = Annotation.objects.get(statement=s)
    assert s.text[a.start : a.end] == "repairing a bridge"
    assert a.visibility == "public"


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"span_quote": "words that are not there", "tag": "disputed", "body": "x"},
            "not in the statement",
        ),
        ({"tag": "disputed", "body": "x"}, "Select the words"),
        ({"span_start": "0", "span_end": "500", "tag": "context"}, "Select the words"),
        ({"span_quote": "patrol", "tag": "gossip", "body": "x"}, "Select a valid choice"),
        ({"span_quote": "patrol", "tag": "disputed", "body": ""}, "Write a note"),
        ({"span_quote": "patrol", "tag": "context", "evidence": "99999"}, "Select a valid choice"),
    ],
)
def test_bad_annotation_input(editor_client, world, data, message):
    s = world.north_says
    data.setdefault("visibility", "internal")
    response = editor_client.post(reverse("editing:annotation_create", args=[s.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Annotation.objects.exists()


def test_bad_claim_input(editor_client, world):
    other = f.incident(world.conflict, "Other incident")
    foreign_point = f.point(other, "Elsewhere?")
    s = world.north_says
    for data in (
        {"span_quote": "patrol", "point": foreign_point.pk},
        {"span_quote": "patrol", "point": ""},
        {"span_quote": "patrol", "point": world.point.pk, "figure": "six"},
    ):
        response = editor_client.post(
            reverse("editing:claim_create", args=[s.pk]), data, headers=HX
        )
        assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not Claim.objects.exists()


def test_editors_edit_and_delete_annotations(editor_client, second_client, world):
    s = world.north_says
    a = Annotation(statement=s, tag="disputed", body="First note.", visibility="internal")
    a.set_span(s.text, 4, 10)
    a.save()
    url = reverse("editing:annotation_edit", args=[a.pk])
    opened = {
        "tag": "disputed",
        "visibility": "internal",
        "version": a.version,
        "span_quote": a.quote,
    }
    ok = editor_client.post(url, {**opened, "body": "Edited by the first editor."}, headers=HX)
    assert ok.status_code == 200 and "<html" not in ok.content.decode()
    stale = second_client.post(url, {**opened, "body": "Edited by the second editor."})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Edited by the first editor." in html and "Edited by the second editor." in html
    a.refresh_from_db()
    assert a.body == "Edited by the first editor."
    # Move the annotation to other words.
    editor_client.post(
        url, {**opened, "version": a.version, "body": "Moved.", "span_quote": "bridge"}
    )
    a.refresh_from_db()
    assert a.quote == "bridge" and s.text[a.start : a.end] == "bridge"
    response = editor_client.post(reverse("editing:annotation_delete", args=[a.pk]), headers=HX)
    assert response.status_code == 200 and "No annotations yet" in response.content.decode()
    assert not Annotation.objects.filter(pk=a.pk).exists()
    assert Annotation.history.filter(id=a.pk, history_type="-").exists()


def test_claim_relations(editor_client, world):
    north = Claim(statement=world.north_says, point=world.point)
    north.set_span(world.north_says.text, 4, 10)
    north.save()
    south = Claim(statement=world.south_says, point=world.point)
    south.set_span(world.south_says.text, 3, 14)
    south.save()
    url = reverse("editing:relation_create", args=[north.pk])
    data = {f"rel{north.pk}-kind": "contradicts", f"rel{north.pk}-to_claim": south.pk}
    response = editor_client.post(url, data, headers=HX)
    grid = response.content.decode().split('id="points-grid"')[1]
    assert "→ contradicts Southland Foreign Ministry" in grid  # the grid shows it
    assert "HX-Trigger" not in response
    relation = ClaimRelation.objects.get()
    assert (relation.from_claim, relation.to_claim, relation.kind) == (north, south, "contradicts")
    again = editor_client.post(url, data)
    assert again.status_code == 400 and "already recorded" in again.content.decode()
    to_self = editor_client.post(
        url, {f"rel{north.pk}-kind": "denies", f"rel{north.pk}-to_claim": north.pk}
    )
    assert to_self.status_code == 400
    assert ClaimRelation.objects.count() == 1
    editor_client.post(reverse("editing:relation_delete", args=[relation.pk]))
    assert not ClaimRelation.objects.exists()


def test_statement_tools_render_nothing_without_can_edit(rf, world, editor):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = editor
    html = render_to_string(
        "editing/_statement_tools.html", {"statement": world.north_says}, request=request
    )
    assert html.strip() == ""
    html = render_to_string(
        "editing/_statement_tools.html",
        {"statement": world.north_says, "can_edit": True},
        request=request,
    )
    assert reverse("editing:statement_edit", args=[world.north_says.pk]) in html


def test_workspace_fragment_and_full_page(editor_client, world):
    s = world.north_says
    a = Annotation(
        statement=s, tag="disputed", body="Southland disputes it.", visibility="internal"
    )
    a.set_span(s.text, s.text.index("bridge"), s.text.index("bridge") + 6)
    a.save()
    url = reverse("editing:statement_spans", args=[s.pk])
    fragment = editor_client.get(url, headers=HX).content.decode()
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="span-workspace"')
    page = editor_client.get(url).content.decode()
    assert "<html" in page and 'id="span-workspace"' in page
    # The text element holds exactly the statement's text (selection.js counts in it).
    import re

    inner = re.search(r'data-span-text="\d+"[^>]*>(.*?)</blockquote>', page, re.S)[1]
    assert re.sub(r"<[^>]+>", "", inner) == s.text
    assert '<mark class="hl hl-disputed hl-internal"' in inner
    assert f'aria-describedby="annotation-{a.pk} "' in inner


def test_choice_lists_stay_short_as_the_data_grows(editor_client, world):
    from editing.forms import RECENT_CHOICES

    used = f.source("The incident's own source")
    s = world.north_says
    s.source = used
    s.save()
    Source.objects.bulk_create(
        Source(title=f"Unrelated source {n}", archived_text="x") for n in range(RECENT_CHOICES + 20)
    )
    for n in range(5):
        f.incident(world.conflict, f"Years later {n}", date_start=date(2030, 1, 1 + n))
    html = editor_client.get(reverse("editing:statement_edit", args=[s.pk])).content.decode()
    source_select = html.split('name="source"')[1].split("</select>")[0]
    assert source_select.count("<option") <= RECENT_CHOICES + 2  # + the blank and its own
    assert "The incident&#x27;s own source" in source_select
    page = editor_client.get(reverse("editing:incident_edit", args=[world.incident.slug]))
    assert "Years later" not in page.content.decode()  # outside the two-year window


def test_no_conflict_message_on_an_ordinary_form(editor_client, world):
    # Incident has a field named "conflict" (the armed conflict): the concurrency
    # message must not mistake it for an editing conflict.
    html = editor_client.get(reverse("editing:incident_edit", args=[world.incident.slug]))
    assert "Someone else saved this meanwhile" not in html.content.decode()


def test_claims_are_removed_from_their_point(editor_client, world):
    claim = Claim(statement=world.north_says, point=world.point)
    claim.set_span(world.north_says.text, 0, 10)
    claim.save()
    response = editor_client.post(reverse("editing:claim_delete", args=[claim.pk]), headers=HX)
    assert response.status_code == 200 and "No claims yet" in response.content.decode()
    assert "HX-Trigger" not in response
    assert not Claim.objects.exists()
    assert Claim.history.filter(id=claim.pk, history_type="-").exists()


def test_withdraw_from_a_statement_card_through_htmx(editor_client, world):
    s = world.north_says
    url = reverse("editing:statement_withdraw", args=[s.pk])
    empty = editor_client.post(url, {"reason": ""}, headers=HX)
    html = empty.content.decode()
    assert empty.status_code == 200 and "<html" not in html
    assert f'id="statement-{s.pk}-tools"' in html and "Give the reason" in html
    done = editor_client.post(url, {"reason": "Superseded by a fuller statement."}, headers=HX)
    assert "Withdrawn: Superseded by a fuller statement." in done.content.decode()
    s.refresh_from_db()
    assert s.status == Statement.Status.WITHDRAWN
    # Publishing again clears the withdrawal.
    editor_client.post(reverse("editing:statement_publish", args=[s.pk]), {"action": "publish"})
    s.refresh_from_db()
    assert s.status == Statement.Status.PUBLISHED and s.withdrawn_reason == ""


def test_editing_a_note_keeps_the_span_when_the_words_occur_twice(editor_client, world):
    s = f.statement(world.incident, world.north_mod, "The bridge was old. We repaired the bridge.")
    second = s.text.rindex("the bridge")
    a = Annotation(statement=s, tag="context", body="Which bridge?")
    a.set_span(s.text, second, second + len("the bridge"))
    a.save()
    editor_client.post(
        reverse("editing:annotation_edit", args=[a.pk]),
        {
            "tag": "context",
            "visibility": "internal",
            "body": "The same bridge?",
            "span_quote": "the bridge",
            "version": a.version,
        },
    )
    a.refresh_from_db()
    assert (a.body, a.start) == ("The same bridge?", second)


def test_claims_are_edited_and_flagged_ones_fixed(editor_client, second_client, world):
    s = world.north_says
    other_point = f.point(world.incident, "Where was it?", order=1)
    claim = Claim(statement=s, point=world.point)
    claim.set_span(s.text, 0, 10)
    claim.save()
    # A correction removed the words: flagged.
    editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]),
        statement_data(s, text="A patrol was repairing a bridge when it was seized."),
    )
    claim.refresh_from_db()
    s.refresh_from_db()
    assert claim.needs_review
    url = reverse("editing:claim_edit", args=[claim.pk])
    page = editor_client.get(url).content.decode()
    assert "Needs review" in page
    opened = {"point": other_point.pk, "version": claim.version, "span_quote": "A patrol"}
    response = editor_client.post(url, opened, headers=HX)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "HX-Trigger" not in response
    claim.refresh_from_db()
    assert (claim.point, claim.quote, claim.needs_review) == (other_point, "A patrol", False)
    stale = second_client.post(url, {**opened, "point": world.point.pk})
    assert (
        stale.status_code == 409 and "Someone else saved this meanwhile" in stale.content.decode()
    )
    claim.refresh_from_db()
    assert claim.point == other_point


def test_speaker_search_without_javascript_keeps_the_form(editor_client, world):
    url = reverse("editing:statement_create", args=[world.incident.slug])
    html = editor_client.get(
        url, {"actor_q": "league", "text": "Half-typed words.", "kind": "direct"}
    ).content.decode()
    assert "League spokesperson" in html and 'name="actor"' in html
    assert "Half-typed words." in html
    # The htmx endpoint asked for directly (no htmx) sends the editor to that page.
    direct = editor_client.get(
        reverse("editing:actor_search", args=[world.incident.slug]), {"actor_q": "league"}
    )
    assert direct.status_code == 302 and direct["Location"].startswith(url)


def test_the_excerpt_position_is_found_in_the_source(editor_client, world):
    src = f.source(
        "Gazette", text="Earlier text. Our patrol was repairing a bridge when it was seized."
    )
    s = world.north_says
    response = editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]), statement_data(s, source=src.pk)
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.source_start, s.source_end) == (14, 14 + len(s.text))
    assert s.quote_verified is True
    s2 = world.south_says
    editor_client.post(
        reverse("editing:statement_edit", args=[s2.pk]), statement_data(s2, source=src.pk)
    )
    s2.refresh_from_db()
    assert s2.source_start is None and s2.quote_verified is False  # not in that source


def test_span_forms_inside_a_public_statement_card(editor_client, world):
    s = world.north_says
    url = reverse("editing:statement_spans", args=[s.pk]) + "?part=forms"
    card_page = f"http://testserver{s.get_absolute_url()}"
    html = editor_client.get(url, headers={**HX, "HX-Current-URL": card_page}).content.decode()
    assert "<html" not in html and f'id="statement-{s.pk}-span-forms"' in html
    assert "hx-post" not in html  # plain posts that come back to the card's page
    # Back to the card, on the page it is on.
    assert f'name="next" value="{s.get_absolute_url()}#statement-{s.pk}"' in html
    assert f'id="statement-{s.pk}-annotate-span_quote"' in html
    assert f'id="statement-{s.pk}-assign-span_quote"' in html
    # In a comparison page's card (?card=claim-N), ids and the way back follow that card.
    comparison = f"http://testserver{s.incident.get_absolute_url()}?card=claim-7"
    html = editor_client.get(
        url + "&card=claim-7", headers={**HX, "HX-Current-URL": comparison}
    ).content.decode()
    assert f'name="next" value="{s.incident.get_absolute_url()}?card=claim-7#claim-7"' in html
    assert 'id="claim-7-annotate-span_quote"' in html and 'id="claim-7-span-forms"' in html
    response = editor_client.post(
        reverse("editing:annotation_create", args=[s.pk]),
        {
            "span_quote": "a bridge",
            "tag": "context",
            "body": "Which one?",
            "visibility": "internal",
            "next": s.get_absolute_url(),
        },
    )
    assert response.status_code == 302 and response["Location"] == s.get_absolute_url()
    evil = editor_client.post(
        reverse("editing:claim_create", args=[s.pk]),
        {"span_quote": "patrol", "point": world.point.pk, "next": "https://evil.example/"},
    )
    assert "evil.example" not in evil["Location"]


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_the_data(editor_client, world):
    s = world.north_says
    spans = reverse("editing:statement_spans", args=[s.pk])
    desk = reverse("editing:index")

    def add(n: int) -> None:
        for i in range(n):
            a = Annotation(statement=s, tag="context", body=f"Note {i}")
            a.set_span(s.text, i % 10, 20 + i % 10)
            a.save()
            c = Claim(statement=s, point=world.point)
            c.set_span(s.text, i % 10, 30 + i % 10)
            c.save()
            f.incident(world.conflict, f"Draft {i}", published=False)
            f.statement(world.incident, world.south_mfa, f"Draft words {i}", published=False)

    add(2)
    few = (_queries(editor_client, spans), _queries(editor_client, desk))
    add(20)
    many = (_queries(editor_client, spans), _queries(editor_client, desk))
    assert few == many


def test_only_published_statements_are_withdrawn(editor_client, world):
    draft = f.statement(world.incident, world.north_mod, "Not yet public.", published=False)
    response = editor_client.post(
        reverse("editing:statement_withdraw", args=[draft.pk]), {"reason": "Changed our mind."}
    )
    assert response.status_code == 400
    assert "Only a published statement can be withdrawn" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Statement.Status.DRAFT
