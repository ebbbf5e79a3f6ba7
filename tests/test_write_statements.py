"""The SQL statements each main write costs, pinned (issue 19: "the statement-count
pins fail when a create ... gains a query").

Through the public entry points: the portal's web form and the desk's forms
over the test client (session and user included), a real letter through
``receive``. Each pin lists what the statements are, so a change that adds
one has to say which and why. The API's create is pinned beside its other
reads in ``test_api_tickets.py`` (10 statements). What runs after the commit
(reactions, tasks through the outbox) is not counted here: the test's
transaction never commits.
"""

from __future__ import annotations

import pytest
from django.db import connection

from frontline.mail.inbound import receive
from frontline.mail.models import Mailbox, Outcome
from frontline.tickets.models import Status, Ticket
from tests.conftest import login

LETTER = b"""\
From: Nina New <nina@newco.test>
To: help@frontline.test
Subject: The printer jams
Date: Sun, 6 Dec 2026 10:59:58 +0100
Message-ID: <printer-1@newco.test>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

The printer on floor 3 jams on every page.
"""


@pytest.fixture
def desk(client, people, ticket):
    login(client, people.alice)
    client.get("/desk/")  # the session is written once, not on the measured request
    return client


def panel(ticket: Ticket, **changes: object) -> dict[str, object]:
    """The desk's update panel as the page posts it, with ``changes``."""
    ticket.refresh_from_db()
    current = {
        "status": ticket.status,
        "priority": ticket.priority,
        "category": ticket.category_id or "",
        "assignee": ticket.assignee_id or "",
    }
    return current | changes


def test_opening_a_ticket_through_the_portal_form(client, people, django_assert_num_queries):
    login(client, people.carol)
    client.get("/portal/")
    form = {"subject": "Printer", "body": "It jams.", "f_serial": "SN-1", "f_model": "Laptop"}
    # Session (1), user (1); the category with its default team (1) and its
    # questions (1), read once for the form and the action (they were read
    # twice, and the team apart: 12 before); savepoint, ticket, message, event,
    # whether any webhook wants it (1, then cached), release (6).
    with django_assert_num_queries(10):
        response = client.post(f"/portal/new/{people.hardware.pk}/", form)
    assert response.status_code == 302
    assert Ticket.objects.get(subject="Printer").fields["serial"] == "SN-1"


def test_opening_a_ticket_by_mail(people, django_assert_num_queries):
    Mailbox.objects.create(
        name="Help", address="help@frontline.test", default_category=people.billing
    )
    # The raw letter stored in its own savepoint (3); the batch: savepoint, the
    # letters still to do (1), their headers (1); the message's savepoint, our own
    # addresses (1), the sender looked up (1) and created in a savepoint (3);
    # the ticket's savepoint, ticket, message, event, webhooks (1), release (6);
    # our addresses again (1), release; the letter's outcome (1), its event looked
    # up (1), release. On PostgreSQL one more: the batch's advisory lock on its
    # Message-IDs (two importers never thread the same letters at once).
    with django_assert_num_queries(24 if connection.vendor == "postgresql" else 23):
        received = receive(LETTER)
    assert received.inbound.outcome == Outcome.NEW_TICKET
    assert received.inbound.ticket.requester.email == "nina@newco.test"


def test_a_reply_from_the_desk(desk, ticket, django_assert_num_queries):
    # Session, user, teams (3); the ticket, its form state, tags (3); savepoints
    # (2), the ticket locked (1), the status event, message, reply event, ticket
    # update (4); taking the ticket on: team check, savepoint, ticket, team,
    # teams, assignee event, update, three releases (9); the page's state after:
    # form state, tags, ticket, visible (4); +1 the follow check; +1 the shared
    # draft discarded once sent; +1 whether the agent's replies wait for a mentor.
    with django_assert_num_queries(29):
        response = desk.post(f"/desk/tickets/{ticket.pk}/reply/", {"body": "We will refund you."})
    assert response.status_code == 302
    assert ticket.messages.filter(body="We will refund you.").exists()


def test_an_internal_note(desk, ticket, django_assert_num_queries):
    # Session, user, teams, ticket, form state, tags (6); savepoints (2), message,
    # note event, ticket touched (3), releases (2); form state, tags, ticket,
    # visible (4); +1 the shared draft discarded once sent.
    with django_assert_num_queries(18):
        response = desk.post(f"/desk/tickets/{ticket.pk}/note/", {"body": "Checked the ledger."})
    assert response.status_code == 302
    assert ticket.messages.filter(body="Checked the ledger.").exists()


def test_assigning_a_ticket(desk, people, ticket, django_assert_num_queries):
    form = panel(ticket, assignee=people.alice.pk)
    # Session, user, teams, ticket, tags, category, assignee, form state, tags
    # (9); savepoint, the ticket locked once (1: unchanged priority and category
    # are no longer each locked and read again in a savepoint, 37 before); the
    # tags set as they are (savepoint, ticket, tags, release); the assignment
    # (savepoint, ticket, team, teams, assignee and status events, update,
    # release); the page's state after (5).
    with django_assert_num_queries(29):
        response = desk.post(f"/desk/tickets/{ticket.pk}/update/", form)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == people.alice


def test_changing_the_status(desk, people, ticket, django_assert_num_queries):
    desk.post(f"/desk/tickets/{ticket.pk}/update/", panel(ticket, assignee=people.alice.pk))
    form = panel(ticket, status=Status.WAITING_CUSTOMER)
    # As the assignment above, with the status change in its own savepoint
    # instead of the assignment (31 before the ticket was locked once).
    with django_assert_num_queries(26):
        response = desk.post(f"/desk/tickets/{ticket.pk}/update/", form)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER


def test_a_handoff_to_another_team(desk, people, ticket, django_assert_num_queries):
    desk.post(f"/desk/tickets/{ticket.pk}/update/", panel(ticket, assignee=people.alice.pk))
    form = panel(ticket, assignee=people.bob.pk, note="Refund needs second-line approval")
    # The assignment's statements, plus the new team, its members and both
    # events (39 before the ticket was locked once).
    with django_assert_num_queries(31):
        response = desk.post(f"/desk/tickets/{ticket.pk}/update/", form)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee) == (people.second_line, people.bob)
    assert ticket.handoff_note == "Refund needs second-line approval"
