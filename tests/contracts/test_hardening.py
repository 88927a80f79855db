"""Hardening: production settings pass `check --deploy`, required variables fail
clearly, security headers and the Content Security Policy are sent, no page carries
inline script, request sizes are capped, and mail uses Django 6.1's MAILERS."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PARALLAX_ENV": "production",
    "SECRET_KEY": "k7#Qz!p2Lm9@xR4vT8wY1nB6cF3hJ0dS5gA-eU_iO+yZ&qW^rE*tKlMnBvCxZaSd",
    "ALLOWED_HOSTS": "parallax.example.org",
    "DATABASE_URL": "postgres://parallax:secret@db.example.org:5432/parallax",
}


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # A clean environment: nothing from this test process (conftest sets
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly refuses).
    dropped = {*PRODUCTION_ENV, "DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-W", "always", *args, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_production_settings():
    code = (
        "import sys, django; django.setup(); from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = run_python(code, PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # No deprecation warning of Django's own (EMAIL_BACKEND became MAILERS in 6.1).
    assert "RemovedInDjango" not in result.stderr
    assert "deprecated" not in result.stderr.lower()


def load_settings(monkeypatch, env: dict[str, str]) -> dict[str, Any]:
    """Execute config/settings.py afresh with exactly `env` as the deployment
    variables (the module reads os.environ when it runs)."""
    for name in [*PRODUCTION_ENV, "DEBUG", "SECURE_SSL_REDIRECT", "EMAIL_BACKEND"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_requires_each_deployment_variable(monkeypatch, missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    with pytest.raises(ImproperlyConfigured) as caught:
        load_settings(monkeypatch, env)
    assert str(caught.value) == f"The environment variable {missing} is required in production."


def test_production_settings_secure_cookies_and_https(monkeypatch):
    s = load_settings(monkeypatch, PRODUCTION_ENV)
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_HTTPONLY"]
    assert s["SECURE_SSL_REDIRECT"] and s["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert s["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert s["ALLOWED_HOSTS"] == ["parallax.example.org"]
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert s["MAILERS"]["default"]["BACKEND"].endswith("smtp.EmailBackend")
    assert "EMAIL_BACKEND" not in s


def test_development_defaults_need_no_environment(monkeypatch):
    monkeypatch.delenv("PARALLAX_ENV", raising=False)
    s = load_settings(monkeypatch, {})
    assert s["DEBUG"] is True
    assert "testserver" in s["ALLOWED_HOSTS"]
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert s["MAILERS"]["default"]["BACKEND"].endswith("console.EmailBackend")


@pytest.mark.django_db
def test_security_headers_and_csp(client):
    World()
    response = client.get(reverse("incidents:list"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


DATA_TYPES = ("application/ld+json", "application/json")


class InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline <script>, inline event
    handlers, javascript: URLs, <style> elements and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and not a.get("src") and a.get("type") not in DATA_TYPES:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        name = a.get("name")
        if tag == "meta" and name:
            self.meta[name] = a.get("content") or ""
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}= handler")
            if name == "style":
                self.problems.append(f"{tag} style= attribute")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"{tag} {name}=javascript:")


@pytest.mark.django_db
def test_public_pages_carry_no_inline_script_or_style(client):
    w = World()
    urls = [
        reverse("incidents:list"),
        reverse("incidents:detail", args=[w.incident.slug]),
        reverse("incidents:statement_detail", args=[w.north_says.pk]),
        reverse("search:results") + "?q=patrol",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        finder = InlineFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], (url, finder.problems)
        # htmx would otherwise inject an inline <style> for its indicators, which the
        # policy blocks (base.html switches it off; parallax.css has the rules).
        assert re.search(
            r'"includeIndicatorStyles"\s*:\s*false', finder.meta.get("htmx-config", "")
        )


def test_htmx_indicator_css_is_in_the_stylesheet():
    css = (ROOT / "static" / "css" / "parallax.css").read_text()
    assert ".htmx-indicator" in css and ".htmx-request" in css


@pytest.mark.django_db
def test_oversized_request_body_is_refused_with_400(client):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(reverse("accounts:login"), {"username": "a", "password": too_big})
    assert response.status_code == 400


@pytest.mark.django_db
def test_too_many_form_fields_is_refused_with_400(client):
    fields = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = client.post(reverse("accounts:login"), fields)
    assert response.status_code == 400


def test_mail_goes_through_mailers():
    assert settings.is_overridden("MAILERS")
    assert not settings.is_overridden("EMAIL_BACKEND")
    mail.send_mail("Subject", "Body", None, ["someone@example.org"])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


@pytest.mark.django_db
def test_pasted_article_over_the_limit_is_refused_with_a_message(editor_client):
    from django.test import override_settings

    from imports.models import ImportJob
    from incidents.models import Source

    with override_settings(IMPORT_MAX_CHARS=1000):
        response = editor_client.post(
            reverse("imports:new"),
            {"text": "Officials said the border was calm. " * 40, "source_kind": "news"},
        )
    assert response.status_code in (200, 400)
    assert "the limit is 1,000" in response.content.decode()
    assert not ImportJob.objects.exists() and not Source.objects.exists()


@pytest.mark.django_db
def test_oversized_edit_is_refused_and_saves_nothing(editor_client):
    from incidents.models import Source

    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = editor_client.post(
        reverse("editing:source_create"), {"title": "Big", "archived_text": too_big}
    )
    assert response.status_code == 400
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_editing_and_account_pages_carry_no_inline_script_or_style(editor_client):
    w = World()
    urls = [
        reverse("incidents:actor_detail", args=[w.north_mod.slug]),
        reverse("incidents:party_detail", args=[w.north.slug]),
        reverse("incidents:detail", args=[w.incident.slug]),
        reverse("editing:index"),
        reverse("editing:incident_create"),
        reverse("editing:incident_edit", args=[w.incident.slug]),
        reverse("editing:points", args=[w.incident.slug]),
        reverse("editing:statement_edit", args=[w.north_says.pk]),
        reverse("editing:statement_spans", args=[w.north_says.pk]),
        reverse("editing:source_create"),
        reverse("editing:history", args=["statement", w.north_says.pk]),
        reverse("imports:new"),
        reverse("accounts:login"),
    ]
    from django.test import Client

    for url in urls:
        # The sign-in page is seen signed out (it redirects signed-in users).
        client = Client() if url == reverse("accounts:login") else editor_client
        response = client.get(url)
        assert response.status_code == 200, url
        finder = InlineFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], (url, finder.problems)


def test_error_pages_carry_no_inline_script_or_style():
    from core.middleware import database_unavailable_response

    finder = InlineFinder()
    finder.feed(database_unavailable_response().content.decode())
    assert finder.problems == []


@pytest.mark.django_db
def test_every_page_states_the_data_licence(client):
    World()
    for url in ("/", "/analysis/", "/search/?q=patrol"):
        html = client.get(url).content.decode()
        assert 'rel="license"' in html and "CC-BY-4.0" in html, url
