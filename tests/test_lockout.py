"""Brute force: failed sign-ins lock an account and an address out, on every login form."""

from __future__ import annotations

import time_machine

from tests.conftest import PASSWORD

WRONG = "not the password"


def sign_in(client, url, username, password, address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_five_wrong_passwords_the_right_one_no_longer_signs_in(client, people):
    for _ in range(4):
        assert sign_in(client, "/login/", "carol", WRONG).status_code == 200
    assert sign_in(client, "/login/", "carol", WRONG).status_code == 429  # the fifth
    response = sign_in(client, "/login/", "carol", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Signing in is paused" in page and "15 minutes" in page
    assert "_auth_user_id" not in client.session
    # Locked out, not unlucky: the page says so on every try, and someone else
    # at another address still signs in.
    assert sign_in(client, "/login/", "maria", PASSWORD, address="10.0.0.9").status_code == 302


def test_the_admin_login_is_locked_out_too(client, people):
    for _ in range(5):
        sign_in(client, "/admin/login/", "ada", WRONG)
    response = sign_in(client, "/admin/login/", "ada", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_an_account_is_locked_from_any_address_in_any_letter_case(client, people):
    for i in range(5):
        sign_in(client, "/login/", ["carol", "Carol", " CAROL"][i % 3], WRONG, f"10.0.1.{i}")
    assert sign_in(client, "/login/", "carol", PASSWORD, "10.0.2.1").status_code == 429


def test_an_address_is_locked_for_every_account(client, people):
    for name in ["carol", "erin", "maria", "dan", "alice"]:
        sign_in(client, "/login/", name, WRONG, "10.0.3.3")
    assert sign_in(client, "/login/", "sam", PASSWORD, "10.0.3.3").status_code == 429
    assert sign_in(client, "/login/", "sam", PASSWORD, "10.0.3.4").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, people):
    with time_machine.travel("2026-03-02 09:00Z", tick=False):
        for _ in range(5):
            sign_in(client, "/login/", "carol", WRONG)
        assert sign_in(client, "/login/", "carol", PASSWORD).status_code == 429
    with time_machine.travel("2026-03-02 09:16Z", tick=False):
        assert sign_in(client, "/login/", "carol", PASSWORD).status_code == 302


def test_every_failure_and_the_lockout_are_recorded(client, people):
    for _ in range(6):
        sign_in(client, "/login/", "carol", WRONG, "10.0.4.4")
    from axes.models import AccessFailureLog  # here: the tests above run on any code

    rows = AccessFailureLog.objects.filter(username="carol", ip_address="10.0.4.4")
    assert rows.count() == 6
    assert rows.filter(locked_out=True).exists()


def test_an_unknown_account_is_locked_out_the_same_way(client, people):
    for _ in range(5):
        sign_in(client, "/login/", "nobody", WRONG, "10.0.5.5")
    known = sign_in(client, "/login/", "carol", WRONG, "10.0.5.5")
    unknown = sign_in(client, "/login/", "nobody", WRONG, "10.0.5.6")
    assert known.status_code == unknown.status_code == 429
