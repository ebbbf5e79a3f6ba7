"""IMAP over TLS, against the test Dovecot's implicit-TLS and STARTTLS listeners.

Its certificate is signed by a throwaway CA (see conftest.py) that nothing trusts
until a test trusts it the way an operator would: ``MAIL_CA_FILE`` (or OpenSSL's
own ``SSL_CERT_FILE``).
"""

import pytest
from django.core.management import CommandError

from frontline.mail import imap, tasks
from frontline.mail.models import ImapSecurity, InboundMessage, Mailbox, Outcome
from frontline.tickets.models import Ticket
from tests.mail.test_imap import append, imap_mailbox, poll_command, server_flags
from tests.mail.test_inbound import mail

pytestmark = pytest.mark.django_db(transaction=True)

FETCHED = {b"\\Seen", imap.FETCHED.encode()}


@pytest.fixture(autouse=True)
def nothing_trusted_yet(monkeypatch, settings):
    """Only the system's CAs, whatever the environment running the tests says."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings.MAIL_CA_FILE = ""


@pytest.fixture
def trusted(dovecot, settings):
    """The operator trusts the server's private CA."""
    settings.MAIL_CA_FILE = str(dovecot.ca_file)
    return dovecot


def ssl_mailbox(dovecot, **extra) -> Mailbox:
    return imap_mailbox(
        dovecot, imap_security=ImapSecurity.SSL, imap_port=dovecot.tls_port, **extra
    )


def starttls_mailbox(dovecot, **extra) -> Mailbox:
    return imap_mailbox(dovecot, imap_security=ImapSecurity.STARTTLS, **extra)


def test_an_ssl_mailbox_fetches_mail(trusted):
    box = ssl_mailbox(trusted)
    append(trusted, mail(sender="Nina New <nina@newco.test>"))
    assert "Support: read 1, new tickets 1" in poll_command()
    assert Ticket.objects.get().requester.email == "nina@newco.test"
    assert server_flags(trusted) == [FETCHED]
    box.refresh_from_db()
    assert box.imap_last_error == ""


def test_a_starttls_mailbox_fetches_mail(trusted):
    # By name this time: the certificate names localhost too.
    box = starttls_mailbox(trusted, imap_host="localhost")
    append(trusted, mail())
    assert tasks.poll_mailbox.enqueue(box.pk).return_value == {
        "read": 1,
        Outcome.NEW_TICKET: 1,
    }
    assert Ticket.objects.count() == 1
    assert server_flags(trusted) == [FETCHED]
    box.refresh_from_db()
    assert box.imap_last_error == ""


def test_the_idle_watcher_works_over_tls(trusted):
    import threading

    box = ssl_mailbox(trusted)
    append(trusted, mail())
    outcome = imap.watch(box, stop=threading.Event(), rounds=1)
    assert outcome.offered and outcome.error == "" and outcome.counts[Outcome.NEW_TICKET] == 1


@pytest.mark.parametrize("mailbox", [ssl_mailbox, starttls_mailbox], ids=["ssl", "starttls"])
@pytest.mark.parametrize("trust", ["MAIL_CA_FILE", "SSL_CERT_FILE"])
def test_an_untrusted_certificate_fails_clearly_and_loses_nothing_until_trusted(
    dovecot, monkeypatch, settings, mailbox, trust
):
    box = mailbox(dovecot)
    append(dovecot, mail())
    with pytest.raises(CommandError, match="Polling failed for: Support"):
        poll_command()
    box.refresh_from_db()
    assert box.imap_last_error.startswith(
        "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "unable to get local issuer certificate"
    )
    assert "trust it with MAIL_CA_FILE" in box.imap_last_error
    assert box.imap_lease_until is None
    assert not InboundMessage.objects.exists()
    assert server_flags(dovecot) == [set()]  # untouched, there for the next poll

    if trust == "MAIL_CA_FILE":
        settings.MAIL_CA_FILE = str(dovecot.ca_file)
    else:
        monkeypatch.setenv(trust, str(dovecot.ca_file))
    assert "Support: read 1, new tickets 1" in poll_command()
    assert server_flags(dovecot) == [FETCHED]
    box.refresh_from_db()
    assert box.imap_last_error == ""


def test_a_certificate_for_another_name_is_refused_even_from_a_trusted_ca(trusted):
    box = ssl_mailbox(trusted, imap_host=trusted.misnamed_host)
    append(trusted, mail())
    result = imap.poll(box)
    assert "certificate verify failed: IP address mismatch" in result.error
    assert "MAIL_CA_FILE" not in result.error  # trusting more CAs would not help
    assert not Ticket.objects.exists()
    assert server_flags(trusted) == [set()]


def test_starttls_never_falls_back_to_plain_text(trusted):
    box = starttls_mailbox(
        trusted, imap_host=trusted.no_starttls_host, imap_port=trusted.no_starttls_port
    )
    append(trusted, mail())
    with pytest.raises(CommandError):
        poll_command()
    box.refresh_from_db()
    assert box.imap_last_error == (
        f"ImapSetupError: {trusted.no_starttls_host}:{trusted.no_starttls_port} does not "
        "offer STARTTLS; not logging in without TLS"
    )
    assert not Ticket.objects.exists()
    assert server_flags(trusted) == [set()]


def test_a_ca_file_that_cannot_be_read_is_a_clear_error(dovecot, settings, tmp_path):
    box = ssl_mailbox(dovecot)
    settings.MAIL_CA_FILE = str(tmp_path / "missing.pem")
    error = imap.poll(box).error
    assert error.startswith(f"ImapSetupError: MAIL_CA_FILE {tmp_path / 'missing.pem'} cannot")
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    settings.MAIL_CA_FILE = str(tmp_path / "garbage.pem")
    assert imap.poll(box).error.startswith("ImapSetupError: MAIL_CA_FILE")
