#!/usr/bin/env bash
# `make bench`: a throwaway PostgreSQL, the full-size synthetic data, the benchmark.
#   BENCH_SMALL=1 make bench     (or scripts/bench.sh --small)   a quick run, 1/10 size
#   BENCH_REQUESTS=40            requests per page
#   BENCH_LOAD=1                 also run the locust load test (ops/bench/loadtest.sh)
# The server is stopped on every exit path. Results: bench-results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."

small=${BENCH_SMALL:-0}
[ "${1:-}" = "--small" ] && small=1
if [ "$small" = 1 ]; then
  sizes=(--incidents 1000 --statements 30000 --annotations 10000 --actors 200)
else
  sizes=(--incidents 10000 --statements 300000 --annotations 100000 --actors 2000)
fi

pgdir=$(mktemp -d /tmp/parallax-bench-pg.XXXXXX)
chmod 755 "$pgdir"
trap 'scripts/pg.sh stop "$pgdir"' EXIT INT TERM
DATABASE_URL=$(scripts/pg.sh start "$pgdir")
export DATABASE_URL
# Measured as deployed: no DEBUG (the benchmark still counts queries itself).
export DEBUG=0 PARALLAX_ENV=development

manage() { .venv/bin/python manage.py "$@"; }
manage migrate --no-input -v 0
manage createcachetable
time manage generate_data "${sizes[@]}"
mkdir -p bench-results
manage bench --requests "${BENCH_REQUESTS:-40}" --output bench-results/latest.md

if [ "${BENCH_LOAD:-0}" = 1 ]; then
  ops/bench/loadtest.sh
fi
