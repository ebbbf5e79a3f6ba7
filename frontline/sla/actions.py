"""SLA acts: set a ticket's deadlines from its policy, and sweep for warnings and breaches.

Deadlines run in business hours of the policy's calendar and pause while the
ticket waits for the customer or a third party. Tickets with no matching
policy keep the plain deadline they were opened with.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from frontline.accounts.models import STAFF_ROLES, Role, User
from frontline.lib.business_hours import (
    Schedule,
    add_business_time,
    business_time_between,
    due_with_pauses,
)
from frontline.lib.prepared import Prepared
from frontline.mail.outbound import notify
from frontline.routing.actions import plan_for
from frontline.tickets import actions as ticket_actions
from frontline.tickets.events import record_event
from frontline.tickets.models import (
    WAITING_STATUSES,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Ticket,
    TicketEvent,
)

from .clock import waiting_pauses
from .models import SlaPolicy

SWEEP_BATCH = 500
logger = logging.getLogger(__name__)


# Read for every new ticket and every priority or status change: compiled once
# (lib.prepared).
_ACTIVE_POLICIES = Prepared(
    lambda p: SlaPolicy.objects.filter(is_active=True).select_related("calendar")
)
_STATUS_EVENTS = Prepared(
    lambda p: TicketEvent.objects.filter(ticket_id=p.ticket, kind=EventKind.STATUS).order_by(
        "created_at", "id"
    )
)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy, in order, for the ticket's priority, channel and
    its organisation's service plan (a policy with none of them set applies to
    every ticket). Put plan policies first to give a plan its own targets."""
    policies = _ACTIVE_POLICIES()
    plan_id = None
    if any(p.plan_id for p in policies):
        plan = plan_for(ticket.organisation_id)
        plan_id = plan.pk if plan else None
    return _matching(policies, ticket.priority, ticket.channel, plan_id)


def _matching(
    policies: list[SlaPolicy], priority: int, channel: str, plan_id: int | None
) -> SlaPolicy | None:
    for policy in policies:
        if (
            policy.priority in (None, priority)
            and policy.channel in ("", channel)
            and policy.plan_id in (None, plan_id)
        ):
            return policy
    return None


class BusinessClock:
    """Business time as the SLA counts it, for many tickets at once (the
    reports' rollup): the active policies, their calendars' schedules and the
    organisations' service plans are read once, not per ticket."""

    def __init__(self, organisation_ids: set[int]) -> None:
        self.policies = list(SlaPolicy.objects.filter(is_active=True).select_related("calendar"))
        self.plans: dict[int, int] = {}
        if any(p.plan_id for p in self.policies) and organisation_ids:
            for org_id in organisation_ids:
                plan = plan_for(org_id)
                if plan is not None:
                    self.plans[org_id] = plan.pk
        self._schedules: dict[tuple[int, int], Schedule | None] = {}

    def _schedule(self, policy: SlaPolicy, year: int) -> Schedule | None:
        key = (policy.calendar_id, year)
        if key not in self._schedules:
            try:
                self._schedules[key] = policy.calendar.schedule(years=range(year, year + 3))
            except ValueError:
                self._schedules[key] = None
        return self._schedules[key]

    def between(
        self,
        start: datetime.datetime,
        end: datetime.datetime | None,
        *,
        priority: int,
        channel: str,
        organisation_id: int | None,
    ) -> float | None:
        """Seconds of business time from ``start`` to ``end`` in the calendar of
        the ticket's SLA policy; None without an end, a policy or a usable calendar."""
        if end is None:
            return None
        plan_id = self.plans.get(organisation_id) if organisation_id else None
        policy = _matching(self.policies, priority, channel, plan_id)
        if policy is None:
            return None
        schedule = self._schedule(policy, start.year)
        if schedule is None:
            return None
        return business_time_between(start, end, schedule).total_seconds()


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
        events = _STATUS_EVENTS(ticket=ticket.pk)
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
        waiting_since = _unanswered_since(ticket)
        next_due = None
        if waiting_since is not None and policy.next_response_minutes is not None:
            target = datetime.timedelta(minutes=policy.next_response_minutes)
            next_due = due_with_pauses(waiting_since, target, pauses, schedule)
        if next_due != ticket.next_response_due_at:
            # Another customer message started the clock: it may breach again.
            ticket.next_response_due_at = next_due
            ticket.sla_next_breached_at = None
            changed += ["next_response_due_at", "sla_next_breached_at"]
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


def _unanswered_since(ticket: Ticket) -> datetime.datetime | None:
    """When the oldest customer message that no staff answer (public reply or
    call) has followed was written. None when staff spoke last, and before the
    first response: the first-response clock covers the opening messages."""
    if ticket.first_response_at is None:
        return None
    latest = (
        Message.objects.filter(
            ticket=ticket,
            kind__in=(MessageKind.REPLY, MessageKind.CALL),
            author__isnull=False,  # the system's template replies answer nobody
            created_at__gte=ticket.first_response_at,
        )
        .order_by("-created_at", "-id")
        .values_list("created_at", "author__role")
    )
    since = None
    for created_at, role in latest[:200]:
        if role in STAFF_ROLES:
            break
        since = created_at
    return since


def _claimed(qs: QuerySet[Ticket], marker: str, now: datetime.datetime) -> Iterator[Ticket]:
    """Tickets of ``qs`` (a batch), each claimed by setting ``marker`` with a
    conditional update that repeats the whole condition, so two sweeps at once
    never both act on one. What the caller does with a ticket runs inside that
    ticket's transaction."""
    for pk in list(qs.values_list("pk", flat=True)[:SWEEP_BATCH]):
        with transaction.atomic():
            if qs.filter(pk=pk).update(**{marker: now}):
                yield Ticket.objects.select_related("team", "assignee").get(pk=pk)


def sweep(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Warn about tickets near their deadline and act on tickets past one: the
    resolution deadline, the first response while nobody has answered, and the
    next response while a customer message waits for an answer.

    Each warning and each breach happens once (once per waiting customer message
    for the next response): tickets are claimed before anything is written. A
    resolution or first-response breach may raise the priority and move the
    ticket to another team, as the policy says; every warning and breach is
    told to people by the reaction to its event. Returns (warnings, breaches).
    """
    now = now or timezone.now()
    warned = breached = 0
    near = Ticket.objects.filter(
        is_open=True, sla_warned_at__isnull=True, sla_warn_at__lte=now
    ).exclude(status__in=WAITING_STATUSES)
    for ticket in _claimed(near, "sla_warned_at", now):
        policy = policy_for(ticket)
        record_event(
            ticket,
            EventKind.SLA_WARNING,
            by=None,
            at=now,
            due=ticket.due_at.isoformat(),
            percent=policy.warn_percent if policy else None,
            notify=_to_tell(ticket, EventKind.SLA_WARNING),
        )
        warned += 1
    late = Ticket.objects.filter(
        is_open=True, sla_breached_at__isnull=True, due_at__lte=now
    ).exclude(status__in=WAITING_STATUSES)
    for ticket in _claimed(late, "sla_breached_at", now):
        _breach(ticket, now, due=ticket.due_at, target="resolution")
        breached += 1
        _escalate_on_breach(ticket)
    unanswered = Ticket.objects.filter(
        is_open=True,
        first_response_at__isnull=True,
        sla_first_breached_at__isnull=True,
        first_response_due_at__lte=now,
    )
    for ticket in _claimed(unanswered, "sla_first_breached_at", now):
        _breach(ticket, now, due=ticket.first_response_due_at, target="first_response")
        breached += 1
        _escalate_on_breach(ticket)
    # A missed next response is told, not escalated: raising the priority at
    # every slow answer would ratchet a long conversation up to urgent.
    no_answer = Ticket.objects.filter(
        is_open=True, sla_next_breached_at__isnull=True, next_response_due_at__lte=now
    ).exclude(status__in=WAITING_STATUSES)
    for ticket in _claimed(no_answer, "sla_next_breached_at", now):
        _breach(ticket, now, due=ticket.next_response_due_at, target="next_response")
        breached += 1
    return warned, breached


def _breach(
    ticket: Ticket, now: datetime.datetime, *, due: datetime.datetime | None, target: str
) -> None:
    assert due is not None  # the sweep's filters only let tickets with this deadline through
    data = {"due": due.isoformat()}
    if target != "resolution":
        data["target"] = target
    record_event(
        ticket,
        EventKind.SLA_BREACH,
        by=None,
        at=now,
        **data,
        notify=_to_tell(ticket, EventKind.SLA_BREACH),
    )


def recipients_for_breach(ticket: Ticket, kind: str) -> list[User]:
    """Who is told about an SLA warning or breach (``kind`` is an event kind).

    A warning goes to the assignee (nobody when unassigned: the team queue shows
    the deadline). A breach goes to the supervisors in the ticket's team, or to
    every active supervisor when the team has none or there is no team, so a
    missed deadline always reaches someone who can act.
    """
    if kind == EventKind.SLA_WARNING:
        assignee = ticket.assignee
        return [assignee] if assignee is not None and assignee.is_active else []
    supervisors = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id")
    if ticket.team_id is not None:
        in_team = list(supervisors.filter(teams=ticket.team_id))
        if in_team:
            return in_team
    return list(supervisors)


def _to_tell(ticket: Ticket, kind: str) -> list[int]:
    """Who is to be told of an SLA warning or breach, recorded on its event (the
    reaction to the event mails them, ``sla.reactions.tell_people``)."""
    return [p.pk for p in recipients_for_breach(ticket, kind)]


def recipients_of(event_id: int) -> list[User]:
    """The people an SLA warning or breach event said should be told, still active."""
    event = TicketEvent.objects.filter(pk=event_id).first()
    if event is None:
        return []
    ids = event.data.get("notify", [])
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("id"))


def mail_recipients(event_id: int) -> list[int]:
    """Mail the people an SLA warning or breach event names (the notification task)."""

    event = TicketEvent.objects.filter(pk=event_id).only("kind", "ticket_id").first()
    people = recipients_of(event_id)
    if event is None or not people:
        return []
    notice = "sla_warning" if event.kind == EventKind.SLA_WARNING else "sla_breach"
    sent = notify(notice, event.ticket_id, user_ids=[p.pk for p in people])
    return [m.pk for m in sent]


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
