"""An SLA clock read off a ticket's history: when it started, when it was paused."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from frontline.tickets.models import WAITING_STATUSES, EventKind, Status, TicketEvent

# The clock stands still while the ticket waits for someone else, and while it
# is resolved or closed: a customer who reopens it days later starts it again.
STOPPED = (*WAITING_STATUSES, Status.RESOLVED, Status.CLOSED)

Pause = tuple[datetime.datetime, datetime.datetime | None]


def waiting_pauses(events: Iterable[TicketEvent]) -> list[Pause]:
    """Spans the clock stood still (waiting for the customer or a third party,
    resolved, closed), from the status events in time order. A span still going
    has ``None`` as its end."""
    pauses: list[Pause] = []
    began: datetime.datetime | None = None
    for event in events:
        if event.kind != EventKind.STATUS:
            continue
        waiting = event.data.get("new") in STOPPED
        if waiting and began is None:
            began = event.created_at
        elif not waiting and began is not None:
            pauses.append((began, event.created_at))
            began = None
    if began is not None:
        pauses.append((began, None))
    return pauses
