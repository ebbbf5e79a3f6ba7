"""The figures of the supervisors' report, computed in the database.

Each measure is one grouped aggregate query over an indexed range (the
rollup's rows by creation or resolution date, events by kind and date, time
entries by date, survey answers by invitation date), grouped by team, agent or
category; no ticket is loaded into Python. Volume, response and resolution
times and SLA come from the rollup (``TicketFigures``, one narrow row per
ticket kept by a reaction, see ``rollup.py``), not from joining events,
tickets and SLA breaches. The labels of the groups take one more query
per dimension, the daily series two.

Where a ticket's team, assignee or category is meant, it is the ticket's
current one, except for satisfaction (who had the ticket when it was
resolved, kept on the invitation) and time (the agent who logged it).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Count,
    F,
    Q,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Cast, Ceil, Concat, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontline.accounts.models import Team, User
from frontline.tickets.models import Category, EventKind, TicketEvent

from .models import SATISFIED_FROM, SurveyResponse, TicketFigures, TimeEntry
from .rates import CENT

# How each dimension is reached from each source of figures.
DIMENSIONS: dict[str, dict[str, str]] = {
    "team": {
        "event": "ticket__team",
        "ticket": "team",
        "time": "ticket__team",
        "survey": "invitation__team",
    },
    "agent": {
        "event": "ticket__assignee",
        "ticket": "assignee",
        "time": "agent",
        "survey": "invitation__agent",
    },
    "category": {
        "event": "ticket__category",
        "ticket": "category",
        "time": "ticket__category",
        "survey": "invitation__ticket__category",
    },
}
DIMENSION_LABELS = {"team": _("Team"), "agent": _("Agent"), "category": _("Category")}
MAX_DAYS = 366
WORST_SHOWN = 5


@dataclass
class Row:
    """The figures of one group (or of everything, for the total)."""

    key: int | None
    label: str = ""
    created: int = 0
    first_responses: int = 0
    first_response_seconds: float = 0.0  # summed over first_responses
    first_response_median: float | None = None  # seconds
    first_response_p90: float | None = None
    resolved: int = 0
    resolution_seconds: float = 0.0  # summed over resolved
    resolution_median: float | None = None
    resolution_p90: float | None = None
    sla_missed: int = 0  # of resolved
    reopened: int = 0
    transfers: int = 0
    minutes: int = 0
    cost: Decimal = Decimal("0.00")
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0

    @property
    def first_response_hours(self) -> float | None:
        if not self.first_responses:
            return None
        return round(self.first_response_seconds / self.first_responses / 3600, 2)

    @property
    def resolution_hours(self) -> float | None:
        if not self.resolved:
            return None
        return round(self.resolution_seconds / self.resolved / 3600, 2)

    @staticmethod
    def _hours(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 3600, 2)

    @property
    def first_response_median_hours(self) -> float | None:
        return self._hours(self.first_response_median)

    @property
    def first_response_p90_hours(self) -> float | None:
        return self._hours(self.first_response_p90)

    @property
    def resolution_median_hours(self) -> float | None:
        return self._hours(self.resolution_median)

    @property
    def resolution_p90_hours(self) -> float | None:
        return self._hours(self.resolution_p90)

    @property
    def sla_met_percent(self) -> float | None:
        if not self.resolved:
            return None
        return round(100 * (self.resolved - self.sla_missed) / self.resolved, 1)

    @property
    def hours_logged(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    @property
    def csat_percent(self) -> float | None:
        return round(100 * self.satisfied / self.ratings, 1) if self.ratings else None

    def add(self, other: Row) -> None:
        for name in (
            "created",
            "first_responses",
            "first_response_seconds",
            "resolved",
            "resolution_seconds",
            "sla_missed",
            "reopened",
            "transfers",
            "minutes",
            "cost",
            "ratings",
            "rating_sum",
            "satisfied",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Day:
    day: datetime.date
    created: int = 0
    resolved: int = 0


@dataclass
class Report:
    start: datetime.date
    end: datetime.date
    by: str
    rows: list[Row]
    total: Row
    days: list[Day]
    most_moved: list[tuple[int, str, int]] = field(default_factory=list)  # (number, subject, n)


def _bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """The period as [start, end + 1 day) in the current time zone."""
    zone = timezone.get_current_timezone()
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return first, after


def build_report(
    start: datetime.date, end: datetime.date, *, by: str = "team", team: Team | None = None
) -> Report:
    """Every measure for the period from ``start`` to ``end`` (both included),
    per ``by`` (team, agent or category), with the total and the daily series;
    with ``team``, only that team's tickets (and its ratings)."""
    paths = DIMENSIONS[by]
    first, after = _bounds(start, end)
    only = _team_filter(team)
    rows: dict[int | None, Row] = {}
    total = Row(key=None, label=str(_("Total")))

    def row(key: int | None) -> Row:
        return rows.setdefault(key, Row(key=key))

    events = TicketEvent.objects.filter(
        created_at__gte=first, created_at__lt=after, **only("event")
    )
    # Volume, response and resolution times from the rollup (one row per ticket,
    # its current team, assignee and category): no join, one index range.
    figures = TicketFigures.objects.all()
    group = paths["ticket"]
    created = figures.filter(created_on__gte=start, created_on__lte=end, **only("ticket"))
    for r in (
        created.values(group)
        .annotate(
            n=Count("pk"),
            answered=Count("first_response_seconds"),
            wait=Sum("first_response_seconds"),
        )
        .order_by()
    ):
        target = row(r[group])
        target.created = r["n"]
        target.first_responses = r["answered"]
        target.first_response_seconds = r["wait"] or 0.0
    _percentiles(
        created.filter(first_response_seconds__isnull=False),
        group,
        F("first_response_seconds"),
        rows,
        total,
        "first_response",
    )
    resolved = figures.filter(resolved_on__gte=start, resolved_on__lte=end, **only("ticket"))
    _percentiles(resolved, group, F("resolution_seconds"), rows, total, "resolution")
    for r in (
        resolved.values(group)
        .annotate(
            n=Count("pk"),
            took=Sum("resolution_seconds"),
            missed=Count("pk", filter=Q(sla_missed=True)),
        )
        .order_by()
    ):
        target = row(r[group])
        target.resolved = r["n"]
        target.resolution_seconds = r["took"] or 0.0
        target.sla_missed = r["missed"]

    group = paths["event"]
    for r in (
        events.filter(kind=EventKind.REOPENED).values(group).annotate(n=Count("id")).order_by()
    ):
        row(r[group]).reopened = r["n"]
    moves = events.filter(kind__in=(EventKind.TEAM, EventKind.ASSIGNEE)).exclude(data__old=None)
    # One handoff writes a team and an assignee event at the same moment: a move
    # is one (ticket, moment), however many events it wrote.
    one_move = Concat(Cast("ticket_id", CharField()), Value("@"), Cast("created_at", CharField()))
    for r in moves.values(group).annotate(n=Count(one_move, distinct=True)).order_by():
        row(r[group]).transfers = r["n"]

    group = paths["time"]
    for r in (
        TimeEntry.objects.between(start, end)
        .filter(**only("time"))
        .values(group)
        .annotate(minutes_sum=Sum("minutes"), cost_sum=Sum("cost"))
        .order_by()
    ):
        target = row(r[group])
        target.minutes = r["minutes_sum"] or 0
        # Quantized here: SQLite's sums lose the scale ("30" for 30.00).
        target.cost = Decimal(r["cost_sum"] or 0).quantize(CENT)

    group = paths["survey"]
    for r in (
        SurveyResponse.objects.filter(
            invitation__created_at__gte=first, invitation__created_at__lt=after, **only("survey")
        )
        .values(group)
        .annotate(
            n=Count("id"),
            rating_total=Sum("rating"),
            happy=Count("id", filter=Q(rating__gte=SATISFIED_FROM)),
        )
        .order_by()
    ):
        target = row(r[group])
        target.ratings, target.rating_sum, target.satisfied = r["n"], r["rating_total"], r["happy"]

    _label(rows.values(), by)
    for r in rows.values():
        total.add(r)
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.label.lower()))
    return Report(
        start=start,
        end=end,
        by=by,
        rows=ordered,
        total=total,
        days=_days(start, end, created, resolved),
        most_moved=_most_moved(moves),
    )


def _percentiles(
    qs: Any,
    group: str,
    duration: Any,
    rows: dict[int | None, Row],
    total: Row,
    measure: str,
) -> None:
    """The median and 90th percentile of ``duration`` over ``qs``, per group and
    overall, in one query: window functions number the rows by duration within
    each group (and over all of them), and only the rows at the nearest ranks
    (⌈n·p⌉) come back: at most four per group and two more."""
    ranks = (
        qs.annotate(took=duration)
        .annotate(
            group_rank=Window(RowNumber(), partition_by=[F(group)], order_by=F("took").asc()),
            group_n=Window(Count("pk"), partition_by=[F(group)]),
            all_rank=Window(RowNumber(), order_by=F("took").asc()),
            all_n=Window(Count("pk")),
        )
        .filter(
            Q(group_rank=Ceil(F("group_n") * 0.5))
            | Q(group_rank=Ceil(F("group_n") * 0.9))
            | Q(all_rank=Ceil(F("all_n") * 0.5))
            | Q(all_rank=Ceil(F("all_n") * 0.9))
        )
        .values(group, "took", "group_rank", "group_n", "all_rank", "all_n")
        .order_by()
    )
    for r in ranks:
        seconds = float(r["took"])
        for target, rank, n in (
            (rows.setdefault(r[group], Row(key=r[group])), r["group_rank"], r["group_n"]),
            (total, r["all_rank"], r["all_n"]),
        ):
            if rank == math.ceil(n * 0.5):
                setattr(target, f"{measure}_median", seconds)
            if rank == math.ceil(n * 0.9):
                setattr(target, f"{measure}_p90", seconds)


def _label(rows: Iterable[Row], by: str) -> None:
    rows = list(rows)
    keys = [r.key for r in rows if r.key is not None]
    names: dict[int, str] = {}
    if keys and by == "team":
        names = dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif keys and by == "category":
        names = dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif keys and by == "agent":
        names = {
            u.pk: u.display_name
            for u in User.objects.filter(pk__in=keys).only(
                "pk", "username", "first_name", "last_name"
            )
        }
    none_label = {"team": _("No team"), "agent": _("Nobody"), "category": _("No category")}[by]
    for r in rows:
        r.label = names.get(r.key, "") if r.key is not None else str(none_label)


def _team_filter(team: Team | None) -> Any:
    """Keyword filters that keep one team's figures, per source of figures."""

    def only(source: str) -> dict[str, int]:
        return {DIMENSIONS["team"][source]: team.pk} if team is not None else {}

    return only


def _days(start: datetime.date, end: datetime.date, created: Any, resolved: Any) -> list[Day]:
    days = {
        start + datetime.timedelta(days=i): Day(start + datetime.timedelta(days=i))
        for i in range((end - start).days + 1)
    }
    for r in created.values("created_on").annotate(n=Count("pk")).order_by():
        if r["created_on"] in days:
            days[r["created_on"]].created = r["n"]
    for r in resolved.values("resolved_on").annotate(n=Count("pk")).order_by():
        if r["resolved_on"] in days:
            days[r["resolved_on"]].resolved = r["n"]
    return list(days.values())


def _most_moved(moves: Any) -> list[tuple[int, str, int]]:
    """The tickets passed around most in the period: (number, subject, moves)."""
    top = list(
        moves.values("ticket", "ticket__subject")
        .annotate(n=Count("created_at", distinct=True))
        .filter(n__gte=2)
        .order_by("-n", "ticket")[:WORST_SHOWN]
    )
    return [(r["ticket"], r["ticket__subject"], r["n"]) for r in top]
