from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Saves and deletes of editorial rows invalidate cached public pages.
        from core.cache import connect_signals

        connect_signals()
