"""In a real browser: an editor pastes an article, accepts and drops proposals with
htmx (no page reload), and saves the accepted statements as drafts."""

from __future__ import annotations

import importlib
import os

import pytest
from django.apps import apps
from django.urls import reverse
from playwright.sync_api import expect

from imports.models import ImportDraft
from incidents.models import Source, Statement
from tests import factories as f
from tests.browser.test_browser_cards import axe_findings
from tests.conftest import make_user
from tests.imports.test_import import ARTICLE


@pytest.fixture
def roles(transactional_db):
    """Transactional tests flush the database, groups made by the migration included."""
    create_roles = importlib.import_module("accounts.migrations.0002_roles").create_roles
    create_roles(apps, None)
    yield
    create_roles(apps, None)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_editor_reviews_an_import_without_reloading(live_server, browser, roles):
    make_user("eddie_editor", "editor")
    world = f.World()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    new_url = reverse("imports:new")
    page.goto(f"{live_server.url}{reverse('accounts:login')}?next={new_url}")
    page.fill("#id_username", "eddie_editor")
    page.fill("#id_password", "eddie_editor-pass-123!")
    page.click("form button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}{new_url}")

    page.fill("#id_text", ARTICLE)
    page.fill("#id_publisher", "Example News")
    page.fill("#id_published_on", "2024-03-08")
    page.click("button:has-text('Find statements')")
    page.wait_for_selector("#proposal-0")
    draft = ImportDraft.objects.get()
    assert page.url == f"{live_server.url}{draft.get_absolute_url()}"
    assert page.locator("#proposal-1 mark.content").inner_text() == (
        "two of its engineers were detained"
    )
    shots = os.environ.get("PARALLAX_SHOTS")
    if shots:
        page.screenshot(path=f"{shots}/import-review-1280.png", full_page=True)

    # A marker on window survives only if the page is not reloaded.
    page.evaluate("window.__stillHere = true")
    page.click("#proposal-0 button:has-text('Accept')")
    page.wait_for_selector("#proposal-0.decision-accepted")
    page.click("#proposal-3 button:has-text('Drop')")
    page.wait_for_selector("#proposal-3.decision-dropped")
    page.wait_for_selector("#save-count:has-text('1 of 5 statements accepted')")
    assert page.evaluate("window.__stillHere") is True

    page.select_option("#id_incident", str(world.incident.pk))
    page.click("button:has-text('Save accepted statements as drafts')")
    page.wait_for_url(f"{live_server.url}{world.incident.get_absolute_url()}")
    # The page after the save carries the "saved" message: its live region must
    # keep the message list a list (axe's listitem rule), as on every page.
    expect(page.locator(".messages li")).to_contain_text("saved as drafts")
    assert axe_findings(page) == []
    source = Source.objects.get()
    saved = Statement.objects.get(source=source)
    assert saved.status == Statement.Status.DRAFT and saved.quote_verified is True
    assert saved.text.startswith("a Southern patrol had crossed the river")

    if shots:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}{draft.get_absolute_url()}")
        page.screenshot(path=f"{shots}/import-review-390.png", full_page=True)
    context.close()
