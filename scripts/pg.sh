#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#   scripts/pg.sh start DIR   -> prints the DATABASE_URL to use
#   scripts/pg.sh stop DIR
# PostgreSQL refuses to run as root, so as root the server runs as the unprivileged
# `parallax-pg` user (created on first use).
set -euo pipefail
cmd=$1
dir=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ]; then
  bindir=$(dirname "$(command -v pg_ctl)")
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u parallax-pg -- "$@")
  else
    "$@"
  fi
}

case "$cmd" in
start)
  if [ "$(id -u)" = 0 ] && ! id parallax-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin parallax-pg
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown parallax-pg "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$bindir/initdb" -D "$dir/data" -U parallax --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || as_owner "$bindir/initdb" -D "$dir/data" -U parallax --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  echo "$port" >"$dir/port"
  echo "postgres://parallax@127.0.0.1:$port/postgres"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
