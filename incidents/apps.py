from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Saves and deletes of editorial rows invalidate the cached pages and values
        # that show them (core.cache); which ones is said in incidents/caching.py.
        from . import caching

        caching.connect()
