"""Finding 1 of issue 12: a forged sender in the display name (the Mailsploit shape)
never speaks for the person whose address it names."""

from __future__ import annotations

import pytest
from django.utils import timezone

from frontline.mail.inbound import receive
from frontline.mail.models import Outcome
from frontline.mail.parse import parse
from frontline.tickets.models import Message


def raw(from_header: str, subject: str = "Hello", message_id: str = "<f1@evil.test>") -> bytes:
    return (
        f"From: {from_header}\r\nTo: support@frontline.test\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 15 Jan 2024 10:30:00 +0000\r\n\r\n"
        "Please send the refund to my new account.\r\n"
    ).encode()


@pytest.mark.parametrize(
    "from_header",
    [
        "maria@example.com <attacker@evil.test>",
        "maria@example.com)<attacker@evil.test>",
        "maria@example.com<attacker@evil.test>",
        "=?utf-8?q?maria@example.com?= <attacker@evil.test>",
        '"maria@example.com" <attacker@evil.test>',
    ],
)
def test_the_address_in_a_display_name_is_never_the_sender(from_header):
    parsed = parse(raw(from_header))
    assert parsed.from_address == "attacker@evil.test"
    assert "maria" not in parsed.from_name


@pytest.mark.parametrize(
    "from_header",
    [
        "maria@example.com, attacker@evil.test",
        "maria@example.com attacker@evil.test",
        "<maria@example.com> <attacker@evil.test>",
    ],
)
def test_a_from_with_several_addresses_has_no_sender(from_header):
    parsed = parse(raw(from_header))
    assert parsed.from_address is None
    assert "from_ambiguous" in parsed.defects


@pytest.mark.parametrize(
    "from_header",
    [
        "maria@example.com <attacker@evil.test>",
        "maria@example.com)<attacker@evil.test>",
        "maria@example.com, attacker@evil.test",
    ],
)
def test_forged_mail_citing_marias_ticket_is_never_her_reply(people, from_header):
    people.maria.email_verified_at = timezone.now()
    people.maria.save()
    ticket = receive(raw("Maria Manager <maria@example.com>", "Broken screen", "<m0@acme>"))
    ticket = ticket.inbound.ticket
    assert ticket.requester == people.maria
    forged = receive(raw(from_header, f"Re: [#{ticket.pk}] Broken screen")).inbound
    assert Message.objects.filter(author=people.maria).count() == 1  # her first mail only
    if forged.outcome == Outcome.QUARANTINED:
        assert forged.reason == "sender address ambiguous (From holds several addresses)"
    else:
        assert forged.sender == "attacker@evil.test"
        assert forged.ticket is None or forged.ticket.requester != people.maria


def test_ordinary_and_sloppy_senders_still_parse(people):
    assert parse(raw("Maria Manager <maria@example.com>")).from_address == "maria@example.com"
    assert parse(raw("maria@example.com (Maria)")).from_address == "maria@example.com"
    assert parse(raw("<maria@example.com>")).from_address == "maria@example.com"
    # Malformed, but with one address in it: that one.
    sloppy = parse(raw("Maria Manager maria@example.com"))
    assert sloppy.from_address == "maria@example.com"
    # A display name that is the same address is kept.
    same = parse(raw('"maria@example.com" <maria@example.com>'))
    assert same.from_address == "maria@example.com" and same.from_name == "maria@example.com"
