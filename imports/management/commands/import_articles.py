"""Bulk import: `manage.py import_articles DIR`.

Every *.txt file in DIR is an article; a *.json file of the same name may give its
url, publisher, published (YYYY-MM-DD) and title. Articles go through nlp.pipe in
batches; each valid article becomes an import awaiting an editor's review (the import
page lists them). A rejected article is reported with the reason and nothing is saved
for it.
"""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounts.models import User
from imports.forms import article_from
from imports.nlp import ModelUnavailable, get_nlp
from imports.pipeline import BATCH_SIZE, import_articles


class Command(BaseCommand):
    help = "Import a folder of articles (text + optional JSON) as drafts awaiting review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--user", help="Username recorded as the importer.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
        paths = sorted(directory.glob("*.txt"))
        if not paths:
            raise CommandError(f"No .txt articles in {directory}.")
        articles = []
        for path in paths:
            meta_path = path.with_suffix(".json")
            meta: dict[str, Any] = {}
            if meta_path.exists():
                try:
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise CommandError(f"{meta_path.name} is not valid JSON: {exc}") from exc
            raw = path.read_bytes().decode("utf-8", errors="replace")
            try:
                articles.append(article_from(path.stem, raw, meta))
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        try:
            get_nlp()
        except ModelUnavailable as exc:
            raise CommandError(str(exc)) from exc
        created = rejected = 0
        with tqdm(total=len(articles), unit="article", disable=None) as bar:
            for outcome in import_articles(articles, by=user, batch_size=options["batch_size"]):
                bar.update(1)
                if outcome.draft is None:
                    rejected += 1
                    self.stderr.write(f"rejected {outcome.summary}")
                else:
                    created += 1
                    self.stdout.write(
                        f"{outcome.summary} (review: {outcome.draft.get_absolute_url()})"
                    )
        self.stdout.write(
            f"{created} articles ready for review, {rejected} rejected, of {len(articles)}."
        )
        if created == 0:
            raise CommandError("No article could be imported; nothing was saved.")
