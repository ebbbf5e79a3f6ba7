"""Who may see time entries and what the customer is shown of them.

Staff see the entries of the tickets they may see (``tickets.access`` decides
which); customers never see an entry itself, only the billable work of their
tickets as :class:`BilledWork`, which carries no note.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from frontline.accounts.models import User
from frontline.lib.prepared import Prepared
from frontline.tickets.access import (
    access_ticket_for_agent,
    can_see_ticket,
    fetched_for,
    visible_tickets,
)
from frontline.tickets.models import Ticket

from .models import (
    Contract,
    Estimate,
    EstimateQuerySet,
    QaReview,
    SurveyResponse,
    TicketFigures,
    TimeEntry,
    TimeEntryQuerySet,
)
from .rates import CENT


def visible_time_entries(user: User) -> TimeEntryQuerySet:
    """Time entries ``user`` may read in the desk: those on tickets they may see.
    None at all for customers (they see :func:`billed_work`)."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return TimeEntry.objects.none()
    if user.sees_all_tickets:
        return TimeEntry.objects.all()
    return TimeEntry.objects.filter(ticket__in=visible_tickets(user))


def time_entries_on(user: User, ticket: Ticket) -> TimeEntryQuerySet:
    """The entries on ``ticket`` that ``user`` may read, newest work first."""
    return _on_ticket(visible_time_entries(user), ticket.pk)


def _on_ticket(entries: TimeEntryQuerySet, ticket_id: Any) -> TimeEntryQuerySet:
    return (
        entries.filter(ticket_id=ticket_id)
        .select_related("agent", "activity")
        .order_by("-worked_on", "-id")
    )


@cache
def _latest_on_ticket(limit: int) -> Prepared[TimeEntry]:
    """The newest ``limit`` entries on a ticket, compiled once (lib.prepared): the
    desk's ticket page reads them each time."""
    return Prepared(lambda p: _on_ticket(TimeEntry.objects.all(), p.ticket)[:limit])


def access_time_entry(user: User, entry_id: int) -> TimeEntry:
    """One entry, if ``user`` may read it (staff who see its ticket); else 404."""
    return get_object_or_404(visible_time_entries(user).select_related("ticket"), pk=entry_id)


@dataclass(frozen=True)
class BilledLine:
    worked_on: object
    activity: str
    minutes: int
    cost: Decimal


@dataclass
class BilledWork:
    """What the customer sees of the work on one ticket: billable lines only,
    each with its date, activity, time and cost, and never the agent's note."""

    lines: list[BilledLine] = field(default_factory=list)
    estimates: list[Estimate] = field(default_factory=list)
    minutes: int = 0
    cost: Decimal = Decimal(0)
    prepaid_left_hours: Decimal | None = None

    @property
    def hours(self) -> str:
        return f"{self.minutes // 60}:{self.minutes % 60:02d}"


# On every portal ticket page: compiled once (lib.prepared).
_BILLED = Prepared(
    lambda p: (
        TimeEntry.objects.filter(ticket_id=p.ticket, billable=True)
        .order_by("worked_on", "id")
        .values_list("worked_on", "activity__name", "minutes", "cost", "contract_id")
    )
)


def billed_work(user: User, ticket: Ticket) -> BilledWork:
    """The billable work on ``ticket`` as its customers see it on the portal.

    ``ticket`` must be one ``user`` may see as a customer (else ``Http404``).
    The organisation's manager also sees what is left of the prepaid hours.
    The ticket's estimates come with it (with the time used of each).
    """
    if not (fetched_for(user, ticket) or can_see_ticket(user, ticket)):
        raise Http404
    rows = _BILLED(ticket=ticket.pk)
    work = BilledWork()
    contract_ids = set()
    for worked_on, activity, minutes, cost, contract_id in rows:
        work.lines.append(BilledLine(worked_on, activity or "", minutes, cost))
        work.minutes += minutes
        work.cost += cost
        if contract_id:
            contract_ids.add(contract_id)
    work.estimates = estimates_on(ticket)
    if contract_ids and user.is_org_manager and user.organisation_id == ticket.organisation_id:
        contract = Contract.objects.with_minutes_billed().get(pk=max(contract_ids))
        work.prepaid_left_hours = contract.prepaid_left(contract.minutes_billed)  # type: ignore[attr-defined]
    return work


@dataclass(frozen=True)
class TimeTotals:
    minutes: int
    billable_minutes: int
    cost: Decimal


@dataclass(frozen=True)
class TimeOnTicket:
    entries: list[TimeEntry]
    totals: TimeTotals


def time_on_ticket(user: User, ticket: Ticket, *, latest: int = 20) -> TimeOnTicket:
    """The ``latest`` entries on ``ticket`` that ``user`` may read, and the totals of
    all of them (summed from the entries when they are all there, else in the
    database: the ticket page's usual case costs one query)."""
    if user.is_staff_member and fetched_for(user, ticket):
        # The desk's own ticket (access_ticket_for_agent): staff read all its time.
        entries = _latest_on_ticket(latest + 1)(ticket=ticket.pk)
    else:
        entries = list(time_entries_on(user, ticket)[: latest + 1])
    if len(entries) <= latest:
        totals = TimeTotals(
            minutes=sum(e.minutes for e in entries),
            billable_minutes=sum(e.minutes for e in entries if e.billable),
            cost=sum((e.cost for e in entries), Decimal("0.00")),
        )
        return TimeOnTicket(entries, totals)
    return TimeOnTicket(entries[:latest], time_totals(user, ticket))


def time_totals(user: User, ticket: Ticket) -> TimeTotals:
    """All the time on ``ticket`` that ``user`` may read, summed in the database."""
    totals = (
        time_entries_on(user, ticket)
        .order_by()
        .aggregate(
            all_minutes=Coalesce(Sum("minutes"), 0),
            billable_minutes=Coalesce(Sum("minutes", filter=Q(billable=True)), 0),
            all_cost=Coalesce(Sum("cost"), Decimal(0), output_field=DecimalField()),
        )
    )
    return TimeTotals(
        minutes=totals["all_minutes"],
        billable_minutes=totals["billable_minutes"],
        cost=Decimal(totals["all_cost"]).quantize(CENT),
    )


def _estimates(ticket_id: Any) -> EstimateQuerySet:
    return (
        Estimate.objects.with_minutes_used()
        .filter(ticket_id=ticket_id)
        .order_by("-created_at", "-id")
    )


_ESTIMATES = Prepared(lambda p: _estimates(p.ticket))  # on every ticket page


def estimates_on(ticket: Ticket) -> list[Estimate]:
    """The estimates of ``ticket`` (which the caller got from an ``access_ticket_*``
    function: whoever may see a ticket sees its estimates), newest first, with
    the time used of each."""
    return _ESTIMATES(ticket=ticket.pk)


def access_estimate(user: User, ticket: Ticket, estimate_id: int) -> Estimate:
    """One estimate of ``ticket`` (which ``user`` was given by an ``access_ticket_*``
    function): 404 if it is not this ticket's."""
    return get_object_or_404(
        Estimate.objects.with_minutes_used().select_related("ticket", "sent_by"),
        pk=estimate_id,
        ticket=ticket,
    )


def sees_reports(user: User) -> bool:
    """The supervisors' report is for supervisors and admins."""
    return bool(user.is_authenticated and user.is_staff_member and user.sees_all_tickets)


def agent_for_figures(user: User, agent_id: int | None = None) -> User:
    """Whose figures ``user`` may see on the agent's page: any staff member their
    own; supervisors and admins any staff member's (``agent_id``). Anyone else,
    or another agent's page asked for by an agent, is a 404."""
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        raise Http404
    if agent_id is None or agent_id == user.pk:
        return user
    if not user.sees_all_tickets:
        raise Http404
    return get_object_or_404(User.objects.agents(), pk=agent_id)


def rated_comments(agent: User, *, latest: int = 10) -> list[SurveyResponse]:
    """The latest ratings with a comment of the tickets ``agent`` had when they
    were resolved (for the agent's page, which ``agent_for_figures`` guards)."""
    return list(
        SurveyResponse.objects.filter(invitation__agent=agent)
        .exclude(comment="")
        .select_related("invitation__ticket")
        .order_by("-answered_at", "-id")[:latest]
    )


def open_load(agent: User) -> int:
    """How many open tickets ``agent`` has now (the index on assignee and is_open)."""
    return Ticket.objects.filter(assignee=agent, is_open=True).count()


# -- QA review ---------------------------------------------------------------

SAMPLE_SIZE = 5
SAMPLE_POOL = 200


def may_review(user: User) -> bool:
    """Who reviews other people's work: supervisors and admins."""
    return bool(
        user.is_authenticated and user.is_active and user.is_staff_member and user.sees_all_tickets
    )


def visible_reviews(user: User) -> QuerySet[QaReview]:
    """The QA reviews ``user`` may read: every review for reviewers, an agent's
    own (of their work) for any other staff member, none for anyone else."""
    if may_review(user):
        return QaReview.objects.all()
    if user.is_authenticated and user.is_active and user.is_staff_member:
        return QaReview.objects.filter(agent=user)
    return QaReview.objects.none()


def access_review(user: User, review_id: int) -> QaReview:
    """One review with its scores, if ``user`` may read it; else 404."""
    return get_object_or_404(
        visible_reviews(user).select_related("ticket", "agent", "reviewer", "scorecard", "team"),
        pk=review_id,
    )


def access_ticket_for_review(user: User, number: int) -> Ticket:
    """A ticket as a reviewer opens it to review: 404 for anyone who does not
    review, or may not see it."""
    if not may_review(user):
        raise Http404
    return access_ticket_for_agent(user, number)


def access_agent_for_review(user: User, agent_id: int) -> User:
    """A staff member whose work ``user`` (a reviewer) looks at; else 404."""
    if not may_review(user):
        raise Http404
    return get_object_or_404(User.objects.agents(), pk=agent_id)


def review_sample(
    agent: User, *, start: datetime.date, end: datetime.date, size: int = SAMPLE_SIZE
) -> list[Ticket]:
    """Up to ``size`` of the tickets ``agent`` has (as assignee) that were
    resolved from ``start`` to ``end`` and are not reviewed yet, picked at
    random among the latest ``SAMPLE_POOL`` of them (the rollup's index on
    assignee and resolution day, so a busy agent's year costs the same). The
    pick is the same all day for the same agent and period, so a reviewer who
    comes back finds the same sample, less what they reviewed.
    (Guarded by the caller: :func:`access_agent_for_review`.)"""
    reviewed = QaReview.objects.filter(ticket=OuterRef("ticket_id"), agent=agent)
    pool = list(
        TicketFigures.objects.filter(assignee=agent, resolved_on__gte=start, resolved_on__lte=end)
        .filter(~Exists(reviewed))
        .order_by("-resolved_on", "-ticket_id")
        .values_list("ticket_id", flat=True)[:SAMPLE_POOL]
    )
    seed = f"{agent.pk}:{start}:{end}:{timezone.localdate()}"
    picked = sorted(random.Random(seed).sample(pool, min(size, len(pool))), reverse=True)
    return list(
        Ticket.objects.filter(pk__in=picked).select_related("requester", "team").order_by("-pk")
    )


def reviews_of(agent: User, *, latest: int = 20) -> list[QaReview]:
    """The latest reviews of ``agent``'s work, with their scores (two queries).
    The caller decided ``agent``'s reviews may be read (their own, or a reviewer)."""
    return list(
        QaReview.objects.filter(agent=agent)
        .select_related("ticket", "reviewer")
        .prefetch_related("scores__criterion")
        .order_by("-created_at", "-id")[:latest]
    )
