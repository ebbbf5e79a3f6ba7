"""A cap on a message's length (issue 12, finding 6): typed text over it is
refused with a message; mail over it becomes a ticket with the text shortened
and the whole text attached, and nothing is lost."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.core.exceptions import ValidationError

from frontline.mail.inbound import receive
from frontline.mail.models import Outcome
from frontline.tickets import actions
from frontline.tickets.models import Ticket
from tests.conftest import login


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_BODY_CHARS": 1000}


def test_a_request_over_the_limit_is_refused_on_the_portal_with_a_message(client, people):
    login(client, people.carol)
    response = client.post(
        f"/portal/new/{people.billing.pk}/", {"subject": "Long", "body": "x" * 1001}
    )
    assert response.status_code == 400
    assert "the limit is 1000" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_reply_at_the_limit_is_kept_and_one_over_it_refused(people, ticket):
    assert actions.add_reply(ticket, body="y" * 1000, by=people.alice).body == "y" * 1000
    with pytest.raises(ValidationError, match="the limit is 1000"):
        actions.add_note(ticket, body="z" * 1001, by=people.alice)
    assert ticket.messages.count() == 2  # the opening message and the reply


def test_a_desk_reply_over_the_limit_gets_the_message_not_a_500(client, people, ticket):
    login(client, people.alice)
    response = client.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "y" * 5000})
    assert response.status_code == 400
    assert "the limit is 1000" in response.content.decode()


def test_mail_over_the_limit_is_shortened_and_the_whole_text_attached(db):
    text = "".join(f"line {n}: the printer jams again\n" for n in range(400))  # ~13,000 chars
    msg = EmailMessage()
    msg["From"], msg["To"] = "nina@newco.test", "support@frontline.test"
    msg["Subject"], msg["Message-ID"] = "Long story", "<long@newco.test>"
    msg.set_content(text)
    raw = msg.as_bytes()
    inbound = receive(raw).inbound
    assert inbound.outcome == Outcome.NEW_TICKET
    assert "shortened" in inbound.reason
    message = inbound.ticket.messages.get()
    assert len(message.body) <= 1000 and "message.txt" in message.body
    assert message.body.startswith("line 0: the printer jams again")
    (whole,) = message.attachments.all()
    assert whole.filename == "message.txt"
    assert whole.file.read().decode().strip() == text.strip()
    assert bytes(inbound.raw) == raw
