"""`python manage.py createuser alice --role editor [--password ...] [--email ...]`

Creates a user in one of the role groups (analyst, editor, admin). Without
--password the password is asked for twice on the terminal; it must pass the
project's password validators either way.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User

ROLES = [User.Role.ANALYST, User.Role.EDITOR, User.Role.ADMIN]


class Command(BaseCommand):
    help = "Create a Parallax user with a role (analyst, editor or admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in ROLES])
        parser.add_argument("--password", help="Asked for on the terminal when omitted.")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        role = User.Role(options["role"])
        if not username:
            raise CommandError("The user name must not be empty.")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = options["password"]
        if password is None:
            if not sys.stdin.isatty():
                raise CommandError("Give --password when not running on a terminal.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        candidate = User(username=username, email=options["email"])
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                email=options["email"],
                password=password,
                # Admins manage users and roles in the Django admin.
                is_staff=role == User.Role.ADMIN,
            )
            user.groups.add(Group.objects.get(name=role.value))
        self.stdout.write(self.style.SUCCESS(f"Created {username} ({role.label})."))
