"""Issue 11, point 14: `make run` prints one screen. Its server (`manage.py serve`)
keeps runserver's reloading and system checks but prints no start-up banner; the
README says how to change the port."""

from __future__ import annotations

import io
from pathlib import Path
from unittest import mock

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parents[2]


def test_makefile_runs_the_quiet_steps():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("run: install") : makefile.index("test:")]
    assert "migrate --no-input --verbosity 0" in run
    assert "createcachetable --verbosity 0" in run
    assert "$(MANAGE) serve $(HOST):$(PORT)" in run and "$(MANAGE) runserver" not in run
    assert "make run PORT=8001" in run
    assert "make run PORT=8001" in (ROOT / "README.md").read_text()


@pytest.mark.django_db
def test_serve_prints_no_banner_and_still_checks():
    out = io.StringIO()
    with mock.patch("django.core.management.commands.runserver.run") as run:
        # Instead of serving: bind, as the real server does once listening.
        run.side_effect = lambda *a, on_bind, **kw: on_bind(8000)
        call_command("serve", "127.0.0.1:8000", use_reloader=False, skip_checks=False, stdout=out)
    assert out.getvalue() == ""
    assert run.called
    # A failing system check still stops it.
    with (
        mock.patch("django.core.management.commands.runserver.run"),
        mock.patch(
            "django.core.management.base.checks.run_checks",
            return_value=[checks.Error("broken")],
        ),
        pytest.raises(SystemCheckError),
    ):
        call_command(
            "serve", "127.0.0.1:8000", use_reloader=False, skip_checks=False, stdout=io.StringIO()
        )
