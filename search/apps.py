from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        # Connects the receivers that keep the search index in step with the data.
        from . import signals  # noqa: F401
