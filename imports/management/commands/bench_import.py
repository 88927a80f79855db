"""Import speed: `manage.py bench_import` (a benchmark, not a timed test).

Reports
* the seed article's import, warm: cleaning, parsing and extraction (the work of the
  paste form before the draft is written), best of several runs;
* bulk throughput in words per second over the seed and the project's gold articles
  (repeated to a corpus of some size), through the full import pipeline and through
  bare nlp.pipe over the same cleaned texts, with their ratio (target >= 0.7).
"""

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.clean import clean_text
from imports.evaluation import registry_for
from imports.extract import Extractor
from imports.nlp import ModelUnavailable, get_nlp
from imports.pipeline import BATCH_SIZE, check_cleaned, check_raw

REPO = Path(settings.BASE_DIR)
SEED = REPO.parent / "shared" / "corpus" / "seed-2021-05-gegharkunik.txt"
GOLD = REPO / "tests" / "extraction_gold"


class Command(BaseCommand):
    help = "Benchmark article import: seed article warm time and bulk words/s vs nlp.pipe."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repeat", type=int, default=10, help="Corpus copies for bulk.")
        parser.add_argument("--runs", type=int, default=5, help="Runs for the warm timing.")
        parser.add_argument("--rounds", type=int, default=3, help="Alternating bulk rounds.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            nlp = get_nlp()
        except ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        texts = [p.read_text(encoding="utf-8") for p in sorted(GOLD.glob("*.txt"))]
        if SEED.exists():
            seed = SEED.read_text(encoding="utf-8")
            texts.insert(0, seed)
        else:
            seed = texts[0]
            self.stdout.write(f"(seed article not found at {SEED}; using {GOLD} only)")
        registry = registry_for(GOLD)
        extractor = Extractor(registry)

        def import_one(raw: str) -> int:
            check_raw(raw)
            cleaned = clean_text(raw).text
            check_cleaned(cleaned)
            return len(extractor.analyse(nlp(cleaned)).statements)

        import_one(seed)  # warm-up: first call pays for lazy initialisation
        warm = []
        for _ in range(options["runs"]):
            t0 = time.perf_counter()
            found = import_one(seed)
            warm.append(time.perf_counter() - t0)
        seed_clean = clean_text(seed).text
        bare_seed = []
        for _ in range(options["runs"]):
            t0 = time.perf_counter()
            nlp(seed_clean)
            bare_seed.append(time.perf_counter() - t0)
        self.stdout.write(
            f"seed article, bare nlp() alone: best {min(bare_seed) * 1000:.0f} ms "
            "(the machine's speed today, for comparison)"
        )
        self.stdout.write(
            f"seed article import (warm): best {min(warm) * 1000:.0f} ms, "
            f"median {sorted(warm)[len(warm) // 2] * 1000:.0f} ms, {found} statements"
        )

        corpus = texts * options["repeat"]
        cleaned = [clean_text(t).text for t in corpus]
        words = sum(len(t.split()) for t in cleaned)

        def bare_run() -> float:
            t0 = time.perf_counter()
            for _ in nlp.pipe(cleaned, batch_size=BATCH_SIZE):
                pass
            return time.perf_counter() - t0

        def full_run() -> tuple[float, int]:
            t0 = time.perf_counter()
            statements = 0
            prepared = []
            for raw in corpus:
                check_raw(raw)
                text = clean_text(raw).text
                check_cleaned(text)
                prepared.append(text)
            for analysis in extractor.analyse_many(((t, None) for t in prepared), BATCH_SIZE):
                statements += len(analysis.statements)
            return time.perf_counter() - t0, statements

        # Alternate the two and keep each one's best run, so that load from other
        # processes on the machine weighs on both alike.
        bare_times, full_times = [], []
        for _ in range(options["rounds"]):
            bare_times.append(bare_run())
            elapsed, statements = full_run()
            full_times.append(elapsed)
        bare, full = min(bare_times), min(full_times)

        bare_wps, full_wps = words / bare, words / full
        self.stdout.write(f"bulk: {len(corpus)} articles, {words} words, {statements} statements")
        self.stdout.write(f"bare nlp.pipe:   {bare_wps:,.0f} words/s ({bare:.2f} s)")
        self.stdout.write(f"import pipeline: {full_wps:,.0f} words/s ({full:.2f} s)")
        self.stdout.write(f"ratio={full_wps / bare_wps:.2f} seed_warm_ms={min(warm) * 1000:.0f}")
