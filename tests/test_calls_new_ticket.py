"""A call from someone with no ticket yet opens one, with the call logged on it."""

import pytest

from frontline.accounts.models import Role, User
from frontline.tickets.models import CallDetails, Channel, MessageKind, Status, Ticket
from tests.conftest import login

URL = "/desk/calls/new/"
FORM = {
    "name": "Pat Caller",
    "phone": "+44 20 7946 0958",
    "direction": "in",
    "minutes": "3",
    "subject": "Printer jams",
    "body": "The office printer jams on every page.",
    "summary": "CALL-NOTES sounded like a worn roller",
}


def test_a_call_from_a_new_person_opens_a_phone_ticket_with_the_call_logged(client, people):
    login(client, people.alice)
    assert client.get(URL).status_code == 200
    r = client.post(URL, FORM)
    assert r.status_code == 302
    ticket = Ticket.objects.get(subject="Printer jams")
    assert r.url == f"/desk/tickets/{ticket.pk}/"
    assert ticket.channel == Channel.PHONE and ticket.status == Status.NEW
    assert ticket.first_response_at is not None  # the call answered
    caller = ticket.requester
    assert (caller.display_name, caller.phone, caller.role) == (
        "Pat Caller",
        "+442079460958",
        Role.CUSTOMER,
    )
    request, call = ticket.messages.order_by("id")
    assert request.kind == MessageKind.REPLY and request.body == FORM["body"]
    assert call.kind == MessageKind.CALL and call.body == FORM["summary"]
    details = CallDetails.objects.get(message=call)
    assert (details.direction, details.phone, details.duration_seconds) == (
        "in",
        "+442079460958",
        180,
    )
    page = client.get(r.url).content.decode()
    assert "CALL-NOTES" in page and "Inbound · +442079460958 · 3 minutes" in page


def test_a_known_customer_is_found_by_address_or_number(client, people):
    people.carol.phone = "+442079460958"
    people.carol.save()
    people.dan.email_verified_at = people.dan.date_joined  # an unverified address proves nothing
    people.dan.save()
    login(client, people.alice)
    client.post(URL, FORM | {"name": ""})
    client.post(URL, FORM | {"phone": "", "email": "dan@example.com", "subject": "Other"})
    assert Ticket.objects.get(subject="Printer jams").requester == people.carol
    assert Ticket.objects.get(subject="Other").requester == people.dan
    assert User.objects.filter(role=Role.CUSTOMER).count() == 4  # nobody new


def test_empty_notes_log_the_request_as_the_call(client, people):
    login(client, people.alice)
    client.post(URL, FORM | {"summary": ""})
    call = Ticket.objects.get().messages.get(kind=MessageKind.CALL)
    assert call.body == FORM["body"]


@pytest.mark.parametrize(
    "bad",
    [{"phone": "", "email": ""}, {"phone": "12"}, {"subject": ""}, {"body": ""}, {"minutes": "-1"}],
)
def test_bad_calls_are_refused_and_nothing_is_stored(client, people, bad):
    login(client, people.alice)
    users = User.objects.count()
    r = client.post(URL, FORM | bad)
    assert r.status_code == 400
    assert not Ticket.objects.exists() and User.objects.count() == users


def test_customers_cannot_log_calls(client, people):
    login(client, people.carol)
    assert client.get(URL).status_code == 404
    assert client.post(URL, FORM).status_code == 404
    assert not Ticket.objects.exists()
