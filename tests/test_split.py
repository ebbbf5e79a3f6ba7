"""Splitting a message off into a ticket of its own: the message and its files
move, the two tickets are linked, its writer hears the new number from the new
ticket's reply address, and their answer to that mail lands on the new ticket."""

from __future__ import annotations

import pytest
from django.core import mail as sent
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from frontline.mail.inbound import receive
from frontline.mail.models import Mailbox, Outcome
from frontline.tickets import actions
from frontline.tickets.models import (
    Attachment,
    EventKind,
    LinkKind,
    Message,
    Ticket,
    TicketEvent,
    TicketLink,
)
from tests.conftest import login


@pytest.fixture
def two_problems(people, ticket):
    """Carol's billing ticket; an agent answers; Carol's second message (with a
    file) is about her printer, another matter."""
    actions.add_reply(ticket, body="We are refunding the second charge.", by=people.alice)
    actions.add_note(ticket, body="Refund booked in the ledger.", by=people.alice)
    printer = actions.add_reply(
        ticket,
        body="Thanks! Also: my printer prints blank pages since Monday.\nIt is an HP.",
        by=people.carol,
        files=[SimpleUploadedFile("printout.pdf", b"%PDF-1.4 blank page")],
    )
    return ticket, printer


def test_a_customers_message_becomes_a_ticket_of_their_own_with_its_files(
    people, two_problems, django_capture_on_commit_callbacks
):
    ticket, printer = two_problems
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    files = list(printer.attachments.values_list("pk", flat=True))
    before = Message.objects.filter(ticket=ticket).count()
    sent.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = actions.split_message(printer, by=people.alice, subject="Printer prints blank")
    assert new.pk != ticket.pk and new.subject == "Printer prints blank"
    assert new.requester == people.carol and new.organisation == people.acme
    assert new.category == ticket.category and new.created_at == printer.created_at
    assert list(new.messages.values_list("pk", flat=True)) == [printer.pk]
    assert list(Attachment.objects.filter(ticket=new).values_list("pk", flat=True)) == files
    assert ticket.messages.count() == before - 1
    assert ticket.messages.filter(body__startswith="Refund booked").exists()  # notes stay
    link = TicketLink.objects.get()
    assert (link.source_id, link.target_id, link.kind) == (new.pk, ticket.pk, LinkKind.RELATED)
    created = new.events.get(kind=EventKind.CREATED)
    assert created.data["split_from"] == ticket.pk and created.actor == people.alice
    split = ticket.events.get(kind=EventKind.SPLIT)
    assert split.data["new"] == new.pk and split.data["message"] == printer.pk
    # One mail: to Carol about the new number, answerable on the new ticket; no
    # second "request received".
    (told,) = sent.outbox
    assert told.to == ["carol@example.com"]
    assert new.reference in told.subject and ticket.reference in told.body
    assert told.reply_to == [f"support+t-{new.reply_token}@frontline.test"]
    assert "Refund booked" not in told.body


def test_the_writers_answer_to_the_split_mail_lands_on_the_new_ticket(people, two_problems):
    ticket, printer = two_problems
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    people.carol.email_verified_at = timezone.now()
    people.carol.save(update_fields=["email_verified_at"])
    new = actions.split_message(printer, by=people.alice)
    assert new.subject == "Thanks! Also: my printer prints blank pages since Monday."
    raw = (
        "From: Carol Customer <carol@example.com>\r\n"
        f"To: support+t-{new.reply_token}@frontline.test\r\n"
        f"Subject: Re: [{new.reference}] {new.subject}\r\n"
        "Message-ID: <printer-2@example.com>\r\n\r\nIt is an HP LaserJet 1020.\r\n"
    ).encode()
    inbound = receive(raw).inbound
    assert inbound.outcome == Outcome.REPLY, inbound.reason
    assert inbound.ticket_id == new.pk
    assert not ticket.messages.filter(body__contains="LaserJet").exists()


def test_only_a_customers_later_message_is_split_off(people, two_problems):
    ticket, _printer = two_problems
    first, reply, note, _ = Message.objects.filter(ticket=ticket).order_by("created_at", "id")
    for message in (first, reply, note):
        with pytest.raises(ValidationError):
            actions.split_message(message, by=people.alice)
    assert Ticket.objects.count() == 1
    assert not TicketEvent.objects.filter(kind=EventKind.SPLIT).exists()


def test_customers_and_other_teams_cannot_split(people, two_problems, client):
    ticket, printer = two_problems
    with pytest.raises(PermissionDenied):
        actions.split_message(printer, by=people.carol)
    with pytest.raises(PermissionDenied):
        actions.split_message(printer, by=people.bob)  # Second line: not his ticket
    url = reverse("desk:split", args=[ticket.pk, printer.pk])
    login(client, people.carol)
    assert client.post(url, {"subject": ""}).status_code == 404
    login(client, people.bob)
    assert client.post(url, {"subject": ""}).status_code == 404
    assert Ticket.objects.count() == 1


def test_split_through_the_desk(people, two_problems, client):
    ticket, printer = two_problems
    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[ticket.pk]))
    # One split form: Carol's later message, not her first, not staff's.
    assert page.text.count("Split into a new ticket") == 1
    assert reverse("desk:split", args=[ticket.pk, printer.pk]) in page.text
    # A message of another ticket, a missing one: 404.
    other = actions.open_ticket(requester=people.carol, by=people.carol, subject="X", body="Y")
    missing = reverse("desk:split", args=[other.pk, printer.pk])
    assert client.post(missing, {"subject": ""}).status_code == 404
    too_long = client.post(
        reverse("desk:split", args=[ticket.pk, printer.pk]), {"subject": "x" * 400}
    )
    assert too_long.status_code == 400 and "at most 300 characters" in too_long.text
    response = client.post(
        reverse("desk:split", args=[ticket.pk, printer.pk]), {"subject": "Printer"}, follow=True
    )
    new = Ticket.objects.get(subject="Printer")
    assert response.redirect_chain[-1][0] == reverse("desk:ticket", args=[new.pk])
    assert f"The message is now ticket {new.reference}, linked to {ticket.reference}" in (
        response.text
    )
    assert "my printer prints blank pages" in response.text
    first = client.post(
        reverse("desk:split", args=[ticket.pk, ticket.messages.order_by("pk")[0].pk]),
        {"subject": ""},
    )
    assert first.status_code == 400 and "first message is the request itself" in first.text


def test_the_customer_sees_both_requests_on_the_portal(people, two_problems, client):
    ticket, printer = two_problems
    new = actions.split_message(printer, by=people.alice)
    login(client, people.carol)
    old = client.get(reverse("portal:ticket", args=[ticket.pk]))
    assert f"A message became request #{new.pk} of its own" in old.text
    assert "printer prints blank" not in old.text
    page = client.get(reverse("portal:ticket", args=[new.pk]))
    assert page.status_code == 200 and "printer prints blank" in page.text
    assert "printout.pdf" in page.text


def test_a_mail_split_off_goes_with_its_mailbox_and_thread(
    people, django_capture_on_commit_callbacks
):
    """Mail into the billing mailbox: the split notice goes out from there, and
    the received mail now belongs to the new ticket."""
    from frontline.mail.models import InboundMessage

    Mailbox.objects.create(name="Support", address="support@frontline.test")
    billing = Mailbox.objects.create(name="Billing", address="billing@frontline.test")
    people.carol.email_verified_at = timezone.now()
    people.carol.save(update_fields=["email_verified_at"])

    def mail(message_id: str, to: str, subject: str, body: str) -> int:
        raw = (
            f"From: Carol Customer <carol@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{message_id}@example.com>\r\n\r\n{body}\r\n"
        ).encode()
        inbound = receive(raw, mailbox=billing).inbound
        assert inbound.outcome in (Outcome.NEW_TICKET, Outcome.REPLY), inbound.reason
        return inbound.ticket_id

    ticket = Ticket.objects.get(
        pk=mail("first", "billing@frontline.test", "Invoice twice", "Charged twice.")
    )
    mail(
        "second",
        f"billing+t-{ticket.reply_token}@frontline.test",
        f"Re: [{ticket.reference}] Invoice twice",
        "Also my address on the invoice is wrong.",
    )
    second = ticket.messages.get(body__startswith="Also my address")
    sent.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = actions.split_message(second, by=people.alice, subject="Wrong address")
    assert InboundMessage.objects.get(message=second).ticket_id == new.pk
    (told,) = sent.outbox
    assert "billing@frontline.test" in told.from_email
    assert told.reply_to == [f"billing+t-{new.reply_token}@frontline.test"]


def test_the_new_ticket_keeps_the_answers_but_not_the_old_tickets_files(people):
    ticket = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Laptop screen flickers",
        body="Since the update.",
        category=people.hardware,
        fields={
            "serial": "SN-1",
            "model": "Laptop",
            "photo": SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64),
        },
    )
    assert "photo" in ticket.fields
    later = actions.add_reply(ticket, body="And the keyboard misses keys.", by=people.carol)
    new = actions.split_message(later, by=people.alice)
    assert new.fields == {"serial": "SN-1", "model": "Laptop"}
    assert new.category == people.hardware
