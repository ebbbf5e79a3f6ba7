"""Mail into a category with required questions: a ticket all the same, the
questions asked of the customer by a signed link, never a lost letter."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
import time_machine
from django.core import mail as sent
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from frontline.mail.inbound import receive, reprocess
from frontline.mail.models import InboundMessage, Mailbox, Outcome
from frontline.tickets.models import EventKind, Status

# A letter as a mail client writes it, with the headers of a real one.
LETTER = b"""\
Return-Path: <nina@newco.test>
Received: from mx.newco.test (mx.newco.test [192.0.2.7])
\tby mail.frontline.test with ESMTPS id 4Xy; Sun, 6 Dec 2026 10:00:00 +0000
From: Nina New <nina@newco.test>
To: hardware@frontline.test
Subject: My laptop will not start
Date: Sun, 6 Dec 2026 10:59:58 +0100
Message-ID: <laptop-1@newco.test>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Hello, the laptop shows a black screen since this morning.
"""


@pytest.fixture
def hardware_mailbox(people):
    # Hardware asks for a serial number (required) and a model (optional).
    return Mailbox.objects.create(
        name="Hardware", address="hardware@frontline.test", default_category=people.hardware
    )


def _answers_link(body: str) -> str:
    found = re.search(r"http://[^\s]+/portal/answers/[^\s]+/", body)
    assert found, body
    return found.group(0).removeprefix("http://127.0.0.1:8000").removeprefix("http://testserver")


def test_mail_into_a_category_with_a_required_question_becomes_a_waiting_ticket(
    hardware_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inbound = receive(LETTER, mailbox=hardware_mailbox).inbound
    assert inbound.outcome == Outcome.NEW_TICKET, inbound.reason
    ticket = inbound.ticket
    assert ticket.category == hardware_mailbox.default_category
    assert ticket.status == Status.WAITING_CUSTOMER
    assert [spec.key for spec in ticket.missing_answers()] == ["serial"]
    (ack,) = [m for m in sent.outbox if "nina@newco.test" in m.to]
    assert "Serial number" in ack.body
    assert "/portal/answers/" in ack.body


def test_a_letter_quarantined_before_the_fix_is_processed_again_into_a_ticket(
    hardware_mailbox,
):
    stored = InboundMessage.objects.create(
        raw=LETTER,
        content_hash=hashlib.sha256(LETTER).hexdigest(),
        mailbox=hardware_mailbox,
        outcome=Outcome.QUARANTINED,
        reason="processing failed: ValidationError({'serial': ['required']})",
    )
    assert reprocess(stored).outcome == Outcome.NEW_TICKET
    assert stored.ticket.missing_answers()[0].key == "serial"
    # Received again (an IMAP poll): the same bytes make no second ticket.
    again = receive(LETTER, mailbox=hardware_mailbox)
    assert again.duplicate and again.inbound.ticket_id == stored.ticket_id


def test_the_customer_answers_through_the_signed_link_without_signing_in(
    hardware_mailbox, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = receive(LETTER, mailbox=hardware_mailbox).inbound.ticket
    link = _answers_link(sent.outbox[0].body)
    page = client.get(link)
    assert page.status_code == 200
    assert "Serial number" in page.text
    assert 'name="f_model"' not in page.text  # only what is missing is asked

    refused = client.post(link, {"f_serial": ""})
    assert refused.status_code == 400

    answered = client.post(link, {"f_serial": "SN-12345"}, follow=True)
    assert answered.status_code == 200
    assert "Thank you" in answered.text
    ticket.refresh_from_db()
    assert ticket.fields["serial"] == "SN-12345"
    assert ticket.missing_answers() == []
    assert ticket.status == Status.OPEN
    event = ticket.events.filter(kind=EventKind.FIELDS).get()
    assert event.actor == ticket.requester
    # Works once: the answers are in, so the link asks nothing more.
    again = client.post(link, {"f_serial": "SN-99999"})
    assert again.status_code == 410
    ticket.refresh_from_db()
    assert ticket.fields["serial"] == "SN-12345"


def test_a_tampered_link_is_refused(hardware_mailbox, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receive(LETTER, mailbox=hardware_mailbox)
    link = _answers_link(sent.outbox[0].body)
    token = link.rstrip("/").rsplit("/", 1)[1]
    number, rest = token.split(":", 1)
    forged = link.replace(token, f"{int(number) + 1}:{rest}")
    assert client.get(forged).status_code == 404
    assert client.get(link[:-3] + "xx/").status_code == 404


def test_an_expired_link_is_refused(
    hardware_mailbox, client, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(LETTER, mailbox=hardware_mailbox)
    link = _answers_link(sent.outbox[0].body)
    days = settings.FRONTLINE["ANSWERS_LINK_DAYS"]
    with time_machine.travel(timezone.now() + timezone.timedelta(days=days + 1)):
        page = client.get(link)
    assert page.status_code == 410
    assert "expired" in page.text


def test_the_desk_shows_which_answers_are_missing(hardware_mailbox, client, people):
    ticket = receive(LETTER, mailbox=hardware_mailbox).inbound.ticket
    client.force_login(people.alice)
    page = client.get(reverse("desk:ticket", args=[ticket.pk]))
    assert page.status_code == 200
    assert "Missing answers" in page.text and "Serial number" in page.text


def test_the_portal_form_still_requires_the_answers(people, client):
    client.force_login(people.carol)
    page = client.post(
        reverse("portal:new_request", args=[people.hardware.pk]),
        {"subject": "Broken", "body": "It is broken."},
    )
    assert page.status_code == 400


def test_a_signed_in_customer_is_offered_the_questions_on_the_portal(
    hardware_mailbox, client, people
):
    ticket = receive(LETTER, mailbox=hardware_mailbox).inbound.ticket
    client.force_login(ticket.requester)
    page = client.get(reverse("portal:ticket", args=[ticket.pk]))
    assert "Answer the questions" in page.text
    link = re.search(r'href="(/portal/answers/[^"]+/)"', page.text).group(1)
    client.post(link, {"f_serial": "SN-7"})
    page = client.get(reverse("portal:ticket", args=[ticket.pk]))
    assert "Answer the questions" not in page.text


def test_the_import_command_makes_a_ticket_of_such_a_letter(hardware_mailbox, tmp_path):
    path = tmp_path / "laptop.eml"
    path.write_bytes(LETTER)
    out = StringIO()
    call_command("mail", "import", str(path), "--mailbox", hardware_mailbox.address, stdout=out)
    assert "new tickets 1" in out.getvalue() and "quarantined 1" not in out.getvalue()
