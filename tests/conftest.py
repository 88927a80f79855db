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


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password=f"{username}-pass-123!")
    if role:
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
