from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """Parallax's user. Roles are Django groups (see Role); the model exists from the
    first migration so that fields can be added later without swapping user models."""

    class Role(models.TextChoices):
        # Ordered from least to most privileged; has_role() relies on this order.
        PUBLIC = "public", "Public"
        ANALYST = "analyst", "Analyst"
        EDITOR = "editor", "Editor"
        ADMIN = "admin", "Admin"

    display_name = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.get_username()

    @property
    def role(self) -> User.Role:
        """The highest role the user holds (superusers are admins)."""
        if not self.is_active:
            return self.Role.PUBLIC
        if self.is_superuser:
            return self.Role.ADMIN
        names = self._group_names()
        for role in (self.Role.ADMIN, self.Role.EDITOR, self.Role.ANALYST):
            if role.value in names:
                return role
        return self.Role.PUBLIC

    def _group_names(self) -> set[str]:
        # Cached per instance: templates ask for the role many times per page.
        cached = getattr(self, "_parallax_groups", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True))
            self._parallax_groups = cached
        return cached

    def has_role(self, role: User.Role | str) -> bool:
        order = list(self.Role.values)
        return order.index(self.role.value) >= order.index(str(role))

    @property
    def is_analyst(self) -> bool:
        """Sees drafts and internal annotations (analysts, editors, admins)."""
        return self.has_role(self.Role.ANALYST)

    @property
    def is_editor(self) -> bool:
        return self.has_role(self.Role.EDITOR)


def can_see_unpublished(user: object) -> bool:
    """True for analysts and above; False for anonymous visitors. Querysets'
    visible_to() and every export rely on this single rule."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_analyst", False))


class Audience(models.TextChoices):
    """Who a representation is built for: what it may show, and the part of every
    cache key and validator (page cache, filter choices, analysis, API ETags) that
    keeps one audience's copy from reaching the other."""

    PUBLIC = "public", "The public"
    INTERNAL = "internal", "Analysts and editors"


def audience(user: object) -> Audience:
    return Audience.INTERNAL if can_see_unpublished(user) else Audience.PUBLIC


def can_edit(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_editor", False))
