"""Shared test set-up: one named user per role, and helpers to build explicit data.

Tests build the data they need with the factories in tests/factories.py, so every
test says what it relies on.
"""

import os

import pytest
from django.contrib.auth.models import Group

from accounts.models import User

# Playwright's sync API runs an event loop in the test thread; Django's async-safety
# check would otherwise refuse ORM calls made by browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _test_media_root(tmp_path_factory):
    """Uploaded files (bulk imports) go to a folder of the test run, never to the
    project's data directory."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password=f"{username}-pass-123!")
    if role:
        if not Group.objects.filter(name=role).exists():
            # A browser test's flush (live server) can leave the role groups out; tests
            # must not depend on running before one.
            from accounts.roles import sync_role_groups

            sync_role_groups()
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def analyst(db) -> User:
    return make_user("anna_analyst", "analyst")


@pytest.fixture
def editor(db) -> User:
    return make_user("eddie_editor", "editor")


@pytest.fixture
def second_editor(db) -> User:
    return make_user("erin_editor", "editor")


@pytest.fixture
def admin_user(db) -> User:
    return make_user("ada_admin", "admin")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (the test set-up installs the package;
    Playwright never downloads a browser of its own here)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()
