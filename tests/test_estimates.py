"""Estimates the customer approves: sent from the desk, approved or declined on
the portal or by a signed link, work logged against them up to their hours."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontline.mail.models import OutboundMessage
from frontline.reports import actions
from frontline.reports.models import Contract, Estimate, EstimateStatus, Rate, TimeEntry
from frontline.tickets import actions as ticket_actions
from tests.conftest import login


@pytest.fixture
def priced(people):
    """Acme pays 120 an hour under contract; internal rate 50."""
    Rate.objects.create(hourly_rate=Decimal(50))
    Contract.objects.create(organisation=people.acme, name="Support", hourly_rate=Decimal(120))


def sent(people, ticket, hours="2.5", description="Replace the PSU and test it"):
    return actions.send_estimate(
        ticket, hours=Decimal(hours), description=description, by=people.alice
    )


def test_agent_sends_an_estimate_from_the_desk_and_the_customer_gets_it_by_mail(
    client, people, ticket, priced
):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/estimate/",
        {"hours": "2.5", "description": "Replace the PSU and test it"},
        follow=True,
    )
    assert "Estimate sent to the customer for approval." in response.content.decode()
    estimate = Estimate.objects.get()
    assert (estimate.hours, estimate.rate, estimate.cost, estimate.status) == (
        Decimal("2.5"),
        Decimal(120),
        Decimal("300.00"),
        EstimateStatus.PENDING,
    )
    mail = OutboundMessage.objects.get(notice="estimate")
    assert mail.to_address == people.carol.email
    assert "Replace the PSU" in mail.body and "300.00" in mail.body
    assert f"/portal/estimate/{ticket.pk}/" in mail.body


@pytest.mark.parametrize(
    "data",
    [
        {"hours": "0", "description": "x"},
        {"hours": "2", "description": ""},
        {"hours": "abc", "description": "x"},
        {"hours": "5000", "description": "x"},
    ],
)
def test_bad_estimates_get_a_clear_error(client, people, ticket, data):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/estimate/", data)
    assert response.status_code == 400
    assert "Check the estimate." in response.content.decode()
    assert not Estimate.objects.exists()


def test_agent_of_another_team_cannot_send_an_estimate(client, people, ticket):
    with pytest.raises(PermissionDenied):
        actions.send_estimate(ticket, hours=Decimal(1), description="x", by=people.bob)
    login(client, people.bob)
    response = client.post(f"/desk/tickets/{ticket.pk}/estimate/", {"hours": 1, "description": "x"})
    assert response.status_code == 404


def test_customer_approves_on_the_portal_and_work_is_logged_against_it(
    client, people, ticket, priced
):
    estimate = sent(people, ticket, hours="1")
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Replace the PSU and test it" in page and "Waiting for approval" in page
    response = client.post(
        f"/portal/tickets/{ticket.pk}/estimates/{estimate.pk}/approve/", follow=True
    )
    assert "the estimate is approved" in response.content.decode()
    estimate.refresh_from_db()
    assert (estimate.status, estimate.decided_by) == (EstimateStatus.APPROVED, people.carol)
    assert OutboundMessage.objects.filter(
        notice="estimate_decided", recipient=people.alice
    ).exists()
    # The agent logs 40 minutes against it, then 30 more would go over the hour.
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert 'name="estimate"' in page
    client.post(f"/desk/tickets/{ticket.pk}/time/", {"minutes": 40, "estimate": estimate.pk})
    response = client.post(
        f"/desk/tickets/{ticket.pk}/time/", {"minutes": 30, "estimate": estimate.pk}
    )
    assert response.status_code == 400
    assert "goes over the approved estimate (20 minutes left)" in response.content.decode()
    assert list(TimeEntry.objects.values_list("minutes", "estimate")) == [(40, estimate.pk)]
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "40 of 60 minutes used" in page
    assert "<td data-billed-cost>80.00</td>" in page


def test_time_against_a_pending_or_foreign_estimate_is_refused(people, ticket, priced):
    estimate = sent(people, ticket)
    with pytest.raises(ValidationError):
        actions.log_time(ticket, minutes=10, by=people.alice, estimate=estimate)
    elsewhere = ticket_actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Other", body="x", category=people.billing
    )
    other = actions.send_estimate(elsewhere, hours=Decimal(1), description="x", by=people.alice)
    actions.approve_estimate(other, by=people.carol)
    with pytest.raises(ValidationError):
        actions.log_time(ticket, minutes=10, by=people.alice, estimate=other)


def test_declining_is_a_normal_answer_with_a_reason(client, people, ticket):
    estimate = sent(people, ticket)
    login(client, people.carol)
    response = client.post(
        f"/portal/tickets/{ticket.pk}/estimates/{estimate.pk}/decline/", {"reason": ""}
    )
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    response = client.post(
        f"/portal/tickets/{ticket.pk}/estimates/{estimate.pk}/decline/",
        {"reason": "Too expensive for a five-year-old laptop"},
        follow=True,
    )
    assert response.status_code == 200
    assert "The estimate is declined" in response.content.decode()
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.DECLINED
    assert estimate.decline_reason == "Too expensive for a five-year-old laptop"
    # Answered once: approving afterwards is refused with a clear message.
    response = client.post(f"/portal/tickets/{ticket.pk}/estimates/{estimate.pk}/approve/")
    assert response.status_code == 400
    assert "answered already or replaced" in response.content.decode()


def test_only_the_requester_or_manager_decides_and_strangers_see_nothing(client, people, ticket):
    estimate = sent(people, ticket)
    login(client, people.dan)
    url = f"/portal/tickets/{ticket.pk}/estimates/{estimate.pk}/approve/"
    assert client.post(url).status_code == 404
    login(client, people.erin)  # same organisation, not the manager: cannot see the ticket
    assert client.post(url).status_code == 404
    login(client, people.maria)
    assert client.post(url, follow=True).status_code == 200
    estimate.refresh_from_db()
    assert (estimate.status, estimate.decided_by) == (EstimateStatus.APPROVED, people.maria)


def test_a_new_estimate_replaces_the_one_waiting(people, ticket):
    first = sent(people, ticket)
    second = sent(people, ticket, hours="4")
    first.refresh_from_db()
    assert first.status == EstimateStatus.REPLACED
    with pytest.raises(ValidationError):
        actions.approve_estimate(first, by=people.carol)
    assert actions.approve_estimate(second, by=people.carol).status == EstimateStatus.APPROVED


def test_signed_link_approves_without_signing_in(client, people, ticket):
    estimate = sent(people, ticket)
    path = re.search(
        r"https?://[^/\s]+(/portal/estimate/\S+/)",
        OutboundMessage.objects.get(notice="estimate").body,
    ).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Approve the estimate" in page.content.decode()
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.PENDING  # opening the link decides nothing
    response = client.post(path, {"decision": "approve"}, follow=True)
    assert "the estimate is approved" in response.content.decode()
    estimate.refresh_from_db()
    assert (estimate.status, estimate.decided_by) == (EstimateStatus.APPROVED, None)
    response = client.post(path, {"decision": "decline", "reason": "changed my mind"}, follow=True)
    assert "answered already or replaced" in response.content.decode()


def test_signed_link_declines_with_a_reason(client, people, ticket):
    estimate = sent(people, ticket)
    path = re.search(
        r"(/portal/estimate/\S+/)", OutboundMessage.objects.get(notice="estimate").body
    ).group(1)
    response = client.post(path, {"decision": "decline", "reason": ""})
    assert response.status_code == 400
    client.post(path, {"decision": "decline", "reason": "Not now"})
    estimate.refresh_from_db()
    assert (estimate.status, estimate.decline_reason) == (EstimateStatus.DECLINED, "Not now")


def test_tampered_or_foreign_estimate_links_are_refused(client, people, ticket):
    estimate = sent(people, ticket)
    token = re.search(
        r"/portal/estimate/\d+/(\S+)/", OutboundMessage.objects.get(notice="estimate").body
    ).group(1)
    response = client.post(f"/portal/estimate/{ticket.pk}/{token[:-2]}xx/", {"decision": "approve"})
    assert response.status_code == 400 and 'data-refused="tampered"' in response.content.decode()
    response = client.post(f"/portal/estimate/{ticket.pk + 1}/{token}/", {"decision": "approve"})
    assert response.status_code == 400
    assert 'data-refused="other_ticket"' in response.content.decode()
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.PENDING
