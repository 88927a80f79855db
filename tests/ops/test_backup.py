"""Backup and restore: the demo plus generated data plus edit history, users and
groups survive a round trip through `backup` and `restore` exactly."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import Counter
from datetime import date

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from incidents.models import Annotation, Incident, Source, Statement
from ops.backup_format import backed_up_models
from tests.factories import World, source


def snapshot() -> dict[str, list[str]]:
    """Every row of every backed-up model, serialised with natural keys (so rows
    whose primary key is a natural key compare by content), sorted."""
    rows: dict[str, list[str]] = {}
    for model in backed_up_models():
        data = serializers.serialize(
            "python",
            model._default_manager.order_by("pk"),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        rows[model._meta.label] = sorted(json.dumps(d, sort_keys=True, default=str) for d in data)
    return rows


def source_hashes() -> dict[int, tuple[str, str]]:
    return {
        pk: (digest, hashlib.sha256(text.encode()).hexdigest())
        for pk, text, digest in Source.objects.values_list("pk", "archived_text", "sha256")
    }


def build_content(editor) -> None:
    call_command("load_demo", verbosity=0)
    w = World()
    archived = "Officials said: An armed group crossed the river to lay mines. End."
    src = source("Southland news agency", archived, url="https://example.org/south")
    s = Statement.objects.get(pk=w.south_says.pk)
    s.source, s.source_start, s.source_end = src, 16, 62
    s.text = "An armed group crossed the river to lay mines!"
    s.save_versioned(s.version)
    note = Annotation(statement=s, tag="disputed", body="Not confirmed", author=editor)
    note.set_span(s.text, 3, 14)
    note.save()
    w.incident.unpublish(by=editor)
    w.incident.publish(by=editor)
    call_command(
        "generate_data",
        incidents=12,
        statements=150,
        annotations=60,
        actors=40,
        no_progress=True,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_everything(tmp_path, editor, analyst):
    build_content(editor)
    before = snapshot()
    hashes = source_hashes()
    # The round trip must carry real volume: demo, generated data and history.
    assert Incident.objects.filter(is_synthetic=True).count() == 12
    assert Incident.history.count() > 0 and Statement.history.count() > 0
    assert len(before["accounts.User"]) == 2

    backup = tmp_path / "parallax.jsonl.gz"
    call_command("backup", str(backup), verbosity=0)
    assert backup.read_bytes()[:2] == b"\x1f\x8b"  # gzip

    # Into an empty database: everything deleted (the role groups are made again by
    # the post_migrate receiver; restore replaces them with the backup's own).
    call_command("flush", interactive=False, verbosity=0)
    assert not Incident.objects.exists()

    call_command("restore", str(backup), stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = snapshot()
    assert Counter({k: len(v) for k, v in after.items()}) == Counter(
        {k: len(v) for k, v in before.items()}
    )
    for label in before:
        assert after[label] == before[label], label
    assert source_hashes() == hashes
    assert all(stored == computed for stored, computed in hashes.values())
    # Users can still sign in with their passwords, with their roles.
    from accounts.models import User

    restored = User.objects.get(username=editor.username)
    assert restored.check_password(f"{editor.username}-pass-123!")
    assert restored.is_editor


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_content(tmp_path):
    World()
    backup = tmp_path / "b.jsonl.gz"
    call_command("backup", str(backup), verbosity=0)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup))
    # --force replaces the content with the backup's.
    Incident.objects.create(
        conflict=Incident.objects.first().conflict, title="Added later", date_start=date(2024, 5, 1)
    )
    call_command("restore", str(backup), force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Incident.objects.filter(title="Added later").exists()
    assert Incident.objects.count() == 1


def rewrite(path, change) -> None:
    """Apply `change(row_dict)` to every row line and write the file back with a
    correct checksum: a backup altered by someone who knew the format."""
    lines = [json.loads(raw) for raw in gzip.decompress(path.read_bytes()).splitlines()]
    digest = hashlib.sha256()
    out = []
    for obj in lines:
        if obj.get("end"):
            obj["sha256"] = digest.hexdigest()
            out.append(json.dumps(obj).encode())
            continue
        if "t" in obj:
            change(obj)
        data = json.dumps(obj, ensure_ascii=False).encode()
        digest.update(data + b"\n")
        out.append(data)
    path.write_bytes(gzip.compress(b"\n".join(out) + b"\n"))


@pytest.mark.django_db(transaction=True)
def test_restore_rejects_a_tampered_source(tmp_path):
    World()
    source("Archived", "The original words.", url="https://example.org/a")
    backup = tmp_path / "b.jsonl.gz"
    call_command("backup", str(backup), verbosity=0)

    def tamper(obj):
        if obj["t"] == "incidents.source":
            obj["r"]["archived_text"] = "Words changed after capture."

    rewrite(backup, tamper)
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("restore", str(backup))
    # Nothing half-restored.
    assert not Incident.objects.exists()


def damaged_copies(backup, tmp_path) -> dict[str, tuple[object, str]]:
    data = backup.read_bytes()
    raw = gzip.decompress(data)
    truncated_gzip = tmp_path / "truncated.jsonl.gz"
    truncated_gzip.write_bytes(data[: len(data) // 2])
    # Complete gzip, but the writer stopped before the end marker.
    cut_lines = tmp_path / "cut.jsonl.gz"
    cut_lines.write_bytes(gzip.compress(b"\n".join(raw.splitlines()[:-3]) + b"\n"))
    flipped = tmp_path / "flipped.jsonl.gz"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    edited = tmp_path / "edited.jsonl.gz"
    edited.write_bytes(gzip.compress(raw.replace(b"Patrol stopped", b"Patrol halted", 1)))
    garbage = tmp_path / "garbage.jsonl.gz"
    garbage.write_bytes(b"not a backup at all")
    return {
        "truncated gzip": (truncated_gzip, "truncated or damaged"),
        "missing end marker": (cut_lines, "end marker is missing"),
        "flipped byte": (flipped, "truncated or damaged|not valid JSON|altered"),
        "edited line": (edited, "altered"),
        "not a backup": (garbage, "truncated or damaged|not a Parallax backup"),
    }


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_changes(tmp_path):
    w = World()
    backup = tmp_path / "b.jsonl.gz"
    call_command("backup", str(backup), verbosity=0)
    # The target holds other content; --force would delete it, but a damaged file
    # is refused before that.
    Incident.objects.create(
        conflict=w.conflict, title="Kept when the restore is refused", date_start=date(2024, 5, 1)
    )
    before = snapshot()
    for name, (path, message) in damaged_copies(backup, tmp_path).items():
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(path), force=True)
        assert snapshot() == before, name
    call_command("restore", str(backup), force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Incident.objects.filter(title__startswith="Kept").exists()


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_first_format_still_restores(tmp_path):
    """Files written by the earlier `backup` (dumpdata's JSON array) load as before."""
    World()
    legacy = tmp_path / "old.json.gz"
    call_command(
        "dumpdata",
        *[m._meta.label for m in backed_up_models() if not m._meta.auto_created],
        natural_foreign=True,
        natural_primary=True,
        output=str(legacy),
        verbosity=0,
    )
    before = {label: len(rows) for label, rows in snapshot().items()}
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(legacy), stdout=open("/dev/null", "w"))  # noqa: SIM115
    # (dumpdata wrote times to the millisecond: compared by rows, not by content.)
    assert {label: len(rows) for label, rows in snapshot().items()} == before


POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]


@pytest.mark.skipif(not POSTGRES, reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_an_editor_writes_is_one_consistent_snapshot(tmp_path):
    """A writer adds a source and a statement citing it, in one transaction, again
    and again while the backup runs. Read table by table at different moments, the
    file had statements citing sources missing from it; one snapshot has every
    pair or neither, and restores."""
    w = World()
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        n = 0
        try:
            while not stop.is_set():
                n += 1
                with transaction.atomic():
                    src = Source.objects.create(title=f"Report {n}", archived_text=f"Words {n}.")
                    Statement.objects.create(
                        incident=w.incident,
                        actor=w.south_mfa,
                        party=w.south,
                        text=f"Words {n}.",
                        issued_on=w.incident.date_start,
                        source=src,
                    )
                written.append(n)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        backups = []
        for i in range(3):
            time.sleep(0.2)
            path = tmp_path / f"during-{i}.jsonl.gz"
            call_command("backup", str(path), verbosity=0)
            backups.append(path)
    finally:
        stop.set()
        writer.join(30)
    assert len(written) > 10, "the writer did not get going"
    for path in backups:
        rows = [json.loads(r) for r in gzip.decompress(path.read_bytes()).splitlines()]
        sources = {o["r"]["id"] for o in rows if o.get("t") == "incidents.source"}
        cited = {
            o["r"]["source_id"]
            for o in rows
            if o.get("t") == "incidents.statement" and o["r"]["source_id"]
        }
        assert cited <= sources, f"{path.name}: statements cite sources missing from it"
        call_command("flush", interactive=False, verbosity=0)
        call_command("restore", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert Statement.objects.filter(source__isnull=False).count() == len(cited)


@pytest.mark.skipif(not POSTGRES, reason="statement_timeout is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_ignore_the_web_statement_timeout(tmp_path):
    """The web's statement timeout (a session setting, as DATABASE_STATEMENT_TIMEOUT_MS
    gives) does not cut off a backup or a restore."""
    World()
    backup = tmp_path / "b.jsonl.gz"
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 1")
        try:
            # Each command's queries would be cancelled after 1 ms (the restore's
            # bulk inserts and checks do take longer).
            call_command("backup", str(backup), verbosity=0)
            cursor.execute("SET statement_timeout = 1")
            call_command("restore", str(backup), force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
        finally:
            cursor.execute("SET statement_timeout = 0")
    assert Incident.objects.count() == 1
