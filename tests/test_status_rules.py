"""Status rules: reopen on reply, no closing by timeout, confirmation, reopen windows."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from frontline.tickets import actions
from frontline.tickets.models import EventKind, Status


def resolved(ticket, by):
    actions.add_reply(ticket, body="Refunded.", by=by)
    return actions.change_status(ticket, status=Status.RESOLVED, by=by)


def test_first_staff_reply_opens_the_ticket_and_counts_as_first_response(people, ticket):
    actions.add_reply(ticket, body="On it.", by=people.alice)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.first_response_at is not None


def test_customer_reply_reopens_a_resolved_ticket(people, ticket):
    resolved(ticket, people.alice)
    actions.add_reply(ticket, body="Still charged twice!", by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.resolved_at is None
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()


def test_customer_reply_to_waiting_ticket_puts_it_back_to_open(people, ticket):
    actions.request_information(ticket, body="Which card?", by=people.alice)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    actions.add_reply(ticket, body="The Visa one.", by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_unresolved_tickets_are_never_closed_by_timeout(people, ticket):
    actions.request_information(ticket, body="Which card?", by=people.alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400)):
        assert actions.close_quiet_resolved() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER


def test_resolved_ticket_closes_after_the_quiet_period_only(people, ticket, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "RESOLVED_QUIET_DAYS": 5}
    resolved(ticket, people.alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        assert actions.close_quiet_resolved() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6)):
        assert actions.close_quiet_resolved() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.events.filter(kind=EventKind.STATUS, data__new="closed").count() == 1


def test_customer_confirmation_closes_a_resolved_ticket(people, ticket):
    resolved(ticket, people.alice)
    actions.confirm_solved(ticket, by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at is not None


def test_confirmation_of_an_unresolved_ticket_is_refused(people, ticket):
    with pytest.raises(ValidationError):
        actions.confirm_solved(ticket, by=people.carol)


def test_staff_cannot_close_by_hand(people, ticket):
    with pytest.raises(ValidationError):
        actions.change_status(ticket, status=Status.CLOSED, by=people.alice)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_requester_may_reopen_within_the_window_but_not_after(people, ticket, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "REQUESTER_REOPEN_DAYS": 10}
    resolved(ticket, people.alice)
    actions.confirm_solved(ticket, by=people.carol)
    later = timezone.now() + datetime.timedelta(days=11)
    with time_machine.travel(later), pytest.raises(actions.TicketClosed):
        actions.add_reply(ticket, body="It broke again", by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        actions.add_reply(ticket, body="It broke again", by=people.carol)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_staff_can_reopen_a_closed_ticket_any_time(people, ticket):
    resolved(ticket, people.alice)
    actions.confirm_solved(ticket, by=people.carol)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=365)):
        actions.change_status(ticket, status=Status.OPEN, by=people.alice, reason="same fault")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.closed_at is None


def test_every_change_leaves_an_event(people, ticket):
    actions.change_priority(ticket, priority=4, by=people.alice, reason="customer is down")
    actions.change_category(ticket, category=people.hardware, by=people.alice)
    actions.set_tags(ticket, names=["refund", "vip"], by=people.alice)
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    kinds = set(ticket.events.values_list("kind", flat=True))
    assert {"created", "priority", "category", "tags", "assignee", "status"} <= kinds
    prio = ticket.events.get(kind="priority")
    assert prio.data == {"old": 2, "new": 4, "reason": "customer is down"}
    assert prio.actor == people.alice


def test_delegation_requires_a_handoff_note(people, ticket):
    with pytest.raises(ValidationError):
        actions.assign_ticket(ticket, by=people.alice, assignee=people.bob)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    actions.assign_ticket(ticket, by=people.alice, assignee=people.bob, note="Card issue, see logs")
    ticket.refresh_from_db()
    assert ticket.assignee == people.bob
    assert ticket.team == people.second_line  # followed the assignee to their team
    assert ticket.handoff_note == "Card issue, see logs"
    assert ticket.handoff_by == people.alice


def test_taking_a_ticket_yourself_needs_no_note(people, ticket):
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    ticket.refresh_from_db()
    assert ticket.assignee == people.alice and ticket.status == Status.OPEN


def test_tickets_go_to_active_staff_only(people, ticket):
    with pytest.raises(ValidationError):
        actions.assign_ticket(ticket, by=people.alice, assignee=people.carol, note="x")
    people.bob.is_active = False
    people.bob.save()
    with pytest.raises(ValidationError):
        actions.assign_ticket(ticket, by=people.alice, assignee=people.bob, note="x")


def test_people_are_deactivated_not_deleted(people, ticket):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        people.carol.delete()
    ticket.refresh_from_db()
    assert ticket.requester == people.carol
