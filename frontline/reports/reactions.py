"""How the reports app reacts to ticket events (listed in ``frontline/reactions.py``)."""

from __future__ import annotations

from frontline.tickets.events import event_with_ticket
from frontline.tickets.models import EventKind, Status, TicketEvent

from . import actions, rollup


def resolves(event: TicketEvent) -> bool:
    return event.data.get("new") == Status.RESOLVED


def ask_for_rating(event_id: int) -> None:
    """A ticket was resolved: its customer is asked how the help was, by mail.
    Once per event, however often it runs (see ``actions.invite_to_survey``)."""
    event = event_with_ticket(event_id)
    if event is not None:
        actions.invite_to_survey(event)


# The events after which a ticket's figures may differ (see ``rollup``): when it
# was answered, resolved or reopened, moved, recategorised, or missed its SLA;
# a new priority or requester may bring another SLA calendar or organisation.
FIGURE_KINDS = (
    EventKind.CREATED,
    EventKind.STATUS,
    EventKind.PRIORITY,
    EventKind.REQUESTER,
    EventKind.TEAM,
    EventKind.ASSIGNEE,
    EventKind.CATEGORY,
    EventKind.REPLY,
    EventKind.CALL,
    EventKind.REOPENED,
    EventKind.CONFIRMED,
    EventKind.SLA_BREACH,
    EventKind.MERGED_INTO,
    EventKind.UNMERGED,
)


def refresh_figures(event_id: int) -> None:
    """Rewrite the report rollup's row of the event's ticket from the ticket as it
    is now: the same row however often, and in whatever order, it runs."""
    ticket_id = TicketEvent.objects.filter(pk=event_id).values_list("ticket_id", flat=True).first()
    if ticket_id is not None:
        rollup.refresh([ticket_id])
