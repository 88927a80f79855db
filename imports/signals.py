"""Every statement saved with a source is checked against the source's archived
text, whichever page saved it (import, editing in place, admin): the comparison page
shows `quote_verified` and flags unverified quotes to analysts and editors."""

from typing import Any

from incidents.models import Statement


def verify_statement_quote(sender: type[Statement], instance: Statement, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if instance.source_id is None:
        instance.quote_verified = None
        return
    instance.verify_quote()
