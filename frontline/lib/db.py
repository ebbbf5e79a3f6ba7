"""Writes that are bookkeeping, not the request's purpose.

A read (an API ``GET``) that also notes something (a token's last use) must
never fail, nor wait ten seconds, because another connection holds the
database's write lock (SQLite) or the row (PostgreSQL): ``try_briefly`` runs
the write in its own short transaction, waits at most ``wait_ms`` for the lock
and gives up, quietly, when it is busy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)


def try_briefly(write: Callable[[], object], *, wait_ms: int = 100, what: str = "") -> bool:
    """Run ``write`` in a transaction of its own, waiting at most ``wait_ms`` for
    a lock. True if it ran, False if the database was busy (logged, nothing
    raised, nothing written).

    A caller already in a transaction gets the write in that transaction, as
    any other statement: on SQLite it holds the write lock already (``BEGIN
    IMMEDIATE``), so there is nothing to wait for."""
    if connection.in_atomic_block:
        write()
        return True
    sqlite = connection.vendor == "sqlite"
    previous: int | None = None
    try:
        if sqlite:
            # BEGIN IMMEDIATE takes the write lock at once: wait for it briefly,
            # not for the connection's usual busy timeout.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout")
                previous = int(cursor.fetchone()[0])
                cursor.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{wait_ms}ms"])
            write()
    except OperationalError as exc:
        logger.info("Skipped %s: the database was busy (%s)", what or "a write", exc)
        return False
    finally:
        if previous is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")
    return True
