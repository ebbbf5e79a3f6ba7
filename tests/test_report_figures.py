"""The report's business-hours times, breakdowns by channel and organisation,
comparison with the period before, backlog and ages, pinned on a small
hand-built fortnight whose right answers are worked out below."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from frontline.reports.metrics import build_report
from frontline.sla.models import BusinessCalendar, SlaPolicy
from frontline.tickets import actions
from frontline.tickets.models import Channel, Priority, Status
from tests.conftest import login

MONDAY = datetime.date(2026, 3, 9)
SUNDAY = datetime.date(2026, 3, 15)
HOUR = 3600.0
OFFICE_HOURS = {
    day: "09:00-17:00" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


def at(day: int, hour: int) -> datetime.datetime:
    """2026-03-<day> at <hour>:00 UTC (the 9th is a Monday)."""
    return datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def fortnight(people, django_capture_on_commit_callbacks):
    """An office open Monday to Friday, 09:00-17:00 UTC; its SLA policy is for
    normal priority only (high-priority tickets have none: no business hours).

    - A (Carol of Acme, mail, normal): opened Fri 6 March 16:00, answered Mon
      10:00 (66 h on the clock, 1 + 1 = 2 business hours: Friday's last hour and
      Monday's first), resolved Tue 12:00 (92 h; 1 + 8 + 3 = 12 business hours).
    - B (Dan of Globex, web, normal): opened Mon 09:00, answered 13:00 (4 h, 4
      business), resolved Wed 09:00 (48 h; 8 + 8 = 16 business hours).
    - C (Carol, phone, high): opened Tue 09:00, answered 10:00 (1 h, no business
      hours: no policy), still open.
    - D (Dan, chat, normal): opened Sat 14 March 10:00, never answered, open.

    D is Second line's; the others First line's.

    The week of the 9th has B, C and D created, A and B resolved: on the clock
    the resolution median is B's 48 h and the 90th percentile A's 92 h, in
    business hours the other way round (A's 12, B's 16).
    """
    office = BusinessCalendar.objects.create(name="Office", time_zone="UTC", **OFFICE_HOURS)
    SlaPolicy.objects.create(
        name="Normal",
        priority=Priority.NORMAL,
        calendar=office,
        first_response_minutes=240,
        resolution_minutes=2400,
    )

    def opened(day, hour, requester, subject, channel, priority=Priority.NORMAL, team=None):
        with time_machine.travel(at(day, hour), tick=False):
            return actions.open_ticket(
                requester=requester,
                by=requester,
                subject=subject,
                body="x",
                channel=channel,
                priority=priority,
                team=team or people.first_line,
            )

    def answered(ticket, day, hour):
        with time_machine.travel(at(day, hour), tick=False):
            actions.add_reply(ticket, body="On it", by=people.alice)

    def resolved(ticket, day, hour):
        with time_machine.travel(at(day, hour), tick=False):
            actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)

    a = opened(6, 16, people.carol, "A", Channel.EMAIL)
    b = opened(9, 9, people.dan, "B", Channel.WEB)
    answered(a, 9, 10)
    answered(b, 9, 13)
    c = opened(10, 9, people.carol, "C", Channel.PHONE, Priority.HIGH)
    answered(c, 10, 10)
    resolved(a, 10, 12)
    resolved(b, 11, 9)
    d = opened(14, 10, people.dan, "D", Channel.CHAT, team=people.second_line)
    call_command("reports", "rebuild", stdout=io.StringIO())
    return a, b, c, d


def week(by="team", **kwargs):
    with time_machine.travel(at(15, 12), tick=False):
        return build_report(MONDAY, SUNDAY, by=by, **kwargs)


def test_business_hours_beside_the_clock(people, fortnight):
    total = week().total
    # Read from the daily histograms: 48 h is a bucket's edge (6 h wide from a
    # day to a week), 92 h falls in (90, 96].
    assert (total.resolution_median_hours, total.resolution_p90_hours) == (48.0, 96.0)
    assert (total.resolution_business_median_hours, total.resolution_business_p90_hours) == (
        12.0,
        16.0,
    )
    # Created this week and answered: B (4 h, 4 business) and C (1 h, no policy).
    assert (total.first_response_median_hours, total.first_response_p90_hours) == (1.0, 4.0)
    assert total.first_response_business_median_hours == 4.0
    # The week before: A alone, answered across the weekend.
    before = build_report(datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)).total
    assert (before.first_response_median_hours, before.first_response_business_median_hours) == (
        66.0,
        2.0,
    )


def test_a_holiday_is_not_business_time(people, fortnight):
    """Monday 9 March made a day off: A's first response moves to Tuesday's
    count (Friday's hour plus nothing on Monday = 1 business hour; the reply
    came on the closed Monday), after a rebuild."""
    from frontline.sla.models import DayOff

    DayOff.objects.create(calendar=BusinessCalendar.objects.get(name="Office"), date=MONDAY)
    call_command("reports", "rebuild", stdout=io.StringIO())
    before = build_report(datetime.date(2026, 3, 2), datetime.date(2026, 3, 8)).total
    assert before.first_response_business_median_hours == 1.0
    # A's resolution: Friday 1 + Tuesday 3 = 4; B's: Tuesday 8 (Monday closed).
    total = week().total
    assert (total.resolution_business_median_hours, total.resolution_business_p90_hours) == (
        4.0,
        8.0,
    )


def test_per_channel_and_per_organisation(people, fortnight):
    rows = {r.label: r for r in week(by="channel").rows}
    assert {k: (r.created, r.resolved) for k, r in rows.items()} == {
        "Email": (0, 1),  # A: opened the week before
        "Web portal": (1, 1),
        "Phone": (1, 0),
        "Chat": (1, 0),
    }
    assert rows["Email"].resolution_business_median_hours == 12.0
    assert rows["Web portal"].resolution_business_median_hours == 16.0
    rows = {r.label: r for r in week(by="organisation").rows}
    assert {k: (r.created, r.resolved) for k, r in rows.items()} == {
        "Acme": (1, 1),  # C created, A resolved
        "Globex": (2, 1),  # B and D created, B resolved
    }
    assert rows["Acme"].resolution_hours == 92.0 and rows["Globex"].resolution_hours == 48.0


def test_comparison_with_the_period_before(people, fortnight):
    report = week()
    assert (report.previous_start, report.previous_end) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 8),
    )
    changes = {c.name: c for c in report.changes}
    created = changes["Created"]
    assert (created.now, created.before, created.difference, created.percent) == (3, 1, 2, 200.0)
    resolved = changes["Resolved"]
    assert (resolved.now, resolved.before, resolved.percent) == (2, 0, None)
    response = changes["First response, business hours (median)"]
    assert (response.now, response.before, response.difference) == (4.0, 2.0, 2.0)
    assert response.better is False  # longer waits are worse


def test_backlog_per_day_and_ages(people, fortnight):
    report = week()
    # Open at the end of each day: Mon A, B; Tue B, C; Wed C; Thu C; Fri C; Sat C, D; Sun C, D.
    assert [d.backlog for d in report.days] == [2, 2, 1, 1, 1, 2, 2]
    # Seen on Sunday 15th: D opened a day ago, C five days ago.
    assert [(a.start, a.open) for a in report.ages] == [(0, 0), (1, 1), (3, 1), (7, 0), (30, 0)]
    # One team's: First line has A, B and C; Second line D.
    assert [d.backlog for d in week(team=people.first_line).days] == [2, 2, 1, 1, 1, 1, 1]
    assert [d.backlog for d in week(team=people.second_line).days] == [0, 0, 0, 0, 0, 1, 1]
    assert [a.open for a in week(team=people.second_line).ages] == [0, 1, 0, 0, 0]


def test_rollup_reaction_keeps_business_hours(people, django_capture_on_commit_callbacks):
    """Without a rebuild: the reaction writes the business time when a ticket is
    answered, and again when a new priority brings it under another policy."""
    from frontline.reports.models import TicketFigures

    office = BusinessCalendar.objects.create(name="Office", time_zone="UTC", **OFFICE_HOURS)
    SlaPolicy.objects.create(
        name="High",
        priority=Priority.HIGH,
        calendar=office,
        first_response_minutes=60,
        resolution_minutes=600,
    )
    with (
        time_machine.travel(at(6, 16), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = actions.open_ticket(requester=people.carol, by=people.carol, subject="R", body="x")
    with (
        time_machine.travel(at(9, 10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actions.add_reply(ticket, body="On it", by=people.alice)

    def business():
        return TicketFigures.objects.get(ticket=ticket).first_response_business_seconds

    assert business() is None  # normal priority: no policy
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_priority(ticket, priority=Priority.HIGH, by=people.alice)
    assert business() == 2 * HOUR


def test_report_page_shows_the_comparison_backlog_and_business_hours(client, people, fortnight):
    login(client, people.sam)
    with time_machine.travel(at(15, 12), tick=False):
        html = client.get("/desk/reports/?start=2026-03-09&end=2026-03-15&by=channel").content
    html = html.decode()
    assert '<th scope="row">2026-03-11</th><td>0</td><td>1</td><td>1</td>' in html
    compare = html.split('id="compare"')[1].split("</table>")[0]
    assert re.search(
        r"First response, business hours \(median\)</th><td>4.0</td><td>2.0</td>", compare
    )
    assert "+2.0 (+100.0 %)" in compare and "worse" in compare
    row = re.search(r'<tr><th scope="row">Web portal</th>(.*?)</tr>', html.split('id="figures"')[1])
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    # created, average/median/p90 first response, the same two in business hours, resolved, ...
    assert cells[:12] == [
        "1",
        "4.0",
        "4.0",
        "4.0",
        "4.0",
        "4.0",
        "1",
        "48.0",
        "48.0",
        "48.0",
        "16.0",
        "16.0",
    ]
    ages = html.split('id="ages"')[1].split("</table>")[0]
    assert "<td>1</td>" in ages
    csv = client.get("/desk/reports/report.csv?start=2026-03-09&end=2026-03-15&by=organisation")
    lines = csv.content.decode().splitlines()
    assert "Resolution, business hours (median)" in lines[0]
    # The average exact (92 h), the median and 90th percentile the bucket's end (96 h).
    assert lines[1].startswith("Acme,1,1.0,1.0,1.0,,,1,92.0,96.0,96.0,12.0,12.0,")


def test_bad_grouping_is_a_clear_error(client, people):
    login(client, people.sam)
    response = client.get("/desk/reports/?by=planet")
    assert response.status_code == 400 and "planet" in response.content.decode()


def test_an_agents_own_page(client, people, fortnight):
    """Alice answered A, B and C (which made them hers) and resolved A and B;
    C is still open. Carol rates A (resolved on the 10th) 2 with a comment."""
    from frontline.reports import actions as report_actions
    from frontline.tickets.models import EventKind, TicketEvent

    a, _b, c, _d = fortnight
    resolution = TicketEvent.objects.get(ticket=a, kind=EventKind.STATUS, data__new="resolved")
    invitation = report_actions.invite_to_survey(resolution)
    report_actions.answer_survey(invitation, rating=2, comment="Slow over the weekend")
    login(client, people.alice)
    with time_machine.travel(at(15, 12), tick=False):
        page = client.get("/desk/reports/me/?start=2026-03-09&end=2026-03-15")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 open ticket assigned" in html
    mine = html.split('id="mine"')[1].split("</table>")[0]
    found = re.findall(r'<th scope="row">([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td>', mine)
    cells = {name: now for name, now, _before in found}
    assert cells["Created"] == "2"  # B and C; A the week before
    assert cells["Resolved"] == "2"
    assert cells["First response, business hours (median)"] == "4.0"  # B's; C has no policy
    assert cells["Resolution, business hours (median)"] == "12.0"  # A's 12, B's 16
    assert cells["Ratings"] == "1" and cells["Average rating"] == "2.0"
    assert f"#{a.pk} A</a> — rated 2: Slow over the weekend" in html
    assert 'href="/desk/reports/me/"' in html
    # Bob has none of it.
    login(client, people.bob)
    with time_machine.travel(at(15, 12), tick=False):
        html = client.get("/desk/reports/me/?start=2026-03-09&end=2026-03-15").content.decode()
    assert "0 open tickets assigned" in html and "No comments yet." in html
    c.refresh_from_db()
    assert c.assignee_id == people.alice.pk


def test_who_sees_an_agents_page(client, people):
    login(client, people.bob)
    assert client.get(f"/desk/reports/agents/{people.alice.pk}/").status_code == 404
    assert client.get(f"/desk/reports/agents/{people.bob.pk}/").status_code == 200
    assert client.get("/desk/reports/me/?start=2026-03-09&end=2026-01-01").status_code == 400
    assert client.get("/desk/reports/me/?start=nonsense").status_code == 400
    login(client, people.carol)
    assert client.get("/desk/reports/me/").status_code == 404
    login(client, people.sam)
    page = client.get(f"/desk/reports/agents/{people.alice.pk}/")
    assert page.status_code == 200 and "Figures of Alice Agent" in page.content.decode()
    assert client.get(f"/desk/reports/agents/{people.carol.pk}/").status_code == 404
    client.logout()
    assert client.get("/desk/reports/me/").status_code == 302


def test_agent_page_queries_do_not_grow(client, people, fortnight, django_assert_num_queries):
    login(client, people.alice)
    # The agent's figures and the period before's (as the report's), the open
    # load, the comments; the session, user and the nav: a fixed number.
    with django_assert_num_queries(23):
        assert client.get("/desk/reports/me/").status_code == 200


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's plans")
def test_rollup_queries_use_its_indexes(people, fortnight):
    """Every statement the report and the agent's page make of the rollup reads
    an index range, none the whole table (EXPLAIN QUERY PLAN on SQLite)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as done:
        week(by="channel")
        week(by="category", team=people.first_line, agent=people.alice)
    sqls = [q["sql"] for q in done.captured_queries]
    rollup = [sql for sql in sqls if "reports_ticketfigures" in sql]
    daily = [sql for sql in sqls if "reports_dailyfigures" in sql]
    # The supervisors' report: the open tickets' ages of the last 30 days and
    # the tickets moved twice (for the most moved) from the per-ticket rollup;
    # the figures, the days, the period before's and the backlog from the daily
    # one. The agent's page (exact, from the per-ticket rollup): the counts, the
    # percentiles of the opened and of the resolved tickets, the days, the
    # backlog, the period before's three, the tickets moved twice.
    assert len(rollup) == 2 + (3 + 1 + 1 + 3 + 1)
    assert len(daily) == 4
    with connection.cursor() as cursor:
        for sql in rollup:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " / ".join(row[-1] for row in cursor.fetchall())
            assert "SCAN reports_ticketfigures" not in plan, (sql, plan)
            assert "INDEX figures_" in plan, (sql, plan)
        for sql in daily:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " / ".join(row[-1] for row in cursor.fetchall())
            assert "SCAN reports_dailyfigures" not in plan, (sql, plan)
            assert "INDEX daily_figures_day" in plan, (sql, plan)
