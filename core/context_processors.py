"""Template context every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def data_licence(request: HttpRequest) -> dict[str, str]:
    """The licence of the published data, stated in the footer of every page (the
    API and the exports state the same one)."""
    return {"DATA_LICENSE": settings.DATA_LICENSE, "DATA_LICENSE_URL": settings.DATA_LICENSE_URL}
