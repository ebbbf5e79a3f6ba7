"""Staff who must use single sign-on (``STAFF_SIGN_ON_ONLY``): someone removed at
the provider cannot come back with a password or a passkey they still hold, and
a session that signed on goes back through the provider after
``STAFF_SIGN_ON_HOURS``, where someone removed is refused. Over HTTP, against
the real provider on loopback of tests/test_single_sign_on.py."""

from __future__ import annotations

import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.conftest import PASSWORD, login
from tests.test_passkeys import SoftPasskey, add_passkey, passkey_options
from tests.test_security_keys import post_json, with_app  # noqa: F401
from tests.test_single_sign_on import (  # noqa: F401
    allow_forms_to,
    at_provider,
    provider,
    sign_in_through,
    signed_in_as,
    sso,
)

REFUSED = "Staff sign in here with single sign-on only"


def enforce(settings, hours: float = 8) -> None:
    settings.FRONTLINE = {
        **settings.FRONTLINE,
        "STAFF_SIGN_ON_ONLY": True,
        "STAFF_SIGN_ON_HOURS": hours,
    }


def test_staff_passwords_are_refused_with_the_reason_customers_keep_theirs(
    client,
    people,
    sso,  # noqa: F811
    settings,
):
    enforce(settings)
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200 and signed_in_as(client) is None
    page = response.content.decode()
    assert REFUSED in page and "Sign in with Acme ID" in page
    # A wrong password is still only a wrong password (nothing said about the account).
    wrong = client.post("/login/", {"username": "alice", "password": "not-it"})
    assert REFUSED not in wrong.content.decode()
    # The admin's own form refuses the same way.
    admin = client.post("/admin/login/", {"username": "ada", "password": PASSWORD})
    assert admin.status_code == 200 and REFUSED in admin.content.decode()
    assert signed_in_as(client) is None
    # A customer signs in with a password as before.
    customer = client.post("/login/", {"username": "carol", "password": PASSWORD})
    assert customer.status_code == 302 and signed_in_as(client) == people.carol


def test_without_the_setting_or_without_sign_on_staff_passwords_work(client, people, settings):
    enforce(settings)  # on, but sign-on is not set up: nothing is refused (and the check says so)
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    assert client.get("/desk/", follow=True).status_code == 200


def test_a_staff_passkey_is_refused(client, people, sso, settings, with_app):  # noqa: F811
    soft = SoftPasskey()
    assert add_passkey(client, soft).status_code == 200
    client.logout()
    enforce(settings)
    answer = post_json(client, "/login/passkey/?next=/desk/", soft.get(passkey_options(client)))
    assert answer.status_code == 400 and REFUSED in answer.json()["error"]
    assert signed_in_as(client) is None


def test_a_staff_session_from_before_the_setting_ends_at_its_next_request(
    client,
    people,
    sso,  # noqa: F811
    settings,
):
    login(client, people.alice)  # a password session
    assert client.get("/desk/q/open/").status_code == 200
    enforce(settings)
    response = client.get("/desk/q/open/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/desk/q/open/")
    assert signed_in_as(client) is None
    assert REFUSED in client.get(response["Location"]).content.decode()
    # An htmx request gets the whole sign-in page, not a fragment of it.
    login(client, people.alice)
    answer = client.get("/desk/q/open/", headers={"HX-Request": "true"})
    assert answer["HX-Redirect"].startswith("/login/")


def test_a_signed_on_session_goes_back_to_the_provider_after_the_hours(
    client,
    people,
    sso,  # noqa: F811
    settings,
):
    enforce(settings, hours=8)
    at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=["support"])
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        assert sign_in_through(client, "u-1").status_code == 302
        assert signed_in_as(client) == people.alice
        clock.shift(4 * 3600)
        assert client.get("/desk/q/open/").status_code == 200
        clock.shift(4 * 3600 - 60)
        assert client.get("/desk/q/open/").status_code == 200  # busy all day: still in
        clock.shift(120)  # eight hours after signing on
        response = client.get("/desk/q/open/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert signed_in_as(client) is None
        page = client.get(response["Location"]).content.decode()
        assert "Staff sign in again with single sign-on every 8 hours" in page
        # Still known at the provider: back in at once, for another eight hours.
        assert sign_in_through(client, "u-1").status_code == 302
        assert client.get("/desk/q/open/").status_code == 200


def test_someone_removed_at_the_provider_is_out_within_the_hours(
    client,
    people,
    sso,  # noqa: F811
    settings,
):
    enforce(settings, hours=1)
    at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=["support"])
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        assert sign_in_through(client, "u-1").status_code == 302
        assert client.get("/desk/q/open/").status_code == 200
        # Removed from the support groups at the provider: within the hour she
        # must sign on again, which the provider's groups now refuse (no staff
        # role, and customers may not sign on here), and her password is refused.
        at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=[])
        clock.shift(3600 + 60)
        assert client.get("/desk/q/open/").status_code == 302
        password = client.post("/login/", {"username": "alice", "password": PASSWORD})
        assert password.status_code == 200 and signed_in_as(client) is None
        assert sign_in_through(client, "u-1").status_code == 403
        assert signed_in_as(client) is None
        assert client.get("/desk/q/open/").status_code == 302


def test_the_setting_without_sign_on_is_refused_at_start(settings, db):
    enforce(settings)
    try:
        call_command("check")
    except SystemCheckError as error:
        assert "STAFF_SIGN_ON_ONLY is set, but single sign-on is off" in str(error)
    else:
        raise AssertionError("the check passed")
