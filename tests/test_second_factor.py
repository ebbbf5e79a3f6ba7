"""The second factor: an authenticator app and recovery codes, always for the
Django admin, for staff when required, and for everyone who set one up."""

from __future__ import annotations

import base64
import re

import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD


def code_of(device: TOTPDevice) -> str:
    """What the person's phone shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def sign_in(client, username) -> Client:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def set_up_app(client, user) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    typed = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r"<code>([A-Z2-7 ]+)</code>", page.content.decode())[1]
    assert shown.replace(" ", "") == typed  # the key to type, as apps take it
    done = client.post("/account/two-factor/", {"code": code_of(device)})
    assert done.status_code == 200
    codes = re.findall(r"<code>([^<]+)</code>", done.content.decode())
    device.refresh_from_db()
    assert device.confirmed and len(codes) == 10
    return device, codes


def test_the_admin_asks_for_a_second_factor_even_after_the_password(client, people):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        sign_in(client, "ada")
        # No app yet: the admin sends her to set one up, then lets her in.
        response = client.get("/admin/")
        assert response.status_code == 302
        follow = client.get(response["Location"])
        assert follow.status_code == 302 and follow["Location"].startswith("/account/two-factor/")
        device, _codes = set_up_app(client, people.ada)
        assert client.get("/admin/").status_code == 200
        # Next time the password alone does not open it.
        client.logout()
        clock.shift(60)
        sign_in(client, "ada")
        response = client.get("/admin/accounts/user/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/two-factor/verify/")
        assert client.get("/admin/accounts/user/", follow=True).status_code == 200
        assert b"authenticator app" in client.get("/admin/accounts/user/", follow=True).content
        verified = client.post(
            "/account/two-factor/verify/?next=/admin/accounts/user/", {"code": code_of(device)}
        )
        assert verified.status_code == 302 and verified["Location"] == "/admin/accounts/user/"
        assert client.get("/admin/accounts/user/").status_code == 200


def test_a_customer_who_set_up_an_app_is_asked_for_it_at_every_sign_in(client, people):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        sign_in(client, "carol")
        device, codes = set_up_app(client, people.carol)
        client.logout()
        clock.shift(60)
        sign_in(client, "carol")
        blocked = client.get("/portal/")
        assert blocked.status_code == 302
        assert blocked["Location"].startswith("/account/two-factor/verify/")
        assert client.post("/account/two-factor/verify/", {"code": "123456"}).status_code == 400
        assert client.get("/portal/").status_code == 302
        clock.shift(10)  # django-otp slows down guessing after each wrong code
        # A recovery code works once.
        assert client.post("/account/two-factor/verify/", {"code": codes[0]}).status_code == 302
        assert client.get("/portal/").status_code == 200
        client.logout()
        sign_in(client, "carol")
        assert client.post("/account/two-factor/verify/", {"code": codes[0]}).status_code == 400
        clock.shift(10)  # django-otp slows down guessing after each wrong code
        assert client.post("/account/two-factor/verify/", {"code": codes[1]}).status_code == 302
        # And the app's code, as every day.
        client.logout()
        clock.shift(60)
        sign_in(client, "carol")
        answer = client.post("/account/two-factor/verify/", {"code": code_of(device)})
        assert answer.status_code == 302
        assert client.get("/portal/").status_code == 200


def test_a_password_alone_cannot_set_up_another_app(client, people):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False) as clock:
        sign_in(client, "carol")
        set_up_app(client, people.carol)
        thief = Client()
        clock.shift(60)
        sign_in(thief, "carol")
        response = thief.get("/account/two-factor/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/two-factor/verify/")
        thief.post("/account/two-factor/", {"code": "000000"})
        assert thief.post("/account/two-factor/off/").status_code == 302
        assert TOTPDevice.objects.filter(user=people.carol, confirmed=True).count() == 1


def test_staff_must_set_up_an_app_when_the_deployment_requires_it(client, people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "STAFF_SECOND_FACTOR": True}
    sign_in(client, "alice")
    response = client.get("/desk/q/open/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/?next=/desk/q/open/")
    page = client.get(response["Location"]).content.decode()
    assert "needs a second factor" in page
    set_up_app(client, people.alice)
    assert client.get("/desk/q/open/").status_code == 200
    # It cannot be turned off while required.
    client.post("/account/two-factor/off/")
    assert TOTPDevice.objects.filter(user=people.alice, confirmed=True).exists()
    # Customers are not asked.
    customer = sign_in(Client(), "carol")
    assert customer.get("/portal/").status_code == 200


def test_a_wrong_code_does_not_turn_the_app_on(client, people):
    sign_in(client, "carol")
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"code": "000000"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=people.carol, confirmed=True).exists()


def test_without_the_requirement_staff_work_with_a_password(client, people):
    sign_in(client, "alice")
    assert client.get("/desk/q/open/").status_code == 200


def test_turning_the_app_off_keeps_the_session_and_the_next_sign_in_needs_no_code(client, people):
    with time_machine.travel("2026-03-02 09:00:00Z", tick=False):
        sign_in(client, "carol")
        set_up_app(client, people.carol)
        response = client.post("/account/two-factor/off/")
        assert response.status_code == 302
        assert "The second factor is off." in client.get("/account/two-factor/").content.decode()
        assert client.get("/portal/").status_code == 200
        client.logout()
        sign_in(client, "carol")
        assert client.get("/portal/").status_code == 200
