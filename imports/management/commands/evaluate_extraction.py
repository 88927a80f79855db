"""Measure the extractor against gold files: `manage.py evaluate_extraction DIR`.

Prints per-file and overall precision/recall/F1 for content spans (overlap and exact),
speaker and party accuracy, and ends with the one summary line scripts parse:
content_f1_overlap=... content_f1_exact=... party_accuracy=... speaker_accuracy=...
statements=N (N = non-optional gold statements scored).

`--split-conflict SLUG` also prints the figures for the articles whose gold names that
conflict and for all the others (the issue's targets differ between the two groups).
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports.evaluation import Counts, evaluate_directory
from imports.nlp import ModelUnavailable


class Command(BaseCommand):
    help = "Evaluate statement extraction against *.gold.json files in DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--predictions-out",
            type=Path,
            help="Also write the predictions as JSON (offsets into each gold text file).",
        )
        parser.add_argument(
            "--show-errors", action="store_true", help="List misses and spurious statements."
        )
        parser.add_argument(
            "--split-conflict",
            metavar="SLUG",
            help='Also score the articles whose gold "conflict" is SLUG and the others apart.',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        if not any(directory.glob("*.gold.json")):
            raise CommandError(f"No *.gold.json files in {directory}.")
        try:
            per_file, total, predictions = evaluate_directory(directory)
        except ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        for name, counts in per_file.items():
            self.stdout.write(f"{name}: {counts.gold} gold statements")
            for line in counts.detail_lines():
                self.stdout.write(line)
            if options["show_errors"]:
                for miss in counts.misses:
                    self.stdout.write(f"    - {miss}")
        if options["split_conflict"]:
            self._split(directory, per_file, options["split_conflict"])
        self.stdout.write(f"overall: {len(per_file)} files")
        for line in total.detail_lines():
            self.stdout.write(line)
        if options["predictions_out"]:
            options["predictions_out"].write_text(
                json.dumps(predictions, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            self.stdout.write(f"predictions written to {options['predictions_out']}")
        self.stdout.write(total.summary_line())

    def _split(self, directory: Path, per_file: dict[str, Counts], slug: str) -> None:
        groups = {slug: Counts(), "other conflicts": Counts()}
        for name, counts in per_file.items():
            gold = json.loads((directory / f"{name}.gold.json").read_text(encoding="utf-8"))
            key = slug if gold.get("conflict") == slug else "other conflicts"
            groups[key].add(counts)
        for key, counts in groups.items():
            self.stdout.write(f"{key}: {counts.summary_line()}")
