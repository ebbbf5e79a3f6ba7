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

:func:`enqueue_all_after_commit` queues one task many times the same way; with
the database backend its rows go in with one insert (the mail import queues the
reactions to a batch's events so).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, router, transaction

from frontline.lib.prepared import insert


def enqueue_after_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Queue ``task(*args, **kwargs)`` so that it commits or rolls back with the
    current transaction (see the module's docstring for how, per backend); at
    once when there is no transaction."""
    if transaction.get_connection().in_atomic_block and _in_this_database(task):
        task.enqueue(*args, **kwargs)  # its row joins the transaction
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


def enqueue_all_after_commit(task: Any, calls: Iterable[tuple[Any, ...]]) -> None:
    """Queue ``task(*args)`` for each ``args`` of ``calls``, each as
    :func:`enqueue_after_commit` would; in a transaction with the database
    backend, all the rows with one insert."""
    calls = list(calls)
    if not calls:
        return
    if not (
        transaction.get_connection().in_atomic_block
        and _in_this_database(task)
        and _insert_rows(task, calls)
    ):
        for args in calls:
            enqueue_after_commit(task, *args)


def _insert_rows(task: Any, calls: list[tuple[Any, ...]]) -> bool:
    """The rows ``django_tasks_db``'s ``DatabaseBackend.enqueue`` writes one at a
    time, written with one insert, and its ``task_enqueued`` signal for each when
    anyone listens. False (nothing written) with options this does not know.
    The backend has no bulk API: the rows are built as its ``enqueue`` builds
    them, and tests/test_lib_tasks.py fails if the two ever differ."""
    from django.tasks.signals import task_enqueued
    from django.utils.json import normalize_json
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task.get_backend()
    if type(backend) is not DatabaseBackend or backend.options.get("id_function"):
        return False
    backend.validate_task(task)
    new_id = DBTaskResult._meta.pk.default
    rows: list[DBTaskResult] = [
        DBTaskResult(
            id=new_id(),
            args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            # What the backend's pre_save handler does (bulk_create sends no signals).
            run_after=task.run_after if task.run_after is not None else get_date_max(),
            backend_name=backend.alias,
        )
        for args in calls
    ]
    if len(rows) == 1:
        # A new ticket's: the statement built once (and no signals, as bulk_create).
        insert(rows[0], using=router.db_for_write(DBTaskResult), signals=False)
    else:
        DBTaskResult.objects.bulk_create(rows)
    if task_enqueued.has_listeners(DatabaseBackend):
        for row in rows:
            task_enqueued.send(DatabaseBackend, task_result=row.task_result)
    return True
