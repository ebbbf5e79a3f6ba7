"""How the reports app reacts to ticket events (listed in ``frontline/reactions.py``)."""

from __future__ import annotations

from frontline.tickets.events import event_with_ticket
from frontline.tickets.models import Status, TicketEvent

from . import actions


def resolves(event: TicketEvent) -> bool:
    return event.data.get("new") == Status.RESOLVED


def ask_for_rating(event_id: int) -> None:
    """A ticket was resolved: its customer is asked how the help was, by mail.
    Once per event, however often it runs (see ``actions.invite_to_survey``)."""
    event = event_with_ticket(event_id)
    if event is not None:
        actions.invite_to_survey(event)
