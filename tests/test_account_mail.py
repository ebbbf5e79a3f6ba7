"""Address confirmation and password links: mailed, signed, and what confirming changes."""

import re

import pytest

from frontline.accounts.actions import email_verification_token
from frontline.accounts.models import User
from frontline.mail.inbound import receive
from frontline.tickets.models import EventKind, Ticket

LINK = re.compile(r"http://testserver\.example(/\S+)")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver.example"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def signup(client, committed, email="nora@acme.test"):
    """Sign up, then sign in (sign-up alone does not: its answer must not depend
    on whether the address had an account)."""
    password = "a long enough passphrase"
    with committed():
        response = client.post(
            "/portal/signup/", {"name": "Nora Newcomer", "email": email, "password": password}
        )
    assert response.status_code == 302
    signed_in = client.post("/login/", {"username": email, "password": password})
    assert signed_in.status_code == 302
    return User.objects.get(email=email)


def test_signing_up_mails_a_link_that_confirms_the_address_and_joins_the_organisation(
    client, people, mailoutbox, committed
):
    nora = signup(client, committed)
    assert nora.email_verified_at is None and nora.organisation is None
    page = client.get("/portal/").content.decode()
    assert "Please confirm your address" in page
    (mail,) = mailoutbox
    assert mail.to == ["nora@acme.test"] and "confirm" in mail.subject.lower()
    path = link_in(mail)
    # Opening the link (as a mail scanner would) confirms nothing yet.
    assert "Confirm that nora@acme.test is your address" in client.get(path).content.decode()
    nora.refresh_from_db()
    assert nora.email_verified_at is None
    response = client.post(path)
    assert response.status_code == 302
    nora.refresh_from_db()
    assert nora.email_verified_at is not None
    assert nora.organisation == people.acme and not nora.is_org_manager
    assert "Please confirm your address" not in client.get("/portal/").content.decode()


def test_a_forged_expired_or_stale_link_confirms_nothing(client, people, settings):
    carol = people.carol
    token = email_verification_token(carol)
    assert client.get(f"/portal/verify/{token}x/").status_code == 400
    assert client.post(f"/portal/verify/{token[:-2]}/").status_code == 400
    carol.email = "carol.new@example.com"  # the link was for the old address
    carol.save()
    assert client.post(f"/portal/verify/{token}/").status_code == 400
    settings.FRONTLINE = {**settings.FRONTLINE, "ACCOUNT_LINK_DAYS": -1}
    fresh = email_verification_token(carol)
    assert client.post(f"/portal/verify/{fresh}/").status_code == 400
    carol.refresh_from_db()
    assert carol.email_verified_at is None


def test_a_signed_in_customer_can_ask_for_the_link_again(client, people, mailoutbox, committed):
    signup(client, committed, email="late@example.com")
    mailoutbox.clear()
    with committed():
        response = client.post("/portal/verify/")
    assert response.status_code == 302
    (again,) = mailoutbox
    assert again.to == ["late@example.com"]


def test_mail_sent_before_confirming_moves_to_the_account_once_confirmed(
    client, people, mailoutbox, committed
):
    nora = signup(client, committed)
    before = receive(
        b"From: nora@acme.test\r\nTo: support@frontline.test\r\nSubject: Printer\r\n"
        b"Message-ID: <p1@acme.test>\r\n\r\nThe printer is out of toner.\r\n"
    ).inbound.ticket
    # An unconfirmed sign-up proves nothing, so the mail went to a separate contact.
    assert before.requester != nora
    contact = before.requester
    client.post(link_in(mailoutbox[0]))
    before.refresh_from_db()
    assert before.requester == nora
    # The timeline says why the requester changed.
    moved = before.events.get(kind=EventKind.REQUESTER)
    assert moved.data["old"] == contact.display_name and moved.data["new"] == nora.display_name
    assert f"/portal/tickets/{before.pk}/" in client.get("/portal/").content.decode()
    after = receive(
        b"From: nora@acme.test\r\nTo: support@frontline.test\r\nSubject: Scanner\r\n"
        b"Message-ID: <p2@acme.test>\r\n\r\nAnd the scanner.\r\n"
    ).inbound.ticket
    assert after.requester == nora and after.organisation == people.acme


def test_someone_who_only_wrote_by_mail_can_set_a_password(client, db, mailoutbox, committed):
    ticket = receive(
        b"From: Mo Mailer <mo@example.org>\r\nTo: support@frontline.test\r\nSubject: Hi\r\n"
        b"Message-ID: <mo1@example.org>\r\n\r\nHello.\r\n"
    ).inbound.ticket
    mo = ticket.requester
    assert not mo.has_usable_password()
    with committed():
        response = client.post("/password/", {"email": "MO@example.org"})
    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.to == ["mo@example.org"]
    path = link_in(mail)
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "tulips in the rain 42", "new_password2": "tulips in the rain 42"},
    )
    assert done.status_code == 302
    mo.refresh_from_db()
    assert mo.has_usable_password() and mo.email_verified_at is not None
    signed_in = client.post(
        "/login/", {"username": mo.username, "password": "tulips in the rain 42"}
    )
    assert signed_in.status_code == 302
    assert f"/portal/tickets/{ticket.pk}/" in client.get("/portal/").content.decode()
    # The link works once.
    assert "not valid any more" in client.get(path, follow=True).content.decode()


def test_password_links_ignore_the_host_header_and_unknown_addresses_learn_nothing(
    client, people, mailoutbox, settings, committed
):
    settings.ALLOWED_HOSTS = ["*"]
    with committed():
        known = client.post("/password/", {"email": "carol@example.com"}, HTTP_HOST="evil.test")
        unknown = client.post("/password/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    (mail,) = mailoutbox
    assert "evil.test" not in mail.body and link_in(mail).startswith("/password/")
    assert Ticket.objects.count() == 0


def test_the_link_only_counts_for_the_signed_in_owner_of_the_account(
    client, people, mailoutbox, committed
):
    # Mallory signs up with Nora's address; the confirmation goes to Nora.
    signup(client, committed, email="nora@acme.test")
    client.logout()
    path = link_in(mailoutbox[0])
    earlier = receive(
        b"From: nora@acme.test\r\nTo: support@frontline.test\r\nSubject: Salary\r\n"
        b"Message-ID: <s1@acme.test>\r\n\r\nMy salary question.\r\n"
    ).inbound.ticket
    # Nora, not signed in (she does not know Mallory's password), presses the button.
    response = client.post(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    squatter = User.objects.get(username="nora@acme.test")
    squatter.refresh_from_db()
    earlier.refresh_from_db()
    assert squatter.email_verified_at is None and earlier.requester != squatter


def test_account_links_are_not_kept_once_sent_and_are_rate_limited(
    client, people, mailoutbox, committed, settings
):
    from frontline.mail.models import Delivery, Notice, OutboundMessage

    for _ in range(5):
        with committed():
            client.post("/password/", {"email": "carol@example.com"})
    assert len(mailoutbox) == 3  # ACCOUNT_MAILS_PER_HOUR
    rows = OutboundMessage.objects.filter(notice=Notice.PASSWORD_RESET)
    assert rows.filter(status=Delivery.SUPPRESSED).count() == 2
    for row in rows.filter(status=Delivery.SENT):
        assert "/password/" not in row.body and "not kept" in row.body


def test_staff_locked_out_of_passwords_get_no_link(client, people, mailoutbox, committed):
    people.bob.set_unusable_password()
    people.bob.save()
    with committed():
        client.post("/password/", {"email": "bob@example.com"})
    assert mailoutbox == []


def test_confirming_brings_along_the_tickets_the_contact_was_copied_on(
    client, people, mailoutbox, committed
):
    from frontline.mail.models import Mailbox

    Mailbox.objects.create(name="Support", address="support@frontline.test")
    nora = signup(client, committed)  # not confirmed yet: mail copying her goes to a contact
    copied_on = receive(
        b"From: carol@example.com\r\nTo: support@frontline.test\r\nCc: nora@acme.test\r\n"
        b"Subject: Team offsite\r\nMessage-ID: <c1@example.com>\r\n\r\nPlans.\r\n"
    ).inbound.ticket
    (contact,) = copied_on.participants.all()
    assert contact != nora and contact.email == "nora@acme.test"
    client.post(link_in(mailoutbox[0]))
    assert list(copied_on.participants.all()) == [nora]
    kinds = list(copied_on.events.values_list("kind", "data__user"))
    assert (EventKind.PARTICIPANT_REMOVED, contact.pk) in kinds
    assert (EventKind.PARTICIPANT_ADDED, nora.pk) in kinds
    assert f"/portal/tickets/{copied_on.pk}/" in client.get("/portal/").content.decode()


# "ß" and the Kelvin sign "K" fold to "ss" and "k" under casefold() or some
# databases' UPPER/LOWER, yet are other people's addresses. (Forms refuse such
# local parts, so look-alike contacts come from mail.)
@pytest.mark.parametrize(
    ("real", "lookalike"),
    [("strasse@example.org", "straße@example.org"), ("kim@example.org", "\u212aim@example.org")],
)
def test_a_look_alike_address_is_another_person_everywhere(
    client, db, mailoutbox, committed, real, lookalike
):
    """Mail, the password form and confirming an address decide "the same
    address" one way: a look-alike Unicode address never reaches the account."""

    def mail_from(address: str, message_id: str) -> Ticket:
        return receive(
            f"From: {address}\r\nTo: support@frontline.test\r\nSubject: Hi\r\n"
            f"Message-ID: <{message_id}@example.org>\r\n\r\nHello.\r\n".encode()
        ).inbound.ticket

    nora = signup(client, committed, email=real)
    confirm = link_in(mailoutbox[-1])
    mailoutbox.clear()
    stranger = mail_from(lookalike, "s1").requester
    contact = mail_from(real.upper(), "o1").requester  # not Nora's until she confirms
    assert len({nora.pk, contact.pk, stranger.pk}) == 3 and stranger.email == lookalike
    assert mail_from(real, "o2").requester == contact

    # The password form reaches the people of exactly that address.
    with committed():
        client.post("/password/", {"email": real.upper()})
    assert sorted(m.to[0].lower() for m in mailoutbox) == [real, real]
    mailoutbox.clear()

    # Nora confirms: her mail comes along, the look-alike's stays where it is.
    client.post(confirm)
    assert Ticket.objects.filter(requester=nora).count() == 2
    assert Ticket.objects.filter(requester=stranger).count() == 1
