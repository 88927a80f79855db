"""Settings for the benchmark's and the cache test's servers: the site's settings
with bench.urls (adds the trivial view and the cache probe)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
