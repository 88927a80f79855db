#!/usr/bin/env bash
# The whole suite on SQLite, then on a throwaway PostgreSQL server, then ruff.
# The server is stopped on every exit path, failures included.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --system || exit 1

pgdir=$(mktemp -d /tmp/parallax-pg.XXXXXX)
chmod 755 "$pgdir"
trap 'scripts/pg.sh stop "$pgdir"' EXIT INT TERM

status=0
echo "== tests on SQLite"
env -u DATABASE_URL .venv/bin/pytest "$@" || status=1

echo "== tests on PostgreSQL"
if url=$(scripts/pg.sh start "$pgdir"); then
  DATABASE_URL="$url" .venv/bin/pytest "$@" || status=1
else
  echo "could not start PostgreSQL:"; cat "$pgdir"/*.log 2>/dev/null; status=1
fi

echo "== ruff"
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . || status=1

echo "== mypy"
.venv/bin/mypy . || status=1
exit $status
