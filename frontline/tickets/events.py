"""Events and the reactions to them: the one way a ticket change is recorded,
and the one way its consequences are set off.

A change writes one :class:`TicketEvent` row with :func:`record_event`, inside
the transaction of the change. If the table ``settings.FRONTLINE_REACTIONS``
(``frontline/reactions.py``) lists reactions for the event's kind (whose
``when`` agrees), one :func:`react` task for the event is queued through the
transactional outbox
(:func:`frontline.lib.tasks.enqueue_after_commit`): it commits with the change
and vanishes with a rollback. The task runs the reactions in the table's order,
each in its own savepoint, so one that fails neither undoes the change nor
stops the others; it is tried again later on its own (with a backend that can
defer tasks) and each failed try stays visible in the task results (the
admin's "Task results" with the database backend).

The ticket core names no reacting app: the table is found through a setting,
so the apps that react (mail, routing, SLA, search, reports, webhooks) import
``tickets`` and never the other way round.
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.tasks import Task, task
from django.utils import timezone
from django.utils.module_loading import import_string

from frontline.accounts.models import User
from frontline.lib.db import reads_first
from frontline.lib.prepared import Prepared, insert
from frontline.lib.tasks import enqueue_all_after_commit

from .models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

# A reaction that fails is tried again this many times, waiting longer each
# time (1, 4, 16, 64 minutes), where the task backend can defer a task.
RETRIES = 4


@dataclass(frozen=True)
class Reaction:
    """One line of the reactions table: run ``func(event_id)`` after an event of
    its kind commits, if ``when(event)`` says so.

    ``when`` looks only at the event as written (its kind, data and actor,
    which are in memory when it is recorded): it saves queueing a task that
    would have nothing to do; the reaction itself still decides with what it
    reads from the database.
    """

    func: Callable[[int], Any]
    when: Callable[[TicketEvent], bool] | None = None

    @property
    def path(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


def on(
    func: Callable[[int], Any], *, when: Callable[[TicketEvent], bool] | None = None
) -> Reaction:
    """A line of the reactions table (``frontline/reactions.py``)."""
    return Reaction(func, when)


@functools.cache
def _table() -> Mapping[str, tuple[Reaction, ...]]:
    table = import_string(settings.FRONTLINE_REACTIONS)
    return {kind: tuple(_as_reaction(r) for r in reactions) for kind, reactions in table.items()}


@functools.cache
def _by_path() -> Mapping[str, Callable[[int], Any]]:
    return {r.path: r.func for reactions in _table().values() for r in reactions}


def _as_reaction(item: Reaction | Callable[[int], Any]) -> Reaction:
    if isinstance(item, Reaction):
        return item
    if isinstance(item, Task):  # a @task listed as it is: run its function
        return Reaction(item.func)
    return Reaction(item)


def reactions_to(kind: str) -> tuple[Reaction, ...]:
    """The reactions the table lists for events of ``kind``, in their order."""
    return _table().get(kind, ())


def record_event(
    ticket: Ticket,
    kind: str,
    *,
    by: User | None,
    at: datetime.datetime | None = None,
    **data: Any,
) -> TicketEvent:
    """Write the event of a change to ``ticket`` (call it inside the change's
    transaction) and queue the reactions to it, to run after the commit.

    ``by`` is the person who made the change; None is Frontline itself.
    ``data`` is what the timeline, the audit and the reactions need to know.
    """
    event = insert(
        TicketEvent(ticket=ticket, kind=kind, actor=by, data=data, created_at=at or timezone.now())
    )
    due = [r.path for r in reactions_to(kind) if r.when is None or r.when(event)]
    if due:
        held = _held.get()
        if held is None:
            # The outbox's row as the batch writes it: the backend's own enqueue
            # also builds the task's result for a signal nobody listens to.
            enqueue_all_after_commit(react, [(event.pk, due)])
        else:
            held[event.pk] = due
    return event


# The events whose reactions :func:`reactions_queued_together` holds back: event
# id -> the reactions due.
_held: contextvars.ContextVar[dict[int, list[str]] | None] = contextvars.ContextVar(
    "frontline_held_reactions", default=None
)


@contextmanager
def reactions_queued_together() -> Iterator[None]:
    """Queue the reactions to the events recorded in the block as it ends, with
    one insert (the mail import's batch: one task row per event, one by one, was
    a tenth of its time). Use it as the last thing inside the transaction
    (``with transaction.atomic(), reactions_queued_together():``).

    Only the events still in the database when the block ends get their task:
    those of a savepoint rolled back meanwhile are gone. An id can come back
    after a rollback (SQLite reuses it), so only its last event can have
    survived. If an exception leaves the block nothing is queued: the
    transaction rolls back. Nested, the outer block queues.
    """
    if _held.get() is not None:
        yield
        return
    held: dict[int, list[str]] = {}
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    alive = set(TicketEvent.objects.filter(pk__in=held).values_list("pk", flat=True))
    enqueue_all_after_commit(react, [(pk, due) for pk, due in held.items() if pk in alive])


class ReactionsFailed(Exception):
    """Some reactions to an event failed (the others ran); they are tried again."""


@task
def react(event_id: int, reactions: list[str], attempt: int = 1) -> list[str]:
    """Run ``reactions`` (by name, as the table lists them) to one event, in
    order, each on its own: each in a savepoint, so one that fails undoes only
    its own writes and the others still run. Returns the names that ran.

    Those that failed are queued again together, with a growing delay, up to
    ``RETRIES`` more times; then the task fails naming them, with the last
    error as its cause, so its result records what went wrong.
    """
    table = _by_path()
    failed: list[str] = []
    error: Exception | None = None
    for name in reactions:
        func = table.get(name)
        if func is None:  # the table changed since the task was queued
            logger.warning(
                "No reaction %s in the reactions table; event %s skipped.", name, event_id
            )
            continue
        try:
            # Each in its own transaction, which on SQLite takes the write lock
            # only when the reaction writes (most of a reaction is reading).
            reads_first(functools.partial(func, event_id), what=f"reaction {name}")
        except Exception as exc:
            logger.exception("Reaction %s to event %s failed (try %s).", name, event_id, attempt)
            failed.append(name)
            error = exc
    if failed:
        if attempt <= RETRIES and react.get_backend().supports_defer:
            delay = datetime.timedelta(minutes=4 ** (attempt - 1))
            react.using(run_after=timezone.now() + delay).enqueue(event_id, failed, attempt + 1)
        raise ReactionsFailed(
            f"{', '.join(failed)} failed on event {event_id} (try {attempt})"
        ) from error
    return [name for name in reactions if name in table]


# Every reaction starts with this read (five or six times per new ticket):
# compiled once (lib.prepared); building the three tables' columns each time
# cost more than the rest of some reactions (docs/benchmarks.md, stop 14).
_EVENT_WITH_TICKET = Prepared(
    lambda p: TicketEvent.objects.select_related("ticket", "actor").filter(pk=p.pk)
)


def event_with_ticket(event_id: int) -> TicketEvent | None:
    """The event (with its ticket and actor) a reaction was queued for; None if
    it is gone (its ticket was deleted)."""
    return next(iter(_EVENT_WITH_TICKET(pk=event_id)), None)


def by_customer(event: TicketEvent) -> bool:
    """Whether a customer made the change (not staff, not Frontline itself)."""
    return event.actor is not None and not event.actor.is_staff_member
