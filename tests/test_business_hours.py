"""Business-time arithmetic: worked examples, then properties checked by hypothesis."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from frontline.lib.business_hours import (
    MAX_IDLE_DAYS,
    Schedule,
    add_business_time,
    business_time_between,
    due_with_pauses,
    holiday_dates,
)

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)

NINE_TO_FIVE = Schedule.weekly("Europe/Berlin", {d: "09:00-17:00" for d in range(5)})


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def local_day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight of ``day`` and of the next day."""
    return (
        datetime.combine(day, time(), tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time(), tzinfo=zone),
    )


def weekdays_in(first: date, last: date, closed: frozenset[date] = frozenset()) -> int:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return sum(1 for d in days if d.weekday() < 5 and d not in closed)


# Worked examples ----------------------------------------------------------------


def test_friday_afternoon_ticket_is_due_monday_noon():
    due = add_business_time(berlin(2025, 3, 7, 16), 4 * H, NINE_TO_FIVE)
    assert due == berlin(2025, 3, 10, 12)
    assert due.tzinfo is UTC


def test_holiday_monday_pushes_the_due_time_to_tuesday():
    closed = Schedule("Europe/Berlin", NINE_TO_FIVE.week, frozenset({date(2025, 3, 10)}))
    assert add_business_time(berlin(2025, 3, 7, 16), 4 * H, closed) == berlin(2025, 3, 11, 12)


def test_easter_from_the_holidays_package_closes_friday_and_monday():
    easter = Schedule("Europe/Berlin", NINE_TO_FIVE.week, holiday_dates("DE", [2025], subdiv="BE"))
    thursday = berlin(2025, 4, 17, 16)
    assert add_business_time(thursday, 4 * H, easter) == berlin(2025, 4, 22, 12)


def test_clock_that_runs_out_at_closing_is_due_at_closing_not_next_opening():
    assert add_business_time(berlin(2025, 3, 7, 16), H, NINE_TO_FIVE) == berlin(2025, 3, 7, 17)


def test_ticket_opened_outside_hours_starts_the_clock_at_next_opening():
    saturday = berlin(2025, 3, 8, 11)
    assert add_business_time(saturday, 30 * MIN, NINE_TO_FIVE) == berlin(2025, 3, 10, 9, 30)


def test_zero_duration_returns_start_unchanged_even_outside_hours():
    saturday = berlin(2025, 3, 8, 11, 17)
    due = add_business_time(saturday, timedelta(0), NINE_TO_FIVE)
    assert due == saturday
    assert due.tzinfo is UTC


def test_spring_forward_weekend_keeps_monday_noon_and_loses_an_hour_of_real_time():
    friday = berlin(2025, 3, 28, 16)  # CET; clocks go forward on Sunday the 30th
    due = add_business_time(friday, 4 * H, NINE_TO_FIVE)
    assert due == berlin(2025, 3, 31, 12)
    assert due == datetime(2025, 3, 31, 10, tzinfo=UTC)
    assert due - friday == 67 * H


def test_fall_back_weekend_keeps_monday_noon_and_gains_an_hour_of_real_time():
    friday = berlin(2025, 10, 24, 16)  # CEST; clocks go back on Sunday the 26th
    due = add_business_time(friday, 4 * H, NINE_TO_FIVE)
    assert due == berlin(2025, 10, 27, 12)
    assert due == datetime(2025, 10, 27, 11, tzinfo=UTC)
    assert due - friday == 69 * H


def test_nine_to_five_is_eight_hours_on_clock_change_days():
    every_day = Schedule.weekly("Europe/Berlin", {d: "09:00-17:00" for d in range(7)})
    for change in (date(2025, 3, 30), date(2025, 10, 26)):
        assert business_time_between(*local_day(change, BERLIN), every_day) == 8 * H
    assert business_time_between(berlin(2025, 1, 1), berlin(2026, 1, 1), every_day) == 365 * 8 * H


@pytest.mark.parametrize(
    ("hours", "day", "expected"),
    [
        ("01:00-04:00", date(2025, 3, 30), 2 * H),  # spans spring forward
        ("01:00-04:00", date(2025, 10, 26), 4 * H),  # spans fall back
        ("01:00-04:00", date(2025, 6, 1), 3 * H),
        # 02:30 does not exist on 30 March: read with the winter offset it is 03:30 CEST.
        ("02:30-05:00", date(2025, 3, 30), 90 * MIN),
        ("02:00-03:00", date(2025, 3, 30), timedelta(0)),  # wholly inside the gap
        ("02:30-03:10", date(2025, 3, 30), timedelta(0)),  # 03:30 CEST to 03:10 CEST
        # 02:30 -> 03:30 CEST overlaps 03:00-05:00 once converted: counted once,
        # it is simply 00:00-02:00 CET plus 03:00-05:00 CEST.
        ("00:00-02:30, 03:00-05:00", date(2025, 3, 30), 4 * H),
        # 02:30 happens twice on 26 October: the first (summer) one is meant.
        ("02:30-03:30", date(2025, 10, 26), 2 * H),
        ("00:00-24:00", date(2025, 3, 30), 23 * H),
        ("00:00-24:00", date(2025, 10, 26), 25 * H),
    ],
)
def test_interval_that_meets_a_clock_change_lasts_what_real_time_says(hours, day, expected):
    sundays = Schedule.weekly("Europe/Berlin", {6: hours})
    assert business_time_between(*local_day(day, BERLIN), sundays) == expected


def test_shanghai_has_no_clock_changes():
    shanghai = Schedule.weekly("Asia/Shanghai", {d: "09:00-17:00" for d in range(5)})
    friday = datetime(2025, 3, 28, 16, tzinfo=SHANGHAI)
    assert add_business_time(friday, 4 * H, shanghai) == datetime(2025, 3, 31, 4, tzinfo=UTC)
    year = (datetime(2025, 1, 1, tzinfo=SHANGHAI), datetime(2026, 1, 1, tzinfo=SHANGHAI))
    assert business_time_between(*year, shanghai) == 261 * 8 * H


def test_lunch_break_stops_the_clock():
    lunch = Schedule.weekly("Europe/Berlin", {d: "09:00-12:00, 13:00-17:00" for d in range(5)})
    assert add_business_time(berlin(2025, 3, 5, 11), 2 * H, lunch) == berlin(2025, 3, 5, 14)
    assert add_business_time(berlin(2025, 3, 5, 11), H, lunch) == berlin(2025, 3, 5, 12)
    assert business_time_between(berlin(2025, 3, 5, 9), berlin(2025, 3, 5, 17), lunch) == 7 * H


def test_night_shift_ending_at_midnight_runs_on_into_the_next_day():
    nights = Schedule.weekly("Europe/Berlin", {0: "18:00-24:00", 1: "00:00-02:00"})
    assert add_business_time(berlin(2025, 3, 3, 23), 2 * H, nights) == berlin(2025, 3, 4, 1)
    assert nights.week[0] == ((18 * 60, 24 * 60),)


def test_around_the_clock_in_utc_is_plain_addition():
    start = datetime(2025, 3, 29, 22, 13, 7, 123456, tzinfo=UTC)
    assert add_business_time(start, 1000 * H + SEC, Schedule.always()) == start + 1000 * H + SEC


def test_around_the_clock_counts_a_skipped_local_day_once():
    # Samoa skipped 30 December 2011 by moving across the date line.
    apia = Schedule.always("Pacific/Apia")
    a, b = datetime(2011, 12, 28, tzinfo=UTC), datetime(2012, 1, 3, tzinfo=UTC)
    assert business_time_between(a, b, apia) == b - a
    assert add_business_time(a, b - a, apia) == b


def test_ten_years_are_summed_exactly_and_fast():
    closed = holiday_dates("DE", range(2015, 2026))
    schedule = Schedule("Europe/Berlin", NINE_TO_FIVE.week, closed)
    start, end = berlin(2015, 1, 1), berlin(2025, 1, 1)
    total = business_time_between(start, end, schedule)
    assert total == weekdays_in(date(2015, 1, 1), date(2024, 12, 31), closed) * 8 * H
    assert add_business_time(start, total, schedule) == berlin(2024, 12, 31, 17)


@pytest.mark.parametrize("closed_days", [MAX_IDLE_DAYS - 10, MAX_IDLE_DAYS + 10])
def test_a_calendar_closed_for_ten_years_raises_instead_of_looping(closed_days):
    first = date(2025, 1, 6)  # a Monday
    closed = frozenset(first + timedelta(days=n) for n in range(closed_days))
    schedule = Schedule("Europe/Berlin", NINE_TO_FIVE.week, closed)
    start, reopens = (
        local_day(first, BERLIN)[0],
        local_day(first + closed_days * timedelta(days=1), BERLIN)[0],
    )
    # Measuring a span is fine either way: it is bounded by its end.
    assert business_time_between(start, reopens, schedule) == timedelta(0)
    if closed_days > MAX_IDLE_DAYS:
        with pytest.raises(ValueError, match="no working time"):
            add_business_time(start, H, schedule)
    else:
        due = add_business_time(start, H, schedule)
        assert reopens < due < reopens + 4 * timedelta(days=1)


@pytest.mark.parametrize(
    ("timezone", "week"),
    [
        ("Europe/Berlin", ((),) * 7),
        ("Europe/Berlin", ((),) * 6),
        ("Europe/Berlin", (((600, 540),),) + ((),) * 6),
        ("Europe/Berlin", (((540, 720), (700, 800)),) + ((),) * 6),
        ("Europe/Berlin", (((0, 1441),),) + ((),) * 6),
        ("Mars/Olympus_Mons", (((0, 1440),),) * 7),
    ],
)
def test_schedule_refuses_what_cannot_be_a_calendar(timezone, week):
    with pytest.raises(ValueError):
        Schedule(timezone, week)


@pytest.mark.parametrize("text", ["9-17", "09:00", "09:00-25:00", "09:60-11:00", "xx:00-10:00"])
def test_weekly_refuses_malformed_hours(text):
    with pytest.raises(ValueError):
        Schedule.weekly("UTC", {0: text})


def test_weekly_parses_hours_and_schedules_compare_by_value():
    schedule = Schedule.weekly("UTC", {0: "09:00-12:00,13:00-17:30", 5: "10:00-24:00"})
    assert schedule.week[0] == ((540, 720), (780, 1050))
    assert schedule.week[5] == ((600, 1440),)
    assert schedule.week[6] == ()
    same = Schedule("UTC", [[(540, 720), (780, 1050)], [], [], [], [], [(600, 1440)], []])
    assert same == schedule
    assert hash(same) == hash(schedule)


def test_naive_datetimes_and_negative_durations_are_refused():
    naive = berlin(2025, 3, 7, 16).replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(naive, H, NINE_TO_FIVE)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(berlin(2025, 3, 7), naive, NINE_TO_FIVE)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(berlin(2025, 3, 7), -SEC, NINE_TO_FIVE)
    with pytest.raises(ValueError, match="ends before"):
        due_with_pauses(
            berlin(2025, 3, 7), H, [(berlin(2025, 3, 7, 2), berlin(2025, 3, 7, 1))], NINE_TO_FIVE
        )


def test_reversed_span_has_no_business_time():
    assert business_time_between(
        berlin(2025, 3, 7, 16), berlin(2025, 3, 7, 10), NINE_TO_FIVE
    ) == timedelta(0)


def test_waiting_for_the_customer_over_the_weekend_pauses_the_clock():
    friday = berlin(2025, 3, 7, 16)
    waiting = [(berlin(2025, 3, 7, 16, 30), berlin(2025, 3, 10, 10))]
    assert due_with_pauses(friday, 4 * H, waiting, NINE_TO_FIVE) == berlin(2025, 3, 10, 13, 30)


def test_open_pause_means_no_due_time_until_the_clock_runs_out_before_it():
    friday = berlin(2025, 3, 7, 16)
    assert (
        due_with_pauses(friday, 4 * H, [(berlin(2025, 3, 7, 16, 30), None)], NINE_TO_FIVE) is None
    )
    # Breached on Monday at noon, paused afterwards: the breach stays.
    late = [(berlin(2025, 3, 10, 14), None)]
    assert due_with_pauses(friday, 4 * H, late, NINE_TO_FIVE) == berlin(2025, 3, 10, 12)


def test_holiday_dates_come_from_the_holidays_package_for_the_years_asked():
    berlin_days = holiday_dates("DE", [2025], subdiv="BE")
    assert {date(2025, 3, 8), date(2025, 12, 25)} <= berlin_days
    assert date(2025, 3, 8) not in holiday_dates("DE", [2025])
    assert {d.year for d in holiday_dates("US", [2021, 2022])} == {2021, 2022}
    with pytest.raises(ValueError):
        holiday_dates("XX", [2025])


def test_holiday_dates_are_kept_so_another_call_needs_no_holidays_package(monkeypatch):
    """The package's first use loads every country it knows (some 400 modules,
    17 MiB of a process); each year's dates are kept in the shared cache, so a
    later call, in any process, reads them from there (issue 19, the footprint)."""
    first = holiday_dates("FR", [2031])
    assert date(2031, 7, 14) in first
    monkeypatch.setitem(sys.modules, "holidays", None)  # `import holidays` now fails
    assert holiday_dates("FR", [2031]) == first
    with pytest.raises(ImportError):
        holiday_dates("FR", [2031, 2039])  # 2039 not kept yet: the package is needed


# Properties -----------------------------------------------------------------------

PROPERTY = settings(deadline=None, max_examples=200)

EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
FOUR_YEARS_IN_MINUTES = 4 * 365 * 24 * 60
# Days around the clock changes of the zones below in 2024 and 2025, so that
# generated spans cross them often rather than by luck.
CLOCK_CHANGES = [
    datetime(y, m, d, tzinfo=UTC)
    for y, m, d in [
        (2024, 3, 10), (2024, 3, 31), (2024, 4, 7), (2024, 9, 8), (2024, 10, 6),
        (2024, 10, 27), (2024, 11, 3), (2025, 3, 9), (2025, 3, 30), (2025, 4, 6),
        (2025, 9, 7), (2025, 10, 5), (2025, 10, 26), (2025, 11, 2),
    ]
]  # fmt: skip
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour clock changes
    "America/Santiago",  # clock changes at midnight
]

# Whole minutes over four years, half of them within five days of a clock change.
instants = st.one_of(
    st.integers(0, FOUR_YEARS_IN_MINUTES).map(lambda m: EPOCH + m * MIN),
    st.tuples(st.sampled_from(CLOCK_CHANGES), st.integers(-5 * 1440, 5 * 1440)).map(
        lambda pair: pair[0] + pair[1] * MIN
    ),
)
durations = st.integers(0, 300 * 60).map(lambda m: m * MIN)
positive_durations = st.integers(1, 300 * 60).map(lambda m: m * MIN)
spans = st.integers(0, 21 * 1440).map(lambda m: m * MIN)

REALISTIC = [
    Schedule.weekly(
        "Europe/Berlin",
        {d: "09:00-17:30" for d in range(5)},
        holiday_dates("DE", [2023, 2024, 2025, 2026, 2027]),
    ),
    Schedule.weekly("Asia/Shanghai", {d: "09:00-12:00, 13:00-18:00" for d in range(5)}),
    Schedule.weekly(
        "America/New_York",
        {
            0: "08:00-20:00",
            1: "08:00-20:00",
            2: "08:00-20:00",
            3: "08:00-20:00",
            4: "08:00-24:00",
            5: "00:00-02:00, 10:00-14:00",
        },
        holiday_dates("US", [2023, 2024, 2025, 2026, 2027]),
    ),
    Schedule.weekly("Europe/Berlin", {6: "01:00-04:00", 0: "00:00-24:00"}),
    Schedule.weekly("America/Santiago", {d: "00:00-24:00" for d in range(6)}),
    Schedule.always("Australia/Lord_Howe"),
]


# Candidate closed dates: every day within a week of a clock change, and the
# first of each month (cheaper for hypothesis to draw than arbitrary dates).
CLOSABLE = sorted(
    {change.date() + timedelta(days=n) for change in CLOCK_CHANGES for n in range(-7, 8)}
    | {date(y, m, 1) for y in range(2023, 2027) for m in range(1, 13)}
)


@st.composite
def random_schedules(draw: st.DrawFn) -> Schedule:
    """Up to two intervals a day on a quarter-hour grid, some closed dates."""
    week = []
    for _ in range(7):
        marks = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        week.append(tuple((marks[i] * 15, marks[i + 1] * 15) for i in range(0, len(marks) - 1, 2)))
    assume(any(week))
    closed = draw(st.frozensets(st.sampled_from(CLOSABLE), max_size=12))
    return Schedule(draw(st.sampled_from(ZONES)), tuple(week), closed)


schedules = st.one_of(st.sampled_from(REALISTIC), random_schedules())


def reference_between(a: datetime, b: datetime, schedule: Schedule) -> timedelta:
    """The definition taken literally: union of every day's converted intervals, cut to [a, b)."""
    zone = ZoneInfo(schedule.timezone)
    pieces = []
    day = a.astimezone(UTC).date() - timedelta(days=3)
    while day <= b.astimezone(UTC).date() + timedelta(days=3):
        if day not in schedule.closed_dates:
            for s, e in schedule.week[day.weekday()]:
                midnight = datetime.combine(day, time(), tzinfo=zone)
                opens = max((midnight + s * MIN).astimezone(UTC), a)
                closes = min((midnight + e * MIN).astimezone(UTC), b)
                if closes > opens:
                    pieces.append((opens, closes))
        day += timedelta(days=1)
    total, reached = timedelta(0), a
    for opens, closes in sorted(pieces):
        if closes > reached:
            total += closes - max(opens, reached)
            reached = closes
    return total


def open_by_wall_clock(moment: datetime, schedule: Schedule) -> bool | None:
    """Whether the local wall clock at ``moment`` shows working hours.

    None on days with a clock change, where wall time alone cannot say.
    """
    zone = ZoneInfo(schedule.timezone)
    local = moment.astimezone(zone)
    midnight, next_midnight = local_day(local.date(), zone)
    if midnight.utcoffset() != next_midnight.utcoffset():
        return None
    if local.date() in schedule.closed_dates:
        return False
    second = local.hour * 3600 + local.minute * 60 + local.second
    return any(s * 60 <= second < e * 60 for s, e in schedule.week[local.weekday()])


def next_opening(moment: datetime, schedule: Schedule) -> datetime:
    """The first business moment at or after ``moment`` (boundaries are whole seconds)."""
    return add_business_time(moment, SEC, schedule) - SEC


@PROPERTY
@given(start=instants, duration=durations, schedule=schedules)
def test_measuring_up_to_the_due_time_gives_back_the_duration(start, duration, schedule):
    due = add_business_time(start, duration, schedule)
    assert due >= start
    assert business_time_between(start, due, schedule) == duration


@PROPERTY
@given(start=instants, durations=st.lists(durations, min_size=2, max_size=2), schedule=schedules)
def test_a_longer_duration_is_never_due_earlier(start, durations, schedule):
    shorter, longer = sorted(durations)
    assert add_business_time(start, shorter, schedule) <= add_business_time(start, longer, schedule)


@PROPERTY
@given(start=instants, duration=positive_durations, schedule=schedules)
def test_due_time_is_inside_business_hours_or_on_a_closing_edge(start, duration, schedule):
    due = add_business_time(start, duration, schedule)
    # The second before the due time is business time, so nothing earlier would do.
    assert business_time_between(due - SEC, due, schedule) == SEC
    assert open_by_wall_clock(due - SEC, schedule) in (True, None)


@PROPERTY
@given(start=instants, first=durations, second=durations, schedule=schedules)
def test_adding_in_two_steps_equals_adding_once(start, first, second, schedule):
    midway = add_business_time(start, first, schedule)
    assert add_business_time(midway, second, schedule) == add_business_time(
        start, first + second, schedule
    )


@PROPERTY
@given(a=instants, lengths=st.lists(spans, min_size=2, max_size=2), schedule=schedules)
def test_business_time_follows_the_definition_and_adds_up(a, lengths, schedule):
    b = a + lengths[0]
    c = b + lengths[1]
    ab = business_time_between(a, b, schedule)
    assert ab == reference_between(a, b, schedule)
    assert ab + business_time_between(b, c, schedule) == business_time_between(a, c, schedule)
    assert business_time_between(b, a, schedule) == timedelta(0)


@PROPERTY
@given(moment=instants, schedule=schedules)
def test_clock_never_runs_outside_business_hours(moment, schedule):
    opening = next_opening(moment, schedule)
    assert business_time_between(moment, opening, schedule) == timedelta(0)
    assert reference_between(moment, opening, schedule) == timedelta(0)
    step = max((opening - moment) / 40, MIN)
    probe = moment
    while probe < opening:
        assert open_by_wall_clock(probe, schedule) in (False, None)
        probe += step
    if opening > moment:
        assert open_by_wall_clock(opening, schedule) in (True, None)


@PROPERTY
@given(
    start=instants,
    duration=durations,
    length=spans,
    zone=st.sampled_from([*ZONES, "Pacific/Apia", "Europe/London"]),
)
def test_around_the_clock_is_plain_time_in_any_zone(start, duration, length, zone):
    always = Schedule.always(zone)
    assert add_business_time(start, duration, always) == start + duration
    assert business_time_between(start, start + length, always) == length


def pause_lists(near: datetime) -> st.SearchStrategy[list[tuple[datetime, datetime]]]:
    pause = st.tuples(st.integers(-3 * 1440, 20 * 1440), st.integers(0, 3 * 1440)).map(
        lambda pair: (near + pair[0] * MIN, near + (pair[0] + pair[1]) * MIN)
    )
    return st.lists(pause, max_size=4)


def merged(pauses: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    result: list[tuple[datetime, datetime]] = []
    for begins, ends in sorted(pauses):
        if result and begins <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], ends))
        else:
            result.append((begins, ends))
    return result


@PROPERTY
@given(data=st.data(), start=instants, target=durations, schedule=schedules)
def test_clock_runs_exactly_the_target_outside_pauses(data, start, target, schedule):
    pauses = data.draw(pause_lists(start))
    due = due_with_pauses(start, target, pauses, schedule)
    assert due is not None
    paused = sum(
        (business_time_between(max(b, start), min(e, due), schedule) for b, e in merged(pauses)),
        timedelta(0),
    )
    assert business_time_between(start, due, schedule) - paused == target
    if target:
        # Earliest such moment: the clock was running in the second before.
        assert not any(b < due and e > due - SEC for b, e in pauses)
        assert business_time_between(due - SEC, due, schedule) == SEC
    else:
        assert due == start


@PROPERTY
@given(data=st.data(), start=instants, target=durations, schedule=schedules)
def test_adding_then_removing_a_pause_that_stops_nothing_keeps_the_due_time(
    data, start, target, schedule
):
    pauses = data.draw(pause_lists(start))
    due = due_with_pauses(start, target, pauses, schedule)
    assert due_with_pauses(start, target, list(reversed(pauses)), schedule) == due
    moment = data.draw(instants)
    zero_length = (moment, moment)
    closed_hours = (moment, next_opening(moment, schedule))
    for extra in (zero_length, closed_hours):
        assert due_with_pauses(start, target, [*pauses, extra], schedule) == due
    # A pause split in two touching halves is the same pause.
    if pauses:
        (b, e), *rest = pauses
        middle = b + (e - b) // 2
        assert due_with_pauses(start, target, [(b, middle), (middle, e), *rest], schedule) == due


@PROPERTY
@given(data=st.data(), start=instants, target=positive_durations, schedule=schedules)
def test_pause_before_the_due_time_delays_it_by_the_business_time_it_covers(
    data, start, target, schedule
):
    due = add_business_time(start, target, schedule)
    assert due_with_pauses(start, target, [], schedule) == due
    minutes_to_due = (due - start) // MIN
    offsets = st.integers(-3 * 1440, minutes_to_due)
    begins, ends = (
        start + m * MIN for m in sorted(data.draw(st.lists(offsets, min_size=2, max_size=2)))
    )
    delayed = due_with_pauses(start, target, [(begins, ends)], schedule)
    assert delayed is not None
    covered = business_time_between(max(begins, start), ends, schedule)
    assert business_time_between(due, delayed, schedule) == covered
    assert (delayed > due) == (covered > timedelta(0))


@PROPERTY
@given(data=st.data(), start=instants, target=durations, schedule=schedules)
def test_open_pause_stops_the_clock_unless_it_had_already_run_out(data, start, target, schedule):
    pauses = data.draw(pause_lists(start))
    opened = start + data.draw(st.integers(-1440, 20 * 1440)) * MIN
    due = due_with_pauses(start, target, pauses, schedule)
    assert due is not None
    expected = due if due <= opened or not target else None
    assert due_with_pauses(start, target, [*pauses, (opened, None)], schedule) == expected
