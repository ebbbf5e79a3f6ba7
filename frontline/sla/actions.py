"""SLA acts: set a ticket's deadlines from its policy, and sweep for warnings and breaches.

Deadlines run in business hours of the policy's calendar and pause while the
ticket waits for the customer or a third party. Tickets with no matching
policy keep the plain deadline they were opened with.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from frontline.lib.business_hours import add_business_time, due_with_pauses
from frontline.tickets import actions as ticket_actions
from frontline.tickets.models import (
    WAITING_STATUSES,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
)

from .clock import waiting_pauses
from .models import SlaPolicy

SWEEP_BATCH = 500
logger = logging.getLogger(__name__)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in order, for the ticket's priority and channel
    (a policy with neither set applies to every ticket)."""
    for policy in SlaPolicy.objects.filter(is_active=True).select_related("calendar"):
        if policy.priority in (None, ticket.priority) and policy.channel in ("", ticket.channel):
            return policy
    return None


def recompute_deadlines(ticket_id: int) -> Ticket | None:
    """Set first-response, warning and resolution deadlines from the ticket's policy.

    Called after a ticket opens and whenever its priority or status changes.
    While the ticket waits, the resolution clock is stopped and the deadline
    stays as it was; it moves on when the ticket is worked again.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return None
        policy = policy_for(ticket)
        if policy is None:
            return ticket
        start = ticket.created_at
        try:
            schedule = policy.calendar.schedule(years=range(start.year, start.year + 3))
        except ValueError:
            # A calendar with no working time (saved around the admin's checks):
            # keep the deadline the ticket has rather than fail the task forever.
            logger.exception("SLA calendar %s cannot be used", policy.calendar_id)
            return ticket
        events = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).order_by(
            "created_at", "id"
        )
        pauses = waiting_pauses(events)
        target = datetime.timedelta(minutes=policy.resolution_minutes)
        changed = []
        due = due_with_pauses(start, target, pauses, schedule)
        if due is not None and due != ticket.due_at:
            ticket.due_at = due
            changed.append("due_at")
        warn = due_with_pauses(start, target * policy.warn_percent / 100, pauses, schedule)
        if warn is not None and warn != ticket.sla_warn_at:
            ticket.sla_warn_at = warn
            changed.append("sla_warn_at")
        first = add_business_time(
            start, datetime.timedelta(minutes=policy.first_response_minutes), schedule
        )
        if first != ticket.first_response_due_at:
            ticket.first_response_due_at = first
            changed.append("first_response_due_at")
        now = timezone.now()
        # A deadline that moved into the future (the clock stood still) may warn
        # and breach again.
        if ticket.sla_breached_at and ticket.due_at > now:
            ticket.sla_breached_at = None
            changed.append("sla_breached_at")
        if ticket.sla_warned_at and ticket.sla_warn_at and ticket.sla_warn_at > now:
            ticket.sla_warned_at = None
            changed.append("sla_warned_at")
        if changed:
            ticket.save(update_fields=changed)
    return ticket


def sweep(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Warn about tickets near their deadline and act on tickets past it (the
    resolution deadline, and the first-response one while nobody has answered).

    Each warning and each breach happens once per ticket: the ticket is claimed
    with a conditional update before anything is written, so two sweeps at once
    (two workers) never double it. On a breach the policy may raise the priority
    and move the ticket to another team. Returns (warnings, breaches).
    """
    now = now or timezone.now()
    warned = breached = 0
    near = Ticket.objects.filter(
        is_open=True, sla_warned_at__isnull=True, sla_warn_at__lte=now
    ).exclude(status__in=WAITING_STATUSES)
    for pk in list(near.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            if near.filter(pk=pk).update(sla_warned_at=now):
                ticket = Ticket.objects.get(pk=pk)
                policy = policy_for(ticket)
                TicketEvent.objects.create(
                    ticket=ticket,
                    kind=EventKind.SLA_WARNING,
                    data={
                        "due": ticket.due_at.isoformat(),
                        "percent": policy.warn_percent if policy else None,
                    },
                    created_at=now,
                )
                warned += 1
    late = Ticket.objects.filter(
        is_open=True, sla_breached_at__isnull=True, due_at__lte=now
    ).exclude(status__in=WAITING_STATUSES)
    for pk in list(late.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            # The claim repeats the whole condition: the ticket may have moved on.
            if not late.filter(pk=pk).update(sla_breached_at=now):
                continue
            ticket = Ticket.objects.get(pk=pk)
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.SLA_BREACH,
                data={"due": ticket.due_at.isoformat()},
                created_at=now,
            )
            breached += 1
            _escalate_on_breach(ticket)
    unanswered = Ticket.objects.filter(
        is_open=True,
        first_response_at__isnull=True,
        sla_first_breached_at__isnull=True,
        first_response_due_at__lte=now,
    )
    for pk in list(unanswered.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            if not unanswered.filter(pk=pk).update(sla_first_breached_at=now):
                continue
            ticket = Ticket.objects.get(pk=pk)
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.SLA_BREACH,
                data={"due": ticket.first_response_due_at.isoformat(), "target": "first_response"},
                created_at=now,
            )
            breached += 1
            _escalate_on_breach(ticket)
    return warned, breached


def _escalate_on_breach(ticket: Ticket) -> None:
    policy = policy_for(ticket)
    if policy is None:
        return
    if policy.raise_priority_on_breach and ticket.priority < Priority.URGENT:
        ticket = ticket_actions.change_priority(
            ticket, priority=ticket.priority + 1, by=None, reason="SLA breach"
        )
    team = policy.move_to_team_on_breach
    if team is not None and ticket.team_id != team.pk:
        ticket_actions.assign_ticket(ticket, by=None, team=team, reason="SLA breach")
