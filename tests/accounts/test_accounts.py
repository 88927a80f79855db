"""Sign in and out, password change and reset, the createuser command, the role
decorator and sign-in throttling (django-axes)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.decorators import role_required
from accounts.models import User

PASSWORD = "eddie_editor-pass-123!"  # conftest.make_user's rule


def test_sign_in_and_out(client, editor):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {"username": "eddie_editor", "password": PASSWORD, "next": reverse("editing:index")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("editing:index")
    assert client.get(reverse("editing:index")).status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 405  # GET cannot sign out
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("editing:index")).status_code == 302


def test_sign_in_refuses_an_open_redirect(client, editor):
    response = client.post(
        reverse("accounts:login"),
        {"username": "eddie_editor", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_wrong_password_gives_a_clear_message(client, editor):
    response = client.post(
        reverse("accounts:login"), {"username": "eddie_editor", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_sign_in_is_throttled_after_repeated_failures(client, editor, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        client.post(reverse("accounts:login"), {"username": "eddie_editor", "password": "nope"})
    # Even the right password is refused now, with the lock-out page.
    response = client.post(
        reverse("accounts:login"), {"username": "eddie_editor", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert "for 15 minutes." in response.content.decode()
    assert "0:15:00" not in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by someone else's failures.
    User.objects.create_user("other_user", password="Other-pass-123!")
    other = client.post(
        reverse("accounts:login"), {"username": "other_user", "password": "Other-pass-123!"}
    )
    assert other.status_code == 302


def test_password_change(client, editor):
    client.force_login(editor)
    bad = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert bad.status_code == 200 and "too short" in bad.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "A-much-longer-pass-42",
            "new_password2": "A-much-longer-pass-42",
        },
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    editor.refresh_from_db()
    assert editor.check_password("A-much-longer-pass-42")


def test_password_reset_by_email(client, editor):
    # The test environment already sends mail to mail.outbox (through MAILERS).
    editor.email = "eddie@example.org"
    editor.save()
    response = client.post(reverse("accounts:password_reset"), {"email": "eddie@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Fresh-pass-from-reset-9", "new_password2": "Fresh-pass-from-reset-9"},
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    editor.refresh_from_db()
    assert editor.check_password("Fresh-pass-from-reset-9")
    # An unknown address reveals nothing and sends nothing.
    client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert len(mail.outbox) == 1


def test_profile_shows_the_role(client, analyst):
    client.force_login(analyst)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Analyst" in html and reverse("editing:index") not in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["analyst", "editor", "admin"])
def test_createuser_command(role):
    out = StringIO()
    call_command(
        "createuser", "alice", "--role", role, "--password", "Alice-pass-2024!", stdout=out
    )
    alice = User.objects.get(username="alice")
    assert alice.role == role and alice.check_password("Alice-pass-2024!")
    assert alice.is_staff == (role == "admin")
    assert "Created alice" in out.getvalue()


@pytest.mark.django_db
def test_createuser_refuses_bad_input():
    with pytest.raises(CommandError, match="too short"):
        call_command("createuser", "bob", "--role", "editor", "--password", "abc")
    with pytest.raises(CommandError):
        call_command("createuser", "bob", "--role", "superhero", "--password", "Bob-pass-2024!")
    call_command(
        "createuser", "bob", "--role", "editor", "--password", "Bob-pass-2024!", stdout=StringIO()
    )
    with pytest.raises(CommandError, match="already exists"):
        call_command("createuser", "BOB", "--role", "analyst", "--password", "Bob-pass-2024!")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_createuser_asks_for_the_password_on_a_terminal(monkeypatch):
    import sys

    answers = iter(["Typed-pass-2024!", "Typed-pass-2024!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    call_command("createuser", "carol", "--role", "analyst", stdout=StringIO())
    assert User.objects.get(username="carol").check_password("Typed-pass-2024!")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(CommandError, match="Give --password"):
        call_command("createuser", "dave", "--role", "analyst")


def _view(request) -> HttpResponse:
    return HttpResponse("the editor's page")


def test_role_decorator(rf, analyst, editor, admin_user):
    view = role_required(User.Role.EDITOR)(_view)
    request = rf.get("/edit/thing/")
    request.user = AnonymousUser()
    request.htmx = False
    response = view(request)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=/edit/thing/"
    # htmx: told to go to the sign-in page, back to the page it came from
    request.htmx = True
    request.META["HTTP_HX_CURRENT_URL"] = "/edit/page/"
    response = view(request)
    assert response["HX-Redirect"] == reverse("accounts:login") + "?next=/edit/page/"
    assert response.content == b""
    request.user = analyst
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = editor
    assert view(request).content == b"the editor's page"
    request.user = admin_user
    assert view(request).status_code == 200
    inactive = User.objects.create_user("gone", password="x", is_active=False)
    request.user = inactive
    with pytest.raises(PermissionDenied):
        view(request)


def test_403_for_an_analyst_through_htmx(analyst, db):
    c = Client()
    c.force_login(analyst)
    response = c.get(reverse("editing:index"), headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "Northland" not in response.content.decode()


def attempt(client, username: str, password: str, forwarded: str, remote: str = "10.0.0.9"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_proxy_the_client_address_comes_from_the_trusted_header(settings, rf):
    from accounts.security import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # not the forgeable left-hand entry
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.9")) == "10.0.0.9"  # header missing
    garbage = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="x, not-an-ip")
    assert client_ip(garbage) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.9"


def test_lock_out_behind_a_proxy_is_per_client_not_per_proxy(client, editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "eddie_editor", "nope", "203.0.113.7")
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # Another user behind the same proxy signs in.
    User.objects.create_user("other_user", password="Other-pass-123!")
    assert attempt(Client(), "other_user", "Other-pass-123!", "198.51.100.2").status_code == 302


def test_an_attack_spread_over_many_addresses_locks_the_username(client, editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(), "eddie_editor", "nope", f"198.51.100.{n + 10}")
    locked = attempt(Client(), "eddie_editor", PASSWORD, "192.0.2.200")
    assert locked.status_code == 429


def test_each_round_of_failures_on_a_username_doubles_the_wait(editor, settings, rf):
    from axes.models import AccessFailureLog

    from accounts.security import cool_off

    request = rf.post("/accounts/login/", {"username": "eddie_editor"})
    limit = settings.AXES_FAILURE_LIMIT
    waits = []
    for _ in range(4):
        for _ in range(limit):
            AccessFailureLog.objects.create(username="eddie_editor", ip_address="192.0.2.1")
        waits.append(cool_off(request))
    assert [w.total_seconds() / 60 for w in waits] == [15, 30, 60, 120]
    for _ in range(30 * limit):
        AccessFailureLog.objects.create(username="eddie_editor", ip_address="192.0.2.1")
    assert cool_off(request).total_seconds() == 24 * 3600  # capped at a day
    other = rf.post("/accounts/login/", {"username": "someone_else"})
    assert cool_off(other).total_seconds() == 15 * 60


def test_a_403_is_logged_as_one_line(client, analyst, caplog):
    import logging

    from core.logging import ForbiddenOnOneLine

    client.force_login(analyst)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("editing:index")).status_code == 403
    [record] = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    # Django logs it with the PermissionDenied as exc_info; the console handler's
    # filter, which saw the record first, has dropped it.
    assert record.exc_info is None
    console = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, ForbiddenOnOneLine) for f in h.filters)
    )
    assert console.filter(record)
    line = console.format(record)
    assert "\n" not in line and line.startswith("Forbidden")
