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

    A caller already in a transaction gets the write in that transaction. On
    SQLite it holds the write lock already (``BEGIN IMMEDIATE``), so there is
    nothing to wait for. On PostgreSQL the row may be locked by another
    transaction: the write runs in a savepoint with ``lock_timeout`` set for it
    alone, and a timeout rolls back to the savepoint, so the caller's
    transaction goes on without the write."""
    if connection.in_atomic_block:
        if connection.vendor != "postgresql":
            write()
            return True
        return _try_in_savepoint(write, wait_ms=wait_ms, what=what)
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


def _try_in_savepoint(write: Callable[[], object], *, wait_ms: int, what: str) -> bool:
    """PostgreSQL, inside the caller's transaction: ``write`` bounded by
    ``lock_timeout`` in a savepoint. The caller's own ``lock_timeout`` is put
    back after a write that ran; after a timeout the rollback to the savepoint
    undoes the ``set_config`` (a transaction-local setting made after a
    savepoint does not outlive its rollback)."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                    [f"{int(wait_ms)}ms"],
                )
                previous = cursor.fetchone()[0]
            write()
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])
    except OperationalError as exc:
        logger.info("Skipped %s: the database was busy (%s)", what or "a write", exc)
        return False
    return True


def reads_first[T](work: Callable[[], T], *, what: str = "") -> T:
    """Run ``work`` in a transaction of its own; on SQLite one that takes the
    database's write lock only at its first write (``BEGIN DEFERRED``), so that
    the reading and the Python before it hold up no other writer.

    For background work that mostly reads (the reactions to a ticket event):
    with the usual ``BEGIN IMMEDIATE`` the worker held the one write lock
    through all of its reads and rendering, reaction after reaction, and the
    web's creates waited behind it (docs/benchmarks.md, stop 14). SQLite
    refuses to turn a reading transaction into a writing one when another
    connection wrote meanwhile (its snapshot is stale) or holds the lock; then
    everything ``work`` did is rolled back and it runs again, holding the lock
    from the start as usual. So ``work`` must be safe to run twice, and nothing
    it reads can change under its writes. Elsewhere (PostgreSQL, or inside a
    transaction already) it is a plain ``transaction.atomic()``."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            return work()
    connection.ensure_connection()
    mode = connection.transaction_mode  # type: ignore[attr-defined]
    connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            return work()
    except OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        logger.info("Ran %s again holding the lock: %s", what or "a transaction", exc)
    finally:
        connection.transaction_mode = mode  # type: ignore[attr-defined]
    with transaction.atomic():
        return work()
