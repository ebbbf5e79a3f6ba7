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
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, router, transaction


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
