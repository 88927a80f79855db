"""Backup -> restore round trip at benchmark size, timed, on throwaway PostgreSQL
servers, with the web's statement timeout set as in production:

    .venv/bin/python ops/bench/roundtrip.py            # full size (make bench's data)
    .venv/bin/python ops/bench/roundtrip.py --small    # 1/10 size

Fills one database with `generate_data`, backs it up, restores the file into a
second, freshly migrated database, and compares the two: the row count of every
table, a checksum of every statement's text and of every source's archived text
and stored SHA-256. Prints the time and peak memory of `backup` and `restore`
(docs/scaling.md quotes them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ops.bench import servers  # noqa: E402

FULL = ["--incidents", "10000", "--statements", "300000", "--annotations", "100000"]
FULL += ["--actors", "2000"]
SMALL = ["--incidents", "1000", "--statements", "30000", "--annotations", "10000"]
SMALL += ["--actors", "200"]

FINGERPRINT = """
import hashlib, json
from ops.backup_format import backed_up_models
from incidents.models import Source, Statement
counts = {m._meta.label_lower: m._base_manager.count() for m in backed_up_models()}
texts = hashlib.sha256()
for text in Statement.objects.order_by("pk").values_list("text", flat=True).iterator():
    texts.update(text.encode())
sources = hashlib.sha256()
rows = Source.objects.order_by("pk").values_list("archived_text", "sha256").iterator()
for text, digest in rows:
    sources.update(text.encode()); sources.update(digest.encode())
print(json.dumps({"counts": counts, "texts": texts.hexdigest(), "sources": sources.hexdigest()}))
"""


def timed(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    """(seconds, peak resident memory in MiB, output) of one manage.py command."""
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603
        ["/usr/bin/time", "-f", "%M", servers.PYTHON, "manage.py", *args],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return took, peak_kib // 1024, result.stdout


def main() -> None:
    sizes = SMALL if "--small" in sys.argv else FULL
    with (
        servers.ThrowawayPostgres() as source_db,
        servers.ThrowawayPostgres() as target_db,
        tempfile.TemporaryDirectory() as tmp,
    ):
        # As deployed: the web's statement timeout in the environment of every
        # command (backup and restore switch it off for themselves).
        extra = {
            "DATABASE_STATEMENT_TIMEOUT_MS": "5000",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        first = servers.server_env(source_db.url, **extra)
        second = servers.server_env(target_db.url, **extra)
        for env in (first, second):
            servers.manage(env, "migrate", "--no-input", "-v", "0", timeout=600)
            servers.manage(env, "createcachetable")
        started = time.monotonic()
        servers.manage(first, "generate_data", *sizes, "--no-progress", timeout=7200)
        print(f"generate_data: {time.monotonic() - started:.0f} s")
        before = json.loads(servers.run_python(first, FINGERPRINT, timeout=1800))
        rows = sum(before["counts"].values())

        backup = Path(tmp) / "roundtrip.jsonl.gz"
        took, peak, _ = timed(first, "backup", str(backup))
        size = backup.stat().st_size / 1_048_576
        print(f"backup:  {rows:,} rows, {size:.0f} MiB, {took:.0f} s, peak {peak} MiB")
        took, peak, _ = timed(second, "restore", str(backup))
        print(f"restore: {took:.0f} s, peak {peak} MiB")

        after = json.loads(servers.run_python(second, FINGERPRINT, timeout=1800))
        differing = sorted(
            label
            for label in set(before["counts"]) | set(after["counts"])
            if before["counts"].get(label) != after["counts"].get(label)
        )
        if differing or before["texts"] != after["texts"] or before["sources"] != after["sources"]:
            print("MISMATCH:", differing, before["texts"] == after["texts"])
            sys.exit(1)
        print(f"identical: {len(before['counts'])} tables, statement texts and source hashes")


if __name__ == "__main__":
    main()
