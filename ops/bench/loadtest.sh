#!/usr/bin/env bash
# Load test: 50 anonymous users browsing and searching for 60 s (bounded, stops by
# itself) against the app under gunicorn on loopback, with PostgreSQL.
#   DATABASE_URL=postgres://... ops/bench/loadtest.sh   # a database filled by generate_data
# Without DATABASE_URL a throwaway PostgreSQL is started and filled at 1/10 size.
#   LOAD_USERS=50 LOAD_TIME=60s LOAD_WORKERS=4 LOAD_CACHE=1
#   LOAD_WARMUP=30s the same readers first for this long, not counted: the figures are
#                   those of a site already in use (0 for a cold start)
#   LOAD_EDITS=1    one editor saves a published statement every second meanwhile
#   LOAD_REDIS=1    the page cache in a throwaway Redis (redis-server) instead of the database
# Results: bench-results/locust_stats.csv, a summary line per page, the page cache's
# hit ratio, and with LOAD_EDITS the editor's saves.
set -euo pipefail
cd "$(dirname "$0")/../.."

users=${LOAD_USERS:-50}
duration=${LOAD_TIME:-60s}
workers=${LOAD_WORKERS:-4}
cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/parallax-load-pg.XXXXXX)
  chmod 755 "$pgdir"
  cleanup+=("scripts/pg.sh stop '$pgdir'")
  DATABASE_URL=$(scripts/pg.sh start "$pgdir")
  export DATABASE_URL
  .venv/bin/python manage.py migrate --no-input -v 0
  .venv/bin/python manage.py createcachetable
  .venv/bin/python manage.py generate_data --incidents 1000 --statements 30000 \
    --annotations 10000 --actors 200 --no-progress
fi
export DEBUG=0 PUBLIC_PAGE_CACHE=${LOAD_CACHE:-1}
# Every run in a cache namespace of its own: it starts empty (then the warm-up), and
# never reads or clears entries of another run or of a site sharing the database.
export CACHE_KEY_PREFIX="parallax-load-$(date +%s)-$$"
if [ "${LOAD_REDIS:-0}" = 1 ]; then
  redis_port=$(.venv/bin/python -c 'from ops.bench.servers import free_port; print(free_port())')
  redis-server --port "$redis_port" --save '' --appendonly no --daemonize no \
    --maxmemory 256mb --maxmemory-policy volatile-lru > /dev/null &
  redis_pid=$!
  cleanup+=("kill $redis_pid 2>/dev/null; wait $redis_pid 2>/dev/null || true")
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi

port=$(.venv/bin/python -c 'from ops.bench.servers import free_port; print(free_port())')
.venv/bin/python -m gunicorn config.wsgi:application --bind "127.0.0.1:$port" \
  --workers "$workers" --timeout 60 --log-level warning &
gunicorn_pid=$!
cleanup+=("kill $gunicorn_pid 2>/dev/null; wait $gunicorn_pid 2>/dev/null")
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/incidents/" && break
  sleep 0.5
done

mkdir -p bench-results
rm -f bench-results/locust_cache.txt bench-results/editor.txt
warmup=${LOAD_WARMUP:-30s}
if [ "$warmup" != 0 ]; then
  .venv/bin/locust -f ops/bench/locustfile.py --headless -u "$users" -r 10 -t "$warmup" \
    --host "http://127.0.0.1:$port" --only-summary --stop-timeout 5 --loglevel WARNING \
    > /dev/null 2>&1 || true
  rm -f bench-results/locust_cache.txt
fi
if [ "${LOAD_EDITS:-0}" = 1 ]; then
  seconds=${duration%s}
  .venv/bin/python -m ops.bench.editor "$seconds" > bench-results/editor.txt &
  editor_pid=$!
  cleanup+=("kill $editor_pid 2>/dev/null || true")
fi
.venv/bin/locust -f ops/bench/locustfile.py --headless -u "$users" -r 10 -t "$duration" \
  --host "http://127.0.0.1:$port" --csv bench-results/locust --only-summary \
  --stop-timeout 5 --exit-code-on-error 1 --loglevel WARNING

.venv/bin/python - <<'PY'
import csv
rows = list(csv.DictReader(open("bench-results/locust_stats.csv")))
for r in rows:
    print(f"{r['Name']:<32} {r['Request Count']:>7} req  {float(r['Requests/s']):7.1f} req/s  "
          f"p50 {r['50%']:>5} ms  p95 {r['95%']:>5} ms  failures {r['Failure Count']}")
PY
cat bench-results/locust_cache.txt 2>/dev/null || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
if [ -n "${editor_pid:-}" ]; then
  wait "$editor_pid" || true
  cat bench-results/editor.txt
fi
