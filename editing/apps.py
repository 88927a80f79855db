from django.apps import AppConfig


class EditingConfig(AppConfig):
    """The editors' pages under /edit/: forms and views that change incidents,
    statements, spans, points and history. The models live in incidents/."""

    name = "editing"
    verbose_name = "Editing"
