"""Queueing background work once the transaction commits: the one way to do it.

Actions never enqueue a task directly: a task queued inside a transaction that
then rolls back would act on rows that do not exist. They call
:func:`enqueue_after_commit`, which queues the task when (and only if) the
transaction commits. A bulk caller (the mail import) can wrap many commits in
:func:`enqueued_together`, so their tasks go into the queue in one write.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

_pending: contextvars.ContextVar[list[tuple[Any, tuple, dict]] | None] = contextvars.ContextVar(
    "frontline_pending_tasks", default=None
)


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task(*args, **kwargs)`` once the current transaction commits (at
    once when there is none)."""

    def queue() -> None:
        pending = _pending.get()
        if pending is not None:
            pending.append((task, args, kwargs))
        else:
            task.enqueue(*args, **kwargs)

    transaction.on_commit(queue)


@contextmanager
def enqueued_together() -> Iterator[None]:
    """Inside, tasks whose transactions commit are held back, then queued together
    in one transaction at the end (in their order). Tasks of transactions that
    roll back are never queued, as without it."""
    token = _pending.set([])
    try:
        yield
    finally:
        pending = _pending.get() or []
        _pending.reset(token)
        if pending:
            with transaction.atomic():
                for task, args, kwargs in pending:
                    task.enqueue(*args, **kwargs)
