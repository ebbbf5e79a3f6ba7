"""Queueing after commit: only committed work is queued; bulk callers queue together."""

import pytest
from django.db import transaction
from django.tasks import task_backends

from frontline.lib.tasks import enqueue_after_commit, enqueued_together
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
