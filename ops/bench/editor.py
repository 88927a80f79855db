"""The load test's editor: saves one published statement of a recent incident a
second, as an editor's form does (compare-and-set on the version, a changed text), so
that the readers' cached pages are invalidated while they read (ops/bench/loadtest.sh,
LOAD_EDITS=1).

    DJANGO_SETTINGS_MODULE=config.settings python -m ops.bench.editor 60

Prints one line: saves done, failed, and the p50/p95 time of a save in ms.
"""

from __future__ import annotations

import random
import sys
import time


def main(duration: float) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from incidents.models import Incident, StaleObjectError, Statement

    # A newsroom works on current events: the published statements of the 100 latest
    # incidents (the list's order), where the readers of the load test read most.
    latest = Incident.objects.published().order_by("-date_start", "-id").values("pk")[:100]
    pool = list(
        Statement.objects.publicly_visible()
        .filter(incident__in=latest)
        .values_list("pk", flat=True)
    )
    if not pool:
        raise SystemExit("No published statement to edit.")
    rng = random.Random(15)
    saves: list[float] = []
    failed = 0
    end = time.monotonic() + duration
    n = 0
    while time.monotonic() < end:
        tick = time.monotonic()
        statement = Statement.objects.get(pk=rng.choice(pool))
        n += 1
        marker = f" [edit {n}]"
        statement.text = statement.text.split(" [edit ")[0] + marker
        started = time.perf_counter()
        try:
            statement.save_versioned(statement.version)
            saves.append((time.perf_counter() - started) * 1000)
        except StaleObjectError:
            failed += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    saves.sort()

    def pct(p: float) -> float:
        return saves[min(len(saves) - 1, round(p / 100 * (len(saves) - 1)))] if saves else 0.0

    print(
        f"editor: {len(saves)} saves, {failed} refused, "
        f"save p50 {pct(50):.0f} ms, p95 {pct(95):.0f} ms"
    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
