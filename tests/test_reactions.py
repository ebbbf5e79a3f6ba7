"""Reactions to ticket events: queued with the change, never without it, each on its own.

The table is ``frontline/reactions.py``; ``frontline.tickets.events`` writes the
event and queues a ``react`` task per listed reaction through the outbox.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from frontline.reactions import REACTIONS
from frontline.tickets import actions, events
from frontline.tickets.events import on, react, reactions_to, record_event
from frontline.tickets.models import EventKind, Status, Tag, TicketEvent

ran: list[tuple[str, int]] = []


def fails(event_id: int) -> None:
    ran.append(("fails", event_id))
    raise RuntimeError("the webhook's server is down")


def works(event_id: int) -> None:
    ran.append(("works", event_id))


# A table for the failure tests: one reaction that always fails, one that works.
FAILING_TABLE = {EventKind.TAGS: (on(fails), on(works))}


@pytest.fixture
def database_tasks(settings):
    """The embedded default: task rows written in the change's transaction."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def failing_table(settings):
    settings.FRONTLINE_REACTIONS = "tests.test_reactions.FAILING_TABLE"
    events._table.cache_clear()
    events._by_path.cache_clear()
    ran.clear()
    yield
    events._table.cache_clear()
    events._by_path.cache_clear()


def queued_reactions() -> list[tuple[str, int]]:
    rows = DBTaskResult.objects.filter(task_path="frontline.tickets.events.react").order_by(
        "enqueued_at", "id"
    )
    return [(name, r.args_kwargs["args"][0]) for r in rows for name in r.args_kwargs["args"][1]]


def run_queued_tasks() -> None:
    """What ``db_worker`` does with each task that is due (without its loop, which
    closes the test's connection)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    for row in DBTaskResult.objects.ready().order_by("enqueued_at", "id"):
        row.claim("test")
        worker.run_task(row)


def test_every_reaction_in_the_table_is_a_function_the_worker_can_find():
    for kind, reactions in REACTIONS.items():
        assert kind in EventKind.values
        for reaction in reactions:
            assert events._by_path()[reaction.path] is reaction.func, reaction.path


# Each act with reactions, done in a transaction that commits or rolls back.
ACTS = {
    EventKind.CREATED: lambda p, t: actions.open_ticket(
        requester=p.carol, by=p.carol, subject="Printer", body="It jams.", category=p.billing
    ),
    EventKind.STATUS: lambda p, t: actions.change_status(t, status=Status.RESOLVED, by=p.alice),
    EventKind.PRIORITY: lambda p, t: actions.change_priority(t, priority=4, by=p.alice),
    EventKind.REPLY: lambda p, t: actions.add_reply(t, body="Still broken.", by=p.carol),
    EventKind.NOTE: lambda p, t: actions.add_note(t, body="@bob have a look", by=p.alice),
    EventKind.TEAM: lambda p, t: actions.assign_ticket(
        t, by=p.alice, team=p.second_line, note="Needs the second line."
    ),
    EventKind.ASSIGNEE: lambda p, t: actions.assign_ticket(t, by=p.alice, assignee=p.alice),
}


@pytest.mark.parametrize("kind", list(ACTS), ids=str)
def test_reactions_are_queued_with_the_change_and_not_after_a_rollback(
    kind, people, ticket, database_tasks
):
    assert kind in REACTIONS
    DBTaskResult.objects.all().delete()
    before = TicketEvent.objects.count()

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        ACTS[kind](people, ticket)
        assert queued_reactions(), "queued inside the change's transaction"
        raise Undo
    assert TicketEvent.objects.count() == before
    assert queued_reactions() == []

    with transaction.atomic():
        ACTS[kind](people, ticket)
    event = TicketEvent.objects.filter(kind=kind).latest("id")
    expected = [r.path for r in reactions_to(kind) if r.when is None or r.when(event)]
    assert expected, f"the act for {kind} queues at least one reaction"
    assert [path for path, event_id in queued_reactions() if event_id == event.pk] == expected


def test_sla_events_are_told_through_the_reactions_table(people, ticket, database_tasks):
    DBTaskResult.objects.all().delete()
    event = record_event(ticket, EventKind.SLA_BREACH, by=None, due="2026-01-01", notify=[])
    # The people are told; the report's rollup notes the missed deadline.
    assert queued_reactions() == [
        ("frontline.sla.reactions.tell_people", event.pk),
        ("frontline.reports.reactions.refresh_figures", event.pk),
    ]


def test_an_event_no_one_reacts_to_queues_nothing(people, ticket, database_tasks):
    DBTaskResult.objects.all().delete()
    actions.set_tags(ticket, names=["billing"], by=people.alice)
    # Only webhooks listen to tags, and only when someone subscribed (nobody has).
    assert [r.path for r in reactions_to(EventKind.TAGS)] == [
        "frontline.api.reactions.send_webhooks"
    ]
    assert queued_reactions() == []


def test_a_failing_reaction_neither_undoes_the_change_nor_stops_the_others(
    people, ticket, failing_table, django_capture_on_commit_callbacks
):
    """With the tests' immediate backend each reaction runs at the commit."""
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_tags(ticket, names=["urgent"], by=people.alice)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAGS)
    assert list(ticket.tags.values_list("name", flat=True)) == ["urgent"]
    assert ran == [("fails", event.pk), ("works", event.pk)]


def test_a_failing_reaction_is_tried_again_later_and_each_failure_is_kept(
    people, ticket, failing_table, database_tasks
):
    DBTaskResult.objects.all().delete()
    actions.set_tags(ticket, names=["urgent"], by=people.alice)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAGS)
    assert queued_reactions() == [
        ("tests.test_reactions.fails", event.pk),
        ("tests.test_reactions.works", event.pk),
    ]
    run_queued_tasks()
    assert ran == [("fails", event.pk), ("works", event.pk)]
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "tests.test_reactions.fails failed on event" in failed.traceback
    assert "the webhook's server is down" in failed.traceback  # the cause, kept
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs["args"] == [event.pk, ["tests.test_reactions.fails"], 2]
    assert retry.run_after > timezone.now() + datetime.timedelta(seconds=50)


def test_a_reaction_gives_up_after_its_last_retry(people, ticket, failing_table, database_tasks):
    actions.set_tags(ticket, names=["urgent"], by=people.alice)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAGS)
    DBTaskResult.objects.all().delete()
    with pytest.raises(events.ReactionsFailed):
        react.call(event.pk, ["tests.test_reactions.fails"], events.RETRIES + 1)
    assert not DBTaskResult.objects.exists()


def test_a_failing_reaction_undoes_only_its_own_writes(people, ticket, settings):
    """Each reaction runs in a savepoint: what the failing one wrote is gone,
    what the others wrote stays."""
    settings.FRONTLINE_REACTIONS = "tests.test_reactions.WRITING_TABLE"
    events._table.cache_clear()
    events._by_path.cache_clear()
    try:
        event = record_event(ticket, EventKind.TAGS, by=None)
        with pytest.raises(events.ReactionsFailed):
            react.call(event.pk, [r.path for r in reactions_to(EventKind.TAGS)])
    finally:
        events._table.cache_clear()
        events._by_path.cache_clear()
    assert set(Tag.objects.values_list("name", flat=True)) == {"kept"}


def test_a_reaction_no_longer_in_the_table_is_skipped(people, ticket, failing_table):
    actions.set_tags(ticket, names=["urgent"], by=people.alice)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TAGS)
    ran.clear()
    assert react.call(event.pk, ["tests.test_reactions.removed_long_ago"]) == []
    assert ran == []


def writes_then_fails(event_id: int) -> None:
    Tag.objects.create(name="undone")
    raise RuntimeError("half way")


def writes(event_id: int) -> None:
    Tag.objects.create(name="kept")


WRITING_TABLE = {EventKind.TAGS: (on(writes_then_fails), on(writes))}
