"""Macros: a reply template that also sets status, priority, tags or team, or adds
a note, in one step, after showing what it will do; the preview is what it does."""

import pytest
from django.core.exceptions import ValidationError

from frontline.knowledge import actions as kb_actions
from frontline.knowledge.macros import apply_macro, macro_steps
from frontline.knowledge.models import ReplyTemplate, TemplateUse, Traineeship
from frontline.tickets import actions
from frontline.tickets.models import EventKind, MessageKind, Priority, Status, TicketEvent
from tests.conftest import login


@pytest.fixture
def macro(people):
    return ReplyTemplate.objects.create(
        name="Refund sent",
        body="Hello {customer_first_name}, the refund for #{ticket_number} is on its way.",
        set_status="resolved",
        set_priority=Priority.HIGH,
        add_tags="refund, billing",
        set_team=people.second_line,
        note="Refund done by {agent_name}.",
    )


def test_the_preview_shows_what_the_macro_then_does(client, people, ticket, macro):
    actions.set_tags(ticket, names=["billing"], by=people.alice)
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/macros/{macro.pk}/").content.decode()
    preview = [s.kind for s in macro_steps(macro, ticket, agent=people.alice)]
    assert preview == ["note", "priority", "tags", "status", "team"]
    for line in ("Add an internal note", "Refund done by Alice Agent.", "Priority: High",
                 "Add tags: refund", "Status: Resolved", "Hand over to Second line",
                 "Hello Carol, the refund for #"):  # fmt: skip
        assert line in page, line
    assert "Add tags: refund, billing" not in page  # it has that one already
    before = TicketEvent.objects.filter(ticket=ticket).count()
    response = client.post(
        f"/desk/tickets/{ticket.pk}/macros/{macro.pk}/apply/",
        {"reply": "Hello Carol, your refund is on its way (3 days)."},
    )
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert "Macro “Refund sent” applied" in shown
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk")[before:])
    audit = events[0]
    assert audit.kind == EventKind.MACRO and audit.actor == people.alice
    assert audit.data["steps"] == ["reply", *preview]
    kinds = {e.kind for e in events}
    assert {EventKind.REPLY, EventKind.NOTE, EventKind.PRIORITY, EventKind.TAGS,
            EventKind.STATUS, EventKind.TEAM} <= kinds  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.priority == Priority.HIGH
    assert ticket.team == people.second_line
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "refund"]
    assert ticket.messages.get(kind=MessageKind.NOTE).body == "Refund done by Alice Agent."
    reply = ticket.messages.filter(kind=MessageKind.REPLY, author=people.alice).get()
    assert reply.body == "Hello Carol, your refund is on its way (3 days)."
    assert TemplateUse.objects.get(template=macro, user=people.alice).count == 1
    # The staff timeline names the macro; the customer never sees the note.
    login(client, people.carol)
    portal = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Refund done by" not in portal and "Macro" not in portal


def test_an_empty_reply_sends_nothing_and_a_done_step_is_left_out(people, ticket, macro):
    actions.change_priority(ticket, priority=Priority.HIGH, by=people.alice)
    steps = apply_macro(macro, ticket, by=people.alice)
    assert "priority" not in [s.kind for s in steps] and "reply" not in [s.kind for s in steps]
    assert not ticket.messages.filter(kind=MessageKind.REPLY, author=people.alice).exists()


def test_a_refused_step_undoes_the_whole_macro(people, ticket, macro):
    Traineeship.objects.create(trainee=people.alice, mentor=people.bob)
    with pytest.raises(ValidationError):  # a trainee's reply waits for the mentor
        apply_macro(macro, ticket, by=people.alice, reply="Refund sent.")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.priority != Priority.HIGH
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.MACRO).exists()
    assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()


def test_macros_are_kept_in_the_desk_and_only_usable_ones_apply(client, people, ticket, macro):
    login(client, people.alice)
    response = client.post(
        "/desk/templates/new/",
        {"name": "Waiting on vendor", "body": "We asked the vendor.", "language": "",
         "set_status": "waiting_third_party", "add_tags": "vendor"},
    )  # fmt: skip
    assert response.status_code == 302
    mine = ReplyTemplate.objects.get(name="Waiting on vendor")
    assert mine.owner == people.alice and mine.is_macro and mine.tag_names == ["vendor"]
    listing = client.get(f"/desk/tickets/{ticket.pk}/macros/").content.decode()
    assert "Waiting on vendor" in listing and "Refund sent" in listing
    login(client, people.bob)  # Alice's own macro is not Bob's to use
    assert client.get(f"/desk/tickets/{ticket.pk}/macros/{mine.pk}/").status_code == 404
    login(client, people.carol)
    assert client.get(f"/desk/tickets/{ticket.pk}/macros/").status_code == 404
    plain = kb_actions.save_template(
        None, name="Hello", body="Hi", language="", team=None, personal=True, by=people.alice
    )
    assert not plain.is_macro
    login(client, people.alice)
    assert client.get(f"/desk/tickets/{ticket.pk}/macros/{plain.pk}/").status_code == 404
