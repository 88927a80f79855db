"""Logging filters (settings.LOGGING)."""

from __future__ import annotations

import logging


class ForbiddenOnOneLine(logging.Filter):
    """A 403 (a permission check saying no, a CSRF failure) is an expected answer,
    not a fault: logged as its one-line warning, without the traceback Django
    attaches to the PermissionDenied it came from."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
