"""Caching of anonymous public pages, shared by every worker process.

    from core.cache import public_page
    path("incidents/", public_page(views.incident_list), name="list")

How invalidation works: the shared cache (settings.CACHES: the database, or Redis
with REDIS_URL) holds one "content generation" token. Every cached page is stored
with the generation it was rendered under, and is served only while that token is
still current. Saving or deleting any editorial row (incidents app: incidents,
statements, points, claims, annotations, sources, actors, parties...) replaces the
token, at once and again when the transaction commits, so a publish or an edit on
any worker invalidates every cached page on every worker: the next request of any
process renders afresh. A page is read with one cache round trip (get_many of the
token and the page).

Only anonymous GET/HEAD requests without a session cookie, a messages cookie or an
Authorization header are served from or stored in the cache; analysts and editors
(who see drafts and internal annotations) always get a fresh page. The cache key
includes the full path with its query string and the htmx headers the views branch
on (HX-Request, HX-Target, HX-Boosted, HX-History-Restore-Request, HX-Trigger-Name),
so a partial is never served for a full page or the other way round.

A page contains the visitor's CSRF token (base.html puts it in hx-headers). The
token is cut out before storing and a fresh one for the current visitor is put back
on every hit, so no two visitors share a CSRF secret.

Conditional GET: every cached page has an ETag (generation + content + the visitor's
CSRF cookie); a matching If-None-Match is answered 304 without rendering.

Code that changes editorial rows without model signals (QuerySet.update(),
bulk_create(), raw SQL) must call bump_generation() itself; generate_data and
restore do.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import (  # type: ignore[attr-defined]
    CSRF_TOKEN_LENGTH,
    _unmask_cipher_token,
    get_token,
)
from django.utils.cache import patch_vary_headers

GENERATION_KEY = "parallax:content-generation"
PAGE_PREFIX = "parallax:page:"
CSRF_PLACEHOLDER = b"__PARALLAX_CSRF_TOKEN__"
# Pages larger than this (big exports) are not worth a cache row.
MAX_CACHED_BYTES = 2_000_000
CACHE_HEADER = "X-Parallax-Cache"
VARY = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request", "Cookie")
# Headers re-created by middleware on every response; never stored.
_NOT_STORED = {"set-cookie", "content-length", "content-security-policy", "vary"}
_TOKEN_RE = re.compile(rb"[A-Za-z0-9]{%d}" % CSRF_TOKEN_LENGTH)

View = Callable[..., HttpResponse]


def enabled() -> bool:
    return bool(getattr(settings, "PUBLIC_PAGE_CACHE", True))


# --- the content generation ----------------------------------------------------


def new_generation() -> str:
    # The time of the change, then randomness: never equal to an earlier token.
    return f"{time.time():.3f}-{uuid.uuid4().hex}"


def bump_generation() -> None:
    """Invalidate every cached public page on every worker."""
    cache.set(GENERATION_KEY, new_generation(), timeout=None)


def settling(generation: str) -> bool:
    """True shortly after a change when reads may come from a lagging read replica
    (PUBLIC_PAGE_CACHE_SETTLE_SECONDS): pages are then rendered but not stored, so a
    replica's not-yet-updated copy is never cached under the new generation."""
    settle = getattr(settings, "PUBLIC_PAGE_CACHE_SETTLE_SECONDS", 0)
    if not settle:
        return False
    try:
        changed_at = float(generation.split("-", 1)[0])
    except ValueError:
        return False
    return time.time() - changed_at < settle


def current_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # First use, or the token was evicted: a new random token can never match
        # a page stored under an earlier one.
        cache.add(GENERATION_KEY, new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return str(generation)


def read_with_generation(key: str) -> tuple[str, Any]:
    """The current generation and what is stored under key, in one cache round trip."""
    found = cache.get_many([GENERATION_KEY, key])
    return found.get(GENERATION_KEY) or current_generation(), found.get(key)


def remember(key: str, compute: Callable[[], Any]) -> Any:
    """compute() at most once per content generation, shared by every worker: for
    values derived from the editorial data that many pages need, such as the list
    page's filter choices. Read with the token in one cache round trip."""
    generation, entry = read_with_generation(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
        return entry[1]
    value = compute()
    if not settling(generation):
        cache.set(key, (generation, value), timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
    return value


def _on_editorial_change(sender: Any, **kwargs: Any) -> None:
    if getattr(sender._meta, "app_label", None) != "incidents":
        return
    if sender.__name__.startswith("Historical"):
        # simple_history's rows accompany a save that already bumped.
        return
    # Now, so that this request and its transaction see the change at once; and
    # after commit, so that a page rendered by another worker from the
    # not-yet-committed state and stored under the first new token is discarded.
    bump_generation()
    transaction.on_commit(bump_generation, robust=True)


def connect_signals() -> None:
    """Called from IncidentsConfig.ready(), so that edits made anywhere (views,
    admin, shell, task workers) invalidate cached pages."""
    for model in apps.get_app_config("incidents").get_models(include_auto_created=True):
        if model.__name__.startswith("Historical"):
            continue
        uid = f"parallax-cache-{model._meta.label_lower}"
        post_save.connect(_on_editorial_change, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_editorial_change, sender=model, dispatch_uid=uid + "-delete")
    m2m_changed.connect(_on_m2m_changed, dispatch_uid="parallax-cache-m2m")


def _on_m2m_changed(sender: type, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        _on_editorial_change(sender)


# --- the decorator ----------------------------------------------------------------


def is_cacheable_request(request: HttpRequest) -> bool:
    if not enabled() or request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        # Signed in (or once was, with something in the session): never cached.
        return False
    return "HTTP_AUTHORIZATION" not in request.META


def page_key(request: HttpRequest) -> str:
    parts = [
        "GET" if request.method == "HEAD" else str(request.method),
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-Target", ""),
        request.headers.get("HX-Boosted", ""),
        # The public views answer a history restore with the whole page.
        request.headers.get("HX-History-Restore-Request", ""),
        request.headers.get("HX-Trigger-Name", ""),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return PAGE_PREFIX + digest


def _strip_csrf(request: HttpRequest, content: bytes) -> tuple[bytes, bool]:
    """Replace this visitor's CSRF token(s) in the page with a placeholder."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return content, False
    found = False
    for token in set(_TOKEN_RE.findall(content)):
        try:
            matches = _unmask_cipher_token(token.decode()) == secret
        except (ValueError, UnicodeDecodeError):
            matches = False
        if matches:
            content = content.replace(token, CSRF_PLACEHOLDER)
            found = True
    return content, found


def _etag(request: HttpRequest, entry: dict[str, Any]) -> str:
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "") if entry["csrf"] else ""
    digest = hashlib.sha256(f"{entry['digest']}:{cookie}".encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def _response_from_entry(request: HttpRequest, entry: dict[str, Any], state: str) -> HttpResponse:
    etag = _etag(request, entry)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        response: HttpResponse = HttpResponseNotModified()
    else:
        content = entry["content"]
        if entry["csrf"]:
            content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(content, status=entry["status"])
        for name, value in entry["headers"]:
            response[name] = value
    response["ETag"] = etag
    # Browsers must come back (If-None-Match) rather than reuse a page an editor
    # may have changed since; "private" because the page holds a CSRF token.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, VARY)
    response[CACHE_HEADER] = state
    return response


def _storable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming:
        return False
    if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
        return False
    cache_control = response.get("Cache-Control", "")
    if "no-store" in cache_control or "private" in cache_control:
        return False
    return len(response.content) <= MAX_CACHED_BYTES


def public_page(view: View) -> View:
    """Serve anonymous requests for this view from the shared cache (see module doc)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_cacheable_request(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        generation, entry = read_with_generation(key)
        if entry is not None and entry.get("generation") == generation:
            return _response_from_entry(request, entry, "hit")
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if not _storable(response) or getattr(request, "user", None) is None:
            return response
        if settling(generation):
            response[CACHE_HEADER] = "miss"
            return response
        if request.user.is_authenticated:
            return response
        content, has_csrf = _strip_csrf(request, response.content)
        entry = {
            "generation": generation,
            "status": response.status_code,
            "content": content,
            "csrf": has_csrf,
            "digest": hashlib.sha256(generation.encode() + content).hexdigest(),
            "headers": [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in _NOT_STORED
            ],
        }
        cache.set(key, entry, timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
        # The page just rendered goes out as rendered (same token, same cookie).
        response["ETag"] = _etag(request, entry)
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, VARY)
        response[CACHE_HEADER] = "miss"
        return response

    return wrapped
