"""Sessions: staff are signed out when idle; anyone can sign out on every device."""

from __future__ import annotations

import time_machine
from django.test import Client

from tests.conftest import PASSWORD, login


def sign_in(client, username):
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_staff_session_ends_after_eight_idle_hours(client, people, ticket):
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        login(client, people.alice)
        assert client.get("/desk/q/open/").status_code == 200
        clock.shift(7 * 3600)
        assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 200  # active: counts
        clock.shift(7 * 3600)
        assert client.get("/desk/q/open/").status_code == 200  # 7 h after the last: still in
        clock.shift(8 * 3600 + 60)
        response = client.get("/desk/q/open/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/desk/q/open/")
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 8 hours without activity" in page
    assert client.get("/desk/q/open/").status_code == 302


def test_polling_does_not_keep_a_staff_session_alive(client, people, ticket):
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        login(client, people.alice)
        client.get(f"/desk/tickets/{ticket.pk}/")
        answers = []
        for _ in range(9):  # an open tab pings presence all night
            clock.shift(3600)
            answers.append(
                client.post(f"/desk/tickets/{ticket.pk}/presence/", HTTP_HX_REQUEST="true")
            )
    assert [a.status_code for a in answers] == [200] * 8 + [302]
    response = answers[-1]
    assert response["HX-Redirect"].startswith("/login/")


def test_the_idle_limit_is_a_setting_and_customers_are_not_affected(client, people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "STAFF_IDLE_HOURS": 1}
    customer = Client()
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        login(client, people.sam)
        login(customer, people.carol)
        client.get("/desk/q/open/")
        customer.get("/portal/")
        clock.shift(3600 + 120)
        assert client.get("/desk/q/open/").status_code == 302
        assert customer.get("/portal/").status_code == 200


def test_the_admin_is_covered_too(client, people):
    with time_machine.travel("2026-03-02 08:00Z", tick=False) as clock:
        login(client, people.ada)
        assert client.get("/admin/").status_code == 200
        clock.shift(9 * 3600)
        assert client.get("/admin/").status_code == 302


def test_sign_out_everywhere_ends_every_session_of_that_person_only(people):
    laptop, phone, other = Client(), Client(), Client()
    sign_in(laptop, "carol")
    sign_in(phone, "carol")
    sign_in(other, "erin")
    response = phone.post("/logout/everywhere/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "signed out on every device" in phone.get("/login/").content.decode()
    assert laptop.get("/portal/").status_code == 302
    assert phone.get("/portal/").status_code == 302
    assert other.get("/portal/").status_code == 200
    # Signing in again works, and the new session lasts.
    sign_in(laptop, "carol")
    assert laptop.get("/portal/").status_code == 200


def test_sign_out_everywhere_is_a_post(client, people):
    login(client, people.carol)
    assert client.get("/logout/everywhere/").status_code == 405
    assert client.get("/portal/").status_code == 200
