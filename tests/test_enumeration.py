"""Sign-up and "forgot your password" tell a stranger nothing about who has an
account, and cannot be used to flood anyone's mailbox."""

from __future__ import annotations

import re

import pytest

from frontline.accounts.models import User
from frontline.mail.inbound import receive
from tests.conftest import PASSWORD

NEW_PASSWORD = "a long enough passphrase"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def sign_up(client, email, address="10.1.0.1"):
    return client.post(
        "/portal/signup/",
        {"name": "Someone", "email": email, "password": NEW_PASSWORD},
        REMOTE_ADDR=address,
    )


def page_after(client, response) -> str:
    """The page a sign-up leads to, with the address typed in left out."""
    page = client.get(response["Location"]).content.decode()
    page = re.sub(r"\S+@\S+\.(?:test|com)", "ADDRESS", page)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", page)


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(
    client, people, mailoutbox, committed
):
    with committed():
        known = sign_up(client, "carol@example.com")
    known_page = page_after(client, known)
    client.cookies.clear()
    with committed():
        unknown = sign_up(client, "nobody@example.com")
    unknown_page = page_after(client, unknown)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert known_page == unknown_page
    # Neither signs the visitor in; nobody took over Carol's account.
    assert client.get("/portal/").status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.check_password(PASSWORD)
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1
    # Carol hears of it, with a way to set her password; the newcomer gets a confirmation.
    to = {mail.to[0]: mail for mail in mailoutbox}
    assert set(to) == {"carol@example.com", "nobody@example.com"}
    assert "/password/" in to["carol@example.com"].body
    assert "/portal/verify/" in to["nobody@example.com"].body


def test_someone_who_wrote_by_mail_signing_up_gets_a_link_to_set_a_password(
    client, db, mailoutbox, committed
):
    contact = receive(
        b"From: Mo <mo@example.org>\r\nTo: support@frontline.test\r\nSubject: Hi\r\n"
        b"Message-ID: <mo1@example.org>\r\n\r\nHello.\r\n"
    ).inbound.ticket.requester
    mailoutbox.clear()
    with committed():
        response = sign_up(client, "MO@example.org")
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="mo@example.org").get() == contact
    (mail,) = mailoutbox
    assert mail.to == ["mo@example.org"] and "/password/" in mail.body


def test_a_weak_password_is_refused_the_same_way_for_a_known_address(client, people):
    known = client.post(
        "/portal/signup/", {"name": "C", "email": "carol@example.com", "password": "password"}
    )
    unknown = client.post(
        "/portal/signup/", {"name": "C", "email": "zed@example.com", "password": "password"}
    )
    assert known.status_code == unknown.status_code == 200
    assert "exists" not in known.content.decode()
    assert known.context["form"].errors == unknown.context["form"].errors


def test_sign_up_is_limited_per_address_and_hour(client, people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "ACCOUNT_FORMS_PER_HOUR": 3}
    for i in range(3):
        assert sign_up(client, f"n{i}@example.com", "10.1.1.1").status_code == 302
    refused = sign_up(client, "n9@example.com", "10.1.1.1")
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert not User.objects.filter(email="n9@example.com").exists()
    assert sign_up(client, "n10@example.com", "10.1.1.2").status_code == 302


def test_forgot_password_is_limited_per_address_and_hour(
    client, people, settings, mailoutbox, committed
):
    settings.FRONTLINE = {**settings.FRONTLINE, "ACCOUNT_FORMS_PER_HOUR": 2}
    emails = ["carol@example.com", "erin@example.com", "maria@example.com"]
    with committed():
        answers = [
            client.post("/password/", {"email": email}, REMOTE_ADDR="10.1.2.2") for email in emails
        ]
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert sorted(m.to[0] for m in mailoutbox) == emails[:2]
