"""Which rate a piece of work is costed at: the contract's for billable work of
an organisation that has one, else the most specific internal rate."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from frontline.accounts.models import User
from frontline.tickets.models import Ticket

from .models import ActivityType, Contract, Rate

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Costing:
    rate: Decimal
    contract: Contract | None


def cost_of(minutes: int, rate: Decimal) -> Decimal:
    """What ``minutes`` cost at ``rate`` per hour, to the cent (half up)."""
    return (Decimal(minutes) * rate / 60).quantize(CENT, rounding=ROUND_HALF_UP)


def contract_for(ticket: Ticket, on: datetime.date) -> Contract | None:
    """The organisation's contract in force on ``on`` that covers the ticket's
    category (the latest started, if several)."""
    if ticket.organisation_id is None:
        return None
    contracts = Contract.objects.filter(organisation_id=ticket.organisation_id).in_force(on)
    for contract in contracts.order_by("-starts_on", "-id").prefetch_related("billable_categories"):
        categories = {c.pk for c in contract.billable_categories.all()}
        if not categories or ticket.category_id in categories:
            return contract
    return None


def internal_rate(agent: User, activity: ActivityType | None, on: datetime.date) -> Decimal:
    """The most specific rate for this agent and activity on ``on`` (0 if none is set)."""
    whose = Q(agent__isnull=True, team__isnull=True) | Q(agent=agent)
    if agent.team_ids:
        whose |= Q(team_id__in=agent.team_ids)
    which = Q(activity__isnull=True)
    if activity is not None:
        which |= Q(activity=activity)
    candidates = Rate.objects.filter(whose, which, valid_from__lte=on)
    best = max(
        candidates,
        key=lambda r: (r.specificity, r.valid_from, r.pk),
        default=None,
    )
    return best.hourly_rate if best is not None else Decimal(0)


def costing(
    ticket: Ticket,
    *,
    agent: User,
    activity: ActivityType | None,
    on: datetime.date,
    billable: bool,
) -> Costing:
    if billable and (contract := contract_for(ticket, on)) is not None:
        return Costing(rate=contract.hourly_rate, contract=contract)
    return Costing(rate=internal_rate(agent, activity, on), contract=None)
