"""Callbacks: a customer leaves a number; it becomes a ticket in the callback queue."""

import datetime

import time_machine

from frontline.lib.phones import normalise_phone
from frontline.tickets.models import Channel, Priority, Ticket
from tests.conftest import login


def test_phone_numbers_are_validated_and_normalised():
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("020 7946 0958", region="GB") == "+442079460958"
    for bad in ("12345", "call me", "+1 555"):
        try:
            normalise_phone(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


def test_an_invalid_number_is_refused_next_to_the_field(client, people):
    login(client, people.carol)
    r = client.post("/portal/callback/", {"phone": "12345", "reason": "Invoice"})
    assert r.status_code == 400
    assert 'id="id_phone_error"' in r.content.decode()
    assert Ticket.objects.count() == 0


def test_a_callback_request_lands_in_the_callback_queue_with_its_sla(
    client, people, django_capture_on_commit_callbacks
):
    login(client, people.carol)
    monday_10 = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.UTC)
    with (
        time_machine.travel(monday_10, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        r = client.post(
            "/portal/callback/",
            {
                "phone": "+44 20 7946 0958",
                "preferred_time": "after 2pm",
                "reason": "Questions about my contract renewal",
            },
        )
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert ticket.channel == Channel.CALLBACK and ticket.priority == Priority.HIGH
    assert ticket.subject == "Call back: Questions about my contract renewal"
    body = ticket.messages.get().body
    assert "+442079460958" in body and "after 2pm" in body
    people.carol.refresh_from_db()
    assert people.carol.phone == "+442079460958"
    # The default callback policy: five business minutes.
    assert ticket.due_at == monday_10 + datetime.timedelta(minutes=5)
    login(client, people.alice)
    with time_machine.travel(monday_10, tick=False):
        page = client.get("/desk/q/callbacks/").content.decode()
    assert ticket.subject in page
    other = client.get("/desk/q/unassigned/?channel=web").content.decode()
    assert ticket.subject not in other
