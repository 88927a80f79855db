"""Sign-in protection behind a reverse proxy (django-axes hooks, see settings).

- `client_ip`: the visitor's address. Behind TRUSTED_PROXY_COUNT proxies each one
  appends the address it was connected from to X-Forwarded-For, so the client is
  the TRUSTED_PROXY_COUNT-th entry from the right; entries further left were
  written by the client and can be forged. Without proxies, REMOTE_ADDR.
- `cool_off`: how long a lock-out lasts. A username is locked after
  AXES_FAILURE_LIMIT failures from anywhere (an attack spread over many addresses
  is still stopped), and each further round of failures on the same username
  within a day doubles the wait, up to a day: guessing gets slower and slower,
  while the real user is kept out for minutes, not days, by a short burst.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessFailureLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

BASE_COOL_OFF = timedelta(minutes=15)
MAX_COOL_OFF = timedelta(days=1)


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [a for a in request.META.get(settings.TRUSTED_PROXY_HEADER, "").split(",") if a]
    if len(forwarded) < proxies:
        # Fewer entries than proxies: the request did not come through all of them
        # (or they are misconfigured); never trust what the client wrote.
        return remote
    return _valid(forwarded[-proxies]) or remote


def cool_off(request: HttpRequest | None) -> timedelta:
    if request is None:
        return BASE_COOL_OFF
    username = get_client_username(request)
    if not username:
        return BASE_COOL_OFF
    since = timezone.now() - timedelta(days=1)
    failures = AccessFailureLog.objects.filter(username=username, attempt_time__gte=since).count()
    rounds = max(0, failures // settings.AXES_FAILURE_LIMIT - 1)
    return min(BASE_COOL_OFF * 2 ** min(rounds, 16), MAX_COOL_OFF)
