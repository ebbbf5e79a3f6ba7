"""SLA deadlines in business hours, paused while waiting; warnings and breaches once each."""

import datetime

import pytest
import time_machine

from frontline.sla.actions import recompute_deadlines, sweep
from frontline.sla.models import BusinessCalendar, DayOff, SlaPolicy
from frontline.tickets import actions
from frontline.tickets.models import EventKind, Priority, Status, Ticket

UTC = datetime.UTC


def at(day, hour, minute=0):
    """A moment in late 2026: day 27 is a Friday, 30 a Monday, 1 (December) a Tuesday."""
    month = 12 if day < 15 else 11
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def policy(people):
    return make_policy(people)


def make_policy(people):
    """Normal priority, Monday to Friday 9 to 5: answer in 1 hour, solve in 4, warn at half."""
    office = BusinessCalendar.objects.create(
        name="Office",
        time_zone="UTC",
        monday="09:00-17:00",
        tuesday="09:00-17:00",
        wednesday="09:00-17:00",
        thursday="09:00-17:00",
        friday="09:00-17:00",
    )
    return SlaPolicy.objects.create(
        name="Normal",
        priority=Priority.NORMAL,
        calendar=office,
        first_response_minutes=60,
        resolution_minutes=240,
        warn_percent=50,
        move_to_team_on_breach=people.second_line,
    )


def open_at(moment, people, capture):
    with time_machine.travel(moment, tick=False), capture(execute=True):
        t = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="Help",
            body="Broken",
            category=people.billing,
        )
    return Ticket.objects.get(pk=t.pk)


def test_deadlines_run_in_business_hours(people, policy, django_capture_on_commit_callbacks):
    t = open_at(at(27, 16), people, django_capture_on_commit_callbacks)  # Friday 16:00
    assert t.first_response_due_at == at(27, 17)  # one business hour: Friday 17:00
    assert t.sla_warn_at == at(30, 10)  # half of four hours: Monday 10:00
    assert t.due_at == at(30, 12)  # one hour on Friday, three on Monday


def test_days_off_are_skipped(people, policy, django_capture_on_commit_callbacks):
    DayOff.objects.create(calendar=policy.calendar, date=datetime.date(2026, 11, 30))
    t = open_at(at(27, 16), people, django_capture_on_commit_callbacks)
    assert t.due_at == at(1, 12)  # Monday is off: Tuesday noon


def test_the_clock_stops_while_waiting_for_the_customer(
    people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    t = open_at(at(30, 9), people, capture)  # Monday 09:00, due 13:00
    assert t.due_at == at(30, 13)
    with time_machine.travel(at(30, 10), tick=False), capture(execute=True):
        actions.request_information(t, body="Which invoice?", by=people.alice)
    t.refresh_from_db()
    assert t.due_at == at(30, 13)  # frozen while waiting
    with time_machine.travel(at(1, 10), tick=False), capture(execute=True):
        actions.add_reply(t, body="Number 17", by=people.carol)  # Tuesday 10:00
    t.refresh_from_db()
    assert t.status == Status.OPEN
    assert t.due_at == at(1, 13)  # three business hours were left: Tuesday 13:00


def test_priority_changes_pick_the_matching_policy(
    people, policy, django_capture_on_commit_callbacks
):
    SlaPolicy.objects.create(
        name="Urgent",
        priority=Priority.URGENT,
        calendar=policy.calendar,
        first_response_minutes=15,
        resolution_minutes=60,
    )
    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)
    with (
        time_machine.travel(at(30, 9, 5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        actions.change_priority(t, priority=Priority.URGENT, by=people.alice)
    t.refresh_from_db()
    assert t.due_at == at(30, 10)
    assert t.first_response_due_at == at(30, 9, 15)


def test_tickets_without_a_policy_keep_their_plain_deadline(people, ticket):
    before = ticket.due_at
    recompute_deadlines(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.due_at == before and ticket.first_response_due_at is None


def test_sweep_warns_once_and_acts_on_a_breach_once(
    people, policy, django_capture_on_commit_callbacks
):
    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)  # warn 11:00, due 13:00
    with time_machine.travel(at(30, 9, 30), tick=False):
        actions.add_reply(t, body="Looking into it", by=people.alice)  # first response in time
    assert sweep(now=at(30, 10, 59)) == (0, 0)
    assert sweep(now=at(30, 11, 1)) == (1, 0)
    assert sweep(now=at(30, 11, 2)) == (0, 0)
    assert sweep(now=at(30, 13, 1)) == (0, 1)
    assert sweep(now=at(30, 13, 2)) == (0, 0)
    t.refresh_from_db()
    assert t.events.filter(kind=EventKind.SLA_WARNING).count() == 1
    assert t.events.filter(kind=EventKind.SLA_BREACH).count() == 1
    assert t.priority == Priority.HIGH  # raised on the breach
    assert t.team == people.second_line  # and moved as the policy says
    assert t.sla_breached_at == at(30, 13, 1)


def test_waiting_tickets_are_not_breached(people, policy, django_capture_on_commit_callbacks):
    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)
    with time_machine.travel(at(30, 9, 30), tick=False):
        actions.request_information(t, body="?", by=people.alice)
    assert sweep(now=at(30, 16)) == (0, 0)


def test_due_soon_queue_lists_what_is_about_to_be_late(
    client, people, policy, django_capture_on_commit_callbacks
):
    from tests.conftest import login

    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)  # due 13:00
    later = open_at(at(30, 12), people, django_capture_on_commit_callbacks)  # due Tuesday
    login(client, people.alice)
    with time_machine.travel(at(30, 11), tick=False):
        page = client.get("/desk/q/due_soon/").content.decode()
    assert f">{t.reference}<" in page and f">{later.reference}<" not in page


def test_an_unanswered_ticket_breaches_its_first_response_target_once(
    people, policy, django_capture_on_commit_callbacks
):
    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)  # answer by 10:00
    assert sweep(now=at(30, 9, 59)) == (0, 0)
    assert sweep(now=at(30, 10, 1)) == (0, 1)
    assert sweep(now=at(30, 10, 2)) == (0, 0)
    event = t.events.get(kind=EventKind.SLA_BREACH)
    assert event.data["target"] == "first_response"


def test_resolved_time_does_not_count_and_a_reopened_ticket_starts_again(
    people, policy, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    t = open_at(at(30, 9), people, capture)  # due 13:00
    with time_machine.travel(at(30, 10), tick=False), capture(execute=True):
        actions.add_reply(t, body="Fixed", by=people.alice)
        actions.change_status(t, status=Status.RESOLVED, by=people.alice)
    with time_machine.travel(at(3, 10), tick=False), capture(execute=True):  # Thursday
        actions.add_reply(t, body="Broken again", by=people.carol)
    t.refresh_from_db()
    assert t.status == Status.OPEN
    assert t.due_at == at(3, 13)  # three business hours were left when it was resolved
    assert sweep(now=at(3, 10, 1)) == (0, 0)


def test_a_service_plan_gets_its_own_targets(people, django_capture_on_commit_callbacks):
    from frontline.routing.models import ServicePlan

    normal = make_policy(people)
    vip = ServicePlan.objects.create(name="VIP", minimum_priority=Priority.NORMAL)
    vip.organisations.add(people.acme)
    SlaPolicy.objects.create(
        name="VIP",
        position=0,
        plan=vip,
        calendar=normal.calendar,
        first_response_minutes=15,
        resolution_minutes=120,
    )
    normal.position = 1
    normal.save()
    acme = open_at(at(30, 9), people, django_capture_on_commit_callbacks)
    assert Ticket.objects.get(pk=acme.pk).first_response_due_at == at(30, 9, 15)
    with (
        time_machine.travel(at(30, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        globex = actions.open_ticket(
            requester=people.dan,
            by=people.dan,
            subject="Globex",
            body="Help",
            priority=Priority.NORMAL,
        )
    assert Ticket.objects.get(pk=globex.pk).first_response_due_at == at(30, 10)


def test_a_move_on_breach_replaces_the_last_persons_handoff_note(
    client, people, policy, django_capture_on_commit_callbacks
):
    from tests.conftest import login

    t = open_at(at(30, 9), people, django_capture_on_commit_callbacks)
    # A note from Sam to Alice, inside First line.
    actions.assign_ticket(t, by=people.sam, assignee=people.alice, note="Call her before noon.")
    sweep(now=at(30, 13, 1))  # breached: moved to Second line by Frontline
    t.refresh_from_db()
    assert t.team == people.second_line
    assert t.handoff_note == "SLA breach" and t.handoff_by is None
    page = login(client, people.bob).get(f"/desk/tickets/{t.pk}/").content.decode()
    assert "Moved by Frontline" in page and "Handoff note from" not in page
    # The earlier note stays in the story.
    assert t.events.filter(data__note="Call her before noon.").exists()
