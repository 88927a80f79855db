"""Export the whole database to one gzip'd JSON file.

    python manage.py backup parallax-2026-11-25.json.gz

Every model of every app: incidents with their full edit history (simple_history's
historical tables), sources with their archived text and SHA-256, users, groups and
their permissions, import jobs, the search index, task results and the admin log.
Left out: content types and permissions (every migrated database creates its own;
rows refer to them by natural key), sessions (sign-ins do not survive a restore) and
the cache table. Restore with `manage.py restore FILE` into an empty database.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.serializers import json as json_serializer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

# Django's JSON encoder cuts datetimes to milliseconds; a backup keeps them exact.
# Registered as the "pjson" format in settings.SERIALIZATION_MODULES (this module).
FORMAT = "pjson"


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


# _init_options is not in the type stubs, hence the ignore below.
class Serializer(json_serializer.Serializer):
    def _init_options(self) -> None:
        super()._init_options()  # type: ignore[misc]
        self.json_kwargs["cls"] = ExactJSONEncoder


Deserializer = json_serializer.Deserializer

# Rebuilt by `migrate` (contenttypes, permissions) or not worth keeping (sessions).
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]


def backed_up_models() -> list[Any]:
    # Only tables that exist: a model whose migration is not applied has no rows.
    tables = set(connection.introspection.table_names())
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in EXCLUDED
        and m._meta.label_lower not in EXCLUDED
        and m._meta.managed
        and not m._meta.proxy
        and m._meta.db_table in tables
    ]


class Command(BaseCommand):
    help = "Write the whole database to FILE (gzip'd JSON); restore it with `restore`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the backup (e.g. backup.json.gz).")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written to a side file and renamed at the end, so an interrupted backup never
        # leaves a truncated file under the real name. dumpdata gzips by extension.
        tmp = path.with_name(f".{path.name}.partial.{FORMAT}.gz")
        call_command(
            "dumpdata",
            *[m._meta.label for m in backed_up_models()],
            natural_foreign=True,
            natural_primary=True,
            format=FORMAT,
            output=str(tmp),
            verbosity=0,
        )
        tmp.replace(path)
        size = path.stat().st_size
        self.stdout.write(f"Backup written to {path} ({size / 1_048_576:.1f} MiB).")
