"""Conditional GETs for the API: ETag and Last-Modified, 304 Not Modified.

Where the listed models carry `updated_at`, the validators come from one aggregate
query over the filtered, visibility-limited queryset (count and latest change) before
any row is serialised, so a 304 costs that one query. Where they do not (actors,
parties), the ETag is a hash of the body: still correct, only not cheaper.

Aggregates alone miss changes a list shows without its own rows changing (a
source's statement_count after an incident is unpublished, a renamed place or
conflict inside an incident's item), so every ETag also carries the generations
(core.cache) of the scopes the answer shows, which the changes of what it shows
replace (incidents/caching.py says which change touches which scope): an endpoint
passes `scopes` (an incident's answers: that incident's scopes; the incident and
statement lists: every conflict's list and words), and without them its ETag follows
every change anywhere (coarser than needed, never wrong). tests/api/test_etags.py
checks publish, unpublish, withdraw, edit and delete against every endpoint, and
that an edit in one incident leaves another incident's validators alone.

Last-Modified stays coarse: it is the later of the rows' own latest change and the
last change anywhere (the generation of core.cache.ANY), so that it never says
"unchanged" about an answer whose ETag changed.

The ETag also covers what the requester may see (public or internal) and the full
URL, so a public client can never be told "not modified" about an analyst's copy;
responses vary on Cookie for the same reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from accounts.models import audience as audience_of
from accounts.models import can_see_unpublished
from core.cache import ANY, current_generations, read_generations, validator

# Bumped whenever a representation changes, so cached copies are not reused.
REPRESENTATION_VERSION = "2"
JSON = "application/json"


def audience(request: HttpRequest) -> str:
    return audience_of(request.user).value


def make_etag(request: HttpRequest, parts: list[Any], generation: str) -> str:
    key = json.dumps(
        [
            REPRESENTATION_VERSION,
            generation,
            audience(request),
            request.get_full_path(),
            *parts,
        ],
        cls=DjangoJSONEncoder,
    )
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:40] + '"'


def latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def generation_time(generation: str) -> datetime | None:
    """When the content generation was last replaced (its token starts with that
    time, as core.cache.settling() also reads it); None if it cannot be read."""
    try:
        return datetime.fromtimestamp(float(generation.split("-", 1)[0]), tz=UTC)
    except ValueError:
        return None


def finish[R: HttpResponseBase](request: HttpRequest, response: R) -> R:
    """Headers every API response carries, 304s included."""
    patch_vary_headers(response, ("Cookie",))
    if can_see_unpublished(request.user):
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
    else:
        patch_cache_control(response, max_age=0, must_revalidate=True)
    return response


def dumps(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


def conditional_json(
    request: HttpRequest,
    build: Callable[[], Any],
    *,
    parts: list[Any] | None = None,
    last_modified: datetime | None = None,
    content_type: str = JSON,
    status: int = 200,
    scopes: Iterable[str] | None = None,
) -> HttpResponse:
    """Answer 304 when the client's copy is current, else build and send the body.

    `parts` (e.g. count and latest updated_at) make the ETag without building the
    body; without them the ETag hashes the body. `scopes` are the cache scopes of
    what the answer shows (incidents.caching); by default every change counts.
    """
    shown = list(scopes) if scopes is not None else [ANY]
    read = current_generations([*shown, ANY])  # one cache read per answer
    if not read[ANY]:
        # Never bumped (a new cache): give it its first token, whose time (0) leaves
        # Last-Modified to the rows; once per cache, not per answer.
        read[ANY] = read_generations([ANY])[ANY]
    generation = validator(shown, read=read)
    etag = make_etag(request, parts, generation) if parts is not None else None
    if last_modified is not None:
        # Like the ETag, Last-Modified must move when anything the answer shows
        # changes, not only its own rows; without a readable generation time it is
        # left out rather than risk a stale 304 to an If-Modified-Since.
        changed = generation_time(read[ANY])
        last_modified = max(last_modified, changed) if changed else None
    timestamp = int(last_modified.timestamp()) if last_modified else None
    if etag is not None:
        not_modified = get_conditional_response(request, etag=etag, last_modified=timestamp)
        if not_modified is not None:
            _set_validators(not_modified, etag, last_modified)
            return finish(request, not_modified)
    body = dumps(build())
    if etag is None:
        etag = make_etag(request, [hashlib.sha256(body.encode()).hexdigest()], generation)
        not_modified = get_conditional_response(request, etag=etag, last_modified=timestamp)
        if not_modified is not None:
            _set_validators(not_modified, etag, last_modified)
            return finish(request, not_modified)
    response = HttpResponse(body, content_type=content_type, status=status)
    _set_validators(response, etag, last_modified)
    return finish(request, response)


def _set_validators(response: HttpResponse, etag: str, last_modified: datetime | None) -> None:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
