"""Load test: anonymous visitors browsing and searching Parallax.

Run headless by ops/bench/loadtest.sh (50 users for 60 s against gunicorn on loopback
with PostgreSQL filled by generate_data); by hand:

    .venv/bin/locust -f ops/bench/locustfile.py --headless -u 50 -r 10 -t 60s \
        --host http://127.0.0.1:8201

Each visitor reads the incident list (with filters and pages), comparison pages
(now and then a tab switch through htmx), statement pages, searches common and rare
words, and reads the API. Slugs and ids come from the API at start.

The share of anonymous page requests served from the page cache (X-Parallax-Cache:
hit) is counted and written to bench-results/locust_cache.txt at the end.
"""

from __future__ import annotations

import random

from locust import HttpUser, between, events, task

WORDS = [
    "ceasefire",
    "fire",
    "soldiers",
    "restraint",
    "provocation",
    "territory",
    "detained",
    "heliograph",
    "investigation",
    "footage",
]
TABS = ["grid", "timeline", "sources"]
known: dict[str, list] = {"incidents": [], "statements": [], "largest": [], "api_pages": [1]}
cache_states: dict[str, int] = {"hit": 0, "miss": 0, "repeat hit": 0, "repeat miss": 0}
seen: set[tuple[str, str]] = set()


@events.request.add_listener
def count_cache_state(response=None, url: str = "", **kwargs) -> None:
    state = response.headers.get("X-Parallax-Cache") if response is not None else None
    if state not in ("hit", "miss"):
        return
    cache_states[state] += 1
    # A page asked for before in this run: a miss here means it was invalidated (or
    # not stored), not that it was new.
    key = (url or str(response.url), str(response.request.headers.get("HX-Request", "")))
    if key in seen:
        cache_states["repeat " + state] += 1
    seen.add(key)


@events.test_stop.add_listener
def report_cache_ratio(environment, **kwargs) -> None:
    total = cache_states["hit"] + cache_states["miss"]
    ratio = cache_states["hit"] / total if total else 0.0
    repeats = cache_states["repeat hit"] + cache_states["repeat miss"]
    line = (
        f"page cache: {cache_states['hit']} hits, {cache_states['miss']} misses, "
        f"hit ratio {ratio:.1%} of cacheable page requests; of pages asked for again: "
        f"{cache_states['repeat hit'] / repeats if repeats else 0:.1%} hits ({repeats} requests)"
    )
    import pathlib

    pathlib.Path("bench-results").mkdir(exist_ok=True)
    pathlib.Path("bench-results/locust_cache.txt").write_text(line + "\n")


@events.test_start.add_listener
def collect_targets(environment, **kwargs) -> None:
    """One pass over the API before the visitors start, for real slugs and ids."""
    import requests

    host = environment.host.rstrip("/")
    incidents = requests.get(f"{host}/api/incidents/?page_size=200", timeout=60).json()
    known["incidents"] = [r["slug"] for r in incidents["results"]]
    # Pages that exist at the API's default page size (a page past the end is a 404).
    default_size = requests.get(f"{host}/api/incidents/", timeout=60).json()
    known["api_pages"] = list(range(1, min(20, default_size["num_pages"]) + 1))
    statements = requests.get(f"{host}/api/statements/?page_size=200", timeout=60).json()
    known["statements"] = [r["id"] for r in statements["results"]]
    # The "Major:" incidents of generate_data: 300 statements, 1,000 annotations.
    search = requests.get(f"{host}/api/incidents/?q=Major&page_size=20", timeout=60).json()
    known["largest"] = [r["slug"] for r in search.get("results", []) if "Major" in r["title"]]


class Visitor(HttpUser):
    wait_time = between(0.5, 2.0)

    @task(4)
    def incident_list(self) -> None:
        params: dict[str, str | int] = {"page": random.randint(1, 50)}
        if random.random() < 0.3:
            params["date_from"] = f"{random.randint(2015, 2024)}-01-01"
        self.client.get("/incidents/", params=params, name="/incidents/")

    @task(3)
    def comparison_page(self) -> None:
        if not known["incidents"]:
            return
        pool = known["largest"] if known["largest"] and random.random() < 0.2 else None
        slug = random.choice(pool or known["incidents"])
        url = f"/incidents/{slug}/"
        self.client.get(url, name="/incidents/[slug]/")
        if random.random() < 0.3:
            self.client.get(
                url,
                params={"tab": random.choice(TABS)},
                headers={"HX-Request": "true"},
                name="/incidents/[slug]/ (htmx tab)",
            )

    @task(2)
    def statement_page(self) -> None:
        if known["statements"]:
            pk = random.choice(known["statements"])
            self.client.get(f"/statements/{pk}/", name="/statements/[pk]/")

    @task(3)
    def search(self) -> None:
        self.client.get("/search/", params={"q": random.choice(WORDS)}, name="/search/?q=")

    @task(1)
    def api(self) -> None:
        self.client.get(
            "/api/incidents/",
            params={"page": random.choice(known["api_pages"])},
            name="/api/incidents/",
        )
