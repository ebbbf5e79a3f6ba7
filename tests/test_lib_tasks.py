"""Queueing with the transaction: what rolls back is never queued, what commits always is.

With the database backend a task's row is written in the transaction (an outbox);
with the others it is queued after the commit."""

import pytest
from django.db import connection, transaction
from django.tasks import task_backends

from frontline.lib.tasks import enqueue_after_commit
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
def test_with_another_backend_tasks_are_queued_after_the_commit_without_rolled_back_work(queue):
    with transaction.atomic():
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


@pytest.fixture
def db_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return task_backends["default"]


def rows() -> list[list]:
    from django_tasks_db.models import DBTaskResult

    return sorted(r.args_kwargs["args"] for r in DBTaskResult.objects.all())


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
def test_a_crash_just_after_the_batch_commits_loses_no_task(db_queue, monkeypatch):
    def crash() -> None:
        raise KeyboardInterrupt  # the process dies before any after-commit callback

    monkeypatch.setattr(connection, "run_and_clear_commit_hooks", crash)
    try:
        with pytest.raises(KeyboardInterrupt), transaction.atomic():
            batch(survive=(1, 3), fail=(2,))
            enqueue_after_commit(recompute, 4)  # outside a savepoint of its own
    finally:
        monkeypatch.undo()
        connection.run_on_commit = []
        connection.run_commit_hooks_on_set_autocommit_on = False
    connection.close()
    assert rows() == [[1], [3], [4]]


@pytest.mark.django_db(transaction=True)
def test_a_mail_import_batch_writes_its_tasks_before_its_commit(people, db_queue, monkeypatch):
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
        with pytest.raises(KeyboardInterrupt):
            list(receive_many([mail(s) for s in ("first", "second", "third")], batch=10))
    finally:
        monkeypatch.undo()
        connection.run_on_commit = []
        connection.run_commit_hooks_on_set_autocommit_on = False
    tickets = sorted(Ticket.objects.values_list("pk", flat=True))
    assert len(tickets) == 2
    reactions = DBTaskResult.objects.filter(task_path="frontline.tickets.events.react")
    triaged = [
        r.args_kwargs["args"][0]
        for r in reactions
        if "frontline.routing.reactions.triage_new_ticket" in r.args_kwargs["args"][1]
    ]
    created = TicketEvent.objects.filter(kind=EventKind.CREATED, ticket__in=tickets)
    assert sorted(triaged) == sorted(created.values_list("pk", flat=True))
    assert len(triaged) == 2


@pytest.mark.django_db(transaction=True)
def test_rows_written_together_are_the_rows_the_backend_writes_itself(db_queue):
    """The backend has no bulk API, so ``enqueue_all_after_commit`` builds its rows
    as ``DatabaseBackend.enqueue`` does: an upgrade that changes them fails here."""
    from django_tasks_db.models import DBTaskResult

    from frontline.lib.tasks import enqueue_all_after_commit

    with transaction.atomic():
        recompute.enqueue(7)
    with transaction.atomic():
        enqueue_all_after_commit(recompute, [(7,), (8,)])
    own, *together = DBTaskResult.objects.order_by("enqueued_at", "id")
    fields = [f.attname for f in DBTaskResult._meta.concrete_fields]
    for row in together:
        differ = {
            name
            for name in fields
            if getattr(row, name) != getattr(own, name) and name != "args_kwargs"
        }
        assert differ == {"id", "enqueued_at"}
    assert [r.args_kwargs for r in together] == [
        {"args": [7], "kwargs": {}},
        {"args": [8], "kwargs": {}},
    ]
    assert own.args_kwargs == {"args": [7], "kwargs": {}}
    assert [r.task.func for r in together] == [recompute.func, recompute.func]


@pytest.mark.django_db(transaction=True)
def test_reactions_queued_together_leave_out_the_events_of_rolled_back_savepoints(db_queue, ticket):
    """One task per surviving event, written as the block ends; an event rolled
    back with its savepoint gets none, even when a later event takes its id."""
    from django_tasks_db.models import DBTaskResult

    from frontline.tickets.events import reactions_queued_together, record_event
    from frontline.tickets.models import EventKind, TicketEvent

    DBTaskResult.objects.all().delete()
    before = set(TicketEvent.objects.values_list("pk", flat=True))
    with transaction.atomic(), reactions_queued_together():
        kept = record_event(ticket, EventKind.CREATED, by=ticket.requester)
        with pytest.raises(RuntimeError), transaction.atomic():
            gone = record_event(ticket, EventKind.CREATED, by=ticket.requester)
            raise RuntimeError
        assert DBTaskResult.objects.count() == 0  # held until the block ends
        later = record_event(ticket, EventKind.REPLY, by=ticket.requester, message=1)
    queued = {
        r.args_kwargs["args"][0]: r.args_kwargs["args"][1]
        for r in DBTaskResult.objects.filter(task_path="frontline.tickets.events.react")
    }
    alive = set(TicketEvent.objects.values_list("pk", flat=True)) - before
    assert set(queued) == {kept.pk, later.pk} == alive
    assert gone.pk not in alive or gone.pk == later.pk  # SQLite may hand its id on
    assert queued[kept.pk] == due(kept)
    assert queued[later.pk] == due(later)
    assert "frontline.routing.reactions.triage_new_ticket" in queued[kept.pk]


def due(event) -> list[str]:
    """The reactions the table lists for the event, as ``record_event`` picks them."""
    from frontline.tickets.events import reactions_to

    return [r.path for r in reactions_to(event.kind) if r.when is None or r.when(event)]
