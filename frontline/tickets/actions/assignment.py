"""Giving a ticket to a person or a team, with a handoff note."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team, User

from ..events import record_event
from ..models import (
    EventKind,
    Status,
    Ticket,
)
from ._base import (
    _require_staff,
    _set_status,
    _touch,
    lock_ticket,
)


def assign_ticket(
    ticket: Ticket,
    *,
    by: User | None,
    assignee: User | None = None,
    team: Team | None = None,
    note: str = "",
    reason: str = "",
) -> Ticket:
    """Give the ticket to a person and/or a team.

    Handing it to anyone but yourself, or to another team, is a delegation and
    takes a handoff note, which the next person sees at the top of the ticket
    (taking a not yet routed ticket for yourself is neither).
    An assignee outside the ticket's team brings the ticket to their team.
    A new ticket that gets an assignee becomes open. ``by=None`` is the system
    (automatic assignment, with ``reason`` saying which rule): no note needed.
    A ticket that lands on a team with nobody assigned is offered to the team's
    assignment strategy after commit.
    """
    if by is not None:
        _require_staff(by)
    note = note.strip()
    if assignee is not None and not (assignee.is_active and assignee.is_staff_member):
        raise ValidationError({"assignee": _("Tickets go to active staff only.")})
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        new_team = team if team is not None else ticket.team
        if assignee is not None:
            member_of = set(assignee.teams.values_list("id", flat=True))
            if new_team is None or new_team.pk not in member_of:
                if team is not None:
                    raise ValidationError(
                        {
                            "assignee": _("%(name)s is not in %(team)s.")
                            % {"name": assignee.display_name, "team": team.name}
                        }
                    )
                new_team = assignee.teams.order_by("tier", "name").first() or new_team
        team_changed = (new_team.pk if new_team else None) != ticket.team_id
        assignee_changed = (assignee.pk if assignee else None) != ticket.assignee_id
        if not team_changed and not assignee_changed:
            return ticket
        # Taking a ticket nobody has routed yet brings it to your team: not a handoff.
        taking_unrouted = (
            by is not None and assignee == by and team is None and ticket.team_id is None
        )
        delegating = not taking_unrouted and (
            team_changed or (assignee is not None and (by is None or assignee.pk != by.pk))
        )
        if delegating and not note and by is not None:
            raise ValidationError({"note": _("Write a handoff note for the next person.")})
        changed: list[str] = []
        # Handed on, not picked up: it left a team or a person (the report's
        # "Passed on" counts the same moves from the events).
        if (team_changed and ticket.team_id is not None) or (
            assignee_changed and ticket.assignee_id is not None
        ):
            ticket.transfers += 1  # the row is locked: no lost update
            changed.append("transfers")
        if team_changed:
            record_event(
                ticket,
                EventKind.TEAM,
                by=by,
                at=now,
                old=ticket.team.name if ticket.team else None,
                new=new_team.name if new_team else None,
                team_id=new_team.pk if new_team else None,
                note=note,
            )
            ticket.team = new_team
            changed.append("team")
        if assignee_changed:
            record_event(
                ticket,
                EventKind.ASSIGNEE,
                by=by,
                at=now,
                old=ticket.assignee.display_name if ticket.assignee else None,
                new=assignee.display_name if assignee else None,
                assignee_id=assignee.pk if assignee else None,
                note=note,
                **({"reason": reason} if reason else {}),
            )
            ticket.assignee = assignee
            changed.append("assignee")
        if by is None and team_changed and reason and not note and ticket.handoff_note:
            # Frontline moved it on (an SLA breach, a rule): the new team reads why,
            # not the last person's note to someone else (that stays in the timeline).
            note = reason
        if note:
            ticket.handoff_note, ticket.handoff_by, ticket.handoff_at = note, by, now
            changed += ["handoff_note", "handoff_by", "handoff_at"]
        if assignee is not None and ticket.status == Status.NEW:
            changed += _set_status(ticket, Status.OPEN, by, now)
        _touch(ticket, now, *changed)
    return ticket
