"""Settings for the benchmark's and the tests' servers: the site's settings with
ops.bench.urls (the site plus the trivial view and the cache probe), or the URLconf named
by BENCH_URLCONF. BENCH_BARE=1: no middleware at all (the bare Django server that
ops/bench/hits_http.py compares cache hits with)."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = os.environ.get("BENCH_URLCONF", "ops.bench.urls")
if os.environ.get("BENCH_BARE") == "1":
    MIDDLEWARE = []
