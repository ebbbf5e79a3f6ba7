"""Automatic assignment by team strategy, availability, capacity; escalation between lines."""

import datetime
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from frontline.accounts.models import Role, Team
from frontline.routing.actions import assign_automatically, escalate_ticket
from frontline.routing.models import AgentStatus, Availability, Strategy, TeamRouting
from frontline.tickets import actions
from frontline.tickets.models import EventKind, Status, Ticket
from tests.conftest import login, make_user


@pytest.fixture
def first_line(people):
    """First line with three agents: Alice, Fay and Gus."""
    team = people.first_line
    for name in ("fay", "gus"):
        team.members.add(make_user(name, Role.AGENT, name=f"{name.capitalize()} Agent"))
    return team


def use(team, strategy):
    TeamRouting.objects.update_or_create(team=team, defaults={"strategy": strategy})


def new_ticket(people, capture, n=0):
    with capture(execute=True):
        return actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=f"Request {n}",
            body="body",
            category=people.billing,
        )


def assignees(tickets):
    return [Ticket.objects.get(pk=t.pk).assignee.username for t in tickets]


def test_round_robin_hands_out_turns_in_rotation(
    people, first_line, django_capture_on_commit_callbacks
):
    use(first_line, Strategy.ROUND_ROBIN)
    tickets = [new_ticket(people, django_capture_on_commit_callbacks, i) for i in range(6)]
    names = assignees(tickets)
    assert Counter(names) == {"alice": 2, "fay": 2, "gus": 2}
    assert names[:3] == names[3:]  # the same order each round
    event = tickets[0].events.get(kind=EventKind.ASSIGNEE)
    assert event.actor is None and event.data["reason"] == Strategy.ROUND_ROBIN
    assert Ticket.objects.get(pk=tickets[0].pk).status == Status.OPEN


def test_manual_teams_leave_tickets_unassigned(
    people, first_line, django_capture_on_commit_callbacks
):
    use(first_line, Strategy.MANUAL)
    t = new_ticket(people, django_capture_on_commit_callbacks)
    assert Ticket.objects.get(pk=t.pk).assignee is None
    TeamRouting.objects.all().delete()  # no routing at all: manual too
    t = new_ticket(people, django_capture_on_commit_callbacks)
    assert Ticket.objects.get(pk=t.pk).assignee is None


def test_unavailable_agents_are_skipped(people, first_line, django_capture_on_commit_callbacks):
    use(first_line, Strategy.ROUND_ROBIN)
    fay, gus = first_line.members.get(username="fay"), first_line.members.get(username="gus")
    AgentStatus.objects.create(user=fay, availability=Availability.AWAY)
    AgentStatus.objects.create(
        user=gus,
        availability=Availability.OFF,
        off_until=timezone.localdate() + datetime.timedelta(days=3),
    )
    tickets = [new_ticket(people, django_capture_on_commit_callbacks, i) for i in range(3)]
    assert set(assignees(tickets)) == {"alice"}
    # Off until a day that has come: back in the rotation.
    AgentStatus.objects.filter(user=gus).update(off_until=timezone.localdate())
    tickets = [new_ticket(people, django_capture_on_commit_callbacks, i) for i in range(2)]
    assert "gus" in assignees(tickets)


def test_capacity_is_respected(people, first_line, django_capture_on_commit_callbacks):
    use(first_line, Strategy.ROUND_ROBIN)
    for member in first_line.members.all():
        AgentStatus.objects.create(user=member, capacity=1)
    tickets = [new_ticket(people, django_capture_on_commit_callbacks, i) for i in range(4)]
    owners = [Ticket.objects.get(pk=t.pk).assignee for t in tickets]
    assert sorted(o.username for o in owners[:3]) == ["alice", "fay", "gus"]
    assert owners[3] is None  # everyone is full: it waits in the unassigned queue
    actions.change_status(tickets[0], status=Status.RESOLVED, by=people.sam)
    assert assign_automatically(tickets[3].pk) == owners[0]


def test_fewest_open_goes_to_the_least_loaded(
    people, first_line, django_capture_on_commit_callbacks
):
    use(first_line, Strategy.MANUAL)
    for i in range(2):
        t = new_ticket(people, django_capture_on_commit_callbacks, i)
        actions.assign_ticket(t, by=people.alice, assignee=people.alice)
    t = new_ticket(people, django_capture_on_commit_callbacks, 9)
    actions.assign_ticket(
        t, by=people.sam, assignee=first_line.members.get(username="fay"), note="yours"
    )
    use(first_line, Strategy.LEAST_OPEN)
    t = new_ticket(people, django_capture_on_commit_callbacks, 10)
    assert Ticket.objects.get(pk=t.pk).assignee.username == "gus"
    t = new_ticket(people, django_capture_on_commit_callbacks, 11)
    assert Ticket.objects.get(pk=t.pk).assignee.username in {"fay", "gus"}
    assert Ticket.objects.filter(assignee=people.alice).count() == 2


def test_automatic_assignment_is_idempotent(people, first_line, ticket):
    use(first_line, Strategy.ROUND_ROBIN)
    first = assign_automatically(ticket.pk)
    assert first is not None
    assert assign_automatically(ticket.pk) is None  # already assigned: left alone
    assert ticket.events.filter(kind=EventKind.ASSIGNEE).count() == 1


def test_escalation_moves_to_the_next_line_with_the_note(
    client, people, first_line, ticket, django_capture_on_commit_callbacks
):
    use(people.second_line, Strategy.ROUND_ROBIN)
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    login(client, people.alice)
    r = client.post(f"/desk/tickets/{ticket.pk}/escalate/", {"note": ""})
    assert r.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/desk/tickets/{ticket.pk}/escalate/",
            {"note": "Refund over the first-line limit; customer sent the bank statement"},
        )
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.team == people.second_line
    assert ticket.assignee == people.bob  # second line's strategy picked him
    assert ticket.handoff_note.startswith("Refund over the first-line limit")
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Second line" in page and "Bob Builder" in page
    assert "bank statement" not in page


def test_escalation_stops_at_the_last_line(people, ticket):
    specialists = Team.objects.create(name="Specialists", tier=Team.Tier.SPECIALISTS)
    escalate_ticket(ticket, by=people.sam, note="to second")
    escalate_ticket(ticket, by=people.sam, note="to specialists")
    ticket.refresh_from_db()
    assert ticket.team == specialists
    with pytest.raises(ValidationError):
        escalate_ticket(ticket, by=people.sam, note="nowhere")


def test_the_ticket_page_offers_the_next_active_line_only(client, people, ticket):
    # The page finds it among the side panel's team rows (one query for both).
    specialists = Team.objects.create(name="Specialists", tier=Team.Tier.SPECIALISTS)
    login(client, people.sam)
    url = f"/desk/tickets/{ticket.pk}/"
    assert ticket.team == people.first_line
    assert "Escalate to Second line" in client.get(url).content.decode()
    Team.objects.filter(pk=people.second_line.pk).update(is_active=False)
    assert "Escalate to Specialists" in client.get(url).content.decode()
    Ticket.objects.filter(pk=ticket.pk).update(team=specialists)
    page = client.get(url).content.decode()
    assert "Escalate to" not in page and 'action="/desk/tickets/' in page


def test_a_vip_plan_raises_new_tickets_to_its_minimum_priority(
    people, django_capture_on_commit_callbacks
):
    from frontline.routing.models import ServicePlan
    from frontline.tickets.models import Priority

    vip = ServicePlan.objects.create(name="VIP", minimum_priority=Priority.HIGH)
    vip.organisations.add(people.acme)
    acme_ticket = new_ticket(people, django_capture_on_commit_callbacks)  # Carol is at Acme
    with django_capture_on_commit_callbacks(execute=True):
        globex_ticket = actions.open_ticket(
            requester=people.dan, by=people.dan, subject="x", body="y", category=people.billing
        )
    acme_ticket = Ticket.objects.get(pk=acme_ticket.pk)
    assert acme_ticket.priority == Priority.HIGH
    event = acme_ticket.events.get(kind=EventKind.PRIORITY)
    assert event.data["reason"] == "service plan: VIP" and event.actor is None
    assert Ticket.objects.get(pk=globex_ticket.pk).priority == Priority.NORMAL
    # Never lowers: an urgent ticket stays urgent.
    with django_capture_on_commit_callbacks(execute=True):
        urgent = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="down",
            body="all down",
            priority=Priority.URGENT,
        )
    assert Ticket.objects.get(pk=urgent.pk).priority == Priority.URGENT


def test_impact_and_urgency_answers_set_the_priority_from_the_matrix(
    people, django_capture_on_commit_callbacks
):
    from frontline.routing.models import PriorityMatrixEntry
    from frontline.tickets.models import FieldType, FormField, Priority

    outage = people.hardware
    for key in ("impact", "urgency"):
        FormField.objects.create(
            category=outage,
            key=key,
            label=key.title(),
            field_type=FieldType.CHOICE,
            choices="Everyone\nOne person",
        )
    PriorityMatrixEntry.objects.create(
        impact="Everyone", urgency="Everyone", priority=Priority.URGENT
    )
    PriorityMatrixEntry.objects.create(
        impact="One person", urgency="One person", priority=Priority.LOW
    )

    def open_with(impact, urgency):
        with django_capture_on_commit_callbacks(execute=True):
            t = actions.open_ticket(
                requester=people.carol,
                by=people.carol,
                subject="x",
                body="y",
                category=outage,
                fields={"serial": "S1", "impact": impact, "urgency": urgency},
            )
        return Ticket.objects.get(pk=t.pk)

    assert open_with("Everyone", "Everyone").priority == Priority.URGENT
    low = open_with("One person", "One person")
    assert low.priority == Priority.LOW
    assert low.events.get(kind=EventKind.PRIORITY).data["reason"] == (
        "impact One person, urgency One person"
    )
    assert open_with("Everyone", "One person").priority == Priority.NORMAL  # no such pair
