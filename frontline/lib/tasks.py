"""Queueing background work with the change that calls for it: the one way to do it.

Actions never call ``task.enqueue()`` themselves; they call
:func:`enqueue_after_commit`, which makes the task commit or roll back with the
transaction that queues it (a savepoint rolled back takes its tasks with it):

- With the database task backend (``django_tasks_db``, whose table is on the
  same database), the task's row is written inside the transaction: a
  transactional outbox. No crash between the commit and the queueing can lose
  a task, and a worker sees the row only once the change is committed.
- With any other backend (RQ, and the immediate backend the tests use), the task
  is queued once the transaction commits (``transaction.on_commit``): a crash
  just after the commit loses it, as those backends cannot share the transaction.
- Outside any transaction (autocommit), the task is queued at once.

A bulk caller (the mail import) wraps its batch transaction's body in
:func:`enqueued_together` (``with transaction.atomic(), enqueued_together():``)
so the batch's database-backend rows go in with one insert, still inside the
transaction, just before it commits.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.db.transaction import TransactionManagementError


class _Held:
    """A task held back by :func:`enqueued_together`, and its ``on_commit`` marker.

    Registered with ``transaction.on_commit``, it stays in the connection's
    ``run_on_commit`` list as long as every savepoint it was queued in survives
    (Django drops the callbacks of a savepoint it rolls back), which is how the
    batch tells the tasks to write from those to leave out. Called on commit, it
    does nothing once written; a task never written (an exception left
    :func:`enqueued_together` and was caught inside the transaction, which then
    committed) is queued then, after the commit, rather than lost.
    """

    __slots__ = ("args", "kwargs", "task", "written")

    def __init__(self, task: Any, args: tuple, kwargs: dict) -> None:
        self.task, self.args, self.kwargs = task, args, kwargs
        self.written = False

    def __call__(self) -> None:
        if not self.written:
            self.task.enqueue(*self.args, **self.kwargs)


_held: contextvars.ContextVar[list[_Held] | None] = contextvars.ContextVar(
    "frontline_held_tasks", default=None
)


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task(*args, **kwargs)`` so that it commits or rolls back with the
    current transaction (see the module's docstring for how, per backend); at
    once when there is no transaction."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and _in_this_database(task):
        held = _held.get()
        if held is None:
            task.enqueue(*args, **kwargs)  # its row joins the transaction
        else:
            item = _Held(task, args, kwargs)
            held.append(item)
            transaction.on_commit(item)
        return
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def _in_this_database(task: Any) -> bool:
    """Whether the task's backend writes its rows to the database whose
    transaction we are in (the default one, as ``transaction.on_commit``)."""
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(task.get_backend(), DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS


@contextmanager
def enqueued_together() -> Iterator[None]:
    """Inside a transaction, hold back the database-backend tasks queued in it,
    then write them with one insert as the block ends, still in the transaction
    (in their order, leaving out those of savepoints rolled back meanwhile).

    Use it as the transaction's last step: ``with transaction.atomic(),
    enqueued_together():``. Nested, the outer one writes. Tasks of other
    backends are queued after the commit as usual. If an exception leaves the
    block nothing is written here: the transaction normally rolls back; if it
    commits anyway, the held tasks are queued after the commit.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "enqueued_together() goes inside the transaction: "
            "with transaction.atomic(), enqueued_together(): ..."
        )
    if _held.get() is not None:
        yield
        return
    held: list[_Held] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    # Django keeps (savepoint ids, callback, robust) for each on_commit callback and
    # drops those of a rolled-back savepoint; tests/test_lib_tasks.py checks it does.
    alive = {id(callback) for _sids, callback, _robust in connection.run_on_commit}
    survivors = [item for item in held if id(item) in alive]
    if not survivors:
        return
    calls = [(item.task, item.args, item.kwargs) for item in survivors]
    if not _insert_together(calls):
        for task, args, kwargs in calls:
            task.enqueue(*args, **kwargs)
    for item in survivors:
        item.written = True


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
