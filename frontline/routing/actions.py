"""Routing acts: automatic assignment and escalation to the next line."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team, User
from frontline.tickets import actions as ticket_actions
from frontline.tickets.models import Ticket

from .assignment import pick_assignee
from .models import AgentStatus, TeamRouting


def assign_automatically(ticket_id: int) -> User | None:
    """Give an open, unassigned ticket to a member of its team, by the team's strategy.

    Idempotent: a ticket that has an assignee by now, or no team, or is no longer
    open, is left alone. The team's routing row is locked while choosing, so two
    workers never hand out the same turn twice. Returns the assignee or None.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.assignee_id or not ticket.team_id or not ticket.is_open:
            return None
        routing = TeamRouting.objects.select_for_update().filter(team_id=ticket.team_id).first()
        if routing is None:
            return None
        strategy = routing.strategy
        assignee = pick_assignee(ticket.team, strategy=strategy)
        if assignee is None:
            return None
        ticket_actions.assign_ticket(ticket, by=None, assignee=assignee, reason=strategy)
        AgentStatus.objects.update_or_create(
            user=assignee, defaults={"last_assigned_at": timezone.now()}
        )
    return assignee


def next_line(team: Team | None) -> Team | None:
    """The first active team of a higher tier (first line → second line → specialists)."""
    tier = team.tier if team else 0
    return Team.objects.filter(is_active=True, tier__gt=tier).order_by("tier", "name").first()


def escalate_ticket(ticket: Ticket, *, by: User, note: str) -> Ticket:
    """Move the ticket to the next line with a handoff note; that team's strategy
    then picks the person. The customer sees the new stage; the note stays internal."""
    current = Ticket.objects.select_related("team").get(pk=ticket.pk)
    target = next_line(current.team)
    if target is None:
        raise ValidationError(_("This ticket is already with the last line of support."))
    return ticket_actions.assign_ticket(current, by=by, team=target, assignee=None, note=note)
