"""Role checks for views.

`role_required(User.Role.EDITOR)` sends anonymous visitors to sign in (an htmx request
gets an HX-Redirect, so htmx does not swap the sign-in page into a fragment) and
answers 403 to a signed-in user without the role, htmx or not. Every editing view
relies on it; the permission matrix test in tests/contracts/test_permissions.py checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from .models import User

View = Callable[..., HttpResponse]


def role_required(role: User.Role) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if getattr(request, "htmx", False):
                    # Back to the page the htmx request came from, after signing in.
                    came_from = request.headers.get("HX-Current-URL") or request.get_full_path()
                    login = redirect_to_login(came_from, resolve_url(settings.LOGIN_URL))
                    return HttpResponseClientRedirect(login["Location"])
                return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
            if not (user.is_active and isinstance(user, User) and user.has_role(role)):
                raise PermissionDenied(f"This needs the {role.label} role.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


editor_required = role_required(User.Role.EDITOR)
