"""Database failure: when PostgreSQL cannot be reached, every page answers with a
clear 503 page (templates/503.html) instead of a 500 traceback page.

Recovery needs nothing from here: Django closes a connection that raised an error at
the end of the request, and CONN_HEALTH_CHECKS (settings) tests a persistent one
before reuse, so the first request after the database is back gets a new connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("parallax.database")

# Seconds a client (or a load balancer) should wait before retrying.
RETRY_AFTER = "30"


def database_unavailable_response() -> HttpResponse:
    # Rendered without the request: the usual context processors would read the
    # session and the user from the very database that is down.
    body = render_to_string("503.html", {"retry_after": RETRY_AFTER})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = RETRY_AFTER
    response["Cache-Control"] = "no-store"
    return response


def is_database_down(exc: BaseException) -> bool:
    """OperationalError/InterfaceError mean the connection failed (server stopped,
    network gone, too many clients). Integrity and programming errors are bugs or bad
    input and keep their usual handling."""
    return isinstance(exc, OperationalError | InterfaceError)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            # Reached when a middleware below this one (sessions, auth) raised.
            return self._unavailable(request, exc)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_down(exception):
            return self._unavailable(request, exception)
        return None

    def _unavailable(self, request: HttpRequest, exc: BaseException) -> HttpResponse:
        logger.error("Database unavailable for %s %s: %s", request.method, request.path, exc)
        return database_unavailable_response()
