from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # After migrate and after every test-database flush (which empties the groups
        # made by the roles migration). Sent once per app; the groups are re-synced
        # each time because permissions are created app by app.
        post_migrate.connect(_after_migrate, dispatch_uid="accounts.sync_role_groups")


def _after_migrate(sender: AppConfig, **kwargs: object) -> None:
    from .roles import sync_role_groups

    # Permissions are created by a receiver connected earlier (auth's), so by the time
    # this runs for `incidents` its permissions exist.
    if sender.label in {"accounts", "incidents"}:
        sync_role_groups()
