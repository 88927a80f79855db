"""Backup and restore: the demo plus generated data plus edit history, users and
groups survive a round trip through `backup` and `restore` exactly."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from incidents.models import Annotation, Incident, Source, Statement
from ops.management.commands.backup import backed_up_models
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

    backup = tmp_path / "parallax.json.gz"
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
    backup = tmp_path / "b.json.gz"
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


@pytest.mark.django_db(transaction=True)
def test_restore_rejects_a_tampered_source(tmp_path):
    import gzip

    World()
    source("Archived", "The original words.", url="https://example.org/a")
    backup = tmp_path / "b.json.gz"
    call_command("backup", str(backup), verbosity=0)
    data = json.loads(gzip.decompress(backup.read_bytes()))
    for row in data:
        if row["model"] == "incidents.source":
            row["fields"]["archived_text"] = "Words changed after capture."
    tampered = tmp_path / "t.json.gz"
    tampered.write_bytes(gzip.compress(json.dumps(data).encode()))
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("restore", str(tampered))
    # Nothing half-restored.
    assert not Incident.objects.exists()
