"""The next-response clock: after each customer message, in business hours; who is told."""

import pytest
import time_machine

from frontline.accounts.models import Role
from frontline.sla.actions import recipients_for_breach, recipients_of, sweep
from frontline.tickets import actions
from frontline.tickets.models import EventKind, Priority, Status, Ticket
from tests.conftest import login, make_user
from tests.test_sla import at, make_policy, open_at


@pytest.fixture
def policy(people):
    return make_policy(people)


def answered_ticket(people, policy, capture, *, opened, answered):
    policy.next_response_minutes = 30
    policy.save()
    t = open_at(opened, people, capture)
    with time_machine.travel(answered, tick=False), capture(execute=True):
        actions.add_reply(t, body="Looking into it", by=people.alice)
    return t


def customer_writes(t, people, capture, moment, body="Any news?"):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        actions.add_reply(t, body=body, by=people.carol)
    return Ticket.objects.get(pk=t.pk)


def test_a_customer_message_starts_the_next_response_clock_in_business_hours(
    people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    t = answered_ticket(people, policy, capture, opened=at(27, 16), answered=at(27, 16, 10))
    assert Ticket.objects.get(pk=t.pk).next_response_due_at is None  # staff spoke last
    t = customer_writes(t, people, capture, at(27, 16, 50))  # Friday, 10 minutes left today
    assert t.next_response_due_at == at(30, 9, 20)  # the other 20 on Monday morning
    t = customer_writes(t, people, capture, at(27, 16, 55), body="Hello?")
    assert t.next_response_due_at == at(30, 9, 20)  # the oldest unanswered message counts
    with time_machine.travel(at(30, 9), tick=False), capture(execute=True):
        actions.add_reply(t, body="Here it is", by=people.alice)
    assert Ticket.objects.get(pk=t.pk).next_response_due_at is None


def test_before_the_first_response_only_the_first_response_clock_runs(
    people, policy, django_capture_on_commit_callbacks
):
    policy.next_response_minutes = 30
    policy.save()
    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)
    t = customer_writes(t, people, django_capture_on_commit_callbacks, at(30, 9, 5))
    assert t.next_response_due_at is None and t.first_response_due_at == at(30, 10)


def test_a_logged_call_answers_the_customer(people, policy, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    t = answered_ticket(people, policy, capture, opened=at(30, 9), answered=at(30, 9, 10))
    t = customer_writes(t, people, capture, at(30, 9, 20))
    assert t.next_response_due_at == at(30, 9, 50)
    with time_machine.travel(at(30, 9, 30), tick=False), capture(execute=True):
        actions.log_call(
            t, by=people.alice, direction="out", phone="", duration_seconds=60, summary="Called"
        )
    assert Ticket.objects.get(pk=t.pk).next_response_due_at is None


def test_a_system_reply_stops_no_clock(people, policy, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    policy.next_response_minutes = 30
    policy.save()
    t = open_at(at(30, 9), people, capture)
    with time_machine.travel(at(30, 9, 1), tick=False), capture(execute=True):
        actions.add_reply(t, body="We got your request.", by=None)
    t.refresh_from_db()
    assert t.first_response_at is None and t.status == Status.NEW
    assert t.messages.filter(author=None, kind="reply").count() == 1
    assert sweep(now=at(30, 10, 1)) == (0, 1)  # the first response is still missed


def test_a_missed_next_response_is_recorded_once_per_customer_message(
    people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    t = answered_ticket(people, policy, capture, opened=at(30, 9), answered=at(30, 9, 10))
    t = customer_writes(t, people, capture, at(30, 9, 20))  # answer by 09:50
    assert sweep(now=at(30, 9, 49)) == (0, 0)
    assert sweep(now=at(30, 9, 51)) == (0, 1)
    assert sweep(now=at(30, 9, 52)) == (0, 0)
    with time_machine.travel(at(30, 10), tick=False), capture(execute=True):
        actions.add_reply(t, body="Sorry for the wait", by=people.alice)
    t = customer_writes(t, people, capture, at(30, 10, 10))  # answer by 10:40
    assert sweep(now=at(30, 10, 41)) == (0, 1)
    breaches = t.events.filter(kind=EventKind.SLA_BREACH)
    assert [e.data["target"] for e in breaches] == ["next_response", "next_response"]
    t.refresh_from_db()
    assert t.priority == Priority.NORMAL and t.team == people.first_line  # told, not escalated


def test_no_next_response_breach_while_waiting_for_a_third_party(
    people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    t = answered_ticket(people, policy, capture, opened=at(30, 9), answered=at(30, 9, 10))
    t = customer_writes(t, people, capture, at(30, 9, 20))
    with time_machine.travel(at(30, 9, 30), tick=False), capture(execute=True):
        actions.change_status(t, status=Status.WAITING_THIRD_PARTY, by=people.alice)
    assert Ticket.objects.get(pk=t.pk).next_response_due_at is None  # the clock stands still
    assert sweep(now=at(30, 16)) == (0, 0)


def test_the_desk_shows_the_next_response_deadline(
    client, people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    t = answered_ticket(people, policy, capture, opened=at(30, 9), answered=at(30, 9, 10))
    login(client, people.alice)
    with time_machine.travel(at(30, 9, 15), tick=False):
        assert "data-next-response" not in client.get(f"/desk/tickets/{t.pk}/").content.decode()
    customer_writes(t, people, capture, at(30, 9, 20))
    with time_machine.travel(at(30, 9, 30), tick=False):
        page = client.get(f"/desk/tickets/{t.pk}/").content.decode()
    assert "Next response" in page and "in 20 min" in page
    with time_machine.travel(at(30, 10), tick=False):
        page = client.get(f"/desk/tickets/{t.pk}/").content.decode()
    assert "10 min overdue" in page


def test_warnings_go_to_the_assignee_and_breaches_to_the_teams_supervisors(people, ticket):
    assert recipients_for_breach(ticket, EventKind.SLA_WARNING) == []  # nobody assigned
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    ticket.refresh_from_db()
    assert recipients_for_breach(ticket, EventKind.SLA_WARNING) == [people.alice]
    other = make_user("sue", Role.SUPERVISOR)
    # No supervisor in First line: every supervisor hears of it.
    assert recipients_for_breach(ticket, EventKind.SLA_BREACH) == [people.sam, other]
    people.first_line.members.add(other)
    assert recipients_for_breach(ticket, EventKind.SLA_BREACH) == [other]
    other.is_active = False
    other.save()
    assert recipients_for_breach(ticket, EventKind.SLA_BREACH) == [people.sam]


def test_the_sweep_records_who_is_told_and_hands_it_on_after_commit(
    people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    policy.move_to_team_on_breach = None
    policy.raise_priority_on_breach = False
    policy.save()
    t = open_at(at(30, 9), people, capture)
    with time_machine.travel(at(30, 9), tick=False), capture(execute=True):
        actions.assign_ticket(t, by=people.alice, assignee=people.alice)
    with capture() as callbacks:
        assert sweep(now=at(30, 11, 1)) == (1, 1)  # warning at 11:00; first response missed
    assert len(callbacks) == 2  # one notification task each
    warning = t.events.get(kind=EventKind.SLA_WARNING)
    breach = t.events.get(kind=EventKind.SLA_BREACH)
    assert recipients_of(warning.pk) == [people.alice]
    assert recipients_of(breach.pk) == [people.sam]
    assert recipients_of(0) == []


def test_warnings_and_breaches_are_mailed_to_the_people_named(
    people, policy, django_capture_on_commit_callbacks, mailoutbox
):
    capture = django_capture_on_commit_callbacks
    policy.move_to_team_on_breach = None
    policy.raise_priority_on_breach = False
    policy.save()
    t = open_at(at(30, 9), people, capture)
    with time_machine.travel(at(30, 9), tick=False), capture(execute=True):
        actions.assign_ticket(t, by=people.alice, assignee=people.alice)
    mailoutbox.clear()
    with time_machine.travel(at(30, 11, 1), tick=False), capture(execute=True):
        sweep(now=at(30, 11, 1))
    by_person = {m.to[0]: m for m in mailoutbox}
    assert set(by_person) == {"alice@example.com", "sam@example.com"}
    assert "Due soon" in by_person["alice@example.com"].subject
    assert "missed its deadline" in by_person["sam@example.com"].body
    assert f"/desk/tickets/{t.pk}/" in by_person["sam@example.com"].body
    assert "carol@example.com" not in by_person  # the customer is not told of our deadlines
