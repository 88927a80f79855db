"""`manage.py serve`: Django's development server for `make run`, quiet.

runserver prints a banner (date, version, address, a warning) every time the code
reloads, and "Performing system checks..." before each; `make run` prints the
address once itself, so this server says nothing unless something is wrong: the
system checks still run and still stop it on an error, and it still reloads when a
file changes. Requests are logged as usual.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.management.commands.runserver import (
    Command as RunserverCommand,
)


class Command(RunserverCommand):
    help = "The development server without its start-up banner (used by `make run`)."

    def inner_run(self, *args: Any, **options: Any) -> None:
        if not options["skip_checks"]:
            # Prints nothing when there is nothing to report; raises on errors.
            self.check(display_num_errors=False)
        options["skip_checks"] = True
        super().inner_run(*args, **options)

    def on_bind(self, server_port: int) -> None:
        # `make run` has printed the address; a reload prints nothing.
        pass
