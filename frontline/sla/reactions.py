"""How the SLA clock reacts to ticket events (listed in ``frontline/reactions.py``)."""

from __future__ import annotations

from frontline.tickets.events import event_with_ticket

from . import actions


def recompute_deadlines(event_id: int) -> None:
    """Status, priority or a customer's message changed: the deadlines follow."""
    event = event_with_ticket(event_id)
    if event is not None:
        actions.recompute_deadlines(event.ticket_id)


def tell_people(event_id: int) -> None:
    """A warning or breach: mail the people the event names."""
    actions.mail_recipients(event_id)
