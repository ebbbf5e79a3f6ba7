"""IMAP passwords are stored encrypted, read back plain, and re-encrypted on a key change."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from frontline.mail.models import Mailbox
from tests.conftest import login

PASSWORD = "hunter2-imap-secret"


def stored(mailbox: Mailbox) -> str:
    """The column as it is in the database (a cast to plain text skips decryption)."""
    rows = Mailbox.objects.filter(pk=mailbox.pk)
    return rows.annotate(raw=Cast("imap_password", TextField())).values_list("raw", flat=True)[0]


def put_raw(mailbox: Mailbox, value: str) -> None:
    """Write the column as it was before encryption (an expression skips the field)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password=Value(value, TextField()))


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)
    return out.getvalue()


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        name="Support",
        address="support@frontline.test",
        imap_host="imap.example.test",
        imap_username="support",
        imap_password=PASSWORD,
    )


def test_an_imap_password_is_stored_encrypted_and_read_back_plain(mailbox):
    raw = stored(mailbox)
    assert PASSWORD not in raw and raw.startswith("sealed:")
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == PASSWORD
    again = Mailbox.objects.get(pk=mailbox.pk)
    again.save()
    assert stored(mailbox) != raw  # sealed anew, never the same bytes twice


def test_a_password_set_in_the_admin_is_stored_encrypted(client, people):
    login(client, people.ada)
    response = client.post(
        "/admin/mail/mailbox/add/",
        {
            "name": "Billing",
            "address": "billing@frontline.test",
            "imap_host": "imap.example.test",
            "imap_security": "ssl",
            "imap_username": "billing",
            "imap_password": PASSWORD,
            "imap_folder": "INBOX",
            "imap_poll_seconds": 60,
            "imap_after": "flag",
            "stranger_replies": "new_ticket",
            "suspect_mail": "ticket",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    mailbox = Mailbox.objects.get(name="Billing")
    assert PASSWORD not in stored(mailbox)
    assert mailbox.imap_password == PASSWORD


def test_rotating_the_key_seals_every_password_under_the_new_one(mailbox, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a brand new secret key, long and random enough for this test"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == PASSWORD  # old key still opens
    assert rotate() == "Sealed the secrets of 1 row again.\n"
    settings.SECRET_KEY_FALLBACKS = []
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == PASSWORD  # new key alone


def test_rotating_seals_passwords_stored_before_encryption(mailbox):
    put_raw(mailbox, "plain-old-password")
    assert stored(mailbox) == "plain-old-password"
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "plain-old-password"
    rotate()
    assert "plain-old-password" not in stored(mailbox)
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "plain-old-password"


def test_a_password_no_key_opens_stops_the_rotation_with_a_clear_error(mailbox, settings):
    settings.SECRET_KEY = "another key entirely, and the old one is forgotten"
    raw = stored(mailbox)
    with pytest.raises(CommandError, match="SECRET_KEY_FALLBACKS"):
        rotate()
    assert stored(mailbox) == raw  # nothing overwritten
    # Pages and the poller go on: the password reads as empty, and the login fails.
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == ""
