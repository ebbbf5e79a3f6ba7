"""Accepting mail by SMTP and LMTP: a real aiosmtpd listener on loopback, smtplib as client."""

import smtplib

import pytest

from frontline.mail.listener import MailController
from frontline.mail.models import InboundMessage, Mailbox, Outcome
from frontline.tickets.models import Ticket
from tests.mail.conftest import _free_port
from tests.mail.test_inbound import mail as lf_mail

# The listener stores messages from its own thread, so no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["smtp", "lmtp"])
def listener(request, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_MESSAGE_BYTES": 20_000}
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    lmtp = request.param == "lmtp"
    controller = MailController("127.0.0.1", _free_port(), lmtp=lmtp)
    controller.start()
    yield controller
    controller.stop()


def mail(**headers) -> bytes:
    """A test message with the CRLF line ends SMTP carries."""
    return lf_mail(**headers).replace(b"\n", b"\r\n")


BIG_BODY = "x" * 70 + "\n"
BIG_BODY *= 500  # 35 KB in short lines


def connect(listener) -> smtplib.SMTP:
    if listener.lmtp:
        client = smtplib.LMTP("127.0.0.1", listener.port, timeout=10)
        client.ehlo("client.example")  # sends LHLO
        return client
    client = smtplib.SMTP("127.0.0.1", listener.port, timeout=10)
    client.ehlo("client.example")
    return client


def send(listener, raw: bytes, to: str = "support@frontline.test") -> dict:
    with connect(listener) as client:
        return client.sendmail("carol@example.com", [to], raw)


def test_an_accepted_message_is_stored_and_becomes_a_ticket(listener):
    raw = mail(sender="Nina New <nina@newco.test>")
    assert send(listener, raw) == {}
    inbound = InboundMessage.objects.get()
    assert bytes(inbound.raw) == raw
    assert inbound.source == ("lmtp" if listener.lmtp else "smtp")
    assert inbound.mailbox.address == "support@frontline.test"
    assert inbound.outcome == Outcome.NEW_TICKET
    assert Ticket.objects.get().requester.email == "nina@newco.test"


def test_the_same_message_delivered_twice_makes_one_ticket(listener):
    send(listener, mail())
    send(listener, mail())
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_an_unknown_recipient_is_refused_with_550(listener):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(listener, mail(), to="nobody@frontline.test")
    code, _text = refused.value.recipients["nobody@frontline.test"]
    assert code == 550
    assert not InboundMessage.objects.exists()


def test_an_inactive_mailbox_refuses_mail(listener):
    Mailbox.objects.update(is_active=False)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(listener, mail())


def test_an_oversized_message_is_refused_with_552(listener):
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(listener, mail(body=BIG_BODY))
    assert refused.value.smtp_code == 552
    assert not InboundMessage.objects.exists()


def test_an_oversized_message_without_a_declared_size_is_refused_with_552(listener):
    with connect(listener) as client:
        client.mail("carol@example.com")  # no SIZE= parameter
        client.rcpt("support@frontline.test")
        code, _text = client.data(mail(body=BIG_BODY))
    assert code == 552
    assert not InboundMessage.objects.exists()


def test_the_plus_address_token_threads_a_reply_to_its_ticket(listener):
    send(listener, mail())
    ticket = Ticket.objects.get()
    reply_to = f"support+t-{ticket.reply_token}@frontline.test"
    raw = mail(subject="Re: something else", body="More detail.", message_id="<m2@x>")
    raw = raw.replace(b"To: support@frontline.test", f"To: {reply_to}".encode())
    assert send(listener, raw, to=reply_to) == {}
    reply = InboundMessage.objects.get(message_id_header="m2@x")
    assert reply.outcome == Outcome.REPLY and reply.ticket == ticket
    assert reply.mailbox.address == "support@frontline.test"
    assert ticket.messages.count() == 2


@pytest.mark.parametrize("listener", ["lmtp"], indirect=True)
def test_lmtp_answers_data_once_per_recipient(listener):
    Mailbox.objects.create(name="Sales", address="sales@frontline.test")
    with connect(listener) as client:
        client.mail("carol@example.com")
        client.rcpt("support@frontline.test")
        client.rcpt("sales+quotes@frontline.test")
        first, _text = client.data(mail())
        second, _text = client.getreply()
        assert (first, second) == (250, 250)
    assert InboundMessage.objects.get().mailbox.name == "Support"
