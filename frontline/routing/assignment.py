"""Choosing who gets a ticket: the team's strategy over its available members."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from frontline.accounts.models import STAFF_ROLES, Team, User
from frontline.tickets.models import Ticket

from .models import AgentStatus, Strategy

_NEVER = datetime.datetime.min.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Candidate:
    user: User
    open_tickets: int
    last_assigned_at: datetime.datetime


def candidates(team: Team, *, today: datetime.date) -> list[Candidate]:
    """Active members of ``team`` who are available today and under their capacity.

    Three queries whatever the team size: members, their statuses, their open counts.
    """
    members = list(team.members.filter(is_active=True, role__in=STAFF_ROLES))
    ids = [m.pk for m in members]
    statuses = {s.user_id: s for s in AgentStatus.objects.filter(user_id__in=ids)}
    load = dict(
        Ticket.objects.filter(assignee_id__in=ids, is_open=True)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    result = []
    for member in members:
        status = statuses.get(member.pk)
        open_tickets = load.get(member.pk, 0)
        if status is not None:
            if not status.is_available_on(today):
                continue
            if status.capacity and open_tickets >= status.capacity:
                continue
        last = status.last_assigned_at if status and status.last_assigned_at else _NEVER
        result.append(Candidate(member, open_tickets, last))
    return result


def pick_assignee(team: Team, *, strategy: str, today: datetime.date | None = None) -> User | None:
    """The member the strategy chooses, or None (manual, or nobody can take it).

    Round robin: whoever was given a ticket longest ago. Fewest open: the least
    loaded, ties to whoever waited longest. Ties after that go to the lower id.
    """
    if strategy == Strategy.MANUAL:
        return None
    pool = candidates(team, today=today or timezone.localdate())
    if not pool:
        return None
    if strategy == Strategy.LEAST_OPEN:
        chosen = min(pool, key=lambda c: (c.open_tickets, c.last_assigned_at, c.user.pk))
    else:
        chosen = min(pool, key=lambda c: (c.last_assigned_at, c.user.pk))
    return chosen.user
