"""The reports' rollup: one ``TicketFigures`` row per ticket, refreshed whole.

:func:`refresh` recomputes the rows of some tickets from the tickets
themselves (their current team, assignee and category, the days they were
opened and resolved in the site's time zone, how long those took, on the
clock and in the business hours of the ticket's SLA policy, and whether an SLA
deadline was missed), so running it twice, or after any change, leaves
the same rows: the reaction calls it for one ticket, ``frontline reports
rebuild`` for all of them in batches.

The daily rollup (``DailyFigures``) is derived from those rows: the rows of
one day and one team are written again whole from the tickets' figures of
that day and team (:func:`refresh_days`), for the days and teams a ticket's
row had before and has after each refresh, and for every day by
:func:`rebuild_daily`. The daily rows also count the events the dashboard
shows per day (reopenings, handoffs), read from the events of that day and
grouped by the tickets' current figures; a ticket's refresh therefore also
rewrites the days it had such events on, for its team before and after.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from frontline.sla.actions import BusinessClock
from frontline.tickets.models import EventKind, Status, Ticket, TicketEvent

from .models import (
    DAILY_SUMS,
    HISTOGRAM_BUCKETS,
    HISTOGRAM_EDGES,
    HISTOGRAMS,
    DailyFigures,
    TicketFigures,
    pack_histogram,
)

BATCH = 2000
FIELDS = [
    "team",
    "assignee",
    "category",
    "created_on",
    "first_response_seconds",
    "resolved_on",
    "resolution_seconds",
    "sla_missed",
    "first_response_business_seconds",
    "resolution_business_seconds",
    "channel",
    "organisation",
    "moves",
]


# The events the daily rows count (``DailyFigures.reopened`` and ``transfers``):
# reopenings, and changes of team or assignee from someone to someone else
# (the first assignment is not a handoff); one handoff writes a team and an
# assignee event at the same moment, and counts once.
MOVES = (EventKind.TEAM, EventKind.ASSIGNEE)
COUNTED_EVENTS = Q(kind=EventKind.REOPENED) | (Q(kind__in=MOVES) & ~Q(data__old=None))


def _counted_events(scope: Q) -> list[tuple[int, str, datetime.datetime]]:
    """(ticket id, kind, moment) of the counted events within ``scope``."""
    return list(
        TicketEvent.objects.filter(scope, COUNTED_EVENTS)
        .order_by()
        .values_list("ticket_id", "kind", "created_at")
    )


def _local_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(timezone.get_default_timezone()).date()


def _day_bounds(first: datetime.date, last: datetime.date) -> Q:
    """The events from the start of ``first`` to the end of ``last``, site time."""
    zone = timezone.get_default_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(
        last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return Q(created_at__gte=start, created_at__lt=after)


def _figures(tickets: Iterable[Any], moves: dict[int, int] | None = None) -> list[TicketFigures]:
    moves = moves or {}
    zone = timezone.get_default_timezone()
    tickets = list(tickets)
    clock = BusinessClock({t["organisation_id"] for t in tickets if t["organisation_id"]})
    rows = []
    for t in tickets:
        ticket = {
            "priority": t["priority"],
            "channel": t["channel"],
            "organisation_id": t["organisation_id"],
        }
        created = t["created_at"]
        answered = t["first_response_at"]
        resolved = t["resolved_at"] if t["status"] in (Status.RESOLVED, Status.CLOSED) else None
        rows.append(
            TicketFigures(
                ticket_id=t["pk"],
                team_id=t["team_id"],
                assignee_id=t["assignee_id"],
                category_id=t["category_id"],
                created_on=created.astimezone(zone).date(),
                first_response_seconds=(answered - created).total_seconds() if answered else None,
                resolved_on=resolved.astimezone(zone).date() if resolved else None,
                resolution_seconds=(resolved - created).total_seconds() if resolved else None,
                sla_missed=t["missed"],
                first_response_business_seconds=clock.between(created, answered, **ticket),
                resolution_business_seconds=clock.between(created, resolved, **ticket),
                channel=t["channel"],
                organisation_id=t["organisation_id"],
                moves=moves.get(t["pk"], 0),
            )
        )
    return rows


def refresh(ticket_ids: Iterable[int], *, daily: bool = True) -> int:
    """Write the rows of these tickets from what the tickets are now (a ticket
    no longer there loses its row with it), and (with ``daily``) the daily
    rows of the days and teams they had and have. Returns the number of rows
    written."""
    ids = list(ticket_ids)
    before = (
        list(
            TicketFigures.objects.filter(ticket_id__in=ids).values_list(
                "ticket_id", "created_on", "resolved_on", "team_id"
            )
        )
        if daily
        else []
    )
    happened = _counted_events(Q(ticket_id__in=ids))
    moments: dict[int, set[datetime.datetime]] = {}
    event_days: dict[int, set[datetime.date]] = {}
    for ticket_id, kind, moment in happened:
        event_days.setdefault(ticket_id, set()).add(_local_day(moment))
        if kind in MOVES:
            moments.setdefault(ticket_id, set()).add(moment)
    breached = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.SLA_BREACH)
    tickets = (
        Ticket.objects.filter(pk__in=ids)
        .annotate(missed=Exists(breached))
        .values(
            "pk",
            "team_id",
            "assignee_id",
            "category_id",
            "status",
            "created_at",
            "first_response_at",
            "resolved_at",
            "missed",
            "priority",
            "channel",
            "organisation_id",
        )
        .order_by()
    )
    rows = _figures(tickets, {t: len(m) for t, m in moments.items()})
    with transaction.atomic():
        TicketFigures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["ticket"], update_fields=FIELDS
        )
        if daily:
            after = [(r.ticket_id, r.created_on, r.resolved_on, r.team_id) for r in rows]
            pairs = set()
            for ticket_id, created_on, resolved_on, team in before + after:
                for day in (created_on, resolved_on, *event_days.get(ticket_id, ())):
                    if day is not None:
                        pairs.add((day, team))
            refresh_days(pairs)
    return len(rows)


def rebuild(*, after: int = 0, batch: int = BATCH) -> Iterator[tuple[int, int]]:
    """Refresh every ticket's row, ``batch`` tickets per transaction, in id order
    from ``after``; yields (last id done, rows written) after each batch. Rows
    of tickets deleted meanwhile went with them (the foreign key cascades).
    The daily rows are not written: :func:`rebuild_daily` does, after."""
    last = after
    while True:
        ids = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return
        written = refresh(ids, daily=False)
        last = ids[-1]
        yield last, written


# -- the daily rollup ---------------------------------------------------------

# What the daily rows are made of, per ticket.
_SOURCE = [
    "created_on",
    "resolved_on",
    "team_id",
    "assignee_id",
    "category_id",
    "channel",
    "organisation_id",
    "sla_missed",
    *(f"{m}_seconds" for m in HISTOGRAMS),
]
_KEYS = {
    "team": "team_id",
    "agent": "assignee_id",
    "category": "category_id",
    "channel": "channel",
    "organisation": "organisation_id",
}
_SCALARS = DAILY_SUMS
# A cell's values while they are counted: the sums, then each histogram's
# buckets in full (packed when written).
_WIDTH = len(_SCALARS) + len(HISTOGRAMS) * HISTOGRAM_BUCKETS
_OFFSET = {m: len(_SCALARS) + i * HISTOGRAM_BUCKETS for i, m in enumerate(HISTOGRAMS)}


def bucket(seconds: float) -> int:
    """The histogram bucket of a duration: the first whose upper edge it does
    not pass (a negative duration, from clocks out of step, in the first)."""
    return bisect_left(HISTOGRAM_EDGES, seconds)


Cell = tuple[datetime.date, str, int, str]


def _cells(tickets: Iterable[dict[str, Any]], days: set[datetime.date] | None) -> dict[Cell, list]:
    """The daily rows' values, per (day, dimension, team, key), of these
    tickets' figures: each ticket counts on its opening day (if in ``days``,
    or any day without) and on its resolution day."""
    cells: dict[Cell, list] = {}
    for t in tickets:
        team = t["team_id"] or 0
        keys = [(d, "" if t[f] is None else str(t[f])) for d, f in _KEYS.items()]
        opened, resolved = t["created_on"], t["resolved_on"]
        if days is None or opened in days:
            for dimension, key in keys:
                v = cells.setdefault((opened, dimension, team, key), [0] * _WIDTH)
                v[0] += 1
                if t["first_response_seconds"] is not None:
                    v[1] += 1
                    v[2] += t["first_response_seconds"]
                for m in ("first_response", "first_response_business"):
                    if t[f"{m}_seconds"] is not None:
                        v[_OFFSET[m] + bucket(t[f"{m}_seconds"])] += 1
        if resolved is not None and (days is None or resolved in days):
            for dimension, key in keys:
                v = cells.setdefault((resolved, dimension, team, key), [0] * _WIDTH)
                v[3] += 1
                v[4] += t["resolution_seconds"] or 0.0
                v[5] += 1 if t["sla_missed"] else 0
                for m in ("resolution", "resolution_business"):
                    if t[f"{m}_seconds"] is not None:
                        v[_OFFSET[m] + bucket(t[f"{m}_seconds"])] += 1
    return cells


def _add_events(cells: dict[Cell, list], scope: Q, team: Any = ...) -> None:
    """Count into ``cells`` the reopenings and handoffs within ``scope`` (a
    range of days), each on its day, under its ticket's current figures (of
    one team only, with ``team``: an id, or None for no team)."""
    happened = _counted_events(scope)
    ids = sorted({ticket_id for ticket_id, _kind, _at in happened})
    figures: dict[int, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        found = TicketFigures.objects.filter(ticket_id__in=ids[i : i + 500])
        if team is not ...:
            found = found.filter(team_id=team)
        for f in found.values("ticket_id", *_KEYS.values()).order_by():
            figures[f["ticket_id"]] = f
    reopened, transfers = _SCALARS.index("reopened"), _SCALARS.index("transfers")
    counted: set[tuple[int, datetime.datetime]] = set()
    for ticket_id, kind, moment in happened:
        f = figures.get(ticket_id)
        if f is None:
            continue
        if kind in MOVES:
            if (ticket_id, moment) in counted:
                continue
            counted.add((ticket_id, moment))
        day, column = _local_day(moment), (transfers if kind in MOVES else reopened)
        for dimension, field in _KEYS.items():
            key = "" if f[field] is None else str(f[field])
            cell = (day, dimension, f["team_id"] or 0, key)
            cells.setdefault(cell, [0] * _WIDTH)[column] += 1


def _write(cells: dict[Cell, list]) -> None:
    """Insert these daily rows (their old ones already deleted), in batches
    through one prepared statement."""
    table = connection.ops.quote_name(DailyFigures._meta.db_table)
    names = ["day", "dimension", "team", "key", *_SCALARS, *(f"{m}_histogram" for m in HISTOGRAMS)]
    columns = ", ".join(connection.ops.quote_name(n) for n in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (names from the model)
    scalars = len(_SCALARS)
    rows = [
        [
            *cell,
            *values[:scalars],
            *(pack_histogram(values[i : i + HISTOGRAM_BUCKETS]) for i in _OFFSET.values()),
        ]
        for cell, values in cells.items()
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > 100:
            # Many rows (a rebuild): one COPY stream, not a statement per row.
            copy_sql = f"COPY {table} ({columns}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for i in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[i : i + 1000])


def refresh_days(pairs: Iterable[tuple[datetime.date, int | None]]) -> None:
    """Write again, from the tickets' figures, the daily rows of each (day,
    team) (team None: the tickets without one): every dimension's rows of the
    tickets of that team opened or resolved that day, and of their
    reopenings and handoffs of that day."""
    with transaction.atomic():
        for day, team in sorted(pairs, key=lambda p: (p[0], p[1] or 0)):
            of_day = Q(created_on=day) | Q(resolved_on=day)
            of_team = Q(team_id=team) if team else Q(team_id__isnull=True)
            tickets = TicketFigures.objects.filter(of_day, of_team).values(*_SOURCE).order_by()
            cells = _cells(tickets, {day})
            _add_events(cells, _day_bounds(day, day), team or None)
            # Every dimension written named: the delete then finds its rows through the
            # unique key (dimension, team, day, …) rather than reading the whole
            # table (153 ms a new ticket at 20,000 tickets, 88,000 daily rows).
            DailyFigures.objects.filter(dimension__in=list(_KEYS), day=day, team=team or 0).delete()
            _write(cells)


def rebuild_daily(
    *, days: int = 7, since: datetime.date | None = None
) -> Iterator[tuple[datetime.date, int]]:
    """Write every daily row again from the tickets' figures, ``days`` days per
    transaction, oldest first (from ``since``, to resume); yields (last day
    done, rows written) after each. Rows of days no ticket has any more are
    deleted first."""
    span = TicketFigures.objects.aggregate(
        first=Min("created_on"), last=Max("created_on"), resolved=Max("resolved_on")
    )
    if span["first"] is None:
        DailyFigures.objects.all().delete()
        return
    first = span["first"]
    # Up to today: a ticket's reopenings and handoffs may come after its last
    # opening or resolution day (a ticket reopened and still open).
    last = max(d for d in (span["last"], span["resolved"], timezone.localdate()) if d is not None)
    DailyFigures.objects.exclude(day__gte=first, day__lte=last).delete()
    day = max(first, since) if since else first
    while day <= last:
        end = min(day + datetime.timedelta(days=days - 1), last)
        chunk = {day + datetime.timedelta(days=i) for i in range((end - day).days + 1)}
        in_chunk = Q(created_on__gte=day, created_on__lte=end) | Q(
            resolved_on__gte=day, resolved_on__lte=end
        )
        with transaction.atomic():
            tickets = TicketFigures.objects.filter(in_chunk).values(*_SOURCE).order_by()
            cells = _cells(tickets.iterator(chunk_size=5000), chunk)
            _add_events(cells, _day_bounds(day, end))
            DailyFigures.objects.filter(day__gte=day, day__lte=end).delete()
            _write(cells)
        yield end, len(cells)
        day = end + datetime.timedelta(days=1)
