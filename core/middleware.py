"""Database failure: when PostgreSQL cannot be reached, every page answers with a
clear 503 page (templates/503.html) instead of a 500 traceback page.

Recovery needs nothing from here: Django closes a connection that raised an error at
the end of the request, and CONN_HEALTH_CHECKS (settings) tests a persistent one
before reuse, so the first request after the database is back gets a new connection.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.views.defaults import page_not_found, server_error

from core.db import is_bad_input, is_retryable

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


def refused_response(status: int, message: str) -> HttpResponse:
    # Plain text, rendered without the request (nothing more can be asked of the
    # database in this request); an htmx caller shows it (static/js/parallax.js).
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
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


class _StallWatch:
    """A frozen database server (stopped, its host paused) accepts connections and
    queries and never answers: PostgreSQL's own statement_timeout cannot fire, and
    a request would wait until the web server kills its worker. After
    DATABASE_STALL_SECONDS this cuts the request's database sockets; the waiting
    query then fails at once with an OperationalError, answered 503 below.

    One watchdog thread per process checks the requests in progress a few times a
    second (a thread per request cost every request, cache hits included, ~50 µs)."""

    TICK = 0.1  # seconds between the watchdog's checks: a cut comes at most this late
    _lock = threading.Lock()
    _running: dict[int, _StallWatch] = {}
    _watchdog: threading.Thread | None = None
    _watchdog_pid = 0

    def __init__(self, seconds: float) -> None:
        # The request thread's own connection wrappers (connections is per thread).
        self.wrappers = [connections[alias] for alias in connections]
        self.seconds = seconds
        self.deadline = 0.0
        self.fired = False

    def __enter__(self) -> _StallWatch:
        self.deadline = time.monotonic() + self.seconds
        cls = type(self)
        with cls._lock:
            cls._running[id(self)] = self
            # Started in each worker process (a thread does not survive a fork).
            if cls._watchdog is None or cls._watchdog_pid != os.getpid():
                cls._watchdog_pid = os.getpid()
                cls._watchdog = threading.Thread(
                    target=cls._watch, name="parallax-stall-watch", daemon=True
                )
                cls._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._running.pop(id(self), None)

    @classmethod
    def _watch(cls) -> None:
        while True:
            time.sleep(cls.TICK)
            now = time.monotonic()
            with cls._lock:
                due = [w for w in cls._running.values() if w.deadline <= now]
                for watch in due:
                    del cls._running[id(watch)]
            for watch in due:
                watch.cut()

    def cut(self) -> None:
        self.fired = True
        for wrapper in self.wrappers:
            conn = getattr(wrapper, "connection", None)
            fd = getattr(getattr(conn, "pgconn", None), "socket", -1)
            if fd < 0:
                continue
            try:
                # A duplicate of the descriptor: shutting it down ends the socket for
                # the waiting thread too, without closing a descriptor it owns.
                with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        logger.error("Database did not answer for %ss: request cut off", self.seconds)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        stall = float(getattr(settings, "DATABASE_STALL_SECONDS", 0) or 0)
        if stall > 0:
            with _StallWatch(stall) as watch:
                response = self.get_response(request)
            if watch.fired and response.status_code == 503:
                response["X-Database-Stalled"] = "1"
        else:
            response = self.get_response(request)
        exc = getattr(request, "_parallax_database_down", None)
        if response.status_code == 500 and exc is not None:
            # A middleware below this one failed on the database: still a 503.
            return self._unavailable(request, exc)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Not an outage: what was sent cannot be stored (400), or the request lost a
        # deadlock more often than core.db.retrying tries again (409). Only the rest
        # is "database unavailable, retry".
        if is_bad_input(exception):
            logger.warning("Refused by the database for %s: %s", request.path, exception)
            return refused_response(
                400,
                "The text sent cannot be stored (it contains a character or a length "
                "the database refuses). Nothing was saved.",
            )
        if is_retryable(exception):
            logger.warning("Gave up after repeated deadlocks for %s", request.path)
            return refused_response(
                409,
                "Another save collided with this one and nothing was saved. Please try again.",
            )
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


class HealthCheckMiddleware:
    """GET /healthz: 200 "ok" when the database answers, 503 when it does not.
    First in the chain, before the host check and the HTTPS redirect: a container
    health check or a load balancer calls it by IP, over plain HTTP."""

    PATH = "/healthz"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != self.PATH:
            return self.get_response(request)
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
        except (OperationalError, InterfaceError) as exc:
            logger.error("Health check: database unavailable: %s", exc)
            return refused_response(503, "database unavailable")
        return HttpResponse("ok", content_type="text/plain", headers={"Cache-Control": "no-store"})


class UnstorableInputMiddleware:
    """A NUL character in a query string or a form post is refused with a 400 before
    any view sees it: PostgreSQL cannot take one in a query parameter, and no filter,
    search or form of the site has a use for it. (Multipart posts are left to their
    forms, whose text fields refuse NUL too: reading them here would read a whole
    upload before the view can check its size.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        params = [request.GET]
        if request.method == "POST" and not (request.content_type or "").startswith("multipart/"):
            params.append(request.POST)
        for query in params:
            for key, values in query.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return refused_response(
                        400, f"The parameter {key.replace(chr(0), '')!r} contains a NUL character."
                    )
        return self.get_response(request)


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
