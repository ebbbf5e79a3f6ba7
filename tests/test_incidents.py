"""Mass incidents: a ticket marked as the incident, others attached to it; one
public update reaches every attached ticket's customers in their language and
never an internal note; resolving the incident resolves them."""

from __future__ import annotations

import pytest
from django.core import mail as sent
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from frontline.tickets import actions
from frontline.tickets.models import EventKind, Message, MessageKind, Status, Ticket, TicketLink
from tests.conftest import login

UPDATE = "The billing service is back; invoices load again."
UPDATE_RU = "Сервис счетов снова работает; счета открываются."
UPDATE_ZH = "账单服务已恢复; 发票可以正常打开。"


def _open(person, subject):
    return actions.open_ticket(requester=person, by=person, subject=subject, body=subject + ".")


@pytest.fixture
def outage(people):
    """Maria's report is the incident; Carol (English), Erin (Russian) and Dan
    (Chinese, another organisation) reported the same outage."""
    for person, language in ((people.erin, "ru"), (people.dan, "zh-hans")):
        person.language = language
        person.save(update_fields=["language"])
    incident = actions.open_ticket(
        requester=people.maria,
        by=people.maria,
        subject="Invoices page is down",
        body="Nobody here can open invoices.",
        category=people.billing,
    )
    children = [
        actions.open_ticket(
            requester=p,
            by=p,
            subject=f"Invoices broken for {p.first_name}",
            body="Help.",
            category=people.billing,
        )
        for p in (people.carol, people.erin, people.dan)
    ]
    actions.mark_incident(incident, by=people.alice)
    actions.attach_to_incident(
        Ticket.objects.get(pk=incident.pk), tickets=children, by=people.alice
    )
    return Ticket.objects.get(pk=incident.pk), children


def _last_public(ticket):
    return Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).order_by("-id").first()


def test_an_update_reaches_every_attached_customer_in_their_language_never_a_note(
    people, outage, django_capture_on_commit_callbacks
):
    incident, (carols, erins, dans) = outage
    actions.add_note(incident, body="Root cause: the ledger database froze.", by=people.alice)
    sent.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reached = actions.post_incident_update(
            incident,
            body=UPDATE,
            translations={"ru": UPDATE_RU, "zh-hans": UPDATE_ZH},
            by=people.alice,
        )
    assert reached == 3
    assert _last_public(incident).body == UPDATE
    assert _last_public(carols).body == UPDATE
    assert _last_public(erins).body == UPDATE_RU
    assert _last_public(dans).body == UPDATE_ZH
    mails = {m.to[0]: m for m in sent.outbox}
    assert set(mails) == {
        "maria@example.com",
        "carol@example.com",
        "erin@example.com",
        "dan@example.com",
    }
    assert UPDATE_RU in mails["erin@example.com"].body
    assert UPDATE_ZH in mails["dan@example.com"].body
    # Each customer's mail answers onto their own ticket.
    assert erins.reply_token in mails["erin@example.com"].reply_to[0]
    everything = "".join(m.body + m.subject for m in sent.outbox)
    assert "ledger database" not in everything
    assert not Message.objects.filter(body__contains="ledger", ticket__in=[carols, erins, dans])
    event = incident.events.get(kind=EventKind.INCIDENT_UPDATE)
    assert event.data["reached"] == 3 and event.actor == people.alice
    # Nobody's ticket was taken on by the agent who posted the update.
    assert not Ticket.objects.filter(pk__in=[carols.pk, erins.pk, dans.pk], assignee__isnull=False)


def test_an_update_in_no_language_of_theirs_reaches_them_in_the_agents_text(people, outage):
    incident, (carols, erins, dans) = outage
    actions.post_incident_update(incident, body=UPDATE, translations={"ru": " "}, by=people.alice)
    assert {_last_public(t).body for t in (carols, erins, dans)} == {UPDATE}


def test_resolving_the_incident_resolves_the_attached_tickets_with_a_note(
    people, outage, django_capture_on_commit_callbacks
):
    incident, (carols, erins, dans) = outage
    actions.change_status(dans, status=Status.RESOLVED, by=people.alice)
    actions.confirm_solved(dans, by=people.dan)  # closed: left alone
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(incident, status=Status.RESOLVED, by=people.alice)
    for child in (carols, erins):
        child.refresh_from_db()
        assert child.status == Status.RESOLVED
        assert incident.reference in _last_public(child).body
    assert "Инцидент" in _last_public(erins).body  # Erin reads Russian
    dans.refresh_from_db()
    assert dans.status == Status.CLOSED and incident.reference not in _last_public(dans).body
    # Twice is once.
    assert actions.resolve_attached(incident, by=people.alice) == 0


def test_an_update_may_resolve_everything_at_once(people, outage):
    incident, children = outage
    actions.post_incident_update(incident, body=UPDATE, resolve=True, by=people.alice)
    assert set(
        Ticket.objects.filter(pk__in=[incident.pk, *[c.pk for c in children]]).values_list(
            "status", flat=True
        )
    ) == {Status.RESOLVED}
    # One message each: the update is the note, the reaction adds none.
    assert all(_last_public(c).body == UPDATE for c in children)


def test_what_cannot_be_attached(people, outage):
    incident, (carols, _erins, _dans) = outage
    plain = _open(people.carol, "Another thing")
    with pytest.raises(ValidationError):
        actions.attach_to_incident(plain, tickets=[carols], by=people.alice)  # not an incident
    with pytest.raises(ValidationError):
        actions.attach_to_incident(incident, tickets=[incident], by=people.alice)
    second = _open(people.erin, "Second outage")
    actions.mark_incident(second, by=people.alice)
    second.refresh_from_db()
    with pytest.raises(ValidationError, match=carols.reference):  # it has a parent already
        actions.attach_to_incident(second, tickets=[plain, carols], by=people.alice)
    assert not TicketLink.objects.filter(target=second).exists()  # all or none
    theirs = actions.open_ticket(
        requester=people.dan, by=people.dan, subject="Hot", body="Hot.", team=people.second_line
    )
    with pytest.raises(PermissionDenied):
        actions.attach_to_incident(incident, tickets=[theirs], by=people.alice)
    with pytest.raises(ValidationError):
        actions.mark_incident(incident, by=people.alice, on=False)  # tickets attached
    with pytest.raises(PermissionDenied):
        actions.post_incident_update(incident, body=UPDATE, by=people.carol)
    with pytest.raises(ValidationError):
        actions.post_incident_update(plain, body=UPDATE, by=people.alice)


def test_incidents_through_the_desk(people, client):
    incident = _open(people.maria, "Invoices page is down")
    reports = [_open(p, f"Broken for {p.first_name}") for p in (people.carol, people.erin)]
    login(client, people.alice)
    url = reverse("desk:ticket", args=[incident.pk])
    page = client.post(reverse("desk:mark_incident", args=[incident.pk]), {"on": "1"}, follow=True)
    assert f"{incident.reference} is an incident now." in page.text
    attach = reverse("desk:attach", args=[incident.pk])
    bad = client.post(attach, {"numbers": "12, abc"})
    assert bad.status_code == 400 and "“abc” is not a ticket number." in bad.text
    unknown = client.post(attach, {"numbers": "999999"})
    assert unknown.status_code == 400 and "#999999" in unknown.text
    numbers = f"#{reports[0].pk}, {reports[1].pk}"
    page = client.post(attach, {"numbers": numbers}, follow=True)
    assert "2 tickets attached to the incident." in page.text
    assert "2 tickets attached." in page.text and "Broken for Erin" in page.text
    update = reverse("desk:incident_update", args=[incident.pk])
    empty = client.post(update, {"incident-body": " "})
    assert empty.status_code == 400 and "This field is required." in empty.text
    page = client.post(
        update, {"incident-body": UPDATE, "incident-body_ru": UPDATE_RU}, follow=True
    )
    assert page.redirect_chain[-1][0] == url
    assert "The update is posted here and on 2 attached tickets." in page.text
    assert _last_public(reports[1]).body == UPDATE  # Erin has no language: the agent's text
    login(client, people.carol)
    assert client.post(update, {"incident-body": "Hi"}).status_code == 404
    assert client.post(attach, {"numbers": str(reports[0].pk)}).status_code == 404


def test_the_portal_tells_a_customer_their_request_is_part_of_a_known_incident(
    people, outage, client
):
    incident, (carols, _erins, _dans) = outage
    own = _open(people.carol, "Something else")
    login(client, people.carol)
    page = client.get(reverse("portal:ticket", args=[carols.pk]))
    assert f"part of a known incident ({incident.reference})" in page.text
    assert "Invoices page is down" not in page.text  # another customer's words
    assert "known incident" not in client.get(reverse("portal:ticket", args=[own.pk])).text
    actions.change_status(incident, status=Status.RESOLVED, by=people.alice)
    page = client.get(reverse("portal:ticket", args=[carols.pk]))
    assert "which is resolved" in page.text


def test_an_update_is_refused_to_an_agent_who_may_not_see_every_attached_ticket(
    people, outage, client, django_capture_on_commit_callbacks
):
    """Attached while visible, Dan's ticket then went to Second line: Alice may
    no longer write on it, so she may not post the update (it would reach a
    ticket out of her sight, or leave Dan uninformed); the page says so and a
    supervisor posts it. Resolving the incident still resolves Dan's ticket, in
    Frontline's name, not Alice's."""
    incident, (carols, erins, dans) = outage
    actions.assign_ticket(
        dans, team=people.second_line, note="Needs the server team.", by=people.sam
    )
    before = Message.objects.count()
    with pytest.raises(PermissionDenied, match="1 attached ticket is in a queue you may not see"):
        actions.post_incident_update(incident, body=UPDATE, by=people.alice)
    with pytest.raises(PermissionDenied):
        actions.post_incident_update(incident, body=UPDATE, resolve=True, by=people.alice)
    assert Message.objects.count() == before
    assert not incident.events.filter(kind=EventKind.INCIDENT_UPDATE).exists()

    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[incident.pk]))
    assert "1 attached ticket is in a queue you may not see" in page.text
    assert "Post the update" not in page.text
    refused = client.post(
        reverse("desk:incident_update", args=[incident.pk]), {"incident-body": UPDATE}
    )
    assert refused.status_code == 403
    assert "ask a supervisor" in refused.text
    assert Message.objects.count() == before

    login(client, people.sam)
    assert "Post the update" in client.get(reverse("desk:ticket", args=[incident.pk])).text
    assert actions.post_incident_update(incident, body=UPDATE, by=people.sam) == 3
    assert _last_public(dans).body == UPDATE

    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(incident, status=Status.RESOLVED, by=people.alice)
    for child in (carols, erins, dans):
        child.refresh_from_db()
        assert child.status == Status.RESOLVED
    assert _last_public(carols).author == people.alice
    assert _last_public(dans).author is None
    assert dans.events.filter(kind=EventKind.STATUS).latest("pk").actor is None
