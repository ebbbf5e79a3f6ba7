"""The skills strategy: agents with every skill the category needs, least loaded first."""

import pytest

from frontline.accounts.models import Role
from frontline.routing.actions import assign_automatically
from frontline.routing.assignment import meets
from frontline.routing.models import (
    AgentSkill,
    AgentStatus,
    Availability,
    CategorySkill,
    Skill,
    Strategy,
    TeamRouting,
)
from frontline.tickets import actions
from frontline.tickets.models import MessageKind, Ticket
from tests.conftest import login, make_user


@pytest.fixture
def skilled(people):
    """First line on the skills strategy; Billing needs SAP ≥ 3 and German ≥ 2.

    Alice: SAP 5, German 1.  Fay: SAP 3, German 2.  Gus: SAP 4, German 4.
    """
    team = people.first_line
    TeamRouting.objects.create(team=team, strategy=Strategy.SKILLS)
    fay = make_user("fay", Role.AGENT, name="Fay Agent")
    gus = make_user("gus", Role.AGENT, name="Gus Agent")
    team.members.add(fay, gus)
    sap, german = Skill.objects.create(name="SAP"), Skill.objects.create(name="German")
    for user, levels in ((people.alice, (5, 1)), (fay, (3, 2)), (gus, (4, 4))):
        AgentSkill.objects.create(user=user, skill=sap, level=levels[0])
        AgentSkill.objects.create(user=user, skill=german, level=levels[1])
    CategorySkill.objects.create(category=people.billing, skill=sap, minimum_level=3)
    CategorySkill.objects.create(category=people.billing, skill=german, minimum_level=2)
    return fay, gus


def open_billing(people, capture, n=0):
    with capture(execute=True):
        t = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=f"Invoice {n}",
            body="Rechnung doppelt",
            category=people.billing,
        )
    return Ticket.objects.get(pk=t.pk)


def test_meets_needs_every_skill_at_its_level():
    assert meets({1: 3, 2: 2}, {1: 3, 2: 2})
    assert not meets({1: 5}, {1: 3, 2: 1})  # a missing skill is level 0
    assert not meets({1: 2, 2: 5}, {1: 3})
    assert meets({}, {})


def test_only_agents_with_every_required_skill_get_the_ticket(
    people, skilled, django_capture_on_commit_callbacks
):
    owners = [
        open_billing(people, django_capture_on_commit_callbacks, i).assignee for i in range(4)
    ]
    assert people.alice not in owners  # German 1 is not enough
    assert sorted(o.username for o in owners) == ["fay", "fay", "gus", "gus"]  # fewest open


def test_ties_go_to_the_least_loaded_qualified_agent(
    people, skilled, django_capture_on_commit_callbacks
):
    fay, gus = skilled
    TeamRouting.objects.filter(team=people.first_line).update(strategy=Strategy.MANUAL)
    for i in range(2):
        t = open_billing(people, django_capture_on_commit_callbacks, i)
        actions.assign_ticket(t, by=people.sam, assignee=gus, note="yours")
    TeamRouting.objects.filter(team=people.first_line).update(strategy=Strategy.SKILLS)
    assert open_billing(people, django_capture_on_commit_callbacks, 9).assignee == fay


def test_unavailable_or_full_qualified_agents_are_skipped(
    people, skilled, django_capture_on_commit_callbacks
):
    fay, gus = skilled
    AgentStatus.objects.create(user=fay, availability=Availability.AWAY)
    AgentStatus.objects.create(user=gus, capacity=1)
    first = open_billing(people, django_capture_on_commit_callbacks, 1)
    assert first.assignee == gus
    second = open_billing(people, django_capture_on_commit_callbacks, 2)
    assert second.assignee is None  # Alice is free but lacks German


def test_when_nobody_qualifies_the_ticket_waits_with_a_note_saying_why(
    client, people, skilled, django_capture_on_commit_callbacks
):
    fay, gus = skilled
    AgentSkill.objects.filter(user__in=[fay, gus], skill__name="German").update(level=1)
    t = open_billing(people, django_capture_on_commit_callbacks)
    assert t.assignee is None and t.team == people.first_line
    note = t.messages.get(kind=MessageKind.NOTE)
    assert note.author is None
    assert "German ≥ 2, SAP ≥ 3" in note.body and "First line" in note.body
    login(client, people.carol)  # a note: the customer never sees it
    assert "German ≥ 2" not in client.get(f"/portal/tickets/{t.pk}/").content.decode()
    # Someone learns German: the next offer to the team assigns the ticket.
    AgentSkill.objects.filter(user=fay, skill__name="German").update(level=3)
    assert assign_automatically(t.pk) == fay


def test_a_category_without_requirements_goes_to_the_least_loaded_member(
    people, skilled, django_capture_on_commit_callbacks
):
    CategorySkill.objects.all().delete()
    owners = {
        open_billing(people, django_capture_on_commit_callbacks, i).assignee.username
        for i in range(3)
    }
    assert owners == {"alice", "fay", "gus"}


def test_admins_edit_skills_with_agents_and_categories_inline(client, people, skilled):
    login(client, people.ada)
    page = client.get("/admin/routing/skill/")
    assert page.status_code == 200 and "SAP" in page.content.decode()
    sap = Skill.objects.get(name="SAP")
    page = client.get(f"/admin/routing/skill/{sap.pk}/change/").content.decode().lower()
    assert "agents with this skill" in page and "categories that need this skill" in page
