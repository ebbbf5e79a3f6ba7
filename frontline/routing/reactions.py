"""How routing reacts to ticket events (listed in ``frontline/reactions.py``).

Each takes the id of the event, runs after its change commits, and is safe to
run twice: the actions they call skip work that is done already.
"""

from __future__ import annotations

from frontline.tickets.events import by_customer, event_with_ticket
from frontline.tickets.models import TicketEvent

from . import actions


def triage_new_ticket(event_id: int) -> None:
    """A new ticket: priority, service plan, triage rules, the team's assignment
    strategy and the SLA deadlines, in that order (:func:`actions.triage_and_assign`)."""
    event = event_with_ticket(event_id)
    if event is not None:
        actions.triage_and_assign(event.ticket_id)


def may_have_reply_rules(event: TicketEvent) -> bool:
    """A customer's reply, and some active rule runs on replies."""
    return by_customer(event) and actions.has_reply_rules()


def rules_on_customer_reply(event_id: int) -> None:
    """A customer replied: the rules that run on replies look at the reply's words."""
    event = event_with_ticket(event_id)
    if event is not None and by_customer(event):
        actions.apply_rules(event.ticket_id, message_id=event.data["message"])


def offer_to_team(event_id: int) -> None:
    """The ticket moved to a team, or lost its assignee: the team's strategy may
    pick someone; a team it was moved to is mailed if the strategy picks nobody."""
    event = event_with_ticket(event_id)
    if event is None:
        return
    ticket = event.ticket
    if ticket.assignee_id is not None or ticket.team_id is None:
        return
    moved_to = event.data.get("team_id") if event.kind == "team" else None
    actions.assign_automatically(
        ticket.pk, tell_team_id=moved_to, actor_id=event.actor_id if moved_to else None
    )
