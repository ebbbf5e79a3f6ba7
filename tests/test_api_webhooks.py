"""Webhooks: signed per Standard Webhooks (checked with the package's own
verifier), sent to a real receiver on loopback (allowed by the test setting),
retried on errors and timeouts, the subscription disabled after a day of
failures, and nothing sent for a change that rolled back."""

from __future__ import annotations

import contextlib
import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from frontline.api import actions as api_actions
from frontline.api.models import DeliveryStatus, WebhookDelivery
from frontline.api.tasks import deliver_webhook, retry_due_webhooks
from frontline.tickets import actions
from frontline.tickets.models import EventKind


class Receiver:
    """An HTTP server on loopback that records what it is sent and answers with
    the next status in ``answers`` (200 once they run out), or sleeps first."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()
                # The sender reads only the start of an answer and hangs up.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(b"x" * 5000 if status >= 500 else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?k=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def payloads(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def receiver(settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "WEBHOOK_ALLOW_PRIVATE": True}
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a block queues after commit (reactions, deliveries), as after a
    real commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def subscribe(people, receiver, kinds, **extra):
    return api_actions.subscribe_webhook(
        owner=people.ada, name="CRM", url=receiver.url, event_kinds=kinds, by=people.ada, **extra
    )


def test_an_event_is_sent_signed_and_verifies_with_the_packages_verifier(
    people, receiver, django_capture_on_commit_callbacks, committed
):
    subscription = subscribe(people, receiver, [EventKind.CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.open_ticket(
            requester=people.carol, by=people.carol, subject="Hi", body="Help", category=None
        )
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    payload = Webhook(subscription.secret).verify(body, headers)
    assert payload["type"] == "ticket.created"
    assert payload["data"]["ticket"]["number"] == ticket.pk
    assert payload["data"]["ticket"]["requester"]["name"] == "Carol Customer"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (
        DeliveryStatus.DELIVERED,
        200,
        1,
    )
    assert headers["webhook-id"] == delivery.message_id
    other = Webhook(api_actions.new_webhook_secret())
    with pytest.raises(Exception, match="signature"):
        other.verify(body, headers)


def test_only_the_kinds_subscribed_are_sent(people, ticket, receiver, committed):
    subscribe(people, receiver, [EventKind.PRIORITY])
    with committed():
        actions.add_reply(ticket, body="Hello", by=people.alice)
    with committed():
        actions.change_priority(ticket, priority=4, by=people.alice, reason="VIP")
    assert [p["type"] for p in receiver.payloads()] == ["ticket.priority"]
    assert receiver.payloads()[0]["data"]["event"]["data"]["reason"] == "VIP"


def test_internal_notes_go_only_to_subscriptions_marked_internal(
    people, ticket, receiver, committed
):
    subscribe(people, receiver, [EventKind.NOTE, EventKind.ASSIGNEE])
    with committed():
        actions.add_note(ticket, body="Refund is fishy", by=people.alice)
    with committed():
        actions.assign_ticket(ticket, by=people.alice, assignee=people.bob, note="over to you")
    sent = json.dumps(receiver.payloads())
    assert [p["type"] for p in receiver.payloads()] == ["ticket.assignee"]
    assert "fishy" not in sent and "over to you" not in sent

    receiver.received.clear()
    subscribe(people, receiver, [EventKind.NOTE], include_internal=True)
    with committed():
        actions.add_note(ticket, body="Second note", by=people.bob)
    (payload,) = receiver.payloads()
    assert payload["data"]["message"]["body"] == "Second note"
    assert payload["data"]["ticket"]["handoff_note"] == "over to you"


def test_nothing_is_sent_for_a_change_that_rolled_back(people, ticket, receiver, committed):
    subscribe(people, receiver, [EventKind.REPLY])
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        actions.add_reply(ticket, body="never", by=people.alice)
        raise RuntimeError
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_later_with_a_growing_wait(people, ticket, receiver, committed):
    subscribe(people, receiver, [EventKind.REPLY])
    receiver.answers = [500, 502]
    with committed():
        actions.add_reply(ticket, body="one", by=people.alice)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.PENDING,
        1,
        500,
    )
    assert len(delivery.last_response) == 1000  # the log keeps the start of the answer
    first_wait = delivery.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=30) < first_wait <= datetime.timedelta(minutes=1)
    assert retry_due_webhooks.call() == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert retry_due_webhooks.call() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 2)
        assert delivery.next_attempt_at - timezone.now() > first_wait
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        retry_due_webhooks.call()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    assert len({h["webhook-id"] for h, _b in receiver.received}) == 1  # one message, three tries
    delivery.subscription.refresh_from_db()
    assert delivery.subscription.failing_since is None


def test_a_receiver_that_does_not_answer_in_time_is_retried(
    people, ticket, receiver, settings, committed
):
    settings.FRONTLINE = {**settings.FRONTLINE, "WEBHOOK_TIMEOUT_SECONDS": 1}
    subscribe(people, receiver, [EventKind.REPLY])
    receiver.delay = 2
    with committed():
        actions.add_reply(ticket, body="slow", by=people.alice)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "timed out" in delivery.last_error.lower()


def test_a_subscription_failing_for_a_day_is_disabled(people, ticket, receiver, committed):
    subscription = subscribe(people, receiver, [EventKind.REPLY])
    receiver.answers = [500] * 100
    start = timezone.now()
    with committed():
        actions.add_reply(ticket, body="one", by=people.alice)
    with time_machine.travel(start + datetime.timedelta(hours=25)), committed():
        actions.add_reply(ticket, body="two", by=people.alice)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    tries = len(receiver.received)
    with committed():
        actions.add_reply(ticket, body="three", by=people.alice)
    assert len(receiver.received) == tries  # nothing more is sent


def test_a_delivery_is_sent_once_however_often_it_is_queued(people, ticket, receiver, committed):
    subscribe(people, receiver, [EventKind.REPLY])
    receiver.answers = [500]
    with committed():
        actions.add_reply(ticket, body="one", by=people.alice)
    delivery = WebhookDelivery.objects.get()
    assert deliver_webhook.call(delivery.pk) is None  # not due: nothing done
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert deliver_webhook.call(delivery.pk) == DeliveryStatus.DELIVERED
        assert deliver_webhook.call(delivery.pk) is None
    assert len(receiver.received) == 2


def test_loopback_and_private_addresses_are_refused_by_default(
    people, ticket, receiver, settings, committed
):
    settings.FRONTLINE = {**settings.FRONTLINE, "WEBHOOK_ALLOW_PRIVATE": False}
    subscribe(people, receiver, [EventKind.REPLY])
    with committed():
        actions.add_reply(ticket, body="one", by=people.alice)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert "private or reserved" in delivery.last_error


def test_send_again_sends_a_failed_delivery_now(people, ticket, receiver, committed):
    subscribe(people, receiver, [EventKind.REPLY])
    receiver.answers = [500]
    with committed():
        actions.add_reply(ticket, body="one", by=people.alice)
    delivery = WebhookDelivery.objects.get()
    with committed():
        api_actions.send_again(delivery, by=people.ada)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_only_admins_and_supervisors_subscribe(people, receiver, committed):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        api_actions.subscribe_webhook(
            owner=people.alice, name="x", url=receiver.url, event_kinds=["reply"], by=people.alice
        )
    with pytest.raises(ValidationError):
        api_actions.subscribe_webhook(
            owner=people.sam,
            name="x",
            url="file:///etc/passwd",
            event_kinds=["reply"],
            by=people.sam,
        )
