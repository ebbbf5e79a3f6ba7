"""Callbacks: a customer leaves a number; it becomes a ticket in the callback queue."""

import datetime

import time_machine

from frontline.lib.phones import normalise_phone
from frontline.tickets.models import Channel, Priority, Ticket
from tests.conftest import login


def test_phone_numbers_are_validated_and_normalised():
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("020 7946 0958", region="GB") == "+442079460958"
    # An extension is kept, not dropped (issue 12, finding 6).
    assert normalise_phone("+44 20 7946 0958 ext. 5") == "+442079460958;ext=5"
    assert normalise_phone("020 7946 0958 x123", region="GB") == "+442079460958;ext=123"
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
    # The default callback policy: a call within five business minutes.
    assert ticket.first_response_due_at == monday_10 + datetime.timedelta(minutes=5)
    login(client, people.alice)
    with time_machine.travel(monday_10, tick=False):
        page = client.get("/desk/q/callbacks/").content.decode()
    assert ticket.subject in page
    other = client.get("/desk/q/unassigned/?channel=web").content.decode()
    assert ticket.subject not in other


def test_a_callback_made_in_time_is_not_a_breach_and_a_late_one_is(
    people, django_capture_on_commit_callbacks
):
    from frontline.routing.actions import request_callback
    from frontline.sla.actions import sweep
    from frontline.tickets import actions

    monday_10 = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.UTC)
    with (
        time_machine.travel(monday_10, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        on_time = request_callback(
            requester=people.carol, phone="+442079460958", preferred_time="", reason="Contract"
        )
        late = request_callback(
            requester=people.dan, phone="+442079460959", preferred_time="", reason="Invoice"
        )
    with time_machine.travel(monday_10 + datetime.timedelta(minutes=2), tick=False):
        actions.log_call(
            on_time,
            by=people.alice,
            direction="out",
            phone="+442079460958",
            duration_seconds=120,
            summary="Explained the renewal",
        )
    assert sweep(now=monday_10 + datetime.timedelta(minutes=6)) == (0, 1)
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.sla_first_breached_at is not None and late.priority == Priority.URGENT
    assert on_time.sla_first_breached_at is None and on_time.priority == Priority.HIGH
