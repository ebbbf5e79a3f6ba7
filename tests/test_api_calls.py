"""Calls and callbacks through the API: the desk's ``log_call`` and
``open_ticket_by_call`` and the portal's ``request_callback``, behind the same
permission checks; call logs stay internal."""

from __future__ import annotations

import json

from frontline.accounts.models import Role, User
from frontline.tickets.models import CallDetails, Channel, EventKind, MessageKind, Priority, Ticket

from .test_api_tickets import Api


def test_staff_log_a_call_that_customers_never_see(people, ticket):
    alice = Api(people.alice)
    response = alice.post(
        f"/tickets/{ticket.pk}/calls",
        {
            "direction": "out",
            "phone": "+44 20 7946 0958",
            "duration_seconds": 240,
            "summary": "Walked her through the refund",
        },
    )
    assert response.status_code == 201, response.content
    call = response.json()
    assert (call["direction"], call["phone"], call["duration_seconds"]) == (
        "out",
        "+442079460958",
        240,
    )
    assert ticket.events.filter(kind=EventKind.CALL).count() == 1
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None  # a call is an answer
    listed = alice.get(f"/tickets/{ticket.pk}/calls").json()
    assert [c["summary"] for c in listed] == ["Walked her through the refund"]
    carol = Api(people.carol)
    assert carol.get(f"/tickets/{ticket.pk}/calls").status_code == 403
    assert (
        carol.post(f"/tickets/{ticket.pk}/calls", {"direction": "in", "summary": "x"}).status_code
        == 403
    )
    messages = carol.get(f"/tickets/{ticket.pk}/messages").json()["items"]
    assert "Walked her" not in json.dumps(messages)
    assert [m["kind"] for m in messages] == ["reply"]


def test_an_agent_logs_no_call_on_a_ticket_they_may_not_see(people, ticket):
    bob = Api(people.bob)
    response = bob.post(f"/tickets/{ticket.pk}/calls", {"direction": "in", "summary": "x"})
    assert response.status_code == 404
    assert bob.get(f"/tickets/{ticket.pk}/calls").status_code == 404
    assert not CallDetails.objects.exists()


def test_bad_calls_get_a_clear_400(people, ticket):
    alice = Api(people.alice)
    for payload, field in [
        ({"direction": "in", "summary": " "}, "summary"),
        ({"direction": "in", "summary": "x", "phone": "12"}, "phone"),
        ({"direction": "sideways", "summary": "x"}, "direction"),
        ({"direction": "in", "summary": "x", "duration_seconds": -1}, "duration_seconds"),
        ({"direction": "in", "summary": "x", "duration_seconds": 10**9}, "duration_seconds"),
    ]:
        response = alice.post(f"/tickets/{ticket.pk}/calls", payload)
        assert response.status_code == 400, payload
        assert field in response.json()["errors"], response.json()
    assert not CallDetails.objects.exists()


def test_a_call_from_a_new_number_opens_a_ticket_and_the_next_finds_the_caller(people):
    alice = Api(people.alice)
    payload = {
        "name": "Pat Caller",
        "phone": "+44 20 7946 0958",
        "subject": "Printer",
        "body": "It jams.",
        "duration_seconds": 60,
    }
    first = alice.post("/calls", payload)
    assert first.status_code == 201, first.content
    ticket = Ticket.objects.get(pk=first.json()["number"])
    assert ticket.channel == Channel.PHONE
    assert ticket.requester.phone == "+442079460958"
    assert ticket.requester.role == Role.CUSTOMER
    assert ticket.messages.filter(kind=MessageKind.CALL).count() == 1
    second = alice.post("/calls", {**payload, "body": "Still jams."})
    assert second.status_code == 201
    assert Ticket.objects.get(pk=second.json()["number"]).requester == ticket.requester


def test_a_retried_call_with_the_same_idempotency_key_opens_one_ticket(people):
    alice = Api(people.alice)
    payload = {"email": "pat@example.org", "subject": "Printer", "body": "It jams."}
    headers = {"HTTP_IDEMPOTENCY_KEY": "call-1"}
    path = "/api/v1/calls"
    body = json.dumps(payload)
    first = alice.client.post(path, body, content_type="application/json", **headers)
    again = alice.client.post(path, body, content_type="application/json", **headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert Ticket.objects.count() == 1
    other = alice.client.post(
        path, json.dumps({**payload, "body": "x"}), content_type="application/json", **headers
    )
    assert other.status_code == 422


def test_a_call_needs_a_number_or_an_address_and_staff(people):
    alice = Api(people.alice)
    for payload in (
        {"name": "Anon", "subject": "s", "body": "b"},
        {"email": "not an address", "subject": "s", "body": "b"},
        {"phone": "12", "subject": "s", "body": "b"},
    ):
        assert alice.post("/calls", payload).status_code == 400, payload
    assert (
        Api(people.carol)
        .post("/calls", {"email": "c@example.org", "subject": "s", "body": "b"})
        .status_code
        == 403
    )
    assert not Ticket.objects.exists()


def test_a_customer_asks_to_be_called_back(people):
    carol = Api(people.carol)
    response = carol.post(
        "/callbacks",
        {"phone": "+44 20 7946 0958", "preferred_time": "after 14:00", "reason": "Invoice"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["priority"] is None  # customers are not shown priorities
    ticket = Ticket.objects.get(pk=response.json()["number"])
    assert (ticket.channel, ticket.priority, ticket.requester) == (
        Channel.CALLBACK,
        Priority.HIGH,
        people.carol,
    )
    assert User.objects.get(pk=people.carol.pk).phone == "+442079460958"
    assert carol.post("/callbacks", {"phone": "12", "reason": "x"}).status_code == 400
    assert carol.post("/callbacks", {"phone": "+44 20 7946 0958", "reason": " "}).status_code == 400
    staff = Api(people.alice).post("/callbacks", {"phone": "+44 20 7946 0958", "reason": "x"})
    assert staff.status_code == 403
    assert Ticket.objects.count() == 1
