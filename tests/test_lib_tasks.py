"""Queueing with the transaction: what rolls back is never queued, what commits always is.

With the database backend a task's row is written in the transaction (an outbox);
with the others it is queued after the commit; bulk callers write their rows together."""

import datetime

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.tasks import task_backends
from django.test.utils import CaptureQueriesContext
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
def test_with_another_backend_a_batch_is_queued_after_its_commit_without_rolled_back_work(queue):
    with transaction.atomic(), enqueued_together():
        for n in (10, 11):
            with transaction.atomic():
                enqueue_after_commit(recompute, n)
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_after_commit(recompute, 12)  # rolled back: never queued
            raise RuntimeError
        assert queued(queue) == []
    assert queued(queue) == [10, 11]
    enqueue_after_commit(recompute, 13)  # outside: at once, with no transaction
    assert queued(queue) == [10, 11, 13]


@pytest.mark.django_db(transaction=True)
def test_enqueued_together_outside_a_transaction_is_refused(queue):
    with pytest.raises(TransactionManagementError), enqueued_together():
        pass


@pytest.fixture
def db_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return task_backends["default"]


def rows() -> list[list]:
    from django_tasks_db.models import DBTaskResult

    return sorted(r.args_kwargs["args"] for r in DBTaskResult.objects.all())


def task_inserts(queries: CaptureQueriesContext) -> list[str]:
    from django_tasks_db.models import DBTaskResult

    table = DBTaskResult._meta.db_table
    return [q["sql"] for q in queries if q["sql"].startswith(f'INSERT INTO "{table}"')]


@pytest.mark.django_db(transaction=True)
def test_with_the_database_backend_the_row_is_written_in_the_transaction(db_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_after_commit(recompute, 1)
        assert rows() == [[1]]
        raise RuntimeError
    assert rows() == []  # rolled back with the change
    with transaction.atomic():
        enqueue_after_commit(recompute, 2)
        assert rows() == [[2]]  # there before the commit: the outbox
        assert connection.run_on_commit == []  # nothing left to do after it
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_after_commit(recompute, 3)  # a savepoint rolled back takes it along
            raise RuntimeError
    assert rows() == [[2]]
    connection.close()  # a new connection sees it: committed
    assert rows() == [[2]]


def batch(survive: tuple[int, ...], fail: tuple[int, ...]) -> None:
    """One savepoint per number, in order; those in ``fail`` roll back (the
    first one after a nested savepoint of its own that survives)."""
    for n in sorted(survive + fail):
        if n in fail:
            with pytest.raises(RuntimeError), transaction.atomic():
                with transaction.atomic():
                    enqueue_after_commit(recompute, n)
                raise RuntimeError
        else:
            with transaction.atomic():
                enqueue_after_commit(recompute, n)
                with pytest.raises(RuntimeError), transaction.atomic():
                    enqueue_after_commit(recompute, -n)  # a nested savepoint rolled back
                    raise RuntimeError


@pytest.mark.django_db(transaction=True)
def test_a_batch_writes_the_rows_of_its_surviving_savepoints_in_one_insert_in_order(db_queue):
    from django.tasks.signals import task_enqueued

    signalled = []

    def receiver(sender: object, task_result: object, **kwargs: object) -> None:
        signalled.append(task_result.args[0])  # type: ignore[attr-defined]

    task_enqueued.connect(receiver)
    try:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            with enqueued_together():
                batch(survive=(1001, 1003, 1004), fail=(1002,))
                assert rows() == []  # held back until the batch ends
            assert rows() == [[1001], [1003], [1004]]  # written, not yet committed
    finally:
        task_enqueued.disconnect(receiver)
    assert rows() == [[1001], [1003], [1004]]
    (insert,) = task_inserts(queries)
    positions = [insert.find(f"[{n}]") for n in (1001, 1003, 1004)]  # the rows' args
    assert -1 not in positions and positions == sorted(positions)
    assert signalled == [1001, 1003, 1004]


@pytest.mark.django_db(transaction=True)
def test_a_crash_just_after_the_batch_commits_loses_no_task(db_queue, monkeypatch):
    def crash() -> None:
        raise KeyboardInterrupt  # the process dies before any after-commit callback

    monkeypatch.setattr(connection, "run_and_clear_commit_hooks", crash)
    try:
        with pytest.raises(KeyboardInterrupt), transaction.atomic(), enqueued_together():
            batch(survive=(1, 3), fail=(2,))
            enqueue_after_commit(recompute, 4)  # outside a savepoint of its own
    finally:
        monkeypatch.undo()
        connection.run_on_commit = []
        connection.run_commit_hooks_on_set_autocommit_on = False
    connection.close()
    assert rows() == [[1], [3], [4]]


@pytest.mark.django_db(transaction=True)
def test_tasks_held_when_an_exception_leaves_the_batch_are_queued_if_it_commits(db_queue):
    with transaction.atomic():
        try:
            with enqueued_together():
                batch(survive=(1,), fail=(2,))
                raise ValueError  # caught below: the transaction goes on and commits
        except ValueError:
            pass
        assert rows() == []
    assert rows() == [[1]]  # queued after the commit rather than lost


@pytest.mark.django_db(transaction=True)
def test_a_batch_rolled_back_after_its_rows_are_written_leaves_none(db_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        with enqueued_together():
            batch(survive=(1,), fail=())
        assert rows() == [[1]]
        raise RuntimeError
    assert rows() == []


@pytest.mark.django_db(transaction=True)
def test_a_mail_import_batch_writes_its_tasks_in_one_insert_before_its_commit(
    people, db_queue, monkeypatch
):
    from email.message import EmailMessage

    from django_tasks_db.models import DBTaskResult

    from frontline.mail.inbound import receive_many
    from frontline.tickets import actions
    from frontline.tickets.models import EventKind, Ticket, TicketEvent

    def mail(subject: str) -> bytes:
        msg = EmailMessage()
        msg["From"], msg["To"] = "carol@example.com", "support@frontline.test"
        msg["Subject"], msg["Message-ID"] = subject, f"<{subject}@client.example>"
        msg.set_content("It jams.")
        return msg.as_bytes()

    real = actions.open_ticket

    def flaky(**kwargs):
        if kwargs["subject"] == "second":
            raise RuntimeError("database hiccup")  # its savepoint rolls back
        return real(**kwargs)

    commits = 0

    def crash_after_the_batch_commits() -> None:
        nonlocal commits
        commits += 1
        if commits == 2:  # the first commit stores the raw bytes, the second the batch
            raise KeyboardInterrupt

    monkeypatch.setattr(actions, "open_ticket", flaky)
    monkeypatch.setattr(connection, "run_and_clear_commit_hooks", crash_after_the_batch_commits)
    try:
        with CaptureQueriesContext(connection) as queries, pytest.raises(KeyboardInterrupt):
            list(receive_many([mail(s) for s in ("first", "second", "third")], batch=10))
    finally:
        monkeypatch.undo()
        connection.run_on_commit = []
        connection.run_commit_hooks_on_set_autocommit_on = False
    assert len(task_inserts(queries)) == 1
    tickets = sorted(Ticket.objects.values_list("pk", flat=True))
    assert len(tickets) == 2
    reactions = DBTaskResult.objects.filter(task_path="frontline.tickets.events.react")
    triaged = [
        r.args_kwargs["args"][1]
        for r in reactions
        if r.args_kwargs["args"][0] == "frontline.routing.reactions.triage_new_ticket"
    ]
    created = TicketEvent.objects.filter(kind=EventKind.CREATED, ticket__in=tickets)
    assert sorted(triaged) == sorted(created.values_list("pk", flat=True))
    assert len(triaged) == 2


def test_django_drops_the_on_commit_callbacks_of_a_rolled_back_savepoint(db):
    """enqueued_together tells the tasks of rolled-back savepoints by their marker
    missing from ``connection.run_on_commit`` (semi-private, as used by
    TestCase.captureOnCommitCallbacks): if this fails after a Django upgrade,
    enqueued_together must learn another way."""

    def kept() -> None: ...

    def dropped() -> None: ...

    with transaction.atomic():
        transaction.on_commit(kept)
        with pytest.raises(RuntimeError), transaction.atomic():
            transaction.on_commit(dropped)
            assert dropped in [callback for _sids, callback, _robust in connection.run_on_commit]
            raise RuntimeError
        callbacks = [callback for _sids, callback, _robust in connection.run_on_commit]
        assert kept in callbacks and dropped not in callbacks


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
    from django.tasks.signals import task_enqueued
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
        with (
            CaptureQueriesContext(connection) as queries,
            transaction.atomic(),
            enqueued_together(),
        ):
            for task, args, kwargs in calls:
                with transaction.atomic():
                    enqueue_after_commit(task, *args, **kwargs)
    finally:
        task_enqueued.disconnect(receiver)
    together = sorted(DBTaskResult.objects.all(), key=lambda r: str(r.args_kwargs))
    assert len(task_inserts(queries)) == 1
    assert [[getattr(r, f) for f in ROW_FIELDS] for r in together] == [
        [getattr(r, f) for f in ROW_FIELDS] for r in one_by_one
    ]
    assert all(r.enqueued_at is not None for r in together)
    assert [(r.task.name, r.args, r.kwargs) for r in signalled] == [
        ("recompute", [1], {}),
        ("recompute", [2], {}),
        ("notify", ["reply", 3], {"user_ids": [4]}),
    ]
