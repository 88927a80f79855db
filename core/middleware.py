"""Database failure: when PostgreSQL cannot be reached, every page answers with a
clear 503 page (templates/503.html) instead of a 500 traceback page.

Recovery needs nothing from here: Django closes a connection that raised an error at
the end of the request, and CONN_HEALTH_CHECKS (settings) tests a persistent one
before reuse, so the first request after the database is back gets a new connection.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.views.defaults import page_not_found, server_error

logger = logging.getLogger("parallax.database")
logger_errors = logging.getLogger("django.request")

# Seconds a client (or a load balancer) should wait before retrying.
RETRY_AFTER = "30"


def database_unavailable_response(timed_out: bool = False) -> HttpResponse:
    # Rendered without the request: the usual context processors would read the
    # session and the user from the very database that is down.
    body = render_to_string("503.html", {"retry_after": RETRY_AFTER, "timed_out": timed_out})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    return response


def is_database_down(exc: BaseException) -> bool:
    """OperationalError/InterfaceError mean the connection failed (server stopped,
    network gone, too many clients). Integrity and programming errors are bugs or bad
    input and keep their usual handling."""
    return isinstance(exc, OperationalError | InterfaceError)


@receiver(got_request_exception, dispatch_uid="parallax-database-down")
def _remember_database_failure(
    sender: object, request: HttpRequest | None = None, **kw: object
) -> None:
    """Django turns an exception raised in a middleware (sessions, auth, axes) into a
    500 response before it reaches the middleware above; it signals the exception
    first, from inside its except block. Remember it on the request."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_database_down(exc):
        request._parallax_database_down = exc  # type: ignore[attr-defined]


def is_statement_timeout(exc: BaseException) -> bool:
    """PostgreSQL cancelled the query (statement_timeout, SQLSTATE 57014): the
    database is up but the request asked too much of it."""
    return getattr(exc.__cause__, "sqlstate", None) == "57014"


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        exc = getattr(request, "_parallax_database_down", None)
        if response.status_code == 500 and exc is not None:
            # A middleware below this one failed on the database: still a 503.
            return self._unavailable(request, exc)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_down(exception):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request: HttpRequest, exc: BaseException) -> HttpResponse:
        timed_out = is_statement_timeout(exc)
        logger.error(
            "Database %s for %s %s: %s",
            "statement timeout" if timed_out else "unavailable",
            request.method,
            request.path,
            exc,
        )
        return database_unavailable_response(timed_out)


# --- read replica for public traffic ------------------------------------------------
#
# With DATABASE_REPLICA_URL set (settings), the reads of anonymous GET/HEAD requests
# go to the "replica" database (PostgreSQL streaming replication); writes, and every
# read of signed-in users (who must see their own edits at once), go to "default".
# The cache table and sessions always use "default".

_public_read: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "parallax_public_read", default=False
)
PRIMARY_ONLY_APPS = {"django_cache", "sessions", "axes", "django_tasks_database"}


class PublicReadMiddleware:
    """Marks anonymous read-only requests for PublicReadReplicaRouter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public = (
            request.method in ("GET", "HEAD")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META
        )
        token = _public_read.set(public)
        try:
            return self.get_response(request)
        finally:
            _public_read.reset(token)


class PublicReadReplicaRouter:
    def db_for_read(self, model: Any, **hints: object) -> str | None:
        if _public_read.get() and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return "replica"
        return None

    def db_for_write(self, model: type, **hints: object) -> str | None:
        return "default"

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        # Both databases hold the same rows.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == "default"


# --- caching of signed-in pages -----------------------------------------------------


class PrivateForSignedInMiddleware:
    """`Cache-Control: private` on every answer to a signed-in visitor.

    Analysts and editors see drafts and internal notes on the same URLs the public
    uses; a shared cache (a proxy, a CDN) must never keep such a page and serve it to
    someone else. The page cache (core.cache) never stores these answers either."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        return response


# --- the site's own error pages ---------------------------------------------------


class StyledErrorPagesMiddleware:
    """With DEBUG on (the default of `make run`), Django answers a missing page or a
    crash with its technical pages; a reader trying the site locally should see the
    site's own 404 and 500 pages, as in production. The error is still logged with
    its traceback. TECHNICAL_ERROR_PAGES=1 (settings) brings Django's pages back for
    debugging. Without DEBUG Django already uses templates/404.html and 500.html, and
    403.html in every mode."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def active() -> bool:
        return settings.DEBUG and not settings.TECHNICAL_ERROR_PAGES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A URL that matches no pattern never reaches a view (nor process_exception).
        if (
            self.active()
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return page_not_found(request, Http404("No page at this address."))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self.active() or isinstance(exception, PermissionDenied):
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if is_database_down(exception):
            return None  # DatabaseUnavailableMiddleware answers 503
        logger_errors.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"request": request},
        )
        return server_error(request)
