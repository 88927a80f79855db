"""Measure the public pages in-process (server time, no network), against the data
in the database (fill it with generate_data first; `make bench` does everything).

    python manage.py bench [--requests 40] [--output bench-results/latest.md] [--explain]
                           [--only hits|search]

For each page: p50 and p95 over repeated anonymous requests through the full
middleware stack (django.test.Client), the SQL query count, the response size, and
both times as a ratio to a trivial Django view timed in the same run (ops.bench.urls),
so that figures from different machines can be compared. The page cache
(core.cache) is off for these figures; a second column shows a cache hit where
the view is wrapped with public_page. A second table times the hits with each cache
backend (the database cache, and Redis: REDIS_URL's or a throwaway redis-server when
one is installed) against a bare Django view (the trivial view without any
middleware) timed just before them in the same run, with the hits' own CPU time;
`--only hits` prints that table alone.

"Uncached" means the page cache is off; remember()'s values (the list's filter
choices and map, the comparison page's data and cards) stay on and warm, as on a
page-cache miss in a deployment. The comparison page is also measured with them off
(COLD_COMPARISON: nothing cached, every card rendered), and right after one
statement of it is edited (EDITED_COMPARISON: an editor at work; each timed request
follows its own edit, which makes the page's data stale and changes one card).

Search is timed at several word frequencies (SEARCH_WORDS, with their number of
visible matches), uncached. `--only search` times just that (with the trivial view
for scale), in well under a minute.

The benchmark never touches the site's cache: it uses its own cache alias ("bench",
the default backend with its own key prefix), so no page rendered with the
benchmark's settings is ever served to a visitor.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse

from incidents.models import Incident, Statement
from ops.management.commands.generate_data import COMMON_TERM, RARE_TERM

# Queries of generate_data's words from very rare to very common (the search curve);
# visible matches at full size: 27, 125, 684, 1,730, 11,158, 19,396, 51,612, 70,524,
# 92,475. Its words come in few frequencies: two words narrow a common one down to
# the hundreds, the middle of the curve that issue 15 found slow.
SEARCH_WORDS = [
    RARE_TERM,
    "kitehollow investigation",
    "league investigation",
    "kitehollow",
    "federal",
    "investigation",
    "territory",
    COMMON_TERM,
    "positions",
]
SEARCH_TARGET_MS = 60
BENCH_CACHE = "bench"

COLD_COMPARISON = "comparison page (largest incident), its values cold"
EDITED_COMPARISON = "comparison page (largest incident), after one statement edit"

# name -> (p95 target in ms, query-count target or None)
TARGETS: dict[str, tuple[float, int | None]] = {
    "incident list": (25, None),
    "comparison page (largest incident)": (60, 12),
    COLD_COMPARISON: (60, 12),
    EDITED_COMPARISON: (60, None),
    "statement page": (25, None),
    f"search, common term ({COMMON_TERM})": (60, None),
    f"search, rare term ({RARE_TERM})": (60, None),
    "API page": (25, None),
    "export": (0, None),
}


@dataclass
class Result:
    name: str
    url: str
    times: list[float] = field(default_factory=list)
    queries: int = 0
    size: int = 0
    status: int = 0
    note: str = ""
    cached_times: list[float] = field(default_factory=list)
    # Cache hits per cache backend ("database", "Redis"): cached_times is the first.
    hits: dict[str, list[float]] = field(default_factory=dict)
    # The same hits' CPU time in this process, per backend.
    hit_cpu: dict[str, list[float]] = field(default_factory=dict)
    # CPU time of this process per request: the app's own work, not counting time
    # spent waiting for the database or for a CPU taken by other processes.
    cpu_times: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def pct(self, p: float, times: list[float] | None = None) -> float:
        data = sorted(times if times is not None else self.times)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(p / 100 * (len(data) - 1))))
        return data[k]


def response_bytes(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


class Command(BaseCommand):
    help = "Benchmark the public pages against the data in the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=40)
        parser.add_argument("--warmup", type=int, default=3)
        parser.add_argument("--output", default="", help="Also write a Markdown table here.")
        parser.add_argument(
            "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query."
        )
        parser.add_argument(
            "--only",
            choices=["hits", "search"],
            help="Only this table: hits = the cache hits against a bare Django view; "
            "search = the search curve (SEARCH_WORDS).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        # Measure the process as config/wsgi.py sets it up for gunicorn workers.
        import gc

        gc.freeze()
        gc.set_threshold(int(os.environ.get("GC_GEN0_THRESHOLD", "50000")), 20, 100)
        self.n = opts["requests"]
        self.warmup = opts["warmup"]
        largest = (
            Incident.objects.published()
            .annotate(n=Count("statements"))
            .order_by("-n", "pk")
            .first()
        )
        if largest is None:
            raise CommandError("No published incident: run generate_data first.")
        statement = (
            Statement.objects.publicly_visible().filter(incident=largest).order_by("pk").first()
        )
        if statement is None:
            raise CommandError("The largest incident has no published statement.")
        n_annotations = largest.statements.aggregate(n=Count("annotations"))["n"]
        pages = [
            ("incident list", self.url("incidents:list")),
            ("comparison page (largest incident)", self.url("incidents:detail", largest.slug)),
            ("statement page", self.url("incidents:statement_detail", statement.pk)),
            (
                f"search, common term ({COMMON_TERM})",
                self.url("search:results") + "?q=" + COMMON_TERM,
            ),
            (f"search, rare term ({RARE_TERM})", self.url("search:results") + "?q=" + RARE_TERM),
            ("API page", self.first_url(["api:incident_list", "api:statement_list", "api:index"])),
            (
                "export",
                self.first_url(["api:export_incidents", "api:export_statements"], fmt="csv"),
            ),
        ]
        own_cache = {**settings.CACHES["default"], "KEY_PREFIX": "parallax-bench"}
        hit_caches = self.hit_caches()
        isolated = override_settings(
            CACHES={**settings.CACHES, BENCH_CACHE: own_cache},
            PUBLIC_PAGE_CACHE_ALIAS=BENCH_CACHE,
            ROOT_URLCONF="ops.bench.urls",
        )
        if opts["only"] == "search":
            with isolated, override_settings(PUBLIC_PAGE_CACHE=False, VALUE_CACHE=True):
                trivial = self.measure("trivial Django view", reverse("bench_trivial"))
                table = self.curve_table(self.search_curve(explain=opts["explain"]))
            self.report(f"Trivial view p50 {trivial.pct(50):.2f} ms.\n\n" + table, opts)
            return
        only_hits = opts["only"] == "hits"
        with isolated:
            if only_hits:
                results = [Result(name, url, note="" if url else "no URL") for name, url in pages]
            else:
                with override_settings(MIDDLEWARE=[], PUBLIC_PAGE_CACHE=False):
                    bare = self.measure(
                        "bare Django view (no middleware)", reverse("bench_trivial")
                    )
                # Uncached pages, as on a page-cache miss: remember()'s values (filter
                # choices, the list map, the comparison page's data and cards) stay
                # cached, as they are in a deployment.
                with override_settings(PUBLIC_PAGE_CACHE=False, VALUE_CACHE=True):
                    trivial = self.measure("trivial Django view", reverse("bench_trivial"))
                    results = [
                        self.measure(name, url, explain=opts["explain"]) for name, url in pages
                    ]
                    curve = self.search_curve(explain=opts["explain"])
                # The comparison page right after a change to its incident: its values
                # cold too, everything loaded and rendered on every request.
                with override_settings(PUBLIC_PAGE_CACHE=False, VALUE_CACHE=False):
                    results.insert(2, self.measure(COLD_COMPARISON, pages[1][1]))
                with override_settings(PUBLIC_PAGE_CACHE=False, VALUE_CACHE=True):
                    results.insert(3, self.measure_after_edit(largest, pages[1][1]))
            # Cache hits with each backend, each after its own timing of the bare view
            # (the machine's load drifts during a run).
            bare_for: dict[str, Result] = {}
            with hit_caches as backends:
                for label, backend in backends.items():
                    caches = {**settings.CACHES, BENCH_CACHE: backend}
                    with override_settings(CACHES=caches, MIDDLEWARE=[], PUBLIC_PAGE_CACHE=False):
                        bare_for[label] = self.measure("bare", reverse("bench_trivial"))
                    with override_settings(CACHES=caches, PUBLIC_PAGE_CACHE=True):
                        # The cold and edited comparison rows share the URL above them.
                        for r in results:
                            if r.name not in (COLD_COMPARISON, EDITED_COMPARISON):
                                self.measure_cached(r, label)
        if only_hits:
            table = self.hits_table(results, bare_for)
        else:
            table = self.table(trivial, results, bare) + "\n\n" + self.hits_table(results, bare_for)
            table += "\n\n" + self.curve_table(curve)
        extra = f"Largest incident: {largest.n} statements, {n_annotations} annotations. "
        self.report(table, opts, extra)

    def report(self, table: str, opts: dict[str, Any], extra: str = "") -> None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        header = (
            f"Load average at the end: {load:.2f} on {os.cpu_count()} CPUs. "
            f"Data: {Incident.objects.count():,} incidents, {Statement.objects.count():,} "
            f"statements. {extra}Database: {connection.vendor}. {self.n} requests per page "
            f"after {self.warmup} warm-up requests."
        )
        self.stdout.write(header + "\n\n" + table)
        if opts["output"]:
            path = Path(opts["output"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(header + "\n\n" + table + "\n")
            self.stdout.write(f"\nWritten to {path}")

    # --- helpers ------------------------------------------------------------------

    def url(self, name: str, *args: Any) -> str:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return ""

    def first_url(self, names: list[str], **kwargs: Any) -> str:
        for name in names:
            try:
                return reverse(name, kwargs=kwargs) if kwargs else reverse(name)
            except NoReverseMatch:
                continue
        return ""

    def measure(self, name: str, url: str, explain: bool = False) -> Result:
        result = Result(name, url)
        if not url:
            result.note = "no such URL yet"
            return result
        client = Client()
        for _ in range(self.warmup):
            client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            body = response_bytes(response)
        result.queries = len(ctx.captured_queries)
        result.size = len(body)
        result.status = response.status_code
        result.slowest = sorted(
            ((float(q["time"]), q["sql"]) for q in ctx.captured_queries), reverse=True
        )[:3]
        if response.status_code != 200:
            result.note = f"HTTP {response.status_code}"
        for _ in range(self.n):
            start, cpu = time.perf_counter(), time.process_time()
            response_bytes(client.get(url))
            result.times.append((time.perf_counter() - start) * 1000)
            result.cpu_times.append((time.process_time() - cpu) * 1000)
        if explain and result.slowest and connection.vendor == "postgresql":
            self.explain(result)
        return result

    def hit_caches(self) -> Any:
        """The cache backends to time hits with, each under the benchmark's own key
        prefix: the database cache (the default), and Redis: REDIS_URL's, else a
        throwaway redis-server if one is installed."""
        from contextlib import contextmanager

        from ops.bench.servers import ThrowawayRedis

        database = {
            "BACKEND": "core.dbcache.DatabaseCache",
            "LOCATION": "parallax_cache",
            "KEY_PREFIX": "parallax-bench",
        }

        @contextmanager
        def backends() -> Any:
            with ThrowawayRedis() as throwaway:
                url = os.environ.get("REDIS_URL") or throwaway.url
                found = {"database": database}
                if url:
                    found["Redis"] = {
                        "BACKEND": "core.cache.RedisCache",
                        "LOCATION": url,
                        "KEY_PREFIX": "parallax-bench",
                    }
                yield found

        return backends()

    def measure_after_edit(self, incident: Incident, url: str) -> Result:
        """The comparison page requested right after an editor saved one of its
        statements (a new translation note: a new version of a card the page shows),
        each timed request after its own edit; the edit itself is not timed. The
        note is put back at the end."""
        from django.contrib.auth.models import AnonymousUser
        from django.http import QueryDict

        from incidents.comparison import build_page

        result = Result(EDITED_COMPARISON, url)
        shown = build_page(incident, AnonymousUser(), QueryDict()).shown_cards()
        if not shown:
            result.note = "no card shown"
            return result
        statement = Statement.objects.get(pk=shown[0][0].pk)
        original = statement.translation_note
        client = Client()

        def edit(i: int) -> None:
            statement.translation_note = f"Benchmark edit {i}."
            statement.save_versioned(statement.version, fields=["translation_note"])

        try:
            for i in range(self.warmup):
                edit(i)
                client.get(url)
            edit(self.warmup)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
                body = response_bytes(response)
            result.queries = len(ctx.captured_queries)
            result.size, result.status = len(body), response.status_code
            for i in range(self.n):
                edit(self.warmup + 1 + i)
                start, cpu = time.perf_counter(), time.process_time()
                response_bytes(client.get(url))
                result.times.append((time.perf_counter() - start) * 1000)
                result.cpu_times.append((time.process_time() - cpu) * 1000)
        finally:
            statement.translation_note = original
            statement.save_versioned(statement.version, fields=["translation_note"])
        return result

    def measure_cached(self, result: Result, backend: str = "database") -> None:
        if not result.url or result.note:
            return
        client = Client()
        response = client.get(result.url)
        response_bytes(response)
        if "X-Parallax-Cache" not in response:
            return  # the view is not wrapped with core.cache.public_page
        for _ in range(self.warmup):
            response_bytes(client.get(result.url))
        times = result.hits.setdefault(backend, [])
        cpu_times = result.hit_cpu.setdefault(backend, [])
        for _ in range(self.n):
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(result.url)
            response_bytes(response)
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
        if not result.cached_times:
            result.cached_times = times

    def hits_table(self, results: list[Result], bare_for: dict[str, Result]) -> str:
        """Each cache hit against a bare Django view (no middleware) timed just before
        with the same backend: bare p50 / hit p50 (issue 15's targets: ≥ 0.3 with the
        database cache, ≥ 0.6 with Redis)."""
        labels = list(bare_for)
        head = " | ".join(f"{b} cache hit p50 / p95 ms | × bare | CPU ms" for b in labels)
        rows = [
            "Cache hits against a bare Django view (its p50 / the hit's p50; targets "
            "≥ 0.3× with the database cache, ≥ 0.6× with Redis; CPU: p50 of this "
            "process's own time):",
            "",
            f"| page | {head} |",
            "|---|" + "--:|--:|--:|" * len(labels),
            "| bare Django view (no middleware), p50 / p95 ms | "
            + " | ".join(
                f"{bare_for[b].pct(50):.3f} / {bare_for[b].pct(95):.3f} | 1 | "
                f"{bare_for[b].pct(50, bare_for[b].cpu_times):.3f}"
                for b in labels
            )
            + " |",
        ]
        for r in results:
            if not r.hits:
                continue
            cells = []
            for b in labels:
                times = r.hits.get(b, [])
                if not times:
                    cells.append("| | ")
                    continue
                ratio = bare_for[b].pct(50) / r.pct(50, times)
                cpu = r.pct(50, r.hit_cpu.get(b, []))
                cells.append(
                    f"{r.pct(50, times):.3f} / {r.pct(95, times):.3f} | {ratio:.2f} | {cpu:.3f}"
                )
            rows.append(f"| {r.name} | " + " | ".join(cells) + " |")
        if "Redis" not in labels:
            rows.append("")
            rows.append("(No Redis: set REDIS_URL or install redis-server for its figures.)")
        return "\n".join(rows)

    def explain(self, result: Result) -> None:
        sql = result.slowest[0][1]
        if not sql.lstrip().upper().startswith("SELECT"):
            return
        with connection.cursor() as cur:
            cur.execute("EXPLAIN ANALYZE " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
        self.stdout.write(f"\n-- {result.name}: slowest query ({result.slowest[0][0]} s)\n")
        self.stdout.write(sql[:1500] + "\n" + plan + "\n")

    def search_curve(self, explain: bool = False) -> list[tuple[int, Result]]:
        """Search timed by number of visible matches, for words of every frequency."""
        from search.backends import get_backend, parse_query

        backend = get_backend()
        curve = []
        for word in SEARCH_WORDS:
            matching = backend.matching_ids(parse_query(word))
            n = Statement.objects.publicly_visible().filter(pk__in=matching).count()
            url = self.url("search:results") + "?" + urlencode({"q": word})
            curve.append((n, self.measure(f"search, {word}", url, explain=explain)))
        return sorted(curve, key=lambda c: c[0])

    def curve_table(self, curve: list[tuple[int, Result]]) -> str:
        rows = [
            f"Search by word frequency (uncached; target p95 < {SEARCH_TARGET_MS} ms):",
            "",
            "| query | visible matches | p50 ms | p95 ms | app CPU p50 ms | queries | target |",
            "|---|--:|--:|--:|--:|--:|---|",
        ]
        for n, r in curve:
            ok = "met" if r.pct(95) < SEARCH_TARGET_MS else "MISSED"
            word = r.name.split(", ", 1)[1]
            rows.append(
                f"| {word} | {n:,} | {r.pct(50):.1f} | {r.pct(95):.1f} | "
                f"{r.pct(50, r.cpu_times):.1f} | {r.queries} | {ok} |"
            )
        return "\n".join(rows)

    def table(self, trivial: Result, results: list[Result], bare: Result) -> str:
        t50, t95 = trivial.pct(50), trivial.pct(95)
        b50 = bare.pct(50)
        rows = [
            "| page | p50 ms | p95 ms | p50 × trivial | p95 × trivial | app CPU p50 ms | "
            "queries | size | target | cached p50 / p95 ms | note |",
            "|---|--:|--:|--:|--:|--:|--:|--:|---|--:|---|",
            f"| trivial Django view | {t50:.2f} | {t95:.2f} | 1 | 1 | "
            f"{trivial.pct(50, trivial.cpu_times):.2f} | {trivial.queries} | "
            f"{trivial.size} B | | | |",
            f"| bare Django view (no middleware) | {b50:.2f} | {bare.pct(95):.2f} | "
            f"{b50 / t50:.2f} | {bare.pct(95) / t95:.2f} | {bare.pct(50, bare.cpu_times):.2f} | "
            f"{bare.queries} | {bare.size} B | | | |",
        ]
        for r in results:
            if not r.times:
                rows.append(f"| {r.name} | | | | | | | | | | {r.note} |")
                continue
            p50, p95 = r.pct(50), r.pct(95)
            target_ms, target_q = TARGETS.get(r.name, (0, None))
            verdict = ""
            if target_ms:
                ok = p95 < target_ms and (target_q is None or r.queries <= target_q)
                verdict = ("met" if ok else "MISSED") + f" (< {target_ms:g} ms"
                verdict += f", ≤ {target_q} queries)" if target_q else ")"
            cached = (
                f"{r.pct(50, r.cached_times):.2f} / {r.pct(95, r.cached_times):.2f}"
                if r.cached_times
                else "not wrapped"
            )
            rows.append(
                f"| {r.name} | {p50:.1f} | {p95:.1f} | {p50 / t50:.0f} | {p95 / t95:.0f} | "
                f"{r.pct(50, r.cpu_times):.1f} | {r.queries} | {r.size / 1024:.1f} KiB | "
                f"{verdict} | {cached} | {r.note} |"
            )
        rows.append("")
        rows.append("URLs: " + ", ".join(f"{r.name}: `{r.url}`" for r in results if r.url))
        return "\n".join(rows)
