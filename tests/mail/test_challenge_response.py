"""Challenge-response filters ("confirm you are human") get no acknowledgement:
answering one confirms us as a sender to it, and two such filters loop."""

import pytest

from frontline.mail.inbound import receive
from frontline.mail.models import OutboundMessage, Outcome
from frontline.mail.parse import parse
from frontline.tickets.models import Ticket

from .test_inbound import mail

CHALLENGES = {
    "ask": {"X-AskVersion": "2.5.3 (http://www.paganini.net/ask)"},
    "boxtrapper": {"X-Boxtrapper": "d41d8cd98f00b204e9800998ecf8427e"},
    "bluebottle": {"X-Bluebottle-Request": "sender-verification"},
    "tmda": {"message_id": "<1165.3142.9@client.example-tmda-confirm>"},
    "unverified": {"subject": "Unverified email to sam@client.example"},
    "precedence": {"Precedence": "spam"},
}


@pytest.mark.parametrize("name", CHALLENGES)
def test_a_challenge_is_kept_but_opens_no_ticket_and_is_never_answered(
    db, name, django_capture_on_commit_callbacks
):
    headers = {"sender": "Sam Filter <confirm@client.example>", **CHALLENGES[name]}
    raw = mail(body="To reach me, click the link below to prove you are human.", **headers)
    assert any(r.startswith("challenge-response:") for r in parse(raw).auto.reasons)
    with django_capture_on_commit_callbacks(execute=True):
        inbound = receive(raw).inbound
    assert inbound.outcome == Outcome.SKIPPED and "challenge-response" in inbound.reason
    assert not Ticket.objects.exists() and not OutboundMessage.objects.exists()


def test_a_person_writing_about_a_challenge_is_still_a_request(db):
    raw = mail(subject="Your mail to me was held as unverified", body="Is this from you?")
    assert parse(raw).auto.reasons == ()
    assert receive(raw).inbound.outcome == Outcome.NEW_TICKET
