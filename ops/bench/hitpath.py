"""Where the time of a page-cache hit goes: each part of the hit path timed alone,
in-process, against the data and cache of the database in DATABASE_URL (REDIS_URL
for Redis), so that the parts can be compared with the whole and with a bare Django
view in one run:

    DATABASE_URL=postgres://... .venv/bin/python -m ops.bench.hitpath [--n 2000]

Parts: the bare Django view (no middleware); the trivial view through the site's
middleware; one `SELECT 1` round trip; the cache read of a page and its generations
(get_many); building the response from an entry already in memory; a whole hit
through the site's middleware, with the connection's health check of a new request
(as under gunicorn) and without it (as the test client does). Prints p50 and the
process CPU per request, in microseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def timed(label: str, n: int, step: Callable[[], object]) -> tuple[str, float, float]:
    for _ in range(min(50, n)):
        step()
    walls, cpu_start = [], time.process_time()
    for _ in range(n):
        start = time.perf_counter()
        step()
        walls.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu_start) / n
    return label, statistics.median(walls) * 1e6, cpu * 1e6


def main() -> None:
    n = int(sys.argv[sys.argv.index("--n") + 1]) if "--n" in sys.argv else 2000
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ops.bench.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client, override_settings
    from django.urls import reverse

    from core import cache as page_cache
    from incidents.models import Statement

    pk = Statement.objects.publicly_visible().order_by("pk").values_list("pk", flat=True)[0]
    page = reverse("incidents:statement_detail", args=[pk])
    trivial = reverse("bench_trivial")
    rows = []
    with override_settings(MIDDLEWARE=[]):
        bare = Client()
        rows.append(timed("bare Django view (no middleware)", n, lambda: bare.get(trivial)))
    client = Client()
    rows.append(timed("trivial view, site middleware", n, lambda: client.get(trivial)))

    def select_one() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    rows.append(timed("SELECT 1 (one database round trip)", n, select_one))
    with override_settings(PUBLIC_PAGE_CACHE=True):
        first = client.get(page)
        assert first.status_code == 200, first.status_code
        assert client.get(page)[page_cache.CACHE_HEADER] == "hit"
        request = client.get(page).wsgi_request
        key = page_cache.page_key(request)
        read = page_cache._lookup_page
        rows.append(timed("cache read: page + generations", n, lambda: read(key)))
        entry, _ = page_cache._lookup_page(key)
        rows.append(
            timed(
                "response from an entry in memory",
                n,
                lambda: page_cache._response_from_entry(request, entry),
            )
        )
        rows.append(timed("hit, site middleware (test client)", n, lambda: client.get(page)))

        def as_gunicorn() -> None:
            # The test client skips close_old_connections, which marks the connection
            # for a health check (SELECT 1) before its first query in a request.
            request_started.send(sender=None)
            close_old_connections()
            client.get(page)
            request_finished.send(sender=None)

        rows.append(timed("hit, with a new request's connection check", n, as_gunicorn))
    backend = str(page_cache.store().__class__.__name__)
    print(f"{backend}, {n} times each, load average {os.getloadavg()[0]:.2f}")
    print(f"{'part':<48} {'p50 µs':>8} {'CPU µs':>8}")
    for label, wall, cpu in rows:
        print(f"{label:<48} {wall:8.0f} {cpu:8.0f}")


if __name__ == "__main__":
    main()
