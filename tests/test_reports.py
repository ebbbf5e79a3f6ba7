"""The supervisors' report: each figure pinned on a small hand-built week whose
right answers are worked out below, who may see it, the CSV, bad input, and
the number of queries."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from frontline.reports import actions as report_actions
from frontline.reports.metrics import build_report
from frontline.reports.models import Rate, SurveyInvitation
from frontline.sla.actions import sweep
from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.conftest import login

MONDAY = datetime.date(2026, 3, 2)
SUNDAY = datetime.date(2026, 3, 8)


def at(day: int, hour: int) -> datetime.datetime:
    """2026-03-<day> at <hour>:00 UTC (the 2nd is a Monday)."""
    return datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def week(people, django_capture_on_commit_callbacks):
    """The week of Monday 2 March 2026, by the hour:

    - T4 (Erin, Second line) was opened on Fri 27 Feb 10:00, due three days later
      (Mon 10:00); the SLA sweep at Mon 11:00 finds it late; Bob resolves it
      Mon 12:00: 74 h, SLA missed. Bob logs 90 min on Tue (rate 60: 90.00) and
      30 min on Mon 9 March (outside the week).
    - T1 (Carol, billing, First line): opened Mon 09:00, Alice takes it and answers
      11:00 (first response 2 h), logs 30 min (30.00), resolves 15:00 (6 h).
      Carol rates it 5, then changes it to 3.
    - T2 (Carol, hardware, First line): opened Tue 10:00, answered 14:00 (4 h),
      moved to Second line 15:00 and back to First line Wed 09:00 (two moves),
      resolved Thu 10:00, reopened by Carol's reply Thu 12:00, resolved again
      Fri 10:00 (72 h after it was opened). Carol rates the second resolution 4.
    - T3 (Dan, billing, First line): opened Wed 09:00, never answered.
    """
    Rate.objects.create(hourly_rate=Decimal(60))

    def resolve(ticket, by):
        with django_capture_on_commit_callbacks(execute=True):
            actions.change_status(ticket, status=Status.RESOLVED, by=by)

    with time_machine.travel(datetime.datetime(2026, 2, 27, 10, tzinfo=datetime.UTC), tick=False):
        t4 = actions.open_ticket(requester=people.erin, by=people.erin, subject="T4", body="x")
        actions.assign_ticket(t4, by=None, team=people.second_line)
    with time_machine.travel(at(2, 9), tick=False):
        t1 = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="T1", body="x", category=people.billing
        )
    with time_machine.travel(at(2, 11), tick=False):
        sweep()
        actions.assign_ticket(t1, by=people.alice, assignee=people.alice)
        actions.add_reply(t1, body="On it", by=people.alice)
        report_actions.log_time(t1, minutes=30, by=people.alice)
    with time_machine.travel(at(2, 12), tick=False):
        resolve(t4, people.bob)
    with time_machine.travel(at(2, 15), tick=False):
        resolve(t1, people.alice)
    with time_machine.travel(at(3, 10), tick=False):
        t2 = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="T2",
            body="x",
            category=people.hardware,
            fields={"serial": "SN1"},
        )
        report_actions.log_time(t4, minutes=90, by=people.bob)
    with time_machine.travel(at(3, 14), tick=False):
        actions.add_reply(t2, body="Looking", by=people.alice)
    with time_machine.travel(at(3, 15), tick=False):
        actions.assign_ticket(t2, by=people.alice, team=people.second_line, note="Yours?")
    with time_machine.travel(at(4, 9), tick=False):
        actions.open_ticket(
            requester=people.dan, by=people.dan, subject="T3", body="x", category=people.billing
        )
        actions.assign_ticket(t2, by=people.sam, team=people.first_line, note="Not ours")
    with time_machine.travel(at(5, 10), tick=False):
        resolve(t2, people.alice)
    with time_machine.travel(at(5, 12), tick=False):
        actions.add_reply(t2, body="Still broken", by=people.carol)
    with time_machine.travel(at(6, 10), tick=False):
        resolve(t2, people.alice)
    with time_machine.travel(at(9, 10), tick=False):
        report_actions.log_time(t4, minutes=30, by=people.bob)
    with time_machine.travel(at(6, 11), tick=False):
        first_t1 = SurveyInvitation.objects.get(ticket=t1)
        report_actions.answer_survey(first_t1, rating=5)
        report_actions.answer_survey(first_t1, rating=3)
        last_t2 = SurveyInvitation.objects.filter(ticket=t2).order_by("-created_at").first()
        report_actions.answer_survey(last_t2, rating=4)
    # Most of the week's reactions were not run (their mail and deadlines are not
    # what is measured here): the rollup is written whole, as after a restore.
    # test_rollup_follows_each_change shows the reaction keeps the same rows.
    call_command("reports", "rebuild", stdout=io.StringIO())
    return t1, t2, t4


def by_label(report):
    return {r.label: r for r in report.rows}


def test_figures_per_team_are_worked_out_by_hand(people, week):
    _t1, t2, _t4 = week
    with time_machine.travel(at(10, 9), tick=False):
        report = build_report(MONDAY, SUNDAY, by="team")
    rows = by_label(report)
    assert set(rows) == {"First line", "Second line"}
    first, second = rows["First line"], rows["Second line"]
    assert (first.created, first.first_responses, first.first_response_hours) == (3, 2, 3.0)
    # Nearest rank: the median of n values is the ⌈n/2⌉-th, the 90th percentile the ⌈0.9n⌉-th,
    # read from the daily histograms as the upper edge of the bucket it falls in:
    # 15-minute buckets under 4 h (2 h and 4 h are edges), 1 h under a day (6 h
    # is one), 6 h under a week (72 h is one; 74 h is in (72, 78]).
    assert (first.first_response_median_hours, first.first_response_p90_hours) == (2.0, 4.0)
    assert (first.resolution_median_hours, first.resolution_p90_hours) == (6.0, 72.0)
    assert (
        rows["Second line"].resolution_median_hours,
        rows["Second line"].resolution_p90_hours,
    ) == (78.0, 78.0)
    assert rows["Second line"].first_response_median_hours is None
    assert (first.resolved, first.resolution_hours, first.sla_met_percent) == (2, 39.0, 100.0)
    assert (first.reopened, first.transfers) == (1, 2)
    assert (first.minutes, first.cost) == (30, Decimal("30.00"))
    assert (first.ratings, first.average_rating, first.csat_percent) == (2, 3.5, 50.0)
    assert (second.created, second.resolved, second.resolution_hours) == (0, 1, 74.0)
    assert (second.sla_missed, second.sla_met_percent) == (1, 0.0)
    assert (second.minutes, second.cost, second.ratings) == (90, Decimal("90.00"), 0)
    total = report.total
    assert (total.created, total.resolved, total.resolution_hours) == (3, 3, round(152 / 3, 2))
    assert (total.sla_met_percent, total.hours_logged, total.cost) == (66.7, 2.0, Decimal(120))
    # Resolutions 6, 72 and 74 h: the median is the 2nd (72 h), the 90th percentile
    # the 3rd, 74 h, read as its bucket's end, 78 h; the average stays exact.
    assert (total.resolution_median_hours, total.resolution_p90_hours) == (72.0, 78.0)
    assert (total.first_response_median_hours, total.first_response_p90_hours) == (2.0, 4.0)
    assert report.most_moved == [(t2.pk, "T2", 2)]
    daily = {d.day.day: (d.created, d.resolved) for d in report.days}
    assert daily == {2: (1, 2), 3: (1, 0), 4: (1, 0), 5: (0, 0), 6: (0, 1), 7: (0, 0), 8: (0, 0)}


def test_two_tickets_in_one_bucket_show_the_rounding(people, django_capture_on_commit_callbacks):
    """First responses of 62 and 74 minutes fall in one bucket (60, 75]: the
    median (the 1st of 2) and the 90th percentile (the 2nd) both read as the
    bucket's end, 75 minutes, while the average stays exact (68 minutes)."""
    for minutes in (62, 74):
        with (
            time_machine.travel(at(3, 9), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            ticket = actions.open_ticket(
                requester=people.carol, by=people.carol, subject="B", body="x"
            )
        answered = at(3, 9) + datetime.timedelta(minutes=minutes)
        with (
            time_machine.travel(answered, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            actions.add_reply(ticket, body="Here", by=people.alice)
    total = build_report(MONDAY, SUNDAY, by="team").total
    assert total.first_responses == 2 and total.first_response_hours == round(68 / 60, 2)
    assert total.first_response_median_hours == total.first_response_p90_hours == 1.25


def test_daily_rows_keep_only_the_buckets_with_durations(
    people, django_capture_on_commit_callbacks
):
    """A daily row keeps each histogram packed: its non-empty buckets with their
    counts ("bucket,count,..."), nothing (NULL) for a duration none of its
    tickets has. Unpacked, it is the whole histogram; rows joined by commas
    (as the report's statement joins a period's rows) add up."""
    from frontline.reports.models import HISTOGRAM_BUCKETS, DailyFigures, unpack_histogram

    for minutes in (62, 74, 3):
        with (
            time_machine.travel(at(3, 9), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            ticket = actions.open_ticket(
                requester=people.carol, by=people.carol, subject="B", body="x"
            )
        with (
            time_machine.travel(at(3, 9) + datetime.timedelta(minutes=minutes), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            actions.add_reply(ticket, body="Here", by=people.alice)
    row = DailyFigures.objects.get(dimension="channel", day=at(3, 9).date())
    # 3 minutes in the first bucket (up to 5), 62 and 74 in (60, 75], the 13th.
    assert row.first_response_histogram == "0,1,12,2"
    assert row.resolution_histogram is None and row.resolution_business_histogram is None
    counts = row.histogram("first_response")
    assert len(counts) == HISTOGRAM_BUCKETS and sum(counts) == 3 and counts[12] == 2
    assert row.histogram("resolution") == [0] * HISTOGRAM_BUCKETS
    joined = unpack_histogram(f"{row.first_response_histogram},12,5")
    assert (joined[0], joined[12], sum(joined)) == (1, 7, 8)


def test_percentile_of_a_histogram():
    from frontline.reports.metrics import percentile_of
    from frontline.reports.models import HISTOGRAM_BUCKETS, HISTOGRAM_EDGES

    counts = [0] * HISTOGRAM_BUCKETS
    assert percentile_of(counts, 0.5) is None
    counts[0], counts[2] = 3, 1  # three under 5 minutes, one in (10, 15]
    assert (percentile_of(counts, 0.5), percentile_of(counts, 0.9)) == (300.0, 900.0)
    counts[-1] = 10  # ten longer than the last edge (30 days): read as that edge
    assert percentile_of(counts, 0.9) == HISTOGRAM_EDGES[-1] == 30 * 86400
    # The edges: 5 min under 1 h, 15 min under 4 h, 1 h under a day, 6 h under a
    # week, a day under 30 days.
    assert HISTOGRAM_EDGES[:13] == [*range(300, 3601, 300), 4500]
    assert 24 * 3600 in HISTOGRAM_EDGES and 25 * 3600 not in HISTOGRAM_EDGES
    assert HISTOGRAM_BUCKETS == 12 + 12 + 20 + 24 + 23 + 1


def test_figures_per_agent_and_category(people, week):
    report = build_report(MONDAY, SUNDAY, by="agent")
    rows = by_label(report)
    # Time counts who logged it; satisfaction who had the ticket when resolved.
    assert rows["Alice Agent"].minutes == 30 and rows["Bob Builder"].minutes == 90
    assert rows["Alice Agent"].ratings == 1  # T1; T2 had no assignee
    assert rows["Nobody"].created == 2  # T2, T3 have no assignee
    rows = by_label(build_report(MONDAY, SUNDAY, by="category"))
    assert rows["Billing"].created == 2 and rows["Hardware"].created == 1
    assert rows["Hardware"].reopened == 1 and rows["No category"].sla_missed == 1


def test_only_supervisors_and_admins_see_reports(client, people):
    for outsider in (people.alice, people.bob, people.carol, people.maria):
        login(client, outsider)
        assert client.get("/desk/reports/").status_code == 404
        assert client.get("/desk/reports/report.csv").status_code == 404
        assert 'href="/desk/reports/"' not in client.get("/desk/q/team/").content.decode()
    client.logout()
    assert client.get("/desk/reports/").status_code == 302  # to sign in
    for boss in (people.sam, people.ada):
        login(client, boss)
        assert client.get("/desk/reports/").status_code == 200
    assert 'href="/desk/reports/"' in client.get("/desk/q/open/").content.decode()


def test_report_page_shows_the_figures_with_chart_and_table(client, people, week):
    login(client, people.sam)
    page = client.get("/desk/reports/?start=2026-03-02&end=2026-03-08&by=team")
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in html and "frontline/reports.js" in html
    assert "<script>" not in html and "onclick" not in html
    # The page says how precise its medians and percentiles are.
    assert "rounded up to the end of their bucket: to the nearest 5 min under 1 h;" in html
    assert "to the nearest 1 d under 30 d." in html
    assert '<th scope="row">2026-03-02</th><td>1</td><td>2</td>' in html
    row = re.search(r'<tr><th scope="row">First line</th>(.*?)</tr>', html.split('id="figures"')[1])
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells == [
        "3",
        "3.0",
        "2.0",
        "4.0",
        "—",  # business hours: no SLA policy applies to these tickets
        "—",
        "2",
        "39.0",
        "6.0",
        "72.0",
        "—",
        "—",
        "100.0",
        "1",
        "2",
        "0.5",
        "30.00",
        "2",
        "3.5",
        "50.0",
        "0",  # QA reviews (see test_qa_review.py)
        "—",
    ]
    assert "csv" in html and "start=2026-03-02&amp;end=2026-03-08&amp;by=team" in html


def test_csv_has_the_same_numbers_as_the_page(client, people, week):
    login(client, people.sam)
    response = client.get("/desk/reports/report.csv?start=2026-03-02&end=2026-03-08&by=team")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "frontline-report-team-20260302-20260308.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Team", "Created", "First response, hours (average)"]
    assert rows[1] == [
        "First line",
        "3",
        "3.0",
        "2.0",
        "4.0",
        "",  # business hours: no SLA policy applies to these tickets
        "",
        "2",
        "39.0",
        "6.0",
        "72.0",
        "",
        "",
        "100.0",
        "1",
        "2",
        "0.5",
        "30.00",
        "2",
        "3.5",
        "50.0",
        "0",
        "",
    ]
    assert rows[2][0] == "Second line" and rows[2][13] == "0.0"
    assert rows[-1][0] == "Total" and rows[-1][1] == "3"


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-03-08&end=2026-03-02&by=team",
        "start=nonsense&end=2026-03-02&by=team",
        "start=2025-01-01&end=2026-03-02&by=team",
        "start=2026-03-01&end=2026-03-02&by=planet",
        "start=&end=2026-03-02",
    ],
)
def test_bad_periods_get_a_clear_error(client, people, query):
    login(client, people.sam)
    response = client.get(f"/desk/reports/?{query}")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert client.get(f"/desk/reports/report.csv?{query}").status_code == 400


def test_default_period_is_the_last_thirty_days(client, people):
    login(client, people.sam)
    with time_machine.travel(at(31, 12), tick=False):
        html = client.get("/desk/reports/").content.decode()
    assert 'value="2026-03-02"' in html and 'value="2026-03-31"' in html


def test_report_queries_do_not_grow_with_tickets(
    client, people, week, django_assert_num_queries, django_assert_max_num_queries
):
    login(client, people.sam)
    for i in range(20):
        ticket = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=f"More {i}",
            body="x",
            category=people.billing,
        )
        actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="Yours")
        actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    # The figures (counts, sums, reopenings, handoffs and histograms from the
    # daily rollup in one; time, ratings, QA reviews), labels, days (one),
    # backlog (one) and ages (one), most moved (the tickets moved twice, their
    # events); the period before's totals (4); the session, user and team
    # choices: a fixed number, whatever the number of tickets.
    with django_assert_num_queries(16):
        assert client.get("/desk/reports/?by=agent").status_code == 200
    # The same without the period before (was 16 on PostgreSQL, 17 on SQLite)
    with django_assert_max_num_queries(14):
        assert client.get("/desk/reports/report.csv?by=category").status_code == 200


def test_report_statements_vary_only_by_the_minutely_session_write(
    client, people, week, django_assert_num_queries
):
    """The page's statement count varied from run to run on the 1,000,000-ticket
    database (23 to 27): a staff session records its last activity at most once
    a minute (``StaffIdleTimeoutMiddleware``, ``ACTIVE_RESOLUTION``), so a request
    more than a minute after the last record also saves the session. A page
    that takes seconds (a year at a million tickets) meets that more often."""
    url = "/desk/reports/?start=2026-03-02&end=2026-03-08&by=team"
    start = at(10, 9)
    with time_machine.travel(start, tick=False):
        login(client, people.sam)
        assert client.get(url).status_code == 200  # the first activity, recorded
        with django_assert_num_queries(17):
            assert client.get(url).status_code == 200
    with (
        time_machine.travel(start + datetime.timedelta(seconds=60), tick=False),
        django_assert_num_queries(17),
    ):
        assert client.get(url).status_code == 200
    # The session written: a savepoint, the update, its release.
    with (
        time_machine.travel(start + datetime.timedelta(seconds=61), tick=False),
        django_assert_num_queries(20),
    ):
        assert client.get(url).status_code == 200


def test_one_teams_figures(client, people, week):
    report = build_report(MONDAY, SUNDAY, by="agent", team=people.second_line)
    assert {r.label: (r.created, r.resolved, r.minutes) for r in report.rows} == {
        "Nobody": (0, 1, 0),  # T4, resolved by Bob but never assigned
        "Bob Builder": (0, 0, 90),
    }
    assert (report.total.resolved, report.total.sla_missed, report.total.ratings) == (1, 1, 0)
    assert [d.resolved for d in report.days][:1] == [1]
    login(client, people.sam)
    url = f"/desk/reports/?start=2026-03-02&end=2026-03-08&by=team&team={people.first_line.pk}"
    html = client.get(url).content.decode()
    assert '<th scope="row">First line</th>' in html and "Second line</th>" not in html
    assert f"team={people.first_line.pk}" in html.split("Download as CSV")[0]
    assert client.get("/desk/reports/?team=999999").status_code == 400


def test_time_entries_export_is_streamed_with_the_same_numbers(client, people, week):
    login(client, people.sam)
    response = client.get("/desk/reports/time.csv?start=2026-03-02&end=2026-03-08")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Date", "Ticket", "Subject"]
    assert [(r[0], r[2], r[4], r[6], r[9]) for r in rows[1:]] == [
        ("2026-03-02", "T1", "Alice Agent", "30", "30.00"),
        ("2026-03-03", "T4", "Bob Builder", "90", "90.00"),
    ]  # Bob's 30 minutes of 9 March are outside the week
    total = sum(Decimal(r[9]) for r in rows[1:])
    assert total == build_report(MONDAY, SUNDAY).total.cost
    one = client.get(
        f"/desk/reports/time.csv?start=2026-03-01&end=2026-03-31&agent={people.bob.pk}"
    )
    rows = list(csv.reader(io.StringIO(b"".join(one.streaming_content).decode())))
    assert [r[6] for r in rows[1:]] == ["90", "30"]
    acme = client.get(
        f"/desk/reports/time.csv?start=2026-03-01&end=2026-03-31&organisation={people.globex.pk}"
    )
    assert len(list(csv.reader(io.StringIO(b"".join(acme.streaming_content).decode())))) == 1


def test_time_entries_export_is_for_supervisors_and_checks_its_input(client, people):
    login(client, people.alice)
    assert client.get("/desk/reports/time.csv?start=2026-03-01&end=2026-03-31").status_code == 404
    login(client, people.sam)
    for query in ("start=2026-03-31&end=2026-03-01", "start=x&end=2026-03-01", "agent=1"):
        assert client.get(f"/desk/reports/time.csv?{query}").status_code == 400


def figures_of(ticket):
    from frontline.reports.models import TicketFigures

    return (
        TicketFigures.objects.filter(ticket=ticket)
        .values(
            "team",
            "assignee",
            "category",
            "created_on",
            "first_response_seconds",
            "resolved_on",
            "resolution_seconds",
            "sla_missed",
        )
        .first()
    )


def test_rollup_follows_each_change(people, django_capture_on_commit_callbacks):
    """The reaction rewrites the ticket's row after each event that changes a
    figure, and the rebuild command writes the same rows."""
    from frontline.reports.models import TicketFigures

    def step(hour):
        return time_machine.travel(at(2, hour), tick=False)

    with step(9), django_capture_on_commit_callbacks(execute=True):
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="R", body="x", category=people.billing
        )
    row = figures_of(ticket)
    assert row["created_on"] == MONDAY and row["first_response_seconds"] is None
    assert row["resolved_on"] is None and row["team"] == people.first_line.pk
    with step(11), django_capture_on_commit_callbacks(execute=True):
        actions.add_reply(ticket, body="On it", by=people.alice)
    row = figures_of(ticket)
    assert (row["first_response_seconds"], row["assignee"]) == (7200.0, people.alice.pk)
    with step(12), django_capture_on_commit_callbacks(execute=True):
        actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Yours")
    assert figures_of(ticket)["team"] == people.second_line.pk
    with step(15), django_capture_on_commit_callbacks(execute=True):
        actions.change_status(ticket, status=Status.RESOLVED, by=people.bob)
    row = figures_of(ticket)
    assert (row["resolved_on"], row["resolution_seconds"]) == (MONDAY, 6 * 3600.0)
    with step(16), django_capture_on_commit_callbacks(execute=True):
        actions.add_reply(ticket, body="Still broken", by=people.carol)  # reopens
    assert figures_of(ticket)["resolved_on"] is None
    kept = figures_of(ticket)
    # The daily rows followed: the ticket opened Monday, now in Second line,
    # answered in 2 h, open again (its resolution on Monday gone).
    # (the move to Second line left it without an assignee).
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and ticket.organisation_id is not None
    daily = daily_rows()
    assert daily == {
        (MONDAY, "team", people.second_line.pk, str(people.second_line.pk)): (1, 1, 0),
        (MONDAY, "agent", people.second_line.pk, ""): (1, 1, 0),
        (MONDAY, "category", people.second_line.pk, str(people.billing.pk)): (1, 1, 0),
        (MONDAY, "channel", people.second_line.pk, ticket.channel): (1, 1, 0),
        (MONDAY, "organisation", people.second_line.pk, str(ticket.organisation_id)): (1, 1, 0),
    }
    TicketFigures.objects.all().delete()
    out = io.StringIO()
    call_command("reports", "rebuild", stdout=out)
    assert "1 figures written" in out.getvalue()
    assert figures_of(ticket) == kept
    # Twice is the same as once.
    call_command("reports", "rebuild", "--batch", "1", stdout=io.StringIO())
    assert figures_of(ticket) == kept and TicketFigures.objects.count() == 1
    assert daily_rows() == daily
    call_command("reports", "rebuild", "--daily-only", stdout=io.StringIO())
    assert daily_rows() == daily


def test_migrate_fills_the_daily_rows_of_an_upgraded_install(
    people, django_capture_on_commit_callbacks, capsys
):
    """An install from before the daily rollup has the tickets' figures but no
    daily rows: ``frontline migrate`` writes them, and leaves rows it finds."""
    from frontline.reports.models import DailyFigures

    with (
        time_machine.travel(at(2, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="U", body="x", category=people.billing
        )
        actions.add_reply(ticket, body="On it", by=people.alice)
    daily = daily_rows()
    assert daily
    DailyFigures.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert daily_rows() == daily
    DailyFigures.objects.filter(dimension="agent").delete()
    call_command("migrate", verbosity=0)  # rows there: nothing written again
    assert daily_rows() == {k: v for k, v in daily.items() if k[1] != "agent"}
    # It takes minutes on a large install: it says how far it is, on stderr.
    DailyFigures.objects.all().delete()
    capsys.readouterr()
    call_command("migrate", verbosity=1, stdout=io.StringIO())
    said = capsys.readouterr().err
    assert "daily rows: " in said and "(up to 2026-03-08)" in said and "written in" in said
    assert daily_rows() == daily


def test_reopenings_and_handoffs_come_from_the_daily_rows(
    people, django_capture_on_commit_callbacks
):
    """The daily rows count each day's reopenings and handoffs (a move and a
    move back are two), under the ticket's current team and values, kept by
    the reaction after each change: the report reads the same counts the
    events give, and when the ticket moves again, its earlier days' counts
    move with it (as every other figure of a ticket follows its current
    team). The rebuild writes the same rows."""
    from frontline.reports.models import DailyFigures

    def step(day, hour):
        return time_machine.travel(at(day, hour), tick=False)

    def events_of(team):
        found = DailyFigures.objects.filter(dimension="team", team=team.pk, day__lte=SUNDAY)
        return {r.day.day: (r.reopened, r.transfers) for r in found if r.reopened or r.transfers}

    with step(2, 9), django_capture_on_commit_callbacks(execute=True):
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="M", body="x", category=people.billing
        )
    with step(2, 10), django_capture_on_commit_callbacks(execute=True):
        actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)  # not a handoff
    with step(2, 11), django_capture_on_commit_callbacks(execute=True):
        actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Yours?")
    with step(3, 9), django_capture_on_commit_callbacks(execute=True):
        actions.assign_ticket(ticket, by=people.sam, team=people.first_line, note="Not ours")
    with step(3, 12), django_capture_on_commit_callbacks(execute=True):
        actions.change_status(ticket, status=Status.RESOLVED, by=people.sam)
    with step(4, 10), django_capture_on_commit_callbacks(execute=True):
        actions.add_reply(ticket, body="Still broken", by=people.carol)  # reopens
    # Monday's move (with its assignee change: one handoff) and Tuesday's move
    # back, Wednesday's reopening: all in First line, the ticket's team now.
    assert events_of(people.first_line) == {2: (0, 1), 3: (0, 1), 4: (1, 0)}
    assert events_of(people.second_line) == {}
    rows = by_label(build_report(MONDAY, SUNDAY, by="team"))
    assert (rows["First line"].reopened, rows["First line"].transfers) == (1, 2)
    assert "Second line" not in rows
    rows = by_label(build_report(MONDAY, SUNDAY, by="category"))
    assert (rows["Billing"].reopened, rows["Billing"].transfers) == (1, 2)
    one_day = build_report(MONDAY, MONDAY, by="team")
    assert (one_day.total.reopened, one_day.total.transfers) == (0, 1)
    report = build_report(MONDAY, SUNDAY, by="team", team=people.first_line)
    assert report.most_moved == [(ticket.pk, "M", 2)]
    assert (report.previous.reopened, report.total.transfers) == (0, 2)

    # Moved again the Monday after: the week's events now count in Second line.
    with step(9, 9), django_capture_on_commit_callbacks(execute=True):
        actions.assign_ticket(ticket, by=people.sam, team=people.second_line, note="Again")
    assert events_of(people.first_line) == {}
    assert events_of(people.second_line) == {2: (0, 1), 3: (0, 1), 4: (1, 0)}
    rows = by_label(build_report(MONDAY, SUNDAY, by="team"))
    assert (rows["Second line"].reopened, rows["Second line"].transfers) == (1, 2)
    # One move in the week after: not among the most moved (twice or more).
    later = build_report(at(9, 0).date(), at(15, 0).date(), by="team")
    assert later.total.transfers == 1 and later.most_moved == []
    assert build_report(MONDAY, SUNDAY, by="team").most_moved == [(ticket.pk, "M", 2)]

    def all_rows():
        return {
            (r["day"], r["dimension"], r["team"], r["key"]): (r["reopened"], r["transfers"])
            for r in DailyFigures.objects.values()
        }

    kept = all_rows()
    DailyFigures.objects.all().delete()
    call_command("reports", "rebuild", stdout=io.StringIO())
    assert all_rows() == kept


def daily_rows():
    """The daily rollup's rows: (created, first responses, resolved) per cell,
    with the histograms' counts checked against them."""
    from frontline.reports.models import DailyFigures

    found = {}
    for r in DailyFigures.objects.all():
        assert sum(r.histogram("first_response")) == r.first_responses
        assert sum(r.histogram("resolution")) == r.resolved
        found[(r.day, r.dimension, r.team, r.key)] = (r.created, r.first_responses, r.resolved)
    return found


def test_rollup_days_are_the_sites_days(people, django_capture_on_commit_callbacks, settings):
    """A ticket opened at 23:30 UTC on Monday is Tuesday's in Moscow (UTC+3)."""
    settings.TIME_ZONE = "Europe/Moscow"
    with (
        time_machine.travel(at(2, 23).replace(minute=30), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = actions.open_ticket(requester=people.carol, by=people.carol, subject="L", body="x")
    assert figures_of(ticket)["created_on"] == datetime.date(2026, 3, 3)


def test_rebuild_refuses_a_bad_batch(people):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--batch"):
        call_command("reports", "rebuild", "--batch", "0", stdout=io.StringIO())


def read_xlsx(response):
    from openpyxl import load_workbook

    content = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_xlsx_has_the_same_rows_as_the_csv(client, people, week):
    login(client, people.sam)
    query = "start=2026-03-02&end=2026-03-08&by=team"
    page = client.get(f"/desk/reports/?{query}").content.decode()
    assert f'href="/desk/reports/report.xlsx?{query.replace("&", "&amp;")}"' in page
    response = client.get(f"/desk/reports/report.xlsx?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "frontline-report-team-20260302-20260308.xlsx" in response["Content-Disposition"]
    sheet = read_xlsx(response)
    text = client.get(f"/desk/reports/report.csv?{query}").content.decode()
    csv_rows = list(csv.reader(io.StringIO(text)))
    assert len(sheet) == len(csv_rows)
    # The same values, numbers as numbers (blank cells are None, '' in the CSV).
    for cells, line in zip(sheet, csv_rows, strict=True):
        for cell, text in zip(cells, line, strict=True):
            if isinstance(cell, int | float):
                assert cell == float(text)
            else:
                assert ("" if cell is None else cell) == text
    assert sheet[1][1] == 3 and isinstance(sheet[1][13], float | int)


def test_time_xlsx_keeps_text_as_text(client, people, week):
    t1, _t2, _t4 = week
    t1.subject = '=HYPERLINK("http://evil")'
    t1.save(update_fields=["subject"])
    login(client, people.sam)
    response = client.get("/desk/reports/time.xlsx?start=2026-03-02&end=2026-03-08")
    assert response.status_code == 200
    sheet = read_xlsx(response)
    assert sheet[0][:3] == ["Date", "Ticket", "Subject"]
    assert [(r[0], r[2], r[6], r[9]) for r in sheet[1:]] == [
        ("2026-03-02", '=HYPERLINK("http://evil")', 30, 30),
        ("2026-03-03", "T4", 90, 90),
    ]
    assert client.get("/desk/reports/time.xlsx?start=x&end=2026-03-01").status_code == 400
    assert client.get("/desk/reports/report.xlsx?start=x").status_code == 400
    login(client, people.alice)
    assert client.get("/desk/reports/time.xlsx?start=2026-03-02&end=2026-03-08").status_code == 404


@pytest.mark.parametrize("url", ["/desk/reports/", "/desk/reports/me/", "/desk/qa/"])
@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-02")]
)
def test_a_period_at_the_calendars_edge_is_refused_not_a_500(client, people, url, start, end):
    """9999-12-31 plus a day, or the period before 0001-01-01, cannot be counted."""
    client.force_login(people.sam)
    response = client.get(url, {"start": start, "end": end, "by": "team"})
    assert response.status_code == 400
    assert "Choose dates between the years 1900 and 9998." in response.content.decode()
