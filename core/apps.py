from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site plumbing shared by every app: the page cache, the request type, the
    database middleware and router. It imports no app of the project."""

    name = "core"
    verbose_name = "Site plumbing"
