from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from incidents import caching

        # signals: connects the receivers that keep the search index in step with the data.
        from . import signals, terms  # noqa: F401

        # An edit of a statement's words makes stale only the searches for its words
        # (the domain app does not import search: it is told here).
        caching.follow_words_edits(terms.edit_scopes)
        post_migrate.connect(_keep_title_index, dispatch_uid="search.keep_title_index")


def _keep_title_index(using: str = "default", **kwargs: Any) -> None:
    """SQLite: put back the title index's triggers if a migration rebuilt the
    incidents' table without them (search.title_index.ensure_sqlite_triggers)."""
    from . import title_index

    title_index.ensure_sqlite_triggers(connections[using])
