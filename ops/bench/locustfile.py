"""Load test: anonymous readers of Parallax (ops/bench/loadtest.sh runs it headless:
50 users for 60 s against gunicorn on loopback, PostgreSQL filled by generate_data);
by hand:

    .venv/bin/locust -f ops/bench/locustfile.py --headless -u 50 -r 10 -t 60s \
        --host http://127.0.0.1:8201

The readers' mix follows where a reader of a site like this goes (docs/performance.md
states it): mostly the incident list's first page, the incidents it shows ("the
front", the 20 most recent) and the major incidents everyone reads, with a long tail
of older incidents, deeper list pages, filters and searches. Per request:

    list page            25 %   page 1: 75 %; pages 2-5: 20 %; one conflict's list: 5 %
    comparison page      40 %   front and major incidents (30) by popularity rank r
                                (weight 1/r): 95 %; any of the 200 latest incidents: 5 %;
                                a fifth of the views then switch tab through htmx
    statement page       15 %   a statement of an incident chosen as above, the n-th
                                in the incident's order with weight 1/n
    search                8 %   ten words, the n-th most searched with weight 1/n
    API list page         5 %   pages 1-3 (not a cached page: not in the hit ratio)

Slugs and ids come from the API at start. The share of anonymous page requests
served from the page cache (X-Parallax-Cache: hit) is written to
bench-results/locust_cache.txt at the end, with the share among pages asked for
before in the run (a miss there is an invalidation, not a first visit).
"""

from __future__ import annotations

import pathlib
import random

from locust import HttpUser, between, events, task

WORDS = [
    "ceasefire",
    "border",
    "soldiers",
    "territory",
    "investigation",
    "detained",
    "footage",
    "provocation",
    "restraint",
    "heliograph",
]
TABS = ["grid", "timeline", "sources"]
FRONT = 20  # incidents on the list's first page (incidents.views.PAGE_SIZE)
TAIL = 0.05  # share of comparison and statement views outside the popular incidents
known: dict[str, list] = {"popular": [], "tail": [], "conflicts": [], "api_pages": [1]}
statements_of: dict[str, list[int]] = {}
cache_states: dict[str, int] = {"hit": 0, "miss": 0, "repeat hit": 0, "repeat miss": 0}
seen: set[tuple[str, str]] = set()
# Per kind of page (locust's request name): [hits, misses].
by_page: dict[str, list[int]] = {}


def by_rank(items: list) -> object:
    """The r-th item with weight 1/r: a few items get most of the views."""
    return random.choices(items, weights=[1 / r for r in range(1, len(items) + 1)])[0]


@events.request.add_listener
def count_cache_state(response=None, url: str = "", name: str = "", **kwargs) -> None:
    state = response.headers.get("X-Parallax-Cache") if response is not None else None
    if state not in ("hit", "miss"):
        return
    cache_states[state] += 1
    by_page.setdefault(name, [0, 0])[state == "miss"] += 1
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
        f"hit ratio {ratio:.1%} of anonymous page requests; of pages asked for again: "
        f"{cache_states['repeat hit'] / repeats if repeats else 0:.1%} hits ({repeats} requests)"
    )
    pages = "; ".join(
        f"{name} {hits / (hits + misses):.1%} of {hits + misses}"
        for name, (hits, misses) in sorted(by_page.items())
    )
    pathlib.Path("bench-results").mkdir(exist_ok=True)
    pathlib.Path("bench-results/locust_cache.txt").write_text(f"{line}\nhits by page: {pages}\n")


@events.test_start.add_listener
def collect_targets(environment, **kwargs) -> None:
    """One pass over the API before the readers start, for real slugs and ids."""
    import requests

    host = environment.host.rstrip("/")

    def get(path: str) -> dict:
        return requests.get(host + path, timeout=60).json()

    # The API lists incidents in the list page's order (latest first).
    latest = [r["slug"] for r in get("/api/incidents/?page_size=200")["results"]]
    # The "Major:" incidents of generate_data (300 statements each): the most read.
    majors = [r["slug"] for r in get("/api/incidents/?q=Major&page_size=20")["results"]]
    majors = [s for s in majors if s not in latest[:FRONT]][:10]
    popular = latest[:FRONT]
    # Majors interleaved with the front: ranks 2, 4, 6, ...
    for i, slug in enumerate(majors):
        popular.insert(1 + 2 * i, slug)
    known["popular"], known["tail"] = popular, latest
    known["conflicts"] = sorted({r["conflict"]["slug"] for r in get("/api/incidents/")["results"]})
    known["api_pages"] = list(range(1, min(3, get("/api/incidents/")["num_pages"]) + 1))
    for slug in dict.fromkeys([*popular, *random.sample(latest, min(40, len(latest)))]):
        rows = get(f"/api/statements/?incident={slug}&page_size=50")["results"]
        statements_of[slug] = [r["id"] for r in rows]


def an_incident() -> str:
    if random.random() < TAIL or not known["popular"]:
        return random.choice(known["tail"])
    return str(by_rank(known["popular"]))


class Reader(HttpUser):
    wait_time = between(0.3, 1.2)

    @task(25)
    def incident_list(self) -> None:
        roll = random.random()
        params: dict[str, str | int] = {}
        if roll < 0.05 and known["conflicts"]:
            params["conflict"] = random.choice(known["conflicts"])
        elif roll < 0.25:
            params["page"] = random.randint(2, 5)
        self.client.get("/incidents/", params=params, name="/incidents/")

    @task(40)
    def comparison_page(self) -> None:
        if not known["tail"]:
            return
        url = f"/incidents/{an_incident()}/"
        self.client.get(url, name="/incidents/[slug]/")
        if random.random() < 0.2:
            self.client.get(
                url,
                params={"tab": random.choice(TABS)},
                headers={"HX-Request": "true"},
                name="/incidents/[slug]/ (htmx tab)",
            )

    @task(15)
    def statement_page(self) -> None:
        ids = statements_of.get(an_incident()) or [pk for v in statements_of.values() for pk in v]
        if ids:
            self.client.get(f"/statements/{by_rank(ids)}/", name="/statements/[pk]/")

    @task(8)
    def search(self) -> None:
        self.client.get("/search/", params={"q": by_rank(WORDS)}, name="/search/?q=")

    @task(5)
    def api(self) -> None:
        self.client.get(
            "/api/incidents/",
            params={"page": random.choice(known["api_pages"])},
            name="/api/incidents/",
        )
