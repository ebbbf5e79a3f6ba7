"""Every change to time entries, survey answers, estimates and QA reviews, one
function per act.

Same contract as ``frontline.tickets.actions``: the main object positional, the
rest keyword-only, an explicit actor (``by``), one transaction. Logging time
changes no ticket, so it writes no ticket event: the entry is its own record,
with its author and date.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.tickets.access import visible_tickets
from frontline.tickets.models import EventKind, Message, Status, Ticket, TicketEvent

from . import estimates, surveys
from .access import may_review
from .models import (
    QA_SCORES,
    ActivityType,
    Estimate,
    EstimateStatus,
    QaReview,
    QaScore,
    Scorecard,
    SurveyInvitation,
    SurveyResponse,
    TimeEntry,
)
from .rates import contract_for, cost_of, costing

MAX_MINUTES = 24 * 60


def _require_staff_on(ticket: Ticket, by: User) -> None:
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff log time.")
    if not visible_tickets(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied("Time is logged only on tickets one may see.")


def billable_by_default(ticket: Ticket, activity: ActivityType | None, on: datetime.date) -> bool:
    """Work is billable by default when the organisation's contract covers the
    ticket and the activity is one that is billed."""
    if activity is not None and not activity.billable_by_default:
        return False
    return contract_for(ticket, on) is not None


def log_time(
    ticket: Ticket,
    *,
    minutes: int,
    by: User,
    worked_on: datetime.date | None = None,
    activity: ActivityType | None = None,
    billable: bool | None = None,
    note: str = "",
    estimate: Estimate | None = None,
) -> TimeEntry:
    """Record ``minutes`` of ``by``'s work on ``ticket``, costed at the rate in force
    on ``worked_on`` (today by default): the contract's hourly rate for billable
    work of an organisation with a contract, else the agent's, team's or
    activity's rate. The rate and the cost are stored with the entry.

    Only staff who may see the ticket log time (``PermissionDenied``); minutes
    from 1 to a day's 1440, no date in the future (``ValidationError``).
    ``billable=None`` takes the default (:func:`billable_by_default`).
    Work against an ``estimate`` needs it approved and on this ticket, and
    stays within its hours (``ValidationError``: going over takes a new
    estimate); the estimate is locked while its time is added up.
    """
    _require_staff_on(ticket, by)
    today = timezone.localdate()
    worked_on = worked_on or today
    if not 1 <= int(minutes) <= MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("Log between 1 and %(max)d minutes.") % {"max": MAX_MINUTES}}
        )
    if worked_on > today:
        raise ValidationError({"worked_on": _("The work cannot be in the future.")})
    if activity is not None and not activity.is_active:
        raise ValidationError({"activity": _("This activity is no longer in use.")})
    if billable is None:
        billable = billable_by_default(ticket, activity, worked_on)
    priced = costing(ticket, agent=by, activity=activity, on=worked_on, billable=billable)
    with transaction.atomic():
        if estimate is not None:
            _check_within(estimate, ticket, int(minutes))
        return TimeEntry.objects.create(
            ticket=ticket,
            agent=by,
            minutes=int(minutes),
            worked_on=worked_on,
            activity=activity,
            billable=billable,
            note=note.strip(),
            rate=priced.rate,
            cost=cost_of(int(minutes), priced.rate),
            contract=priced.contract,
            estimate=estimate,
        )


def add_message_with_time(
    ticket: Ticket,
    *,
    act: Callable[..., Message],
    body: str,
    by: User,
    files: Sequence[Any] = (),
    minutes: int | None = None,
    **more: Any,
) -> tuple[Message, TimeEntry | None]:
    """A message and the time it took, in one step: ``act`` is the ticket action
    that writes the message (``add_reply``, ``reply_and_resolve``, ``add_note``,
    ``request_information``), and ``minutes`` of ``by``'s work are logged on
    the ticket with it (see :func:`log_time`; none when ``minutes`` is None).
    ``more`` goes to ``act`` (the closure reason of ``reply_and_resolve``).
    One transaction: time that is refused (``ValidationError``,
    ``PermissionDenied``) takes the message back too, so nothing is mailed,
    and a refused message logs no time."""
    with transaction.atomic():
        message = act(ticket, body=body, by=by, files=files, **more)
        entry = log_time(ticket, minutes=minutes, by=by) if minutes else None
    return message, entry


def _check_within(estimate: Estimate, ticket: Ticket, minutes: int) -> None:
    locked = Estimate.objects.select_for_update().get(pk=estimate.pk)
    if locked.ticket_id != ticket.pk or locked.status != EstimateStatus.APPROVED:
        raise ValidationError({"estimate": _("Only an approved estimate of this ticket.")})
    used = TimeEntry.objects.filter(estimate=locked).aggregate(n=Sum("minutes"))["n"] or 0
    if used + minutes > locked.minutes:
        raise ValidationError(
            {
                "estimate": _(
                    "This goes over the approved estimate (%(left)d minutes left): "
                    "send a new estimate for the customer to approve."
                )
                % {"left": locked.minutes - used}
            }
        )


def delete_time_entry(entry: TimeEntry, *, by: User) -> None:
    """Remove a mistaken entry: its author may, and supervisors and admins."""
    if not (by.is_active and (entry.agent_id == by.pk or by.sees_all_tickets)):
        raise PermissionDenied("Only the author or a supervisor removes a time entry.")
    with transaction.atomic():
        TimeEntry.objects.filter(pk=entry.pk).delete()


# -- satisfaction ------------------------------------------------------------


def invite_to_survey(event: TicketEvent) -> SurveyInvitation | None:
    """The customer of a ticket just resolved (``event`` is that STATUS event) is
    asked how the help was: an invitation and its mail, in one transaction.
    Once per event: a second call returns the same invitation and mails
    nothing (the invitation is unique per event). None if there
    is nobody to ask (a staff requester, a deactivated one), or if the ticket
    was reopened meanwhile (the answer to that resolution is known already).
    """
    if event.kind != EventKind.STATUS or event.data.get("new") != Status.RESOLVED:
        return None
    ticket = Ticket.objects.select_related("requester", "assignee", "team").get(pk=event.ticket_id)
    customer = ticket.requester
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        return None
    if not customer.is_active or customer.is_staff_member:
        return None
    with transaction.atomic():
        invitation, created = SurveyInvitation.objects.get_or_create(
            event=event,
            defaults={
                "ticket": ticket,
                "customer": customer,
                "agent_id": ticket.assignee_id,
                "team_id": ticket.team_id,
                "created_at": event.created_at,
            },
        )
        if created:
            surveys.mail_invitation(invitation)
    return invitation


def answer_survey(
    invitation: SurveyInvitation, *, rating: int, comment: str = ""
) -> SurveyResponse:
    """The customer's answer (1 to 5, and a comment). Answering again replaces the
    rating and comment and keeps when it was first answered. The caller has
    checked the signed link (see :mod:`frontline.reports.surveys`): its holder
    speaks for the customer, so there is no ``by`` to check beyond it. A bad
    rating (2 or less) is mailed to the team's supervisors, once: changing a
    bad rating to another bad one tells nobody again."""
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": _("Choose a rating from 1 to 5.")})
    now = timezone.now()
    with transaction.atomic():
        response, created = SurveyResponse.objects.select_for_update().get_or_create(
            invitation=invitation,
            defaults={
                "rating": int(rating),
                "comment": comment.strip(),
                "answered_at": now,
                "changed_at": now,
            },
        )
        was = None if created else response.rating
        if not created:
            response.rating, response.comment, response.changed_at = (
                int(rating),
                comment.strip(),
                now,
            )
            response.save(update_fields=["rating", "comment", "changed_at"])
        if response.rating <= surveys.BAD_RATING and (was is None or was > surveys.BAD_RATING):
            surveys.mail_bad_rating(response)
    return response


# -- estimates ---------------------------------------------------------------

MAX_ESTIMATE_HOURS = Decimal(1000)


def send_estimate(ticket: Ticket, *, hours: Decimal, description: str, by: User) -> Estimate:
    """An estimate for the customer to approve: ``hours`` of work costed at the
    rate billable work of this ticket gets (see :mod:`frontline.reports.rates`),
    and what will be done. An estimate still waiting is replaced by it. The
    requester gets it by mail with a signed link (after commit)."""
    _require_staff_on(ticket, by)
    hours = Decimal(hours)
    if not Decimal("0.25") <= hours <= MAX_ESTIMATE_HOURS:
        raise ValidationError(
            {"hours": _("Estimate between 0.25 and %(max)s hours.") % {"max": MAX_ESTIMATE_HOURS}}
        )
    if not description.strip():
        raise ValidationError({"description": _("Say what will be done.")})
    today = timezone.localdate()
    priced = costing(ticket, agent=by, activity=None, on=today, billable=True)
    with transaction.atomic():
        Estimate.objects.filter(ticket=ticket, status=EstimateStatus.PENDING).update(
            status=EstimateStatus.REPLACED
        )
        estimate = Estimate.objects.create(
            ticket=ticket,
            sent_by=by,
            hours=hours,
            rate=priced.rate,
            cost=cost_of(int(hours * 60), priced.rate),
            description=description.strip(),
        )
        estimate.ticket = Ticket.objects.select_related("requester", "assignee", "team").get(
            pk=ticket.pk
        )
        estimates.mail_estimate(estimate)
    return estimate


def _decide(estimate: Estimate, status: str, *, by: User | None, reason: str = "") -> Estimate:
    if by is not None and not (by.is_active and estimate.ticket.speaks_for_requester(by)):
        raise PermissionDenied("Only the requester or their organisation's manager decides.")
    now = timezone.now()
    with transaction.atomic():
        decided = Estimate.objects.filter(pk=estimate.pk, status=EstimateStatus.PENDING).update(
            status=status, decided_at=now, decided_by=by, decline_reason=reason
        )
        if not decided:
            raise ValidationError(_("This estimate was answered already or replaced."))
        estimate = Estimate.objects.select_related(
            "ticket", "ticket__requester", "ticket__assignee", "ticket__team", "sent_by"
        ).get(pk=estimate.pk)
        estimates.mail_decision(estimate)
    return estimate


def approve_estimate(estimate: Estimate, *, by: User | None) -> Estimate:
    """The customer agrees to the estimate: work may be logged against it.
    ``by`` is the requester (or their organisation's manager) on the portal, or
    None through the signed link in the mail. Only a waiting estimate is
    answered (``ValidationError`` otherwise); the agent who sent it is told."""
    return _decide(estimate, EstimateStatus.APPROVED, by=by)


def decline_estimate(estimate: Estimate, *, by: User | None, reason: str) -> Estimate:
    """The customer says no, and why: a normal answer, told to the agent."""
    if not reason.strip():
        raise ValidationError({"reason": _("Tell us why, so we can offer something better.")})
    return _decide(estimate, EstimateStatus.DECLINED, by=by, reason=reason.strip())


# -- QA review ---------------------------------------------------------------


def scorecard_for(ticket: Ticket) -> Scorecard | None:
    """The active scorecard of the ticket's team, else the one for every team."""
    cards = Scorecard.objects.filter(is_active=True)
    if ticket.team_id is not None:
        own = cards.filter(team_id=ticket.team_id).order_by("id").first()
        if own is not None:
            return own
    return cards.filter(team__isnull=True).order_by("id").first()


def review_ticket(
    ticket: Ticket, *, scores: Mapping[int, int], comment: str = "", by: User
) -> QaReview:
    """Score how the ticket's assignee handled ``ticket``, resolved or closed, on
    its team's scorecard (:func:`scorecard_for`): ``scores`` maps each of the
    scorecard's criteria (by id) to 1..5. Reviewing the same ticket and agent
    again replaces the scores and comment (one review per ticket and agent).

    Only reviewers (:func:`may_review`) review (``PermissionDenied``); an open
    ticket, one nobody had, one's own work, a team without a scorecard, or a
    criterion left out or scored outside 1..5 is refused (``ValidationError``).
    Changes no ticket, so writes no ticket event: the review is its own record.
    """
    if not may_review(by):
        raise PermissionDenied("Only supervisors and admins review.")
    # As it is now, not as the caller last read it (reopened meanwhile, say).
    ticket = Ticket.objects.select_related("assignee").get(pk=ticket.pk)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError(_("Only resolved or closed tickets are reviewed."))
    if ticket.assignee_id is None:
        raise ValidationError(_("Nobody had this ticket: there is no one to review."))
    if ticket.assignee_id == by.pk:
        raise ValidationError(_("Nobody reviews their own work."))
    scorecard = scorecard_for(ticket)
    if scorecard is None:
        raise ValidationError(_("No scorecard for this team: set one up in the settings."))
    criteria = list(scorecard.criteria.all())
    given: dict[int, int] = {}
    for criterion in criteria:
        value = scores.get(criterion.pk)
        if value is None or int(value) not in QA_SCORES:
            raise ValidationError(
                {"scores": _("Score every criterion from 1 to 5: %(name)s.") % {"name": criterion}}
            )
        given[criterion.pk] = int(value)
    if not given:
        raise ValidationError(_("This scorecard has no criteria: add some in the settings."))
    mean = (Decimal(sum(given.values())) / len(given)).quantize(Decimal("0.01"))
    now = timezone.now()
    with transaction.atomic():
        review, created = QaReview.objects.select_for_update().get_or_create(
            ticket=ticket,
            agent_id=ticket.assignee_id,
            defaults={
                "reviewer": by,
                "scorecard": scorecard,
                "team_id": ticket.team_id,
                "score": mean,
                "comment": comment.strip(),
                "created_at": now,
                "changed_at": now,
            },
        )
        if not created:
            review.reviewer, review.scorecard, review.team_id = by, scorecard, ticket.team_id
            review.score, review.comment, review.changed_at = mean, comment.strip(), now
            review.save(
                update_fields=["reviewer", "scorecard", "team", "score", "comment", "changed_at"]
            )
            review.scores.all().delete()
        QaScore.objects.bulk_create(
            QaScore(review=review, criterion_id=pk, score=value) for pk, value in given.items()
        )
    return review
