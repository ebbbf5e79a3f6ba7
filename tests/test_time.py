"""Time tracking through the actions and the desk and portal pages: rates, cost,
contracts, who may log and see what."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from frontline.reports import actions
from frontline.reports.access import access_time_entry, billed_work, visible_time_entries
from frontline.reports.models import ActivityType, Contract, Rate, TimeEntry
from frontline.tickets import actions as ticket_actions
from frontline.tickets.access import access_ticket_for_requester
from tests.conftest import login

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def work(people):
    """Activities, internal rates (everyone 40, First line 50, Alice on-site 90)
    and Acme's contract (120 an hour, 10 prepaid hours)."""
    diagnosis = ActivityType.objects.create(name="Diagnosis")
    onsite = ActivityType.objects.create(name="On-site visit")
    admin_work = ActivityType.objects.create(name="Paperwork", billable_by_default=False)
    Rate.objects.create(hourly_rate=Decimal(40))
    Rate.objects.create(hourly_rate=Decimal(50), team=people.first_line)
    Rate.objects.create(hourly_rate=Decimal(90), agent=people.alice, activity=onsite)
    contract = Contract.objects.create(
        organisation=people.acme,
        name="Support 2026",
        hourly_rate=Decimal(120),
        prepaid_hours=Decimal(10),
        starts_on=datetime.date(2026, 1, 1),
    )
    return diagnosis, onsite, admin_work, contract


def test_internal_rates_the_most_specific_wins(people, ticket, work):
    diagnosis, onsite, _paperwork, _contract = work
    team_rate = actions.log_time(
        ticket, minutes=30, by=people.alice, activity=diagnosis, billable=False
    )
    own_rate = actions.log_time(
        ticket, minutes=30, by=people.alice, activity=onsite, billable=False
    )
    assert (team_rate.rate, team_rate.cost) == (Decimal(50), Decimal("25.00"))
    assert (own_rate.rate, own_rate.cost) == (Decimal(90), Decimal("45.00"))
    # Sam is in no team: the rate for everyone.
    everyone = actions.log_time(ticket, minutes=45, by=people.sam, billable=False)
    assert (everyone.rate, everyone.cost) == (Decimal(40), Decimal("30.00"))


def test_billable_work_is_costed_at_the_contract_rate_by_default(people, ticket, work):
    diagnosis, _onsite, paperwork, contract = work
    billed = actions.log_time(ticket, minutes=20, by=people.alice, activity=diagnosis)
    assert billed.billable and billed.contract == contract
    assert (billed.rate, billed.cost) == (Decimal(120), Decimal("40.00"))
    internal = actions.log_time(ticket, minutes=20, by=people.alice, activity=paperwork)
    assert not internal.billable and internal.contract is None
    assert internal.rate == Decimal(50)


def test_a_rate_change_applies_from_its_date_and_never_rewrites_entries(people, ticket, work):
    diagnosis, *_ = work
    before = actions.log_time(ticket, minutes=60, by=people.sam, activity=diagnosis, billable=False)
    Rate.objects.create(hourly_rate=Decimal(60), valid_from=TODAY)
    earlier_day = actions.log_time(
        ticket,
        minutes=60,
        by=people.sam,
        billable=False,
        worked_on=TODAY - datetime.timedelta(days=1),
    )
    after = actions.log_time(ticket, minutes=60, by=people.sam, billable=False)
    before.refresh_from_db()
    assert [before.cost, earlier_day.cost, after.cost] == [
        Decimal("40.00"),
        Decimal("40.00"),
        Decimal("60.00"),
    ]


def test_contract_limited_to_categories_does_not_bill_others(people, work):
    *_, contract = work
    contract.billable_categories.add(people.hardware)
    ticket = ticket_actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Which plan?",
        body="?",
        category=people.billing,
    )
    entry = actions.log_time(ticket, minutes=10, by=people.alice)
    assert not entry.billable and entry.contract is None


def test_no_contract_means_not_billable_by_default(people, work):
    ticket = ticket_actions.open_ticket(
        requester=people.dan,
        by=people.dan,
        subject="Globex question",
        body="?",
        category=people.billing,
    )
    assert not actions.log_time(ticket, minutes=10, by=people.alice).billable


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_minutes_out_of_range_are_refused(people, ticket, minutes):
    with pytest.raises(ValidationError):
        actions.log_time(ticket, minutes=minutes, by=people.alice)


def test_work_in_the_future_is_refused(people, ticket):
    with pytest.raises(ValidationError):
        actions.log_time(
            ticket, minutes=5, by=people.alice, worked_on=TODAY + datetime.timedelta(days=1)
        )


def test_only_staff_who_see_the_ticket_log_time(people, ticket):
    # Carol's ticket is First line's: Bob (Second line) does not see it.
    ticket_actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    for outsider in (people.bob, people.carol):
        with pytest.raises(PermissionDenied):
            actions.log_time(ticket, minutes=5, by=outsider)
    assert not TimeEntry.objects.exists()


def test_agent_of_another_team_cannot_log_time_or_see_entries_over_http(client, people, ticket):
    ticket_actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    entry = actions.log_time(ticket, minutes=15, by=people.alice, note="Checked the ledger")
    login(client, people.bob)
    response = client.post(f"/desk/tickets/{ticket.pk}/time/", {"minutes": 10})
    assert response.status_code == 404
    assert client.post(f"/desk/time/{entry.pk}/delete/").status_code == 404
    assert TimeEntry.objects.count() == 1
    assert not visible_time_entries(people.bob).exists()
    with pytest.raises(Exception, match="No TimeEntry matches"):
        access_time_entry(people.bob, entry.pk)
    assert list(visible_time_entries(people.sam)) == [entry]


def test_agent_logs_time_on_the_desk_ticket_page(client, people, ticket, work):
    diagnosis, *_ = work
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'action="/desk/tickets/{ticket.pk}/time/"' in page
    assert "frontline/timer.js" in page and "<script>" not in page
    response = client.post(
        f"/desk/tickets/{ticket.pk}/time/",
        {"minutes": 25, "activity": diagnosis.pk, "billable": "", "note": "Ledger checked"},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "25 minutes logged." in page  # the confirmation
    assert "Ledger checked" in page
    entry = TimeEntry.objects.get()
    assert (entry.agent, entry.minutes, entry.billable, entry.worked_on) == (
        people.alice,
        25,
        True,
        TODAY,
    )
    assert entry.cost == Decimal("50.00")


@pytest.mark.parametrize(
    "data",
    [
        {"minutes": ""},
        {"minutes": "abc"},
        {"minutes": 0},
        {"minutes": 5000},
        {"minutes": 5, "worked_on": "2026-03-11"},
        {"minutes": 5, "worked_on": "nonsense"},
    ],
)
def test_bad_time_entries_get_a_clear_error(client, people, ticket, data):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/time/", data)
    assert response.status_code == 400
    assert "Check the time entry." in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_only_author_or_supervisor_removes_an_entry(client, people, ticket):
    entry = actions.log_time(ticket, minutes=15, by=people.alice)
    with pytest.raises(PermissionDenied):
        actions.delete_time_entry(entry, by=people.bob)
    login(client, people.sam)
    response = client.post(f"/desk/time/{entry.pk}/delete/", follow=True)
    assert "Time entry removed." in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_customer_sees_billable_time_and_cost_never_the_note(client, people, ticket, work):
    diagnosis, _onsite, paperwork, _contract = work
    actions.log_time(ticket, minutes=90, by=people.alice, activity=diagnosis, note="SECRET-A")
    actions.log_time(ticket, minutes=30, by=people.alice, activity=paperwork, note="SECRET-B")
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Billed work" in page and "Diagnosis" in page
    assert "<td data-billed-time>1:30</td>" in page
    assert "<td data-billed-cost>180.00</td>" in page
    assert "Paperwork" not in page  # not billable
    assert "SECRET" not in page
    assert "data-prepaid-left" not in page  # only the organisation's manager
    login(client, people.maria)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Prepaid hours left on your contract: 8.50" in page


def test_billed_work_only_for_tickets_the_customer_sees(people, ticket):
    from django.http import Http404

    with pytest.raises(Http404):
        billed_work(people.dan, ticket)
    assert billed_work(people.carol, ticket).minutes == 0
    # The page's own fetch for Carol answers for Carol only, never for Dan.
    fetched = access_ticket_for_requester(people.carol, ticket.pk)
    assert billed_work(people.carol, fetched).minutes == 0
    with pytest.raises(Http404):
        billed_work(people.dan, fetched)


def test_contract_admin_shows_prepaid_hours_left(client, people, ticket, work):
    diagnosis, *_ = work
    actions.log_time(ticket, minutes=150, by=people.alice, activity=diagnosis)
    login(client, people.ada)
    page = client.get("/admin/reports/contract/").content.decode()
    assert "7.50" in page
    assert client.get("/admin/reports/rate/add/").status_code == 200
    assert client.get("/admin/reports/timeentry/").status_code == 200


def test_time_panels_do_not_grow_with_entries(
    client, people, ticket, work, django_assert_max_num_queries
):
    diagnosis, *_ = work
    for i in range(30):
        actions.log_time(ticket, minutes=10 + i, by=people.alice, activity=diagnosis)
    login(client, people.alice)
    # the desk pin of test_desk (24) and the totals of entries beyond the 20 shown
    with django_assert_max_num_queries(25):
        page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "30 minutes logged" not in page and "735 minutes logged" in page
    login(client, people.carol)
    with django_assert_max_num_queries(15):
        page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "<td data-billed-time>12:15</td>" in page


def test_agent_logs_time_with_a_reply_in_one_step(client, people, ticket, work):
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'name="minutes"' in page.split('id="composer"')[1].split("</form>")[0]
    url = f"/desk/tickets/{ticket.pk}/reply/"
    response = client.post(url, {"body": "Fixed the ledger.", "minutes": 20}, follow=True)
    html = response.content.decode()
    assert "Reply sent to the customer." in html and "20 minutes logged." in html
    entry = TimeEntry.objects.get()
    assert (entry.agent, entry.minutes, entry.ticket) == (people.alice, 20, ticket)
    assert ticket.messages.filter(body="Fixed the ledger.").exists()
    # A note with time, and a reply without: no entry for the latter.
    client.post(f"/desk/tickets/{ticket.pk}/note/", {"body": "Checked twice.", "minutes": 5})
    client.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "Anything else?", "minutes": ""})
    assert sorted(TimeEntry.objects.values_list("minutes", flat=True)) == [5, 20]


@pytest.mark.parametrize("minutes", [0, 5000, "abc"])
def test_bad_time_with_a_reply_sends_nothing(client, people, ticket, minutes):
    login(client, people.alice)
    before = ticket.messages.count()
    response = client.post(
        f"/desk/tickets/{ticket.pk}/reply/", {"body": "Fixed.", "minutes": minutes}
    )
    assert response.status_code == 400
    assert "Fixed." in response.content.decode()  # the text is kept to correct
    assert ticket.messages.count() == before and not TimeEntry.objects.exists()


def test_time_refused_takes_the_reply_back(people, ticket, django_capture_on_commit_callbacks):
    """One transaction: the time entry is refused after the reply was written,
    and the reply goes too (nothing is mailed)."""
    before = ticket.messages.count()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        actions.add_message_with_time(
            ticket, act=ticket_actions.add_reply, body="Done.", by=people.alice, minutes=5000
        )
    assert ticket.messages.count() == before and not TimeEntry.objects.exists()
    assert callbacks == []
