from django.apps import AppConfig


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
