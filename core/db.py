"""What the database refuses, sorted into what it means for the request.

- A deadlock or a serialization failure (SQLSTATE 40P01, 40001) is nobody's fault:
  PostgreSQL cancelled one of two transactions that waited on each other. The
  transaction is run again (`retrying`), and if it keeps losing the editor is told to
  try again (409), not that the database is down.
- Input the database cannot store or index (a NUL character, a text beyond what the
  search vector can hold: SQLSTATE 22xxx data exceptions, 54000 program limit
  exceeded) is a bad request (400), caught before it reaches the database wherever a
  form can (core.text), and answered 400 by core.middleware if it slips through.
- Everything else of OperationalError/InterfaceError means the database is out of
  reach: 503 with Retry-After (core.middleware).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.db import DatabaseError, connection

RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure
ATTEMPTS = 4


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (psycopg keeps it on the wrapped cause)."""
    for candidate in (exc, exc.__cause__):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, DatabaseError) and sqlstate(exc) in RETRYABLE


def is_bad_input(exc: BaseException) -> bool:
    """Refused because of what was sent, not because the database is unwell."""
    code = sqlstate(exc) or ""
    if code.startswith("22") or code == "54000":
        return True
    # psycopg refuses a NUL character in a parameter before sending it.
    return isinstance(exc, ValueError) and "NUL" in str(exc)


def retrying[T](work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run `work` (which opens its own transaction) again when the database chose it
    as the victim of a deadlock. Inside an outer transaction nothing can be retried:
    the error goes up to whoever owns that transaction."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DatabaseError as exc:
            if not is_retryable(exc) or connection.in_atomic_block or attempt == attempts:
                raise
            # A short, random pause so the two do not collide again in step.
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 (not crypto)
    raise AssertionError("unreachable")
