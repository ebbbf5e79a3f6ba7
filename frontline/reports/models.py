"""Time spent on tickets, what it costs, and what customers thought of the help.

Every change is made by a function in ``actions.py``; the models hold data,
facts about one object and the reusable queries. Rates and contracts are set
in the admin; a time entry keeps the rate it was costed at, so a later change
of rate never rewrites what was already logged.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Organisation, Team
from frontline.tickets.models import Category, Ticket, TicketEvent


class ActivityType(models.Model):
    """What the time was spent on (diagnosis, on-site visit, development...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    billable_by_default = models.BooleanField(_("billable by default"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")

    def __str__(self) -> str:
        return self.name


class Rate(models.Model):
    """An hourly rate for work, from a date on. Blank agent, team and activity
    mean "anyone", "any team", "any activity"; the most specific rate that
    applies wins (agent before team before everyone; with the activity before
    without), and of those the latest ``valid_from``."""

    hourly_rate = models.DecimalField(_("hourly rate"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("valid from"), default=datetime.date(2000, 1, 1))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"role__in": ("agent", "supervisor", "admin")},
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    activity = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rates",
    )

    class Meta:
        ordering = ["-valid_from", "id"]
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(agent__isnull=True) | Q(team__isnull=True),
                name="rate_agent_or_team",
                violation_error_message=_("A rate is for an agent or for a team, not both."),
            ),
            models.CheckConstraint(condition=Q(hourly_rate__gte=0), name="rate_not_negative"),
        ]

    def __str__(self) -> str:
        who = self.agent or self.team or _("everyone")
        what = self.activity or _("any activity")
        return f"{who}, {what}: {self.hourly_rate}/h"

    @property
    def specificity(self) -> tuple[int, int]:
        return (2 if self.agent_id else 1 if self.team_id else 0, 1 if self.activity_id else 0)


class ContractQuerySet(models.QuerySet["Contract"]):
    def in_force(self, on: datetime.date) -> ContractQuerySet:
        return self.filter(is_active=True, starts_on__lte=on).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=on)
        )

    def with_minutes_billed(self) -> ContractQuerySet:
        """Each contract with ``minutes_billed``: its billable minutes, summed in the database."""
        return self.annotate(
            minutes_billed=Coalesce(
                Sum("time_entries__minutes", filter=Q(time_entries__billable=True)), 0
            )
        )


class Contract(models.Model):
    """What an organisation pays for support work: an hourly rate, and hours paid
    in advance. Work on the organisation's tickets (in the billable categories,
    or any if none are chosen) is billable under it."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    name = models.CharField(_("name"), max_length=200)
    hourly_rate = models.DecimalField(_("hourly rate"), max_digits=12, decimal_places=2)
    prepaid_hours = models.DecimalField(
        _("prepaid hours"), max_digits=8, decimal_places=2, default=Decimal(0)
    )
    starts_on = models.DateField(_("starts on"), default=datetime.date.today)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    billable_categories = models.ManyToManyField(
        Category,
        verbose_name=_("billable categories"),
        blank=True,
        related_name="+",
        help_text=_("Work in these categories is billable. None chosen: every category."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "-starts_on"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes = [models.Index(fields=["organisation", "starts_on"], name="contract_org_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0) & Q(prepaid_hours__gte=0),
                name="contract_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.name}"

    def prepaid_left(self, minutes_billed: int) -> Decimal:
        """Prepaid hours not yet used by ``minutes_billed`` of billable work (may go
        below zero: work beyond the prepaid hours is billed on top)."""
        return (self.prepaid_hours - Decimal(minutes_billed) / 60).quantize(Decimal("0.01"))


class EstimateStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    REPLACED = "replaced", _("Replaced by a newer estimate")


class EstimateQuerySet(models.QuerySet["Estimate"]):
    def with_minutes_used(self) -> EstimateQuerySet:
        """Each estimate with ``minutes_used``: the time logged against it."""
        return self.annotate(minutes_used=Coalesce(Sum("time_entries__minutes"), 0))


class Estimate(models.Model):
    """What an agent expects the work to take and cost, for the customer to approve
    before it is done. Work is logged against an approved estimate up to its
    hours; more needs a new estimate and a new approval."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="estimates")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2)
    rate = models.DecimalField(_("hourly rate"), max_digits=12, decimal_places=2)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2)
    # Shown to the customer: what will be done.
    description = models.TextField(_("what will be done"))
    status = models.CharField(
        max_length=10, choices=EstimateStatus.choices, default=EstimateStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    # None when answered through the signed link in the mail (no sign-in).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True)

    objects = EstimateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("estimate")
        verbose_name_plural = _("estimates")
        indexes = [models.Index(fields=["ticket", "-created_at"], name="estimate_ticket")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="estimate_hours_positive")
        ]

    def __str__(self) -> str:
        return f"{self.hours} h on #{self.ticket_id}"

    @property
    def minutes(self) -> int:
        return int(self.hours * 60)


class TimeEntryQuerySet(models.QuerySet["TimeEntry"]):
    def billable(self) -> TimeEntryQuerySet:
        return self.filter(billable=True)

    def between(self, start: datetime.date, end: datetime.date) -> TimeEntryQuerySet:
        return self.filter(worked_on__gte=start, worked_on__lte=end)


class TimeEntry(models.Model):
    """Minutes an agent spent on a ticket, costed at the rate of the day."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries"
    )
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    worked_on = models.DateField(_("date"))
    activity = models.ForeignKey(
        ActivityType,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    billable = models.BooleanField(_("billable"), default=False)
    # Internal: only staff ever see it; the customer sees date, activity, time and cost.
    note = models.TextField(_("note"), blank=True)
    rate = models.DecimalField(_("hourly rate"), max_digits=12, decimal_places=2)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2)
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    estimate = models.ForeignKey(
        Estimate,
        verbose_name=_("estimate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["worked_on", "id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [
            models.Index(fields=["ticket", "worked_on"], name="time_ticket_day"),
            models.Index(fields=["worked_on", "agent"], name="time_day_agent"),
            models.Index(fields=["agent", "worked_on"], name="time_agent_day"),
            models.Index(fields=["contract", "billable"], name="time_contract"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1), name="time_minutes_positive")
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on #{self.ticket_id}"


class SurveyInvitation(models.Model):
    """A customer asked how the help was, once per resolution of a ticket.

    ``event`` is the status event that resolved the ticket: the reaction that
    writes the invitation runs once per event however often it is retried.
    The agent and team are those who had the ticket then, for the reports.
    """

    event = models.OneToOneField(TicketEvent, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="survey_invitations")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="survey_ticket"),
            models.Index(fields=["created_at"], name="survey_created"),
        ]

    def __str__(self) -> str:
        return f"Survey on #{self.ticket_id}"


class SurveyResponse(models.Model):
    """The customer's answer: a rating from 1 to 5 and an optional comment.
    Answering again changes it (until the link expires)."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-answered_at"]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="survey_rating_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on #{self.invitation.ticket_id}"

    @property
    def is_satisfied(self) -> bool:
        return self.rating >= SATISFIED_FROM


# Ratings of 4 and 5 count as satisfied in CSAT (the usual definition).
SATISFIED_FROM = 4


class TicketFigures(models.Model):
    """What the reports need of one ticket, kept in one narrow row: a rollup, so
    the report reads one indexed table instead of joining events, tickets and
    SLA breaches over a whole year.

    Derived, never edited: written by the reaction
    ``reports.reactions.refresh_figures`` after every event that may change a
    figure, and by ``frontline reports rebuild`` (both through
    :func:`frontline.reports.rollup.refresh`). The team, assignee and category
    are the ticket's current ones, as the report groups by them. One row per
    ticket rather than per day: medians and percentiles need each duration,
    and a ticket moved to another team moves its figures with it."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Plain ids in effect (no constraint): a derived row must never hold up a change.
    # Not indexed alone: each leads the figures_* indexes below.
    team = models.ForeignKey(
        Team,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
        db_index=False,
    )
    category = models.ForeignKey(
        Category, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    # Days in the site's time zone (settings.TIME_ZONE, the report's days): a
    # day is a plain indexed value, not a time zone conversion per row.
    created_on = models.DateField()
    first_response_seconds = models.FloatField(null=True)
    # Set while the ticket is resolved or closed.
    resolved_on = models.DateField(null=True)
    resolution_seconds = models.FloatField(null=True)
    sla_missed = models.BooleanField(default=False)
    # The same two durations in business time: the working hours of the calendar
    # of the ticket's SLA policy (``sla.actions.BusinessClock``); None when no
    # policy applies to the ticket.
    first_response_business_seconds = models.FloatField(null=True)
    resolution_business_seconds = models.FloatField(null=True)
    channel = models.CharField(max_length=10, default="", blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    # How often the ticket was passed on (changes of team or assignee from
    # someone to someone else; one handoff moment counts once), ever: the
    # "most moved" list reads only the tickets moved at least twice.
    moves = models.IntegerField(default=0)

    class Meta:
        indexes = [
            # With the resolution day: the open tickets of the last days are
            # counted from the index alone (the report's ages).
            models.Index(fields=["created_on", "resolved_on"], name="figures_created"),
            models.Index(fields=["moves"], name="figures_moves"),
            models.Index(fields=["assignee", "created_on"], name="figures_assignee_created"),
            models.Index(fields=["assignee", "resolved_on"], name="figures_assignee_resolved"),
            models.Index(fields=["resolved_on"], name="figures_resolved"),
            models.Index(fields=["team", "created_on", "resolved_on"], name="figures_team_created"),
            models.Index(fields=["team", "resolved_on"], name="figures_team_resolved"),
        ]

    def __str__(self) -> str:
        return f"Figures of #{self.ticket_id}"


# The fixed buckets of the daily rollup's duration histograms, the one place
# they are set: (up to, width) in seconds, each step's buckets ``width`` wide
# from the end of the step before up to ``up_to``; one last bucket holds
# everything longer. Fine where response and resolution times mostly fall
# (minutes to a few hours), coarser for days: 5 minutes under an hour, 15
# minutes under 4 hours, an hour under a day, 6 hours under a week, a day
# under 30 days: 91 edges, and 92 buckets per duration with the open one.
HISTOGRAM_STEPS: list[tuple[int, int]] = [
    (3600, 300),
    (4 * 3600, 900),
    (24 * 3600, 3600),
    (7 * 24 * 3600, 6 * 3600),
    (30 * 24 * 3600, 24 * 3600),
]


def _edges(steps: list[tuple[int, int]]) -> list[int]:
    edges: list[int] = []
    low = 0
    for up_to, width in steps:
        edges.extend(range(low + width, up_to + 1, width))
        low = up_to
    return edges


# The upper edges of the buckets (a duration d falls in the first bucket whose
# edge is >= d); bucket len(HISTOGRAM_EDGES) is "longer than the last edge".
HISTOGRAM_EDGES: list[int] = _edges(HISTOGRAM_STEPS)
HISTOGRAM_BUCKETS = len(HISTOGRAM_EDGES) + 1
# The durations with a histogram, as named in ``TicketFigures`` (<name>_seconds),
# each kept in ``DailyFigures.<name>_histogram``.
HISTOGRAMS: list[str] = [
    "first_response",
    "first_response_business",
    "resolution",
    "resolution_business",
]
# The counts and sums a daily row holds beside its histograms (its other columns).
DAILY_SUMS = [
    "created",
    "first_responses",
    "first_response_seconds",
    "resolved",
    "resolution_seconds",
    "sla_missed",
    "reopened",
    "transfers",
]
# The dimensions a daily row may stand for (``DailyFigures.dimension``).
DAILY_DIMENSIONS = ("team", "agent", "category", "channel", "organisation")


def pack_histogram(counts: Sequence[int]) -> str | None:
    """A histogram as stored in a daily row: "bucket,count,bucket,count..." of
    its buckets that are not empty, or None (NULL) when all are. Most of a
    day's buckets are empty (a team's day has a few dozen durations, an
    agent's a handful), so a row keeps a few numbers, not 92 columns."""
    packed = ",".join(f"{i},{n}" for i, n in enumerate(counts) if n)
    return packed or None


def unpack_histogram(packed: str | None) -> list[int]:
    """The counts of the ``HISTOGRAM_BUCKETS`` buckets in ``packed``: one daily
    row's histogram, or several joined by commas (they add up). Added up by
    numpy: a year of one team's agents is about 500,000 (bucket, count) pairs,
    a quarter of a second in a Python loop, 30 ms this way."""
    if not packed:
        return [0] * HISTOGRAM_BUCKETS
    # Imported here: only the report pages need it, not every process's start.
    import numpy

    numbers = numpy.fromstring(packed, dtype=numpy.int64, sep=",")
    counts = numpy.bincount(numbers[0::2], weights=numbers[1::2], minlength=HISTOGRAM_BUCKETS)
    return [int(n) for n in counts.tolist()]


class DailyFigures(models.Model):
    """The report's figures of one day, one team and one value of one
    dimension (the team itself, an agent, a category, a channel or an
    organisation): counts, sums and a histogram over fixed buckets
    (``HISTOGRAM_EDGES``) of each duration. The dashboard sums these rows
    over its period, so it reads days x teams x values, not tickets; its
    medians and 90th percentiles are read from the summed histograms, to the
    precision of a bucket.

    Derived from ``TicketFigures`` (whose team, assignee, category, channel and
    organisation are the ticket's current ones), never edited: the rows of a
    day and team are written again whole, from the tickets' figures, by
    :func:`frontline.reports.rollup.refresh_days`, after each change to a
    ticket of that day and team and by ``frontline reports rebuild``. The
    opened side (created, first responses) counts the tickets opened on
    ``day``, the resolved side those resolved on ``day``; ``reopened`` and
    ``transfers`` count the events of ``day`` (of the tickets' current team
    and value, as everything else here).
    """

    day = models.DateField()
    dimension = models.CharField(max_length=12)
    # The ticket's team, 0 for none (a plain value, so the unique key holds).
    team = models.IntegerField(default=0)
    # The value of the dimension: an id, a channel, "" for none.
    key = models.CharField(max_length=20, default="", blank=True)
    created = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    first_response_seconds = models.FloatField(default=0.0)
    resolved = models.IntegerField(default=0)
    resolution_seconds = models.FloatField(default=0.0)
    sla_missed = models.IntegerField(default=0)
    # Events of the day (of the tickets' current team and dimension value, as
    # ``TicketFigures``): reopenings, and handoffs (a change of team or
    # assignee from someone to someone else; one moment per ticket counts once).
    reopened = models.IntegerField(default=0)
    transfers = models.IntegerField(default=0)
    # The histogram of each duration (``HISTOGRAMS``), packed
    # (:func:`pack_histogram`): NULL without any duration, so the report's
    # string aggregate of a period's rows skips it. Packed rather than one
    # column per bucket: 368 columns, nearly all zero, were a quarter of the
    # database and most of the year pages' time (``docs/benchmarks.md``, stop 15).
    first_response_histogram = models.TextField(null=True)
    first_response_business_histogram = models.TextField(null=True)
    resolution_histogram = models.TextField(null=True)
    resolution_business_histogram = models.TextField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "team", "day", "key"], name="daily_figures_cell"
            )
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="daily_figures_day")]

    def __str__(self) -> str:
        return f"Figures of {self.day} ({self.dimension} {self.key or '-'}, team {self.team})"

    def histogram(self, measure: str) -> list[int]:
        """The counts of each bucket of ``measure`` (a key of ``HISTOGRAMS``)."""
        return unpack_histogram(getattr(self, f"{measure}_histogram"))


# -- QA review ----------------------------------------------------------------

QA_SCORES = range(1, 6)


class Scorecard(models.Model):
    """What a QA review scores: a few criteria, each from 1 to 5. A team's own
    scorecard, or (without a team) the one for every team that has none; set
    up in the admin."""

    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Blank: for every team without a scorecard of its own."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        indexes = [models.Index(fields=["team", "is_active"], name="scorecard_team")]

    def __str__(self) -> str:
        return self.name


class ScorecardCriterion(models.Model):
    """One thing a reviewer scores (tone, correctness, following the process...)."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=200)
    guidance = models.CharField(
        _("guidance"), max_length=300, blank=True, help_text=_("What a 5 looks like.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return self.name


class QaReview(models.Model):
    """A reviewer's scores of how ``agent`` handled a resolved ticket, on the
    scorecard of the ticket's team. One per ticket and agent: reviewing again
    changes it. ``score`` is the mean of the criteria's scores, kept for the
    reports; ``team`` is the ticket's team when it was reviewed."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    score = models.DecimalField(_("score"), max_digits=3, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["agent", "-created_at"], name="qa_agent_recent"),
            models.Index(fields=["created_at"], name="qa_created"),
            models.Index(fields=["team", "created_at"], name="qa_team_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "agent"], name="qa_review_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="qa_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"QA {self.score} on #{self.ticket_id}"


class QaScore(models.Model):
    """The score (1 to 5) of one criterion in one review."""

    review = models.ForeignKey(QaReview, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ScorecardCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="qa_score_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="qa_criterion_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5"
