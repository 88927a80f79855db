"""One caching scheme for the whole site: generations per scope, bumped after commit.

    from core.cache import public_page, remember, depends_on, validator
    path("incidents/<slug:slug>/", public_page(views.incident_detail), name="detail")

Scopes. A scope is a short string naming a part of the editorial data ("incident:42",
"list:3", ...); the apps choose the names (incidents/caching.py), this module knows
none of them except two of its own: SITE, which every cached value depends on
(invalidate_all() bumps it: restore, generate_data, changes of the conflicts'
structure), and ANY, bumped by every change, for values that declare nothing
narrower. Each scope has a generation token in the shared cache (settings.CACHES:
the database, or Redis with REDIS_URL).

Reading. A page (public_page), a computed value (remember()) or an API validator
(validator()) records the generations of the scopes it was built from, read before
the data was read; it is served only while every one of them is still current. A
view names its scopes with depends_on() while it runs; a page remembers them, and
every worker learns them per page key, so that a hit is one cache round trip (the
page and its generations in one get_many).

Invalidation. Apps register with watch() which scopes a change of a model's row
touches (incidents/apps.py registers the editorial models). Saves, deletes and m2m
changes bump those scopes when the transaction commits (transaction.on_commit), never
inside it: no generation row is locked by an open transaction, so saves never queue
behind each other on the cache, and a page rendered by another worker from the
not-yet-committed state was rendered under the old generation and is discarded. A
bump is read back and retried, because the database cache swallows write errors.

Never a page older than its generations: generations are read before rendering, and
a bump follows the commit; so a page rendered from data older than the last bump was
rendered under the generation that bump replaced. A scope first named during
rendering (not yet known for that page) is read afterwards: the page is stored only
if that generation is older than the start of rendering (by a margin for clocks of
different machines, PUBLIC_PAGE_CACHE_CLOCK_SKEW) and older than the replica's
lag (PUBLIC_PAGE_CACHE_SETTLE_SECONDS).

Only anonymous GET/HEAD requests without a session cookie, a messages cookie or an
Authorization header are served from or stored in the cache; analysts and editors
(who see drafts and internal annotations) always get a fresh page. The cache key
includes the full path with its query string and the htmx headers the views branch
on, so a partial is never served for a full page or the other way round.

A page contains the visitor's CSRF token (base.html puts it in hx-headers). The
token is cut out before storing and a fresh one for the current visitor is put back
on every hit, so no two visitors share a CSRF secret. Every cached page has an ETag
(generations + content + the visitor's CSRF cookie); a matching If-None-Match is
answered 304 without rendering.

Hits are answered first thing (CachedPageMiddleware, right after the health check),
without the rest of the site's middleware: a page is stored on its way out of that
middleware, with the headers the whole chain gave it (security headers, Content-
Security-Policy, X-Frame-Options, Vary), and every hit sends them as they are. A page
that used the request's CSP nonce is never stored.

Values that depend only on their input (memo(), memo_many(), memo_parts()) are kept
under a digest of it and need no scope: the analysis caches of parsed texts, and the
comparison page's cards, each under a digest of what it shows.

Code that changes editorial rows without model signals (QuerySet.update(),
bulk_create(), raw SQL) must call invalidate() or invalidate_all() itself;
generate_data and restore do.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import logging
import os
import pickle  # noqa: S403 (values this process, or the database cache, stored)
import re
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.signals import setting_changed
from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import (  # type: ignore[attr-defined]
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    CsrfViewMiddleware,
    _mask_cipher_secret,
    _unmask_cipher_token,
    get_token,
)
from django.middleware.security import SecurityMiddleware
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import empty

logger = logging.getLogger("parallax.cache")

SITE = "site"
ANY = "any"
# After the pages' keys in any collation: the database cache culls in key order.
GENERATION_PREFIX = "parallax:zgen:"
# "page3": entries name their body instead of holding it, and hold the headers of the
# whole middleware chain; workers of a previous version (during a rolling deploy)
# keep reading and writing their own keys.
PAGE_PREFIX = "parallax:page3:"
# A page's bytes (or remember()'s pickled value), under their digest: never change, so
# each worker keeps the ones it serves in memory (_Bodies) and a hit reads only the
# small entry and its generations.
BODY_PREFIX = "parallax:body:"
# "value2": remember()'s entries name their value's body (kept as a page's is);
# workers of the previous version keep their own "value:" keys.
VALUE_PREFIX = "parallax:value2:"
CSRF_PLACEHOLDER = b"__PARALLAX_CSRF_TOKEN__"
# Pages larger than this (big exports) are not worth a cache row.
MAX_CACHED_BYTES = 2_000_000
CACHE_HEADER = "X-Parallax-Cache"
VARY = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request", "Cookie")
# Headers of a page not stored with it: each hit sets its own (the ETag holds the
# visitor's CSRF cookie; Strict-Transport-Security is sent over HTTPS only).
_NOT_STORED = {"content-length", "etag", CACHE_HEADER.lower(), "strict-transport-security"}
_TOKEN_RE = re.compile(rb"[A-Za-z0-9]{%d}" % CSRF_TOKEN_LENGTH)
# How many page keys each worker remembers the scopes of (a hit is then one round trip).
_LEARNED_MAX = 50_000

View = Callable[..., HttpResponse]


def enabled() -> bool:
    return bool(getattr(settings, "PUBLIC_PAGE_CACHE", True))


def values_enabled() -> bool:
    """remember()'s values follow the page cache unless VALUE_CACHE says otherwise:
    the benchmark's uncached figures switch pages off but keep values on, as a
    deployment whose page cache misses still has them."""
    return bool(getattr(settings, "VALUE_CACHE", enabled()))


def store() -> BaseCache:
    """The cache the scheme uses: PUBLIC_PAGE_CACHE_ALIAS (the benchmark has its own)."""
    return caches[getattr(settings, "PUBLIC_PAGE_CACHE_ALIAS", "default")]


def _ttl() -> int:
    return int(settings.PUBLIC_PAGE_CACHE_SECONDS)


# --- generations ----------------------------------------------------------------------


def generation_key(scope: str) -> str:
    return GENERATION_PREFIX + scope


def new_generation() -> str:
    # The time of the change, then randomness: never equal to an earlier token.
    return f"{time.time():.6f}-{uuid.uuid4().hex[:16]}"


def generation_time(token: str) -> float:
    try:
        return float(token.split("-", 1)[0])
    except ValueError:
        return 0.0


def bump_now(scopes: Iterable[str]) -> None:
    """Give each scope a new generation at once, and check that it was written: the
    database cache ignores a failed write (a lock timeout), which would leave stale
    pages in place."""
    wanted = {generation_key(s): new_generation() for s in {*scopes, ANY}}
    cache = store()
    for attempt in range(4):
        # One statement with the database cache (core.dbcache), one MSET with Redis.
        cache.set_many(wanted, timeout=None)
        found = _read_many(cache, list(wanted))
        wanted = {k: v for k, v in wanted.items() if found.get(k) != v}
        if not wanted:
            return
        time.sleep(0.05 * 2**attempt)
    logger.error("Could not invalidate cached pages for %s", sorted(wanted))


def _read_many(cache: BaseCache, keys: list[str]) -> dict[str, Any]:
    """cache.get_many(keys), in fewer steps for the two backends the site uses: the
    read of every page-cache hit. The keys are the scheme's own (short, plain ASCII),
    so they are not validated again on each read. The database cache is read with
    one SELECT, leaving expired rows out in the query (Django converts each row's
    expiry date in Python, and deletes expired rows as it reads: the cull and the
    next write do that here)."""
    if isinstance(cache, DatabaseCache):
        made = {cache.make_key(k): k for k in keys}
        connection = connections[router.db_for_read(cache.cache_model_class)]
        table: str = cache._table  # type: ignore[attr-defined]
        sql = _select_sql(connection.vendor, connection.ops.quote_name, table, len(made))
        params = [*made, connection.ops.adapt_datetimefield_value(timezone.now())]
        if (
            connection.vendor == "postgresql"
            and connection.connection is not None
            and not connection.in_atomic_block
            and not connection.queries_logged
            and not connection.execute_wrappers
        ):
            # Nothing watches this connection's queries (DEBUG, tests' query counts,
            # execute_wrapper): the driver's cursor itself, a fifth of the read's time
            # less, its errors still turned into Django's (and noted on the connection).
            with connection.wrap_database_errors, connection.connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        return {made[k]: pickle.loads(base64.b64decode(v)) for k, v in rows}  # noqa: S301
    if isinstance(cache, RedisCache):
        made = {cache.make_key(k): k for k in keys}
        client: Any = cache._cache
        values = client.get_client(None).mget(list(made))
        loads = client._serializer.loads
        return {k: loads(v) for k, v in zip(made.values(), values, strict=True) if v is not None}
    return cache.get_many(keys)


_SELECTS: dict[tuple[str, str, int], str] = {}


def _select_sql(vendor: str, quote: Callable[[str], str], table: str, n: int) -> str:
    sql = _SELECTS.get((vendor, table, n))
    if sql is None:
        key, marks = quote("cache_key"), ", ".join(["%s"] * n)
        # Only quoted names and placeholders go into the text.
        sql = f"SELECT {key}, {quote('value')} FROM {quote(table)} WHERE {key} IN ({marks})"  # noqa: S608
        sql = _SELECTS[vendor, table, n] = sql + f" AND {quote('expires')} >= %s"
    return sql


_pending = threading.local()


def invalidate(scopes: Iterable[str]) -> None:
    """Make stale every value built from these scopes, when the current transaction
    commits (at once outside a transaction); the scopes of one transaction are bumped
    together."""
    pending: set[str] | None = getattr(_pending, "scopes", None)
    if pending is None:
        pending = _pending.scopes = set()
    pending.update(scopes)
    transaction.on_commit(_flush, robust=True)


def _flush() -> None:
    # Scopes of a rolled-back transaction stay pending until the next commit: an
    # invalidation too many, never one too few.
    pending: set[str] | None = getattr(_pending, "scopes", None)
    if pending:
        _pending.scopes = set()
        bump_now(pending)


def invalidate_all() -> None:
    """Invalidate every cached page and value on every worker (after commit)."""
    invalidate([SITE])


# Kept for the commands that called it before scopes existed.
bump_generation = invalidate_all


def first_generation() -> str:
    # A scope not changed since its token was created (or evicted): time 0, so that a
    # value first built with it is stored; a later bump always writes a new token.
    return f"0-{uuid.uuid4().hex[:16]}"


def read_generations(scopes: Collection[str]) -> dict[str, str]:
    """The current generation of each scope, creating the missing ones."""
    keys = [generation_key(s) for s in scopes]
    cache = store()
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    for key in missing:
        cache.add(key, first_generation(), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    return {s: str(found.get(generation_key(s), "")) for s in scopes}


def current_generation() -> str:
    """The generation of ANY, replaced by every change (after commit): for validators
    that follow any change anywhere."""
    return read_generations([ANY])[ANY]


def current_generations(scopes: Iterable[str]) -> dict[str, str]:
    """The current generations of these scopes and of SITE, in one cache round trip,
    read only: a scope never bumped (or evicted) reads as "" (any later bump writes a
    token, so a validator built from it still changes)."""
    wanted = sorted({*scopes, SITE})
    found = store().get_many([generation_key(s) for s in wanted])
    return {s: str(found.get(generation_key(s), "")) for s in wanted}


def validator(scopes: Iterable[str], *parts: Any, read: dict[str, str] | None = None) -> str:
    """A digest of the scopes' current generations (and parts): an ETag that changes
    whenever something the response was built from changed. The API's validators
    (api/conditional.py) use it; `read` is generations already read with
    current_generations() (of these scopes or more)."""
    scopes = sorted({*scopes, SITE})
    found = read if read is not None else current_generations(scopes)
    text = "\n".join([*(f"{s}={found.get(s, '')}" for s in scopes), *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# --- which scopes a value was built from -----------------------------------------------

_collector: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "parallax_cache_scopes", default=None
)


def depends_on(*scopes: str) -> None:
    """Declare, while building a cached page or value, the scopes it shows. Outside
    one (signed-in users, tests), nothing happens."""
    collected = _collector.get()
    if collected is not None:
        collected.update(scopes)


@dataclass
class _Build:
    """Generations read before building, then the scopes the build declared."""

    started: float
    known: dict[str, str]
    scopes: set[str]

    def all_scopes(self) -> tuple[str, ...]:
        # A value that names no scope depends on every change.
        return tuple(sorted((self.scopes or {ANY}) | {SITE}))

    def generations(self) -> tuple[str, ...] | None:
        """The generations of all_scopes() to store with the value, or None when the
        value may be older than one of them (see the module doc)."""
        scopes = self.all_scopes()
        late = [s for s in scopes if s not in self.known]
        found = dict(self.known)
        if late:
            found.update(read_generations(late))
        skew = float(getattr(settings, "PUBLIC_PAGE_CACHE_CLOCK_SKEW", 0.5))
        settle = float(getattr(settings, "PUBLIC_PAGE_CACHE_SETTLE_SECONDS", 0))
        now = time.time()
        for scope in scopes:
            changed = generation_time(found[scope])
            if scope in late and changed > self.started - skew:
                return None
            if settle and changed > now - settle:
                # A read replica may not have the change yet.
                return None
        return tuple(found[s] for s in scopes)


def _current(scopes: Iterable[str], found: dict[str, Any]) -> dict[str, str]:
    return {s: found[generation_key(s)] for s in scopes if generation_key(s) in found}


def _is_fresh(entry: Any, found: dict[str, Any]) -> bool:
    scopes, generations = entry["scopes"], entry["generations"]
    return all(found.get(generation_key(s)) == g for s, g in zip(scopes, generations, strict=True))


class _Learned:
    """Per worker: the scopes last stored with each key, so that the next read fetches
    the entry and its generations together."""

    def __init__(self) -> None:
        self.scopes: dict[str, tuple[str, ...]] = {}

    def get(self, key: str) -> tuple[str, ...]:
        return self.scopes.get(key, (SITE, ANY))

    def learn(self, key: str, scopes: tuple[str, ...]) -> None:
        if len(self.scopes) >= _LEARNED_MAX:
            self.scopes.clear()
        self.scopes[key] = scopes


_learned = _Learned()


def _lookup(key: str) -> tuple[Any, dict[str, Any]]:
    """The entry under key if it is fresh (else None), and the generations read."""
    known = _learned.get(key)
    cache = store()
    found = _read_many(cache, [key, *(generation_key(s) for s in known)])
    entry = found.pop(key, None)
    if not isinstance(entry, dict) or "scopes" not in entry:
        return None, found
    scopes = entry["scopes"]
    if scopes != known:
        # Scopes not fetched yet: a second round trip, once per key and worker.
        _learned.learn(key, scopes)
        found.update(_read_many(cache, [generation_key(s) for s in scopes]))
    return (entry if _is_fresh(entry, found) else None), found


def _lookup_first_query(key: str) -> tuple[Any, dict[str, Any]]:
    """_lookup() as the first query of a request. With the database cache, Django
    would first test a reused connection with a `SELECT 1` (CONN_HEALTH_CHECKS): a
    second round trip on every hit. The lookup is the test instead: if the
    connection turns out to be broken, it is closed and the lookup made again on a
    new one, as the health check would have done."""
    cache = store()
    if not isinstance(cache, DatabaseCache):
        return _lookup(key)
    # Any: the stubs do not know the health-check flag Django keeps on the connection.
    connection: Any = connections[router.db_for_read(cache.cache_model_class)]
    if connection.connection is None or connection.health_check_done:
        return _lookup(key)
    connection.health_check_done = True
    try:
        return _lookup(key)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return _lookup(key)


class _Bodies:
    """Per worker: the bytes of the pages it served lately, by digest, at most
    PUBLIC_PAGE_CACHE_LOCAL_BYTES in all (least recently used first out). A body never
    changes under its digest, so keeping it cannot serve anything stale: whether a page
    is current is decided by its entry and generations, read on every hit."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, digest: str) -> bytes | None:
        with self.lock:
            body = self.items.get(digest)
            if body is not None:
                self.items.move_to_end(digest)
            return body

    def put(self, digest: str, body: bytes) -> None:
        budget = int(getattr(settings, "PUBLIC_PAGE_CACHE_LOCAL_BYTES", 32 * 2**20))
        if len(body) > budget:
            return
        with self.lock:
            if digest in self.items:
                return
            self.items[digest] = body
            self.size += len(body)
            while self.size > budget:
                _, old = self.items.popitem(last=False)
                self.size -= len(old)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


_bodies = _Bodies()


def clear_all() -> None:
    """Empty the shared cache and this worker's memory of bodies and parts (tests)."""
    store().clear()
    _bodies.clear()


def _page_body(entry: dict[str, Any]) -> bytes | None:
    """The bytes of a cached page: from this worker's memory, else from the shared
    cache (a second round trip, once per page and worker while it stays in memory)."""
    digest = entry["body"]
    body = _bodies.get(digest)
    if body is None:
        body = store().get(BODY_PREFIX + digest)
        if not isinstance(body, bytes):
            return None  # evicted: served as a miss, and stored again
        _bodies.put(digest, body)
    return body


def _lookup_page(key: str, first_query: bool = False) -> tuple[Any, dict[str, Any]]:
    """A fresh page entry with its "content" (else None), and the generations read."""
    entry, found = _lookup_first_query(key) if first_query else _lookup(key)
    if entry is None or "body" not in entry:
        return None, found
    body = _page_body(entry)
    if body is None:
        return None, found
    return {**entry, "content": body}, found


def _build[T](key: str, found: dict[str, Any], make: Callable[[], T]) -> tuple[T, _Build]:
    known = _learned.get(key)
    build = _Build(time.time(), _current(known, found), set())
    token = _collector.set(build.scopes)
    try:
        value = make()
    finally:
        _collector.reset(token)
    # The outer build (a page that calls remember()) depends on the inner's scopes.
    depends_on(*build.scopes)
    return value, build


def remember(key: str, compute: Callable[[], Any], scopes: Iterable[str] = ()) -> Any:
    """compute() once while the scopes it reads (given here and/or declared with
    depends_on() inside compute) keep their generations, shared by every worker: for
    values many pages need (the list page's filter choices) and costly figures
    (analysis). A value that names no scope depends on every change. Computed every
    time when the cache is switched off (values_enabled())."""
    if not values_enabled():
        # Switched off (PUBLIC_PAGE_CACHE=0, and under pytest unless a test turns it on).
        depends_on(*scopes)
        return compute()
    key = VALUE_PREFIX + key
    entry, found = _lookup(key)
    if entry is not None and "body" in entry:
        pickled = _page_body(entry)
        if pickled is not None:
            depends_on(*entry["scopes"])
            return pickle.loads(pickled)  # noqa: S301 (pickled by remember() below)
    given = tuple(scopes)

    def run() -> Any:
        depends_on(*given)
        return compute()

    value, build = _build(key, found, run)
    scopes = build.all_scopes()
    _learned.learn(key, scopes)
    generations = build.generations()
    if generations is not None:
        # Kept as a page's body is: the pickled value under its digest, in this
        # worker's memory too, and the entry names it. A read finds the value in
        # memory (the comparison page's data is ~200 KB), and the read right after a
        # change, which finds the entry stale, reads only the entry.
        pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        body = hashlib.blake2b(pickled, digest_size=20).hexdigest()
        entry = {"scopes": scopes, "generations": generations, "body": body}
        _bodies.put(body, pickled)
        store().set_many({BODY_PREFIX + body: pickled, key: entry}, timeout=_ttl())
    return value


def memo(key: str, compute: Callable[[], Any], timeout: int | None = None) -> Any:
    """A value that depends only on its key (a hash of its input): never stale, kept
    until evicted or timed out. The analysis caches of parsed texts use it."""
    key = VALUE_PREFIX + "memo:" + key
    cache = store()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=timeout or _ttl())
    return value


def memo_many(
    keys: dict[str, str],
    compute: Callable[[list[str]], dict[str, Any]],
    timeout: int | None = None,
) -> dict:
    """memo() for many inputs at once: keys maps each input to its key; compute gets
    the inputs not cached and returns a value for each."""
    cache = store()
    full = {VALUE_PREFIX + "memo:" + k: item for item, k in keys.items()}
    found = cache.get_many(list(full))
    out = {full[k]: v for k, v in found.items()}
    missing = [item for item in keys if item not in out]
    if missing:
        fresh = compute(missing)
        cache.set_many(
            {VALUE_PREFIX + "memo:" + keys[item]: v for item, v in fresh.items()},
            timeout=timeout or _ttl(),
        )
        out.update(fresh)
    return out


def memo_parts[T](
    key: str,
    digests: dict[T, str],
    compute: Callable[[list[T]], dict[T, tuple[str | None, str]]],
) -> dict[T, str]:
    """memo() for the parts of one page (its statement cards' HTML): each part is kept
    under `key` and a digest of everything it was built from (`digests`: part ->
    digest), each in an entry of its own; a changed part is the only one computed
    again, and the only one written (an editor's change to one card of a
    300-statement page writes that card, not the page's 160 KiB of cards). A part
    never changes under its digest, so the worker keeps those it read or wrote in
    memory, as page bodies are (_Bodies), and reads the others in one round trip.
    compute(parts) returns, for each part, the digest of what it was actually built
    from (None: not to be kept) and its text: a part built from newer rows than its
    expected digest is kept under its own. A part no longer asked for is left to
    expire. Computed every time when values are switched off (values_enabled())."""
    if not values_enabled():
        return {part: text for part, (_, text) in compute(list(digests)).items()}
    prefix = f"{VALUE_PREFIX}part:{key}:"
    out: dict[T, str] = {}
    for part, digest in digests.items():
        kept = _bodies.get(prefix + digest)
        if kept is not None:
            out[part] = kept.decode()
    unread = {prefix + d for part, d in digests.items() if part not in out}
    cache = store()
    found = cache.get_many(list(unread)) if unread else {}
    for part, digest in digests.items():
        value = found.get(prefix + digest)
        if part not in out and isinstance(value, str):
            out[part] = value
            _bodies.put(prefix + digest, value.encode())
    missing = [part for part in digests if part not in out]
    if missing:
        fresh = compute(missing)
        keep = {}
        for part, (built, text) in fresh.items():
            out[part] = text
            if built is not None:
                keep[prefix + built] = text
                _bodies.put(prefix + built, text.encode())
        if keep:
            cache.set_many(keep, timeout=_ttl())
    return out


# --- what a change of a row touches -------------------------------------------------------

Footprint = Callable[[Any, Any, str], Iterable[str]]
Before = Callable[[Any], Any]


@dataclass
class _Watch:
    footprint: Footprint
    before: Before | None


_watched: dict[type[Model], _Watch] = {}


def watch(model: type[Model], footprint: Footprint, before: Before | None = None) -> None:
    """Register which scopes a change of model's rows touches: footprint(instance,
    before, event) with event "save", "create", "delete" or "link" (an m2m change,
    called for the rows of both sides), and before(instance) run before a save or
    delete (inside the transaction) for what the row was."""
    _watched[model] = _Watch(footprint, before)
    uid = f"parallax-cache-{model._meta.label_lower}"
    pre_save.connect(_pre_change, sender=model, dispatch_uid=uid + "-pre-save")
    pre_delete.connect(_pre_change, sender=model, dispatch_uid=uid + "-pre-delete")
    post_save.connect(_on_save, sender=model, dispatch_uid=uid + "-save")
    post_delete.connect(_on_delete, sender=model, dispatch_uid=uid + "-delete")
    m2m_changed.connect(_on_m2m_changed, dispatch_uid="parallax-cache-m2m")


def is_watched(model: type[Model]) -> bool:
    return model in _watched


def footprint_of(instance: Model, event: str = "save") -> set[str]:
    watched = _watched.get(type(instance))
    if watched is None:
        return {SITE}
    before = getattr(instance, "_parallax_before", None)
    return set(watched.footprint(instance, before, event))


def _pre_change(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    watched = _watched.get(sender)
    if watched is not None and watched.before is not None and not raw:
        instance._parallax_before = watched.before(instance)  # type: ignore[attr-defined]


def _on_save(
    sender: type[Model], instance: Model, created: bool, raw: bool = False, **kw: Any
) -> None:
    if raw:
        # Fixtures: no before-state; the loader's caller invalidates everything.
        invalidate([SITE])
        return
    invalidate(footprint_of(instance, "create" if created else "save"))


def _on_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    invalidate(footprint_of(instance, "delete"))


def _on_m2m_changed(
    sender: type, instance: Model, action: str, model: type[Model], pk_set: Any, **kw: Any
) -> None:
    if not action.startswith("post_") or type(instance) not in _watched:
        return
    scopes = footprint_of(instance, "link")
    if pk_set is None:
        # A clear from the other side: which rows lost the link is not known here.
        if model in _watched:
            scopes.add(SITE)
    elif model in _watched:
        for other in model._default_manager.filter(pk__in=pk_set):
            scopes |= footprint_of(other, "link")
    invalidate(scopes)


# --- the page decorator ---------------------------------------------------------------


def is_cacheable_request(request: HttpRequest) -> bool:
    if not enabled() or request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        # Signed in (or once was, with something in the session): never cached.
        return False
    return "HTTP_AUTHORIZATION" not in request.META


# Settings that shape a stored page's headers (the middleware chain and what it adds).
_HEADER_SETTINGS = (
    "MIDDLEWARE",
    "SECURE_CSP",
    "SECURE_CSP_REPORT_ONLY",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "STATIC_URL",
)


@functools.cache
def release() -> str:
    """A digest of what this process renders pages with: the project's code,
    templates and static files, and the settings that shape a page's headers. Part of
    every page's key, so that after a deploy no worker serves a page (or headers, or
    links to static files) rendered by the previous release, and a worker of the
    previous release none rendered by the new one. Worked out once per process (and
    again when a test changes settings)."""
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    roots = {Path(app.path) for app in apps.get_app_configs()}
    engines: list[dict[str, Any]] = settings.TEMPLATES
    roots |= {Path(d) for engine in engines for d in engine.get("DIRS", [])}
    roots |= {Path(d) for d in getattr(settings, "STATICFILES_DIRS", [])}
    # The project's own files: not installed packages, even in a virtualenv inside it.
    installed = Path(sys.prefix)
    project = (r for r in roots if r.is_relative_to(base) and not r.is_relative_to(installed))
    for root in sorted(project):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".js", ".svg") and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    digest.update(repr([getattr(settings, name, None) for name in _HEADER_SETTINGS]).encode())
    return digest.hexdigest()


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    release.cache_clear()


def page_key(request: HttpRequest) -> str:
    meta = request.META
    parts = [
        release(),
        # Validated before any hit (CachedPageMiddleware._passes); a page may name them.
        request.scheme or "",
        meta.get("HTTP_HOST") or meta.get("SERVER_NAME", ""),
        "GET" if request.method == "HEAD" else str(request.method),
        request.get_full_path(),
        meta.get("HTTP_HX_REQUEST", ""),
        meta.get("HTTP_HX_TARGET", ""),
        meta.get("HTTP_HX_BOOSTED", ""),
        # The public views answer a history restore with the whole page.
        meta.get("HTTP_HX_HISTORY_RESTORE_REQUEST", ""),
        meta.get("HTTP_HX_TRIGGER_NAME", ""),
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


_CSRF_N = len(CSRF_ALLOWED_CHARS)
_CSRF_ALPHABET = CSRF_ALLOWED_CHARS.encode("ascii")
# Byte tables for bytes.translate: a random byte to an index of the alphabet (bytes
# from _CSRF_EVEN up are dropped, so that every index is an even draw), a character
# of the alphabet to its index, and an index, or the sum of two (< 2 * _CSRF_N), to
# its character.
_CSRF_EVEN = 256 - 256 % _CSRF_N
_CSRF_DRAW = bytes(b % _CSRF_N for b in range(256))
_CSRF_UNEVEN = bytes(range(_CSRF_EVEN, 256))
_CSRF_TO_INDEX = bytes(_CSRF_ALPHABET.index(b) if b in _CSRF_ALPHABET else 255 for b in range(256))
_CSRF_TO_CHAR = bytes(_CSRF_ALPHABET[b % _CSRF_N] if b < 2 * _CSRF_N else 0 for b in range(256))


def _masked_token(secret: str) -> str:
    """The visitor's CSRF secret, masked as django.middleware.csrf.get_token does (a
    new random mask each time, so the page differs on every request): the mask from
    one os.urandom call instead of 32 calls of the secrets module, and the adding of
    mask and secret, character by character modulo the alphabet, done on all 32 at
    once (as big integers: no sum of two reaches a byte's limit, so none carries)."""
    mask = os.urandom(2 * CSRF_SECRET_LENGTH).translate(_CSRF_DRAW, _CSRF_UNEVEN)
    mask = mask[:CSRF_SECRET_LENGTH]
    indexes = secret.encode("ascii", "replace").translate(_CSRF_TO_INDEX)
    if len(mask) < CSRF_SECRET_LENGTH or len(indexes) != CSRF_SECRET_LENGTH or 255 in indexes:
        # Too few even draws (about never), or not a secret of the usual form.
        return str(_mask_cipher_secret(secret))
    sums = int.from_bytes(indexes) + int.from_bytes(mask)
    cipher = sums.to_bytes(CSRF_SECRET_LENGTH).translate(_CSRF_TO_CHAR)
    return (mask.translate(_CSRF_TO_CHAR) + cipher).decode("ascii")


def _csrf_token(request: HttpRequest) -> str:
    """A token for the visitor's CSRF secret. A visitor who sent a valid CSRF cookie
    keeps it, and the hit does not send it again (get_token() would, to renew its
    expiry: a year, CSRF_COOKIE_AGE; any uncached page renews it). A visitor without
    one gets a new secret and its cookie from CsrfViewMiddleware, as on any page."""
    secret = request.META.get("CSRF_COOKIE")
    if isinstance(secret, str) and len(secret) == CSRF_SECRET_LENGTH:
        return _masked_token(secret)
    return str(get_token(request))


def _etag(request: HttpRequest, entry: dict[str, Any]) -> str:
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "") if entry["csrf"] else ""
    digest = hashlib.sha256(f"{entry['digest']}:{cookie}".encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def _finish(response: HttpResponse, etag: str, state: str) -> HttpResponse:
    response["ETag"] = etag
    # Browsers must come back (If-None-Match) rather than reuse a page an editor
    # may have changed since; "private" because the page holds a CSRF token.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, VARY)
    response[CACHE_HEADER] = state
    return response


def _response_from_entry(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse:
    etag = _etag(request, entry)
    headers = entry["headers"]
    matches = request.META.get("HTTP_IF_NONE_MATCH", "")
    if matches and etag in [t.strip() for t in matches.split(",")]:
        response: HttpResponse = HttpResponseNotModified()
        headers = {k: v for k, v in headers.items() if k != "content-type"}
    else:
        content = entry["content"]
        if entry["csrf"]:
            content = content.replace(CSRF_PLACEHOLDER, _csrf_token(request).encode())
        response = HttpResponse(content, status=entry["status"])
    # The stored headers were taken from a response's own (checked by ResponseHeaders
    # when the page was rendered): put back as they are, not checked again per hit.
    store: dict[str, tuple[str, str]] = response.headers._store  # type: ignore[attr-defined]
    store.update(headers)
    # As CommonMiddleware sets it on the page rendered.
    store["content-length"] = ("Content-Length", str(len(response.content)))
    if not entry["final"]:
        # Stored without the site's middleware (see _store): it adds the rest.
        return _finish(response, etag, "hit")
    store["etag"] = ("ETag", etag)
    store[CACHE_HEADER.lower()] = (CACHE_HEADER, "hit")
    return response


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming:
        return False
    if any(name != settings.CSRF_COOKIE_NAME for name in response.cookies):
        return False
    cache_control = response.get("Cache-Control", "")
    if "no-store" in cache_control or "private" in cache_control:
        return False
    nonce = getattr(request, "_csp_nonce", None)
    if nonce is not None and nonce._wrapped is not empty:
        # The page or its Content-Security-Policy holds this request's nonce: to be
        # used once, never shared with another visitor.
        return False
    return len(response.content) <= MAX_CACHED_BYTES


def _store(
    request: HttpRequest,
    response: HttpResponse,
    key: str,
    generations: tuple[str, ...],
    scopes: tuple[str, ...],
    final: bool,
) -> HttpResponse:
    """Store a page just rendered under key, with the generations it was rendered
    under, and mark the response a miss. final: the response has been through the
    site's middleware (CachedPageMiddleware stores it on its way out), so its headers
    are those every hit sends as they are; otherwise (a chain without that
    middleware) the middleware of each hit adds its own."""
    if not _storable(request, response):
        return response
    content, has_csrf = _strip_csrf(request, response.content)
    body = hashlib.sha256(content).hexdigest()
    entry = {
        "scopes": scopes,
        "generations": generations,
        "status": response.status_code,
        "body": body,
        "csrf": has_csrf,
        "digest": hashlib.sha256("\n".join([*generations, body]).encode()).hexdigest(),
        "final": final,
    }
    # The page just rendered goes out as rendered (same token, same cookie).
    _finish(response, _etag(request, entry), "miss")
    entry["headers"] = {
        lower: pair
        for lower, pair in response.headers._store.items()  # type: ignore[attr-defined]
        if lower not in _NOT_STORED
    }
    _bodies.put(body, content)
    # The body first, so that an entry found always finds its body (unless evicted).
    store().set_many({BODY_PREFIX + body: content, key: entry}, timeout=_ttl())
    return response


class CachedPageMiddleware:
    """Answers a cache hit first thing (right after the health check), before the
    rest of the site's middleware: sessions are not read, no user is loaded, no URL
    resolved. Only for pages this worker has seen cached (their scopes are learned),
    so other requests pay no cache lookup here; a miss goes on to the view, and
    public_page uses the lookup already made.

    What the middleware skipped on a hit would have done to it is done here or was
    stored with the page: a request that one of them would answer itself (the HTTPS
    redirect, a host not in ALLOWED_HOSTS, a refused user agent, a NUL in the query
    string) goes through the whole chain instead; the CSRF cookie is read (and a
    first visitor's set) by CsrfViewMiddleware's own methods; every other header the
    site's middleware adds to a page (security headers, Content-Security-Policy,
    X-Frame-Options, Vary) was stored with it, from the response as it left them on
    the miss, which is why a page is stored here on its way out, not in the view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.security = SecurityMiddleware(get_response)
        self.common = CommonMiddleware(get_response)
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_cacheable_request(request):
            return self.get_response(request)
        request._parallax_outer = True  # type: ignore[attr-defined]
        key = page_key(request)
        if key in _learned.scopes and self._passes(request):
            response = self._hit(request, key)
            if response is not None:
                return response
        response = self.get_response(request)
        rendered = request.__dict__.pop("_parallax_rendered", None)
        if rendered is not None:
            rendered_key, generations, scopes = rendered
            response = _store(request, response, rendered_key, generations, scopes, final=True)
        return response

    def _passes(self, request: HttpRequest) -> bool:
        """Whether the middleware between here and the view would let the request
        through to a view (and read its CSRF cookie, as CsrfViewMiddleware does)."""
        if settings.CSRF_USE_SESSIONS:
            return False  # the token lives in the session, which a hit does not read
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return False  # UnstorableInputMiddleware's 400
        if self.security.process_request(request) is not None:
            return False  # the HTTPS redirect
        try:
            if self.common.process_request(request) is not None:
                return False  # PREPEND_WWW's redirect
        except (SuspiciousOperation, PermissionDenied):
            return False  # a host not allowed, a refused user agent: their error page
        self.csrf.process_request(request)
        return True

    def _hit(self, request: HttpRequest, key: str) -> HttpResponse | None:
        try:
            stall = float(getattr(settings, "DATABASE_STALL_SECONDS", 0) or 0)
            if stall > 0:
                # Not yet inside DatabaseUnavailableMiddleware's watch for a database
                # that stops answering: a watch of its own.
                from core.middleware import _StallWatch

                with _StallWatch(stall):
                    entry, found = _lookup_page(key, first_query=True)
            else:
                entry, found = _lookup_page(key, first_query=True)
        except Exception:  # noqa: BLE001
            # The cache (or its database) failed: the whole chain answers, with
            # DatabaseUnavailableMiddleware's 503 if it fails there too.
            logger.warning("Cache read failed for a hit; answered by the view", exc_info=True)
            return None
        request._parallax_lookup = (key, entry, found)  # type: ignore[attr-defined]
        if entry is None or not entry["final"]:
            return None
        response = _response_from_entry(request, entry)
        # What CsrfViewMiddleware and SecurityMiddleware add per request: a first
        # visitor's CSRF cookie, Strict-Transport-Security over HTTPS.
        self.csrf.process_response(request, response)
        return self.security.process_response(request, response)


def public_page(view: View) -> View:
    """Serve anonymous requests for this view from the shared cache (see module doc).
    The view names what it shows with depends_on(); without it, any change makes
    the page stale."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_cacheable_request(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        looked_up = getattr(request, "_parallax_lookup", None)
        if looked_up is not None and looked_up[0] == key:
            # Made by CachedPageMiddleware a moment ago.
            _, entry, found = looked_up
        else:
            entry, found = _lookup_page(key)
        if entry is not None:
            return _response_from_entry(request, entry)

        def render() -> HttpResponse:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            return response

        response, build = _build(key, found, render)
        if not _storable(request, response) or getattr(request, "user", None) is None:
            return response
        if request.user.is_authenticated:
            return response
        scopes = build.all_scopes()
        _learned.learn(key, scopes)
        generations = build.generations()
        if generations is None:
            response[CACHE_HEADER] = "miss"
            return response
        if getattr(request, "_parallax_outer", False):
            # Stored by CachedPageMiddleware with the headers of the whole chain.
            request._parallax_rendered = (key, generations, scopes)  # type: ignore[attr-defined]
            return response
        return _store(request, response, key, generations, scopes, final=False)

    return wrapped


# --- the Redis backend -------------------------------------------------------------------


class _RedisClientOnce(RedisCacheClient):
    """Django's Redis cache client builds a new redis.Redis object for every operation
    (its ~170 response callbacks each time: a fifth of a cache hit's CPU); this one
    keeps one per connection pool (redis.Redis is safe to share between threads)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        this: Any = self  # the stubs do not know RedisCacheClient's own helpers
        pool = this._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = this._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """settings.CACHES' backend with REDIS_URL: Django's, with one client per pool."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _RedisClientOnce
