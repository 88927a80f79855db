"""PostgreSQL's limits are input errors, not server errors: NUL characters, control
characters, texts beyond the documented limits, invisible-only statements, a slug
taken at the same moment, an oversized bulk upload, a lost deadlock, a frozen
database. (tests/contracts/test_fuzz.py throws generated text at the same forms.)"""

from __future__ import annotations

import threading
import time
import xml.dom.minidom
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, OperationalError, connections
from django.test import RequestFactory
from django.urls import reverse

from core.middleware import DatabaseUnavailableMiddleware
from incidents.models import Actor, Incident, Statement
from ops.bench import servers
from tests import factories as f
from tests.editing.test_editing import incident_data, statement_data

POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


@pytest.fixture
def world(db) -> f.World:
    return f.World()


# --- NUL characters in parameters ------------------------------------------------------


def test_a_nul_in_a_query_string_is_a_400_everywhere(client, editor_client, world):
    feed = client.get(reverse("api:incident_feed"), {"conflict": "\x00"})
    assert feed.status_code == 400
    assert b"NUL" in feed.content
    search = reverse("editing:actor_search", args=[world.incident.slug])
    answer = editor_client.get(search, {"actor_q": "a\x00b"}, headers={"HX-Request": "true"})
    assert answer.status_code == 400
    assert client.get(reverse("incidents:list"), {"q\x00": "x"}).status_code == 400
    # A form post with a NUL in any field: refused before the view, nothing saved.
    before = world.north_says.version
    response = editor_client.post(
        reverse("editing:statement_edit", args=[world.north_says.pk]),
        statement_data(world.north_says, translation_note="a\x00b"),
    )
    assert response.status_code == 400
    assert Statement.objects.get(pk=world.north_says.pk).version == before


# --- texts: control characters, limits, nothing visible ------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Words\x01 with a control character.", "control character (U+0001)"),
        ("\u200e\u200e \u200b", "no visible character"),
        ("x" * (20_000 + 1), "the limit is 20,000"),
    ],
)
def test_statement_texts_that_cannot_be_stored_or_shown_are_refused(
    editor_client, world, text, message
):
    s = world.north_says
    response = editor_client.post(
        reverse("editing:statement_edit", args=[s.pk]), statement_data(s, text=text)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Statement.objects.get(pk=s.pk).text == s.text


def test_a_note_beyond_its_limit_is_refused(editor_client, world):
    s = world.north_says
    data = {
        "span_quote": "repairing a bridge",
        "tag": "context",
        "body": "n" * (settings.NOTE_MAX_CHARS + 1),
        "visibility": "internal",
    }
    response = editor_client.post(reverse("editing:annotation_create", args=[s.pk]), data)
    assert response.status_code == 400
    assert f"the limit is {settings.NOTE_MAX_CHARS:,}" in response.content.decode()
    assert not s.annotations.exists()


def test_a_summary_with_a_control_character_is_refused_and_the_feed_survives_old_ones(
    client, editor_client, world
):
    inc = world.incident
    response = editor_client.post(
        reverse("editing:incident_edit", args=[inc.slug]),
        incident_data(inc, summary="Shots\x01 were heard."),
    )
    assert response.status_code == 400
    # One saved before the check (or loaded from elsewhere) is dropped on output:
    # the feed stays well-formed XML for everyone.
    Incident.objects.filter(pk=inc.pk).update(summary="Shots\x01 were\x0b heard.")
    feed = client.get(reverse("api:incident_feed"))
    assert feed.status_code == 200
    xml.dom.minidom.parseString(feed.content)  # noqa: S318 (our own answer)
    assert b"Shots were heard." in feed.content


def test_the_source_archived_text_keeps_control_characters_but_not_nul(editor_client, world):
    data = {"title": "Capture", "kind": "news", "language": "en", "archived_text": "A\x0cB"}
    assert editor_client.post(reverse("editing:source_create"), data).status_code == 302
    data["archived_text"] = "A\x00B"
    assert editor_client.post(reverse("editing:source_create"), data).status_code == 400


# --- the same slug at the same moment ----------------------------------------------------


def test_a_slug_taken_between_the_check_and_the_insert_moves_to_the_next(world, monkeypatch):
    """The race, replayed: both creators found the slug free; the second insert hits
    the unique index and is retried with the next slug."""
    from incidents import models

    first = Actor.objects.create(name="Spokesperson", party=world.north)
    real = models.unique_slug
    calls: list[str] = []

    def stale_then_real(model: Any, text: str, max_length: int = 180) -> str:
        calls.append(text)
        return first.slug if len(calls) == 1 else real(model, text, max_length)

    monkeypatch.setattr(models, "unique_slug", stale_then_real)
    second = Actor.objects.create(name="Spokesperson", party=world.south)
    assert (first.slug, second.slug) == ("spokesperson", "spokesperson-2")
    assert len(calls) == 2


@pytest.mark.skipif(not POSTGRES, reason="concurrent connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_speaker_and_incident_created_at_once_both_save():
    w = f.World()
    for round_ in range(8):
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def create(
            kind: str, n: int = round_, barrier: Any = barrier, errors: list[Any] = errors
        ) -> None:
            try:
                barrier.wait(timeout=30)
                if kind == "actor":
                    Actor.objects.create(name=f"Ministry spokesperson {n}", party=w.north)
                else:
                    Incident.objects.create(
                        conflict=w.conflict, title=f"Shelling {n}", date_start=w.incident.date_start
                    )
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=create, args=(k,)) for k in ["actor"] * 2 + ["i"] * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert Actor.objects.filter(name=f"Ministry spokesperson {round_}").count() == 2
        assert Incident.objects.filter(title=f"Shelling {round_}").count() == 2


# --- the bulk upload -------------------------------------------------------------------


def test_a_bulk_upload_over_the_limit_is_refused(editor_client, settings):
    settings.IMPORT_BULK_MAX_BYTES = 100_000
    files = [SimpleUploadedFile(f"a{i}.txt", b"word " * 12_000) for i in range(3)]
    response = editor_client.post(reverse("imports:bulk"), {"articles": files})
    assert response.status_code == 413
    assert "the limit is 0 MB" not in response.content.decode()
    assert "Upload the files in parts" in response.content.decode()
    # Under the request cap but over it in total once counted file by file.
    settings.IMPORT_BULK_MAX_BYTES = 150_000
    files = [SimpleUploadedFile(f"b{i}.txt", b"word " * 12_000) for i in range(3)]
    response = editor_client.post(reverse("imports:bulk"), {"articles": files})
    assert response.status_code == 400
    assert "Upload them in parts" in response.content.decode()


# --- what the database refuses, sorted ---------------------------------------------------


class _Cause(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _raised(exc_class: type[Exception], sqlstate: str) -> Exception:
    try:
        raise exc_class("refused") from _Cause(sqlstate)
    except exc_class as exc:
        return exc


def test_deadlocks_and_bad_input_are_not_an_outage():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().post("/edit/statements/1/")
    deadlock = middleware.process_exception(request, _raised(OperationalError, "40P01"))
    assert deadlock is not None and deadlock.status_code == 409
    too_long = middleware.process_exception(request, _raised(OperationalError, "54000"))
    assert too_long is not None and too_long.status_code == 400
    bad = middleware.process_exception(request, _raised(DataError, "22021"))
    assert bad is not None and bad.status_code == 400
    down = middleware.process_exception(request, _raised(OperationalError, "08006"))
    assert down is not None and down.status_code == 503


def test_a_deadlock_is_retried():
    from core.db import retrying

    attempts: list[int] = []

    def work() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise _raised(OperationalError, "40P01")
        return "done"

    assert retrying(work) == "done"
    assert len(attempts) == 3


# --- a frozen database ----------------------------------------------------------------------


def test_a_frozen_database_answers_503_within_seconds_and_recovers():
    """SIGSTOP on every process of a throwaway PostgreSQL: connections stay open and
    nothing answers, so the server's own statement timeout cannot fire."""
    with servers.ThrowawayPostgres() as pg:
        env = servers.server_env(
            pg.url,
            BENCH_URLCONF="ops.bench.probe_urls",
            DATABASE_STALL_SECONDS="2",
            DATABASE_CONNECT_TIMEOUT="2",
        )
        with servers.gunicorn(env) as base:
            url = base + "/__bench__/database/"
            assert servers.fetch(url).status == 200
            pg.freeze()
            try:
                for _ in range(2):  # the open connection, then a new one
                    started = time.monotonic()
                    frozen = servers.fetch(url, timeout=30)
                    took = time.monotonic() - started
                    assert frozen.status == 503
                    assert took < 5, took
            finally:
                pg.thaw()
            assert servers.fetch(url).status == 200


def test_an_htmx_client_gets_a_short_plain_answer(editor_client, world):
    """What parallax.js shows an editor when an htmx save is refused (see also
    tests/browser/test_browser_safety.py)."""
    response = editor_client.get(
        reverse("editing:actor_search", args=[world.incident.slug]),
        {"actor_q": "\x00"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert len(response.content) < 500


def test_the_stall_watch_is_one_thread_that_cuts_late_requests_only():
    """core.middleware._StallWatch: requests register with one watchdog thread per
    process (no thread per request); one past its deadline is cut, the others not."""
    from core.middleware import _StallWatch

    with _StallWatch(30) as first:
        pass
    threads = threading.active_count()
    for _ in range(20):
        with _StallWatch(30) as quick:
            pass
    assert threading.active_count() == threads
    assert not first.fired and not quick.fired
    with _StallWatch(0.2) as slow:
        time.sleep(0.2 + 3 * _StallWatch.TICK)
    assert slow.fired
