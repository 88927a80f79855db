"""Cache hits over HTTP against a bare Django server, as issue 15 measured them: the
site under gunicorn (2 sync workers) with the page cache on, a bare Django server (the
same project with no middleware, its trivial view) beside it, both timed with wrk
(2 threads, 16 connections) in one run, with the database cache and then with Redis
(REDIS_URL's, else a throwaway redis-server when one is installed):

    DATABASE_URL=postgres://... .venv/bin/python ops/bench/hits_http.py [--seconds 10]

wrk must be installed (Debian: apt-get install wrk). Every request carries a CSRF
cookie, as a returning reader's does. Prints requests/s of each page served from the
cache, of the bare server timed just before it, and their ratio (targets: ≥ 0.3 with
the database cache, ≥ 0.6 with Redis).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ops.bench import servers  # noqa: E402

COOKIE = "csrftoken=" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"  # a well-formed secret


def wrk(url: str, seconds: int) -> float:
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", f"Cookie: {COOKIE}", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(out)
    return float(found.group(1))


def pages(base: str) -> dict[str, str]:
    import json
    import urllib.request

    def api(path: str) -> dict:
        with urllib.request.urlopen(base + path, timeout=30) as r:  # noqa: S310 (loopback)
            return json.loads(r.read())

    major = (
        api("/api/incidents/?q=Major&page_size=1")["results"] or api("/api/incidents/")["results"]
    )
    statement = api("/api/statements/?page_size=1")["results"][0]["id"]
    return {
        "incident list": "/incidents/",
        "comparison page (largest incident)": f"/incidents/{major[0]['slug']}/",
        "statement page": f"/statements/{statement}/",
        "search, common term": "/search/?q=ceasefire",
    }


def measure(env: dict[str, str], label: str, seconds: int) -> list[str]:
    bare_env = {**env, "BENCH_BARE": "1"}
    with servers.gunicorn(env, workers=2) as site, servers.gunicorn(bare_env, workers=2) as bare:
        urls = pages(site)
        for path in urls.values():
            for _ in range(8):  # stored, then learned by both workers
                servers.fetch(site + path, headers={"Cookie": COOKIE})
            state = servers.fetch(site + path, headers={"Cookie": COOKIE}).headers
            if state.get("x-parallax-cache") != "hit":
                raise RuntimeError(f"{path} is not served from the cache: {state}")
        rows = []
        for name, path in urls.items():
            # The bare server right before each page: the machine's load drifts.
            baseline = wrk(bare + "/__bench__/trivial/", seconds)
            rate = wrk(site + path, seconds)
            rows.append(
                f"| {name}, {label} cache hit | {rate:,.0f} | {baseline:,.0f} | "
                f"{rate / baseline:.2f} |"
            )
        return rows


def main() -> None:
    seconds = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 10
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    database_url = os.environ["DATABASE_URL"]
    env = {k: v for k, v in servers.server_env(database_url).items() if k != "REDIS_URL"}
    rows = measure(env, "database", seconds)
    with servers.ThrowawayRedis() as throwaway:
        redis_url = os.environ.get("REDIS_URL") or throwaway.url
        if redis_url:
            rows += measure({**env, "REDIS_URL": redis_url}, "Redis", seconds)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"wrk -t2 -c16 -d{seconds}s, gunicorn 2 sync workers; load average {load}")
    print("| page | hits/s | bare Django view, requests/s | × bare |\n|---|--:|--:|--:|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
