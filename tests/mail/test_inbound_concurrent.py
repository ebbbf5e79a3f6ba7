"""Two processes receiving the same mail at once: one ticket, never two.

Threads stand in for processes here: each has its own database connection, so
the transactions are as real as between two workers.
"""

import threading
import time

import pytest
from django.db import connection

from frontline.mail import inbound as inbound_module
from frontline.mail.inbound import receive
from frontline.mail.models import InboundMessage, Mailbox, Outcome
from frontline.tickets.models import Ticket
from tests.mail.test_inbound import mail

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(work, results: dict, name: str) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = work()
        except BaseException as exc:  # reported by the test
            results[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_one_mail_delivered_to_two_mailboxes_at_once_makes_one_ticket(monkeypatch):
    """The copy for sales@ and the copy for support@ differ in their bytes (each
    server adds its own headers) but share a Message-ID. The first one is still
    in its transaction, its ticket made, when the second one is processed: the
    second must wait for it and come out a duplicate."""
    support = Mailbox.objects.create(name="Support", address="support@frontline.test")
    sales = Mailbox.objects.create(name="Sales", address="sales@frontline.test")
    first_acted, second_started = threading.Event(), threading.Event()
    act = inbound_module._act

    def slow_act(inbound, *args):
        outcome = act(inbound, *args)
        if inbound.mailbox_id == support.pk:
            first_acted.set()
            assert second_started.wait(10)
            # Give the second one time to reach the point where it would
            # look for the Message-ID, while this transaction is still open.
            time.sleep(0.5)
        return outcome

    monkeypatch.setattr(inbound_module, "_act", slow_act)
    copy_a = mail(message_id="<both@client.example>", Delivered_To="support@frontline.test")
    copy_b = mail(message_id="<both@client.example>", Delivered_To="sales@frontline.test")
    results: dict = {}
    first = in_thread(lambda: receive(copy_a, mailbox=support).inbound, results, "first")
    assert first_acted.wait(10)

    def second_receive():
        second_started.set()
        return receive(copy_b, mailbox=sales).inbound

    second = in_thread(second_receive, results, "second")
    first.join(30)
    second.join(30)

    assert not isinstance(results["first"], BaseException), results
    assert not isinstance(results["second"], BaseException), results
    assert results["first"].outcome == Outcome.NEW_TICKET, results
    assert results["second"].outcome == Outcome.DUPLICATE, results
    assert results["second"].ticket_id == results["first"].ticket_id
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 2  # both copies kept
