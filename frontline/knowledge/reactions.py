"""How the knowledge base reacts to ticket events (listed in ``frontline/reactions.py``)."""

from __future__ import annotations

from frontline.tickets.events import event_with_ticket

from . import actions


def note_articles_read(event_id: int) -> int:
    """A new ticket: the suggested articles its requester opened just before are
    recorded on it (they were not a deflection). Safe to run twice."""
    event = event_with_ticket(event_id)
    if event is None:
        return 0
    return actions.note_articles_read(event.ticket)
