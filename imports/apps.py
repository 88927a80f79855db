from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Article import"

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from incidents.models import Statement

        from .signals import verify_statement_quote

        pre_save.connect(
            verify_statement_quote, sender=Statement, dispatch_uid="imports.verify_quote"
        )
