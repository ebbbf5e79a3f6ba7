"""Choosing who gets a ticket: the team's strategy over its available members."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from frontline.accounts.models import STAFF_ROLES, Team, User
from frontline.tickets.models import Ticket

from .models import AgentSkill, AgentStatus, CategorySkill, Strategy

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


def requirements_for(category_id: int | None) -> dict[int, int]:
    """The skills a category's tickets need: skill id → minimum level."""
    if category_id is None:
        return {}
    return dict(
        CategorySkill.objects.filter(category_id=category_id).values_list(
            "skill_id", "minimum_level"
        )
    )


def meets(levels: Mapping[int, int], requirements: Mapping[int, int]) -> bool:
    """Whether an agent's skill levels (skill id → level) satisfy every requirement."""
    return all(levels.get(skill, 0) >= minimum for skill, minimum in requirements.items())


def _qualified(pool: list[Candidate], requirements: Mapping[int, int]) -> list[Candidate]:
    if not requirements:
        return pool
    levels: dict[int, dict[int, int]] = {}
    rows = AgentSkill.objects.filter(
        user_id__in=[c.user.pk for c in pool], skill_id__in=list(requirements)
    ).values_list("user_id", "skill_id", "level")
    for user_id, skill_id, level in rows:
        levels.setdefault(user_id, {})[skill_id] = level
    return [c for c in pool if meets(levels.get(c.user.pk, {}), requirements)]


def pick_assignee(
    team: Team,
    *,
    strategy: str,
    today: datetime.date | None = None,
    requirements: Mapping[int, int] | None = None,
) -> User | None:
    """The member the strategy chooses, or None (manual, or nobody can take it).

    Round robin: whoever was given a ticket longest ago. Fewest open: the least
    loaded, ties to whoever waited longest. Skills: among those who have every
    required skill (``requirements``: skill id → minimum level) at its level,
    the least loaded, as fewest open. Ties after that go to the lower id.
    """
    if strategy == Strategy.MANUAL:
        return None
    pool = candidates(team, today=today or timezone.localdate())
    if strategy == Strategy.SKILLS:
        pool = _qualified(pool, requirements or {})
    if not pool:
        return None
    if strategy in (Strategy.LEAST_OPEN, Strategy.SKILLS):
        chosen = min(pool, key=lambda c: (c.open_tickets, c.last_assigned_at, c.user.pk))
    else:
        chosen = min(pool, key=lambda c: (c.last_assigned_at, c.user.pk))
    return chosen.user
