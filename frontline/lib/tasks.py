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
                if not _insert_together(pending):
                    for task, args, kwargs in pending:
                        task.enqueue(*args, **kwargs)


def _insert_together(pending: list[tuple[Any, tuple, dict]]) -> bool:
    """With the database task backend (``django_tasks_db``), queue the tasks with
    one insert: the rows ``DatabaseBackend.enqueue`` would write one at a time,
    and its ``task_enqueued`` signal for each. False (nothing done) with any
    other backend or options. The backend has no bulk API: the row is built as
    its ``enqueue`` builds it, and tests/test_lib_tasks.py fails if they differ.
    """
    from django.tasks.signals import task_enqueued
    from django.utils.json import normalize_json
    from django_tasks_db.backend import DatabaseBackend

    backends = {id(task): task.get_backend() for task, _args, _kwargs in pending}
    if not all(
        type(b) is DatabaseBackend and not b.options.get("id_function") for b in backends.values()
    ):
        return False
    from django_tasks_db.models import DBTaskResult, get_date_max

    new_id = DBTaskResult._meta.pk.default
    rows: list[DBTaskResult] = []
    for task, args, kwargs in pending:
        backend = backends[id(task)]
        backend.validate_task(task)
        rows.append(
            DBTaskResult(
                id=new_id(),
                args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                # What django_tasks_db's pre_save handler does (bulk_create sends no signals).
                run_after=task.run_after if task.run_after is not None else get_date_max(),
                backend_name=backend.alias,
            )
        )
    DBTaskResult.objects.bulk_create(rows)
    for row in rows:
        task_enqueued.send(DatabaseBackend, task_result=row.task_result)
    return True
