"""The role groups (README, Roles) and their model permissions.

Kept in step after every `migrate` (and every test-database flush) by a post_migrate
receiver, so that a new editorial model gets its permissions in the right groups
without a hand-written data migration.
"""

from typing import Any

EDITORIAL_APPS = {"incidents"}


def sync_role_groups(**kwargs: Any) -> None:
    from django.contrib.auth.models import Group, Permission

    editorial = Permission.objects.filter(content_type__app_label__in=EDITORIAL_APPS).exclude(
        content_type__model__startswith="historical"
    )
    analyst, _ = Group.objects.get_or_create(name="analyst")
    analyst.permissions.set(editorial.filter(codename__startswith="view_"))
    editor, _ = Group.objects.get_or_create(name="editor")
    editor.permissions.set(editorial)
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(Permission.objects.all())
