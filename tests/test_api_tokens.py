"""Personal API tokens: made and revoked on the person's own page, shown once,
stored hashed, with an optional expiry, a scope and the time last used."""

from __future__ import annotations

import contextlib
import datetime
import re
import sqlite3
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from frontline.api import actions
from frontline.api.models import ApiToken, Scope
from frontline.tickets.actions import open_ticket
from tests.conftest import login


def make_token(client, side: str, **data) -> str:
    response = client.post(
        f"/{side}/tokens/", {"name": "CRM sync", "scope": "read", "expires": "", **data}
    )
    assert response.status_code == 200, response.content[:500]
    secret = re.search(
        r'id="new-token" type="text" readonly value="([^"]+)"', response.content.decode()
    )
    assert secret, "the new secret is on the page"
    return secret.group(1)


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_customer_makes_a_token_on_the_portal_and_it_is_shown_once(client, people):
    login(client, people.carol)
    secret = make_token(client, "portal")
    token = ApiToken.objects.get(user=people.carol)
    assert secret not in (token.key_hash, token.prefix)
    assert len(token.key_hash) == 64
    page = client.get("/portal/tokens/").content.decode()
    assert "CRM sync" in page
    assert token.prefix in page
    assert secret not in page


def test_staff_make_theirs_in_the_desk(client, people):
    login(client, people.alice)
    secret = make_token(client, "desk", scope="write", expires="30")
    token = ApiToken.objects.get(user=people.alice)
    assert token.scope == Scope.WRITE
    assert token.expires_at is not None
    assert token.expires_at - timezone.now() > datetime.timedelta(days=29)
    me = client.get("/api/v1/me", **bearer(secret)).json()
    assert me["username"] == "alice"
    assert me["token_scope"] == "write"


def test_each_side_keeps_its_own_page(client, people):
    login(client, people.carol)
    assert client.get("/desk/tokens/").status_code == 404
    login(client, people.alice)
    assert client.get("/portal/tokens/").status_code == 404


def test_a_token_without_a_name_is_refused_with_a_message(client, people):
    login(client, people.carol)
    response = client.post("/portal/tokens/", {"name": "  ", "scope": "read"})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0


def test_the_token_authenticates_as_its_person_and_records_its_use(client, people):
    token, secret = actions.create_token(people.carol, name="x", scope=Scope.READ, by=people.carol)
    assert token.last_used_at is None
    response = client.get("/api/v1/me", **bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "carol"
    assert response.json()["token_scope"] == "read"
    token.refresh_from_db()
    assert token.last_used_at is not None


@contextlib.contextmanager
def another_writer_holds(token: ApiToken, *, release_after: float = 30):
    """Another connection (a long import, a slow reaction) holds the write lock
    SQLite has one of, or PostgreSQL's lock on the token's row, until the block
    ends (or ``release_after`` seconds, so that code that waits is not stuck)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        other: Any = sqlite3.connect(
            settings["NAME"], isolation_level=None, check_same_thread=False
        )
        other.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        other = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"],
            port=settings["PORT"] or None,
        )
        other.execute(
            f"SELECT 1 FROM {ApiToken._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
            [token.pk],
        )
    timer = threading.Timer(release_after, other.rollback)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        other.rollback()
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_read_never_fails_or_waits_on_the_write_of_the_tokens_last_use(client, people):
    """A GET writes the token's last use (once a minute). While another connection
    holds the lock that write needs, the read still answers 200 (it was a 500,
    "database is locked", after SQLite's 10 s busy timeout) and skips the
    write; the next use once the lock is free records it."""
    ticket = open_ticket(requester=people.carol, by=people.carol, subject="Printer", body="Jams.")
    token, secret = actions.create_token(people.sam, name="x", scope=Scope.READ, by=people.sam)
    with another_writer_holds(token):
        response = client.get(f"/api/v1/tickets/{ticket.pk}", **bearer(secret))
        assert response.status_code == 200
        assert response.json()["number"] == ticket.pk
        token.refresh_from_db()
        assert token.last_used_at is None, "skipped, not waited for"
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_no_credentials_is_a_401_problem(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["status"] == 401


@pytest.mark.parametrize("secret", ["nope", "fl_" + "a" * 43, "fl_", "x" * 500])
def test_an_unknown_token_is_a_401(client, db, secret):
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_an_unknown_token_does_not_fall_back_to_the_session(client, people):
    login(client, people.carol)
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", **bearer("fl_wrong")).status_code == 401


def test_a_revoked_token_stops_working_at_once(client, people):
    login(client, people.carol)
    secret = make_token(client, "portal")
    token = ApiToken.objects.get(user=people.carol)
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    response = client.post(f"/portal/tokens/{token.pk}/revoke/", follow=True)
    assert "revoked" in response.content.decode()
    client.logout()
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_nobody_revokes_another_persons_token(client, people):
    token, secret = actions.create_token(people.carol, name="x", scope="read", by=people.carol)
    login(client, people.erin)
    assert client.post(f"/portal/tokens/{token.pk}/revoke/").status_code == 404
    login(client, people.sam)
    assert client.post(f"/desk/tokens/{token.pk}/revoke/").status_code == 404
    client.logout()
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200


def test_an_expired_token_is_a_401(client, people):
    expires = timezone.now() + datetime.timedelta(days=7)
    _token, secret = actions.create_token(
        people.carol, name="x", scope="read", by=people.carol, expires_at=expires
    )
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    with time_machine.travel(expires + datetime.timedelta(seconds=1)):
        assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_a_deactivated_persons_token_is_a_401(client, people):
    _token, secret = actions.create_token(people.alice, name="x", scope="write", by=people.alice)
    people.alice.is_active = False
    people.alice.save(update_fields=["is_active"])
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_people_make_only_their_own_tokens(people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.create_token(people.carol, name="x", scope="read", by=people.sam)


def test_the_token_page_speaks_russian_and_chinese(client, people):
    login(client, people.carol)
    assert "Токены API" in client.get("/portal/tokens/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    login(client, people.alice)
    html = client.get("/desk/tokens/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "创建令牌" in html


def test_the_persons_name_leads_to_their_token_page(client, people):
    login(client, people.carol)
    assert 'href="/portal/tokens/"' in client.get("/portal/").content.decode()
    login(client, people.alice)
    assert 'href="/desk/tokens/"' in client.get("/desk/q/team/").content.decode()


def test_a_session_waiting_for_its_second_factor_gets_no_api(client, people):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.test_second_factor import code_of, sign_in

    TOTPDevice.objects.create(user=people.carol, name="phone", confirmed=True)
    sign_in(client, "carol")
    assert client.get("/api/v1/me").status_code == 401
    device = TOTPDevice.objects.get(user=people.carol)
    verified = client.post("/account/two-factor/verify/?next=/portal/", {"code": code_of(device)})
    assert verified.status_code == 302
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's transaction holds the write lock already"
)
def test_inside_a_transaction_the_last_use_write_gives_up_on_a_locked_row(people):
    """On PostgreSQL a caller already in a transaction (an action that also
    authenticates) cannot wait on the token's row either: the write runs in a
    savepoint with a lock timeout, is skipped while another connection holds
    the row (it would otherwise wait until the other lets go, and succeed),
    and the caller's transaction carries on and commits, its own lock timeout
    as it was."""
    from django.db import transaction

    token, _secret = actions.create_token(people.sam, name="x", scope=Scope.READ, by=people.sam)
    with another_writer_holds(token, release_after=5), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '7s'")
        actions.mark_used(token)
        assert token.last_used_at is None, "skipped, not waited for"
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "7s"
        ticket = open_ticket(requester=people.carol, by=people.carol, subject="Fax", body="No.")
    token.refresh_from_db()
    assert token.last_used_at is None
    assert type(ticket).objects.filter(pk=ticket.pk).exists(), "the transaction committed"
    actions.mark_used(token)
    token.refresh_from_db()
    assert token.last_used_at is not None
