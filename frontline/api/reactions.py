"""How the API app reacts to ticket events (listed in ``frontline/reactions.py``)."""

from __future__ import annotations

from frontline.tickets.events import event_with_ticket
from frontline.tickets.models import TicketEvent

from . import actions


def someone_subscribed(event: TicketEvent) -> bool:
    """Whether any active webhook subscription wants this kind (cached: asked on
    every ticket change)."""
    return event.kind in actions.subscribed_kinds()


def send_webhooks(event_id: int) -> None:
    """Store and queue the event's webhook deliveries, one per subscription."""
    event = event_with_ticket(event_id)
    if event is not None:
        actions.queue_webhooks(event)
