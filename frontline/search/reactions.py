"""How the search index reacts to ticket events (listed in ``frontline/reactions.py``)."""

from __future__ import annotations

from django.db import transaction

from frontline.tickets.models import TicketEvent

from .indexing import index_changed, index_tickets


def index_ticket(event_id: int) -> int | None:
    """Index the ticket of event ``event_id`` as it is now, with its requester and
    organisation (a contact met first by mail is found once their ticket is);
    those two are written only when their row would change (most tickets come
    from people already indexed). Safe to run twice: each row is rebuilt whole.
    Returns the ticket's number, or None if the event is gone."""
    found = (
        TicketEvent.objects.filter(pk=event_id)
        .values_list("ticket_id", "ticket__requester_id", "ticket__organisation_id")
        .first()
    )
    if found is None:
        return None
    ticket_id, requester_id, organisation_id = found
    with transaction.atomic():
        index_tickets([ticket_id])
        index_changed("contacts", [requester_id])
        if organisation_id:
            index_changed("organisations", [organisation_id])
    return ticket_id
