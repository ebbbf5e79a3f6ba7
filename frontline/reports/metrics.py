"""The figures of the supervisors' report, computed in the database.

Each measure is one grouped aggregate query over an indexed range (the
rollup's rows by creation or resolution date, events by kind and date, time
entries by date, survey answers by invitation date, QA reviews by the day
they were written), grouped by team, agent or
category; no ticket is loaded into Python. Volume, response and resolution
times and SLA come from the daily rollup (``DailyFigures``: per day, team
and value of the dimension, counts, sums and a histogram of each duration
over fixed buckets, kept by a reaction, see ``rollup.py``), so a period
reads days x teams x values, not its tickets; medians and 90th percentiles
are then read from the summed histograms, to the precision of a bucket
(:func:`percentile_of`). Only one agent's figures (their own page) are
read, exactly, from the per-ticket rollup (``TicketFigures``): they are few.
The labels of the groups take one more query per dimension, the daily
series one.

Where a ticket's team, assignee or category is meant, it is the ticket's
current one, except for satisfaction (who had the ticket when it was
resolved, kept on the invitation), time (the agent who logged it) and QA
reviews (the agent reviewed, and the ticket's team when it was reviewed).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
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

from frontline.accounts.models import Organisation, Team, User
from frontline.tickets.models import Category, Channel, EventKind, TicketEvent

from .models import (
    DAILY_SUMS,
    HISTOGRAM_BUCKETS,
    HISTOGRAM_EDGES,
    HISTOGRAM_STEPS,
    HISTOGRAMS,
    SATISFIED_FROM,
    DailyFigures,
    QaReview,
    SurveyResponse,
    TicketFigures,
    TimeEntry,
    unpack_histogram,
)
from .rates import CENT

# How each dimension is reached from each source of figures.
DIMENSIONS: dict[str, dict[str, str]] = {
    "team": {
        "event": "ticket__team",
        "ticket": "team",
        "time": "ticket__team",
        "survey": "invitation__team",
        "qa": "team",
    },
    "agent": {
        "event": "ticket__assignee",
        "ticket": "assignee",
        "time": "agent",
        "survey": "invitation__agent",
        "qa": "agent",
    },
    "category": {
        "event": "ticket__category",
        "ticket": "category",
        "time": "ticket__category",
        "survey": "invitation__ticket__category",
        "qa": "ticket__category",
    },
    "channel": {
        "event": "ticket__channel",
        "ticket": "channel",
        "time": "ticket__channel",
        "survey": "invitation__ticket__channel",
        "qa": "ticket__channel",
    },
    "organisation": {
        "event": "ticket__organisation",
        "ticket": "organisation",
        "time": "ticket__organisation",
        "survey": "invitation__ticket__organisation",
        "qa": "ticket__organisation",
    },
}
DIMENSION_LABELS = {
    "team": _("Team"),
    "agent": _("Agent"),
    "category": _("Category"),
    "channel": _("Channel"),
    "organisation": _("Organisation"),
}
# Ages of the open tickets, in days since they were opened: [from, to).
AGE_BUCKETS: list[tuple[int, int | None]] = [(0, 1), (1, 3), (3, 7), (7, 30), (30, None)]
MAX_DAYS = 366
WORST_SHOWN = 5


@dataclass
class Row:
    """The figures of one group (or of everything, for the total)."""

    key: int | str | None
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
    # The same in business hours (the SLA calendar's; see ``TicketFigures``).
    first_response_business_median: float | None = None
    first_response_business_p90: float | None = None
    resolution_business_median: float | None = None
    resolution_business_p90: float | None = None
    sla_missed: int = 0  # of resolved
    reopened: int = 0
    transfers: int = 0
    minutes: int = 0
    cost: Decimal = Decimal("0.00")
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0
    qa_reviews: int = 0
    qa_score_sum: Decimal = Decimal(0)  # the reviews' own scores, summed

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
    def first_response_business_median_hours(self) -> float | None:
        return self._hours(self.first_response_business_median)

    @property
    def first_response_business_p90_hours(self) -> float | None:
        return self._hours(self.first_response_business_p90)

    @property
    def resolution_business_median_hours(self) -> float | None:
        return self._hours(self.resolution_business_median)

    @property
    def resolution_business_p90_hours(self) -> float | None:
        return self._hours(self.resolution_business_p90)

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

    @property
    def qa_average(self) -> float | None:
        return round(float(self.qa_score_sum) / self.qa_reviews, 2) if self.qa_reviews else None

    def add(self, other: Row) -> None:
        for name in (
            *DAILY_SUMS,
            "minutes",
            "cost",
            "ratings",
            "rating_sum",
            "satisfied",
            "qa_reviews",
            "qa_score_sum",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Day:
    day: datetime.date
    created: int = 0
    resolved: int = 0
    backlog: int = 0  # open at the end of the day


@dataclass(frozen=True)
class Change:
    """A headline figure of the period beside the same figure of the period of
    the same length just before it."""

    name: str
    now: float | None
    before: float | None
    better_when_lower: bool = False

    @property
    def difference(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        return round(self.now - self.before, 2)

    @property
    def percent(self) -> float | None:
        if self.difference is None or not self.before:
            return None
        return round(100 * self.difference / abs(self.before), 1)

    @property
    def better(self) -> bool | None:
        """Whether the change is for the better (None: no change, or no figure)."""
        if not self.difference:
            return None
        return (self.difference < 0) == self.better_when_lower


@dataclass(frozen=True)
class Age:
    start: int
    end: int | None
    open: int


@dataclass
class Report:
    start: datetime.date
    end: datetime.date
    by: str
    rows: list[Row]
    total: Row
    days: list[Day]
    most_moved: list[tuple[int, str, int]] = field(default_factory=list)  # (number, subject, n)
    previous: Row | None = None
    previous_start: datetime.date | None = None
    previous_end: datetime.date | None = None
    ages: list[Age] = field(default_factory=list)
    # Whether the medians and percentiles were read from the daily histograms
    # (to a bucket's precision) rather than from every ticket.
    bucketed: bool = False

    @property
    def precision(self) -> list[tuple[str, str]]:
        """The buckets' widths, as (width, up to) in words, for the page."""
        return [(_duration(width), _duration(up_to)) for up_to, width in HISTOGRAM_STEPS]

    @property
    def changes(self) -> list[Change]:
        """The headline figures against the previous period."""
        if self.previous is None:
            return []
        now, before = self.total, self.previous
        return [
            Change(str(_("Created")), now.created, before.created),
            Change(str(_("Resolved")), now.resolved, before.resolved),
            Change(
                str(_("First response, business hours (median)")),
                now.first_response_business_median_hours,
                before.first_response_business_median_hours,
                better_when_lower=True,
            ),
            Change(
                str(_("Resolution, business hours (median)")),
                now.resolution_business_median_hours,
                before.resolution_business_median_hours,
                better_when_lower=True,
            ),
            Change(str(_("SLA met, %")), now.sla_met_percent, before.sla_met_percent),
            Change(str(_("Reopened")), now.reopened, before.reopened, better_when_lower=True),
            Change(str(_("Hours logged")), now.hours_logged, before.hours_logged),
            Change(str(_("Satisfied, %")), now.csat_percent, before.csat_percent),
            Change(str(_("QA score (average)")), now.qa_average, before.qa_average),
        ]


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return str(_("%(n)s d") % {"n": seconds // 86400})
    if seconds % 3600 == 0:
        return str(_("%(n)s h") % {"n": seconds // 3600})
    return str(_("%(n)s min") % {"n": seconds // 60})


def percentile_of(counts: list[int], p: float) -> float | None:
    """The ``p`` percentile (nearest rank: the ⌈n·p⌉-th of the n durations) of
    a histogram over the buckets of ``HISTOGRAM_EDGES``, as the upper edge of
    the bucket that rank falls in: the true value is at most that, and more
    than the edge before (in the last, open bucket: more than the last edge,
    which is returned). None without any duration."""
    n = sum(counts)
    if not n:
        return None
    rank = math.ceil(n * p)
    seen = 0
    for i, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return float(HISTOGRAM_EDGES[min(i, len(HISTOGRAM_EDGES) - 1)])
    return None  # not reached: the counts add up to n


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
    start: datetime.date,
    end: datetime.date,
    *,
    by: str = "team",
    team: Team | None = None,
    agent: User | None = None,
    compare: bool = True,
) -> Report:
    """Every measure for the period from ``start`` to ``end`` (both included),
    per ``by`` (a key of ``DIMENSIONS``), with the total, the daily series with
    the backlog, the ages of the open tickets and (with ``compare``) the total
    of the period of the same length just before; with ``team``, only that
    team's tickets (and its ratings); with ``agent``, only that agent's
    tickets, ratings and time."""
    only = _filter(team, agent)
    rows, total, per_day, moves = _measure(start, end, by, only)
    _label(rows.values(), by)
    report = Report(
        start=start,
        end=end,
        by=by,
        rows=sorted(rows.values(), key=lambda r: (r.key is None, r.label.lower())),
        total=total,
        days=_days(start, end, per_day),
        most_moved=_most_moved(moves, only("ticket")),
        bucketed=agent is None,
    )
    report.ages = _backlog_and_ages(report.days, end, only)
    if compare:
        length = end - start
        report.previous_end = start - datetime.timedelta(days=1)
        report.previous_start = report.previous_end - length
        report.previous = _measure(report.previous_start, report.previous_end, None, only)[1]
    return report


def _grouped(qs: Any, group: str | None, **aggregates: Any) -> list[dict[Any, Any]]:
    """``aggregates`` per value of ``group``, or over all of ``qs`` (under the key
    None) without one."""
    if group is None:
        return [{None: None, **qs.order_by().aggregate(**aggregates)}]
    return list(qs.values(group).annotate(**aggregates).order_by())


def _measure(
    start: datetime.date, end: datetime.date, by: str | None, only: Any
) -> tuple[dict[Any, Row], Row, Any, Any]:
    """The figures per ``by`` (or only the total, with ``by`` None), the
    statement of the daily counts (day, side, n), and the queryset of the
    moves, for the rest."""
    paths = DIMENSIONS[by] if by else dict.fromkeys(DIMENSIONS["team"])
    first, after = _bounds(start, end)
    rows: dict[Any, Row] = {}
    total = Row(key=None, label=str(_("Total")))

    def row(key: Any) -> Row:
        return (rows.setdefault(key, Row(key=key))) if by else total

    events = TicketEvent.objects.filter(
        created_at__gte=first, created_at__lt=after, **only("event")
    )
    kept = only("ticket")
    if "assignee" in kept:
        per_day = _from_tickets(start, end, paths["ticket"], kept, rows, total, row)
    else:
        per_day = _from_days(start, end, by, kept.get("team"), rows, total, row)

    moves = events.filter(kind__in=(EventKind.TEAM, EventKind.ASSIGNEE)).exclude(data__old=None)
    if "assignee" in kept:
        # One agent's figures: reopenings and handoffs from their tickets'
        # events (the daily rows count them per team and value, above).
        group = paths["event"]
        for r in _grouped(events.filter(kind=EventKind.REOPENED), group, n=Count("id")):
            row(r[group]).reopened = r["n"]
        # One handoff writes a team and an assignee event at the same moment: a
        # move is one (ticket, moment), however many events it wrote.
        one_move = Concat(
            Cast("ticket_id", CharField()), Value("@"), Cast("created_at", CharField())
        )
        for r in _grouped(moves, group, n=Count(one_move, distinct=True)):
            row(r[group]).transfers = r["n"]

    group = paths["time"]
    for r in _grouped(
        TimeEntry.objects.between(start, end).filter(**only("time")),
        group,
        minutes_sum=Sum("minutes"),
        cost_sum=Sum("cost"),
    ):
        target = row(r[group])
        target.minutes = r["minutes_sum"] or 0
        # Quantized here: SQLite's sums lose the scale ("30" for 30.00).
        target.cost = Decimal(r["cost_sum"] or 0).quantize(CENT)

    group = paths["survey"]
    for r in _grouped(
        SurveyResponse.objects.filter(
            invitation__created_at__gte=first, invitation__created_at__lt=after, **only("survey")
        ),
        group,
        n=Count("id"),
        rating_total=Sum("rating"),
        happy=Count("id", filter=Q(rating__gte=SATISFIED_FROM)),
    ):
        target = row(r[group])
        target.ratings = r["n"]
        target.rating_sum = r["rating_total"] or 0
        target.satisfied = r["happy"]

    group = paths["qa"]
    for r in _grouped(
        QaReview.objects.filter(created_at__gte=first, created_at__lt=after, **only("qa")),
        group,
        n=Count("id"),
        score_total=Sum("score"),
    ):
        target = row(r[group])
        target.qa_reviews = r["n"]
        target.qa_score_sum = Decimal(r["score_total"] or 0)

    if by:
        for one in rows.values():
            total.add(one)
    return rows, total, per_day, moves


def _from_days(
    start: datetime.date,
    end: datetime.date,
    by: str | None,
    team: int | None,
    rows: dict[Any, Row],
    total: Row,
    row: Any,
) -> Any:
    """Volume, response and resolution times and SLA from the daily rollup, in
    one statement: the daily rows of the period (of ``by``'s dimension, or the
    teams' for the total alone; of one team with ``team``) summed per value,
    the histograms added up bucket by bucket from their packed rows; the
    percentiles read from the sums.
    Returns the statement of the daily series (one row per day)."""
    found = _daily_sums(start, end, by, team)
    overall = {m: [0] * HISTOGRAM_BUCKETS for m in HISTOGRAMS}
    for r in found:
        key: Any = None
        if by:
            key = r["key"] if by == "channel" else (int(r["key"]) if r["key"] else None)
        target = row(key)
        target.created = r["created"] or 0
        target.first_responses = r["first_responses"] or 0
        target.first_response_seconds = r["first_response_seconds"] or 0.0
        target.resolved = r["resolved"] or 0
        target.resolution_seconds = r["resolution_seconds"] or 0.0
        target.sla_missed = r["sla_missed"] or 0
        target.reopened = r["reopened"] or 0
        target.transfers = r["transfers"] or 0
        for m in HISTOGRAMS:
            counts = unpack_histogram(r[m])
            if by:
                overall[m] = [a + b for a, b in zip(overall[m], counts, strict=True)]
            setattr(target, f"{m}_median", percentile_of(counts, 0.5))
            setattr(target, f"{m}_p90", percentile_of(counts, 0.9))
    if by:
        # The total's histograms are its groups' added up (each ticket is in
        # one group of each dimension).
        for m, counts in overall.items():
            setattr(total, f"{m}_median", percentile_of(counts, 0.5))
            setattr(total, f"{m}_p90", percentile_of(counts, 0.9))
    teams = DailyFigures.objects.filter(dimension="team", day__gte=start, day__lte=end)
    if team is not None:
        teams = teams.filter(team=team)
    return teams.order_by().values("day").annotate(c=Sum("created"), r=Sum("resolved"))


def _daily_sums(
    start: datetime.date, end: datetime.date, by: str | None, team: int | None
) -> list[dict[str, Any]]:
    """The daily rows' sums (``DAILY_SUMS``) over the period (of ``by``'s
    dimension, per value under "key"; or the teams' rows, all in one), of one
    team with ``team``, and under each measure of ``HISTOGRAMS`` its rows'
    packed histograms joined by commas (to add up in Python: the database
    only joins a few numbers per row). Written out rather than through the
    ORM: the string aggregate is each database's own."""
    quote = connection.ops.quote_name
    table = quote(DailyFigures._meta.db_table)
    joined = "string_agg(%s, ',')" if connection.vendor == "postgresql" else "group_concat(%s, ',')"
    sums = ", ".join(
        [f"SUM({quote(n)}) AS {quote(n)}" for n in DAILY_SUMS]
        + [f"{joined % quote(f'{m}_histogram')} AS {quote(m)}" for m in HISTOGRAMS]
    )
    where = f"{quote('dimension')} = %s AND {quote('day')} >= %s AND {quote('day')} <= %s"
    day = connection.ops.adapt_datefield_value
    params: list[Any] = [by or "team", day(start), day(end)]
    if team is not None:
        where += f" AND {quote('team')} = %s"
        params.append(team)
    key = quote("key")
    if by:
        sql = f"SELECT {key}, {sums} FROM {table} WHERE {where} GROUP BY {key}"  # noqa: S608
    else:
        sql = f"SELECT {sums} FROM {table} WHERE {where}"  # noqa: S608 (names from the model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = [c[0] for c in cursor.description]
        return [dict(zip(found, r, strict=True)) for r in cursor.fetchall()]


def _from_tickets(
    start: datetime.date,
    end: datetime.date,
    group: str | None,
    kept: dict[str, int],
    rows: dict[Any, Row],
    total: Row,
    row: Any,
) -> Any:
    """The same from the per-ticket rollup, exactly (for one agent's tickets:
    few): one statement for the counts and sums, one per pair of percentiles.
    Returns the statement of the daily series (day, side, n)."""
    figures = TicketFigures.objects.filter(**kept)
    in_created = Q(created_on__gte=start, created_on__lte=end)
    in_resolved = Q(resolved_on__gte=start, resolved_on__lte=end)
    created = figures.filter(in_created)
    resolved = figures.filter(in_resolved)
    # The tickets opened and those resolved in the period, counted in one
    # statement over the two index ranges (an OR of them).
    for r in _grouped(
        figures.filter(in_created | in_resolved),
        group,
        n=Count("pk", filter=in_created),
        answered=Count("first_response_seconds", filter=in_created),
        wait=Sum("first_response_seconds", filter=in_created),
        done=Count("pk", filter=in_resolved),
        took=Sum("resolution_seconds", filter=in_resolved),
        missed=Count("pk", filter=in_resolved & Q(sla_missed=True)),
    ):
        target = row(r[group])
        target.created = r["n"]
        target.first_responses = r["answered"]
        target.first_response_seconds = r["wait"] or 0.0
        target.resolved = r["done"]
        target.resolution_seconds = r["took"] or 0.0
        target.sla_missed = r["missed"]
    _percentiles(created, group, ("first_response", "first_response_business"), rows, total)
    _percentiles(resolved, group, ("resolution", "resolution_business"), rows, total)
    opened = (
        created.order_by()
        .values("created_on")
        .annotate(n=Count("pk"), side=Value("created"))
        .values_list("created_on", "n", "side")
    )
    closed = (
        resolved.order_by()
        .values("resolved_on")
        .annotate(n=Count("pk"), side=Value("resolved"))
        .values_list("resolved_on", "n", "side")
    )
    return opened.union(closed, all=True)


def _percentiles(
    qs: Any,
    group: str | None,
    measures: tuple[str, ...],
    rows: dict[Any, Row],
    total: Row,
) -> None:
    """The median and 90th percentile of each of ``measures`` (the rollup's
    ``<measure>_seconds`` columns) over ``qs``, per group and overall, in one
    statement: window functions number the rows by each duration within each
    group (and over all of them), the tickets without that duration last, and
    only the rows at the nearest ranks (⌈n·p⌉ of the n with a duration) come
    back: at most four per group and measure, and two more. Without a group,
    only overall."""
    windows: dict[str, Any] = {}
    wanted = Q()
    for m in measures:
        column = F(f"{m}_seconds")
        counted = Count(f"{m}_seconds")  # the rows that have this duration
        ranked = {f"{m}_all": None, **({f"{m}_group": [F(group)]} if group else {})}
        for name, partition in ranked.items():
            windows[f"{name}_rank"] = Window(
                RowNumber(), partition_by=partition, order_by=column.asc(nulls_last=True)
            )
            windows[f"{name}_n"] = Window(counted, partition_by=partition)
            for p in (0.5, 0.9):
                wanted |= Q(**{f"{name}_rank": Ceil(F(f"{name}_n") * p)})
    ranks = (
        qs.annotate(**windows)
        .filter(wanted)
        .values(*([group] if group else []), *(f"{m}_seconds" for m in measures), *windows)
        .order_by()
    )
    for r in ranks:
        targets: list[tuple[Row, str]] = [(total, "all")]
        if group is not None:
            key = r[group]
            targets.append((rows.setdefault(key, Row(key=key)), "group"))
        for m in measures:
            for target, scope in targets:
                rank, n = r[f"{m}_{scope}_rank"], r[f"{m}_{scope}_n"]
                if not n or rank > n:
                    continue  # a row kept for another measure, without this duration
                seconds = float(r[f"{m}_seconds"])
                if rank == math.ceil(n * 0.5):
                    setattr(target, f"{m}_median", seconds)
                if rank == math.ceil(n * 0.9):
                    setattr(target, f"{m}_p90", seconds)


def _label(rows: Iterable[Row], by: str) -> None:
    rows = list(rows)
    keys = [r.key for r in rows if r.key is not None]
    names: dict[Any, str] = {}
    if keys and by == "team":
        names = dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif keys and by == "category":
        names = dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif keys and by == "organisation":
        names = dict(Organisation.objects.filter(pk__in=keys).values_list("pk", "name"))
    elif by == "channel":
        names = {value: str(label) for value, label in Channel.choices}
    elif keys and by == "agent":
        names = {
            u.pk: u.display_name
            for u in User.objects.filter(pk__in=keys).only(
                "pk", "username", "first_name", "last_name"
            )
        }
    none_label = {
        "team": _("No team"),
        "agent": _("Nobody"),
        "category": _("No category"),
        "channel": _("No channel"),
        "organisation": _("No organisation"),
    }[by]
    for r in rows:
        if r.key is None or r.key == "":
            r.label = str(none_label)
        else:
            r.label = names.get(r.key, str(r.key))


def _filter(team: Team | None, agent: User | None = None) -> Any:
    """Keyword filters that keep one team's (and one agent's) figures, per source
    of figures."""

    def only(source: str) -> dict[str, int]:
        kept = {}
        if team is not None:
            kept[DIMENSIONS["team"][source]] = team.pk
        if agent is not None:
            kept[DIMENSIONS["agent"][source]] = agent.pk
        return kept

    return only


def _days(start: datetime.date, end: datetime.date, per_day: Any) -> list[Day]:
    """The tickets opened and resolved on each day of the period, in one
    statement (``per_day``: the daily rollup's sums per day, or the
    per-ticket rollup's two grouped counts, ``UNION ALL``)."""
    days = {
        start + datetime.timedelta(days=i): Day(start + datetime.timedelta(days=i))
        for i in range((end - start).days + 1)
    }
    for r in per_day:
        if isinstance(r, dict):
            if r["day"] in days:
                days[r["day"]].created = r["c"] or 0
                days[r["day"]].resolved = r["r"] or 0
        elif r[0] in days:
            setattr(days[r[0]], r[2], r[1])
    return list(days.values())


def _backlog_and_ages(days: list[Day], end: datetime.date, only: Any) -> list[Age]:
    """The backlog of each day (the tickets open at its end) and the tickets
    open now by age, in two statements.

    The tickets open at the end of a day are those opened up to it less those
    resolved up to it (a ticket resolved keeps its last resolution day): the
    daily rows of the teams (a few per team and day) summed up to the period's
    last day, then each day before is the day after's, less what was opened on
    that day after, plus what was resolved; summed over every day, the tickets
    open now. Their ages under 30 days are counted from the tickets' figures
    of the last 30 days (an index range without the table); the rest of the
    open tickets are older. One agent's: from their tickets' figures
    (:func:`_backlog_and_ages_of_tickets`)."""
    kept = only("ticket")
    if "assignee" in kept:
        return _backlog_and_ages_of_tickets(days, end, kept)
    teams = DailyFigures.objects.filter(dimension="team")
    if "team" in kept:
        teams = teams.filter(team=kept["team"])
    net = F("created") - F("resolved")
    found = teams.order_by().aggregate(
        open_now=Sum(net), until_end=Sum(net, filter=Q(day__lte=end))
    )
    backlog = found["until_end"] or 0
    for day in reversed(days):
        day.backlog = backlog
        backlog += day.resolved - day.created
    today = timezone.localdate()
    recent = [(i, low, high) for i, (low, high) in enumerate(AGE_BUCKETS) if high is not None]
    oldest = today - datetime.timedelta(days=max(high for _i, _low, high in recent))
    counts = {}
    for i, low, high in recent:
        within = Q(resolved_on__isnull=True, created_on__lte=today - datetime.timedelta(days=low))
        counts[f"age{i}"] = Count(
            "pk", filter=within & Q(created_on__gt=today - datetime.timedelta(days=high))
        )
    young = (
        TicketFigures.objects.filter(created_on__gt=oldest, **kept).order_by().aggregate(**counts)
    )
    left = (found["open_now"] or 0) - sum(young.values())
    return [
        Age(low, high, young[f"age{i}"] if high is not None else left)
        for i, (low, high) in enumerate(AGE_BUCKETS)
    ]


def _backlog_and_ages_of_tickets(
    days: list[Day], end: datetime.date, kept: dict[str, int]
) -> list[Age]:
    """The same from the tickets' figures, in one query over three index
    ranges of the rollup.

    The last day's backlog is the tickets open now, plus those resolved after
    it, less those opened after it; each day before is the day after's, less
    what was opened on that day after, plus what was resolved. A reopened
    ticket counts as open since it was opened (the rollup keeps its last
    resolution only)."""
    today = timezone.localdate()
    counts = {
        "open_now": Count("pk", filter=Q(resolved_on__isnull=True)),
        "resolved_after": Count("pk", filter=Q(resolved_on__gt=end)),
        "created_after": Count("pk", filter=Q(created_on__gt=end)),
    }
    for i, (low, high) in enumerate(AGE_BUCKETS):
        within = Q(resolved_on__isnull=True, created_on__lte=today - datetime.timedelta(days=low))
        if high is not None:
            within &= Q(created_on__gt=today - datetime.timedelta(days=high))
        counts[f"age{i}"] = Count("pk", filter=within)
    found = (
        TicketFigures.objects.filter(
            Q(resolved_on__isnull=True) | Q(resolved_on__gt=end) | Q(created_on__gt=end),
            **kept,
        )
        .order_by()
        .aggregate(**counts)
    )
    backlog = found["open_now"] + found["resolved_after"] - found["created_after"]
    for day in reversed(days):
        day.backlog = backlog
        backlog += day.resolved - day.created
    return [Age(low, high, found[f"age{i}"]) for i, (low, high) in enumerate(AGE_BUCKETS)]


def _most_moved(moves: Any, kept: dict[str, int]) -> list[tuple[int, str, int]]:
    """The tickets passed around most in the period: (number, subject, moves).

    Those were moved at least twice in it, so at least twice ever
    (``TicketFigures.moves``): only those tickets' events are read (by
    ticket, not the period's events), and none when there are none. They are
    found by that index alone and kept to the team or agent here, so the
    database never prefers the team's much longer index range."""
    fields = list(kept)
    twice = [
        ticket_id
        for ticket_id, *values in TicketFigures.objects.filter(moves__gte=2).values_list(
            "ticket_id", *fields
        )
        if values == [kept[f] for f in fields]
    ]
    if not twice:
        return []
    moves = moves.filter(ticket_id__in=twice)
    top = list(
        moves.values("ticket", "ticket__subject")
        .annotate(n=Count("created_at", distinct=True))
        .filter(n__gte=2)
        .order_by("-n", "ticket")[:WORST_SHOWN]
    )
    return [(r["ticket"], r["ticket__subject"], r["n"]) for r in top]
