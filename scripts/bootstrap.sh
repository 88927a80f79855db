#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a fresh machine of this kind:
# uv (into .tools/ when it is not on PATH), the locked Python environment in .venv,
# and, with --system, Debian's Chromium and PostgreSQL server for the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

export UV_PYTHON_DOWNLOADS=never

python_bin() {
  # .python-version asks pyenv for 3.12; fall back to any python3.12 on PATH.
  local p
  for p in "$(command -v python3 || true)" "$(command -v python3.12 || true)"; do
    if [ -n "$p" ] && "$p" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 12))' 2>/dev/null; then
      "$p" -c 'import sys; print(sys.executable)'
      return
    fi
  done
  if command -v pyenv >/dev/null && pyenv install -s 3.12 >&2; then
    pyenv which python3.12 && return
  fi
  echo "Python 3.12 is required (see .python-version)" >&2
  exit 1
}

PY=$(python_bin)
if command -v uv >/dev/null 2>&1 && uv --version >/dev/null 2>&1; then
  UV=$(command -v uv)
else
  if [ ! -x .tools/bin/uv ]; then
    "$PY" -m venv .tools
    .tools/bin/pip install --quiet --disable-pip-version-check uv
  fi
  UV=.tools/bin/uv
fi
"$UV" sync --frozen --python "$PY" --quiet

if [ "${1:-}" = "--system" ]; then
  need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "Missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
      exit 1
    fi
  fi
fi
