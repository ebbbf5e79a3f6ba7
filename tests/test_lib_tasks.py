"""Queueing after commit: only committed work is queued; bulk callers queue together."""

import datetime

import pytest
from django.db import transaction
from django.tasks import task_backends
from django.utils import timezone

from frontline.lib.tasks import enqueue_after_commit, enqueued_together
from frontline.mail.tasks import notify
from frontline.sla.tasks import recompute


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]
    backend.clear()
    return backend


def queued(queue) -> list[int]:
    return [result.args[0] for result in queue.results]


@pytest.mark.django_db(transaction=True)
def test_only_what_commits_is_queued(queue):
    with transaction.atomic():
        enqueue_after_commit(recompute, 1)
        assert queued(queue) == []  # not before the commit
    assert queued(queue) == [1]
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_after_commit(recompute, 2)
        raise RuntimeError
    assert queued(queue) == [1]


@pytest.mark.django_db(transaction=True)
def test_tasks_of_many_commits_are_held_and_queued_together_in_order(queue):
    with enqueued_together():
        for n in (10, 11):
            with transaction.atomic():
                enqueue_after_commit(recompute, n)
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_after_commit(recompute, 12)  # rolled back: never queued
            raise RuntimeError
        assert queued(queue) == []  # held back until the end
    assert queued(queue) == [10, 11]
    enqueue_after_commit(recompute, 13)  # outside: at once, with no transaction
    assert queued(queue) == [10, 11, 13]


@pytest.fixture
def db_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return task_backends["default"]


ROW_FIELDS = (
    "status",
    "args_kwargs",
    "priority",
    "task_path",
    "worker_ids",
    "queue_name",
    "backend_name",
    "run_after",
    "return_value",
    "exception_class_path",
    "traceback",
)


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_tasks_are_queued_in_one_insert_as_enqueue_would(db_queue):
    """enqueued_together writes django_tasks_db's rows itself (it has no bulk API):
    if this fails after an upgrade, the rows must be built as its enqueue builds them."""
    from django.db import connection
    from django.tasks.signals import task_enqueued
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult

    later = recompute.using(priority=5, run_after=timezone.now() + datetime.timedelta(hours=1))
    calls = [(recompute, (1,), {}), (later, (2,), {}), (notify, ("reply", 3), {"user_ids": [4]})]
    for task, args, kwargs in calls:
        task.enqueue(*args, **kwargs)  # the backend's own way, one row each
    one_by_one = sorted(DBTaskResult.objects.all(), key=lambda r: str(r.args_kwargs))
    DBTaskResult.objects.all().delete()
    signalled = []

    def receiver(sender: object, task_result: object, **kwargs: object) -> None:
        signalled.append(task_result)

    task_enqueued.connect(receiver)
    try:
        with CaptureQueriesContext(connection) as queries, enqueued_together():
            for task, args, kwargs in calls:
                with transaction.atomic():
                    enqueue_after_commit(task, *args, **kwargs)
    finally:
        task_enqueued.disconnect(receiver)
    together = sorted(DBTaskResult.objects.all(), key=lambda r: str(r.args_kwargs))
    table = DBTaskResult._meta.db_table
    inserts = [q for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"')]
    assert len(inserts) == 1
    assert [[getattr(r, f) for f in ROW_FIELDS] for r in together] == [
        [getattr(r, f) for f in ROW_FIELDS] for r in one_by_one
    ]
    assert all(r.enqueued_at is not None for r in together)
    assert [(r.task.name, r.args, r.kwargs) for r in signalled] == [
        ("recompute", [1], {}),
        ("recompute", [2], {}),
        ("notify", ["reply", 3], {"user_ids": [4]}),
    ]
