"""What follows a ticket change within the ticket core itself (listed, like
every reaction, in ``frontline/reactions.py``)."""

from __future__ import annotations

from .actions import resolve_attached
from .events import event_with_ticket
from .models import Status, TicketEvent


def resolves(event: TicketEvent) -> bool:
    return event.data.get("new") == Status.RESOLVED


def resolve_incident_tickets(event_id: int) -> None:
    """An incident was resolved: the tickets attached to it are resolved too,
    each with a note to its customer. Nothing for a ticket that is no incident."""
    event = event_with_ticket(event_id)
    if event is None or not event.ticket.is_incident or not resolves(event):
        return
    resolve_attached(event.ticket, by=event.actor)
