"""Business-time arithmetic for SLA clocks: plain functions, no Django, no database.

A :class:`Schedule` says when a team works, in the wall-clock time of one IANA
time zone: working intervals per weekday, and closed dates (holidays). From it
follow the *business time* contained in any span of real time, and the moment
at which a given amount of business time has elapsed.

Every function here follows these definitions exactly.

The business set
    For every local date ``D`` that is not closed, and every working interval
    ``(s, e)`` of ``D``'s weekday, the UTC interval ``[utc(D, s), utc(D, e))``
    is business time. ``utc(D, m)`` reads the wall-clock time ``m`` minutes
    after local midnight of ``D`` (``24:00`` is the next midnight) with
    ``fold=0`` and converts it to UTC. Overlapping results count once; an
    interval that comes out empty or reversed counts for nothing. So:

    * an interval that contains no clock change lasts its nominal length:
      09:00-17:00 is 8 hours on DST-change days too;
    * an interval that spans a change lasts what real time says: 01:00-04:00
      in Europe/Berlin is 2 hours on the spring-forward night, 4 hours on the
      fall-back night;
    * a wall time that does not exist (inside a spring-forward gap) is read
      with the offset from before the change, so it lands the length of the
      gap later (02:30 on the Berlin spring-forward night is 03:30 CEST); an
      ambiguous wall time (fall back) is its first occurrence, still in summer
      time.

``business_time_between(a, b)``
    The length of the business set inside ``[a, b)``.

``add_business_time(start, d)``
    The earliest ``t >= start`` with ``business_time_between(start, t) == d``.
    ``d == 0`` gives ``start`` unchanged, even outside hours. For ``d > 0``
    the clock starts at the next opening if ``start`` is outside hours, and
    the result lies inside a business interval or exactly on its closing edge:
    a clock that runs out at 17:00 is due at 17:00, not at the next opening.

``due_with_pauses(start, target, pauses)``
    The same, with the clock stopped during every pause.

All functions accept aware datetimes in any zone and return UTC. Arithmetic is
exact (``timedelta`` holds integer microseconds). The cost is a few
microseconds per calendar day spanned, never per minute.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "Schedule",
    "add_business_time",
    "business_time_between",
    "due_with_pauses",
    "holiday_dates",
]

MINUTES_PER_DAY = 24 * 60

# The search for business time gives up after this many consecutive calendar
# days without any (about ten years), so that a calendar closed for good fails
# loudly instead of looping.
MAX_IDLE_DAYS = 3660

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)

type Interval = tuple[int, int]
"""Working interval: minutes after local midnight, ``0 <= start < end <= 1440``."""


@dataclass(frozen=True)
class Schedule:
    """When a team works: local working intervals per weekday, minus closed dates.

    ``week`` has seven entries, Monday first. Each is a tuple of intervals
    ``(start_minute, end_minute)`` after local midnight, sorted and not
    overlapping (touching is fine); ``1440`` is 24:00. ``closed_dates`` are
    local calendar dates with no working time at all.

    Build one with :meth:`weekly` or :meth:`always` rather than by hand.
    A schedule without any working interval is refused.
    """

    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    closed_dates: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _week_offsets: tuple[tuple[tuple[timedelta, timedelta], ...], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        week = tuple(tuple((int(s), int(e)) for s, e in day) for day in self.week)
        if len(week) != 7:
            raise ValueError(f"week needs 7 days (Monday first), got {len(week)}")
        for weekday, intervals in enumerate(week):
            previous_end = 0
            for s, e in intervals:
                if not 0 <= s < e <= MINUTES_PER_DAY or s < previous_end:
                    raise ValueError(
                        f"weekday {weekday}: intervals must be sorted, non-overlapping, "
                        f"within 00:00-24:00; got {intervals}"
                    )
                previous_end = e
        if not any(week):
            raise ValueError("schedule has no working time at all")
        closed = frozenset(self.closed_dates)
        if any(isinstance(d, datetime) or not isinstance(d, date) for d in closed):
            raise ValueError("closed_dates must hold datetime.date values")
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "closed_dates", closed)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(
            self,
            "_week_offsets",
            tuple(
                tuple((timedelta(minutes=s), timedelta(minutes=e)) for s, e in day) for day in week
            ),
        )

    @classmethod
    def weekly(
        cls,
        timezone: str,
        hours: Mapping[int, str],
        closed_dates: Iterable[date] = (),
    ) -> Schedule:
        """Schedule from text: ``{0: "09:00-12:00, 13:00-17:30", ...}``.

        Keys are weekdays, 0 = Monday; missing days are closed. ``24:00`` may
        end an interval.
        """
        unknown = set(hours) - set(range(7))
        if unknown:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(unknown)}")
        week = tuple(_parse_day(hours.get(weekday, "")) for weekday in range(7))
        return cls(timezone, week, frozenset(closed_dates))

    @classmethod
    def always(cls, timezone: str = "UTC") -> Schedule:
        """Around the clock, every day (24/7)."""
        return cls(timezone, (((0, MINUTES_PER_DAY),),) * 7)


def add_business_time(start: datetime, duration: timedelta, schedule: Schedule) -> datetime:
    """Return the moment ``duration`` of business time after ``start``, in UTC.

    That is the earliest ``t >= start`` with
    ``business_time_between(start, t, schedule) == duration``: ``start`` itself
    for a zero duration, otherwise a moment inside a business interval or on
    its closing edge.

    Raises ValueError for a naive ``start``, a negative duration, a due time
    beyond the supported dates, or when the schedule has no working time in
    ``MAX_IDLE_DAYS`` consecutive days.
    """
    start = _as_utc(start, "start")
    _check_duration(duration, "duration")
    if not duration:
        return start
    remaining = duration
    try:
        for opens, closes in _business_intervals(schedule, start):
            length = closes - opens
            if length >= remaining:
                return opens + remaining
            remaining -= length
    except OverflowError as exc:
        raise ValueError("due time is beyond the supported date range") from exc
    raise AssertionError("unreachable: the interval stream is endless")  # pragma: no cover


def business_time_between(a: datetime, b: datetime, schedule: Schedule) -> timedelta:
    """Return the business time inside ``[a, b)``; zero when ``b <= a``."""
    a = _as_utc(a, "a")
    b = _as_utc(b, "b")
    total = _ZERO
    if b <= a:
        return total
    try:
        for opens, closes in _business_intervals(schedule, a, until=b):
            if opens >= b:
                break
            total += min(closes, b) - opens
    except OverflowError as exc:
        raise ValueError("span is beyond the supported date range") from exc
    return total


def due_with_pauses(
    start: datetime,
    target: timedelta,
    pauses: Sequence[tuple[datetime, datetime | None]],
    schedule: Schedule,
) -> datetime | None:
    """Return when a clock started at ``start`` has run ``target`` of business time.

    The clock is stopped during each pause ``[pause_start, pause_end)``. Pauses
    may overlap one another, begin before ``start`` and lie outside business
    hours; a zero-length pause changes nothing. The result is the earliest
    ``t >= start`` at which the business time of ``[start, t)`` outside all
    pauses equals ``target`` (``start`` itself for a zero target).

    A pause with ``pause_end=None`` is still open: the clock is stopped from
    ``pause_start`` on. Then the result is None if the target is not reached
    before the open pause begins; if it was reached earlier, the result is that
    (past) due time, so pausing a ticket never hides a breach that has already
    happened.

    Raises ValueError for naive datetimes, a negative target, or a pause that
    ends before it starts; and as :func:`add_business_time`.
    """
    start = _as_utc(start, "start")
    _check_duration(target, "target")
    stops: list[tuple[datetime, datetime | None]] = []
    for pause_start, pause_end in pauses:
        begins = _as_utc(pause_start, "pause start")
        if pause_end is None:
            stops.append((begins, None))
            continue
        ends = _as_utc(pause_end, "pause end")
        if ends < begins:
            raise ValueError(f"pause ends before it starts: {pause_start} > {pause_end}")
        if ends > start and ends > begins:
            stops.append((begins, ends))
    if not target:
        return start
    stops.sort(key=lambda stop: stop[0])

    remaining = target
    cursor = start  # the clock has run target - remaining by cursor
    for begins, resumes in stops:
        if resumes is not None and resumes <= cursor:
            continue
        if begins > cursor:
            due = add_business_time(cursor, remaining, schedule)
            if due <= begins:
                return due
            remaining -= business_time_between(cursor, begins, schedule)
        if resumes is None:
            return None
        cursor = resumes
    return add_business_time(cursor, remaining, schedule)


def holiday_dates(country: str, years: Iterable[int], subdiv: str | None = None) -> frozenset[date]:
    """Public holidays of ``country`` (ISO 3166 code) and ``subdiv`` in ``years``.

    Uses the ``holidays`` package, imported here so that the arithmetic above
    never needs it. Raises ValueError for an unknown country or subdivision.

    Each year's dates are kept in Django's cache (shared by every process of
    the deployment: files or Redis), so the package is imported once per
    country and year, not by every process that computes a due date: its first
    use loads every country it knows (some 400 modules, 17 MiB of each
    process's memory; docs/benchmarks.md, "Stop 13").
    """
    from importlib.metadata import version

    from django.core.cache import cache

    wanted = sorted(set(years))
    release = version("holidays")
    keys = {y: f"holidays:{release}:{country}:{subdiv or ''}:{y}" for y in wanted}
    kept = cache.get_many(list(keys.values()))
    missing = [y for y in wanted if keys[y] not in kept]
    found = {date.fromisoformat(d) for y in wanted if keys[y] in kept for d in kept[keys[y]]}
    if missing:
        import holidays

        computed = {}
        for year in missing:  # each year on its own: what it gives (an observed day
            # may fall in the year before) is what that year's key keeps
            try:
                calendar = holidays.country_holidays(country, subdiv=subdiv, years=[year])
            except NotImplementedError as exc:
                raise ValueError(str(exc)) from exc
            computed[keys[year]] = sorted(d.isoformat() for d in calendar)
            found.update(calendar)
        cache.set_many(computed, timeout=HOLIDAYS_KEPT_SECONDS)
    return frozenset(found)


HOLIDAYS_KEPT_SECONDS = 90 * 24 * 3600


def _business_intervals(
    schedule: Schedule, start: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the business set after ``start`` as sorted, disjoint UTC intervals.

    Pieces may touch; the first is clipped to begin at ``start``. Stops once
    nothing more can begin before ``until``; without ``until`` it is endless,
    except that it raises ValueError after ``MAX_IDLE_DAYS`` days without
    business time.

    Local days are visited in order. A day's intervals all begin after its
    local midnight read as UTC minus 24 hours (no UTC offset reaches a day), so
    once day ``D`` has been visited everything before ``D`` 00:00 UTC is
    final: merge what is pending and hand out the part before that horizon.
    Starting two days before ``start`` covers every day that can reach it.
    """
    zone = schedule._zone
    closed = schedule.closed_dates
    week_offsets = schedule._week_offsets
    day = start.date() - 2 * _ONE_DAY  # start is UTC
    pending: list[tuple[datetime, datetime]] = []
    idle_days = 0
    while True:
        if day not in closed:
            midnight = datetime.combine(day, _MIDNIGHT, tzinfo=zone)
            for s, e in week_offsets[day.weekday()]:
                # Wall-clock addition keeps fold=0; astimezone applies the offset.
                opens = (midnight + s).astimezone(UTC)
                closes = (midnight + e).astimezone(UTC)
                if closes > opens:
                    pending.append((opens, closes))
        horizon = datetime.combine(day, _MIDNIGHT, tzinfo=UTC)
        pending.sort()
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in pending:
            if merged and opens <= merged[-1][1]:
                if closes > merged[-1][1]:
                    merged[-1] = (merged[-1][0], closes)
            else:
                merged.append((opens, closes))
        pending = []
        emitted = False
        for opens, closes in merged:
            if opens >= horizon:
                pending.append((opens, closes))
                continue
            if closes > horizon:
                pending.append((horizon, closes))
                closes = horizon
            if closes > start:
                yield max(opens, start), closes
                emitted = True
        if until is not None and horizon >= until:
            return
        idle_days = 0 if emitted else idle_days + 1
        if until is None and idle_days > MAX_IDLE_DAYS:
            since = day - idle_days * _ONE_DAY
            raise ValueError(f"schedule has no working time in {MAX_IDLE_DAYS} days after {since}")
        day += _ONE_DAY


def _as_utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _check_duration(duration: timedelta, name: str) -> None:
    if duration < _ZERO:
        raise ValueError(f"{name} must not be negative, got {duration}")


def _parse_day(text: str) -> tuple[Interval, ...]:
    intervals = []
    for part in text.replace(",", " ").split():
        opens, sep, closes = part.partition("-")
        if not sep:
            raise ValueError(f"expected HH:MM-HH:MM, got {part!r}")
        intervals.append((_parse_minute(opens), _parse_minute(closes)))
    return tuple(intervals)


def _parse_minute(text: str) -> int:
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"expected HH:MM, got {text!r}")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or total > MINUTES_PER_DAY:
        raise ValueError(f"expected a time from 00:00 to 24:00, got {text!r}")
    return total
