"""Merging and linking tickets: nothing lost, both customers told, no ticket of
another team or customer reached by typing its number."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail as sent
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from frontline.mail.inbound import receive
from frontline.mail.models import Mailbox, Outcome
from frontline.tickets import actions
from frontline.tickets.models import (
    EventKind,
    LinkKind,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
)
from tests.conftest import login


def _verified(person) -> None:
    # Mail from an address goes to an account only once that address is proven.
    person.email_verified_at = timezone.now()
    person.save(update_fields=["email_verified_at"])


def _open(person, subject, **extra) -> Ticket:
    return actions.open_ticket(
        requester=person, by=person, subject=subject, body=f"{subject}, in detail.", **extra
    )


@pytest.fixture
def pair(people):
    """Carol's and Erin's (both Acme) reports of one outage, Billing, First line."""
    first = _open(
        people.carol,
        "Invoices page is down",
        category=people.billing,
        files=[SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)],
    )
    actions.add_note(first, body="Checking the billing service.", by=people.alice)
    actions.add_reply(first, body="We are looking into it.", by=people.alice)
    second = _open(people.erin, "Cannot open invoices", category=people.billing)
    return first, second


def test_merge_moves_every_message_attachment_and_event_and_tells_both_customers(
    people, pair, django_capture_on_commit_callbacks
):
    first, second = pair
    people.erin.language = "ru"
    people.erin.save(update_fields=["language"])
    messages = set(Message.objects.filter(ticket__in=pair).values_list("pk", flat=True))
    events = set(TicketEvent.objects.filter(ticket__in=pair).values_list("pk", flat=True))
    files = list(first.attachments.values_list("pk", flat=True))
    sent.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        survivor = actions.merge_tickets(first, into=second, by=people.alice)
    assert survivor.pk == second.pk
    assert set(second.messages.values_list("pk", flat=True)) == messages
    assert set(second.attachments.values_list("pk", flat=True)) >= set(files)
    assert events <= set(second.events.values_list("pk", flat=True))
    first.refresh_from_db()
    assert first.merged_into == second and first.status == Status.CLOSED
    assert first.messages.count() == 0
    assert first.events.get().kind == EventKind.MERGED_INTO
    merged = second.events.get(kind=EventKind.MERGED)
    assert merged.data["merged"] == first.pk and merged.actor == people.alice
    assert list(second.participants.all()) == [people.carol]
    told = {m.to[0]: m for m in sent.outbox}
    assert set(told) == {"carol@example.com", "erin@example.com"}
    assert f"#{first.pk}" in told["carol@example.com"].body
    assert "объедин" in told["erin@example.com"].body  # Erin reads Russian
    # An internal note moved too, and still reaches no customer.
    assert "Checking the billing service" not in "".join(m.body for m in sent.outbox)


def test_the_merged_ticket_redirects_in_desk_and_portal(people, pair, client):
    first, second = pair
    actions.merge_tickets(first, into=second, by=people.alice)
    login(client, people.alice)
    desk = client.get(reverse("desk:ticket", args=[first.pk]))
    assert desk.status_code == 302 and desk.url == reverse("desk:ticket", args=[second.pk])
    page = client.get(desk.url)
    assert "Cannot open invoices" in page.text and "We are looking into it." in page.text
    login(client, people.carol)
    portal = client.get(reverse("portal:ticket", args=[first.pk]), follow=True)
    assert portal.redirect_chain[-1][0] == reverse("portal:ticket", args=[second.pk])
    assert "We are looking into it." in portal.text
    assert "Checking the billing service" not in portal.text


def test_mail_to_the_merged_ticket_lands_on_the_survivor(people, pair):
    first, second = pair
    actions.merge_tickets(first, into=second, by=people.alice)
    _verified(people.carol)
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    raw = (
        "From: Carol Customer <carol@example.com>\r\n"
        f"To: support+t-{first.reply_token}@frontline.test\r\n"
        f"Subject: Re: [#{first.pk}] Invoices page is down\r\n"
        "Message-ID: <after-merge@example.com>\r\n\r\nStill down.\r\n"
    ).encode()
    inbound = receive(raw).inbound
    assert inbound.outcome == Outcome.REPLY, inbound.reason
    assert inbound.ticket_id == second.pk
    assert second.messages.filter(body__startswith="Still down").exists()


def test_merge_through_the_desk(people, pair, client):
    first, second = pair
    login(client, people.alice)
    response = client.post(reverse("desk:merge", args=[first.pk]), {"number": second.pk})
    assert response.status_code == 302
    assert response.url == reverse("desk:ticket", args=[second.pk])
    assert Ticket.objects.get(pk=first.pk).merged_into_id == second.pk
    page = client.get(response.url)
    assert f"{first.reference} is merged into {second.reference}" in page.text


def test_an_agent_cannot_merge_into_or_link_another_teams_ticket(people, pair, client):
    first, _second = pair
    theirs = _open(people.carol, "Server room is hot", team=people.second_line)
    login(client, people.alice)
    for url, data in (
        ("desk:merge", {"number": theirs.pk}),
        ("desk:link", {"number": theirs.pk, "kind": LinkKind.RELATED}),
    ):
        response = client.post(reverse(url, args=[first.pk]), data)
        assert response.status_code == 400
        assert "no ticket with that number that you may see" in response.text
        assert "Server room is hot" not in response.text
    # From the other side too: Alice cannot reach Bob's ticket at all.
    assert (
        client.post(reverse("desk:merge", args=[theirs.pk]), {"number": first.pk}).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        actions.merge_tickets(first, into=theirs, by=people.alice)
    with pytest.raises(PermissionDenied):
        actions.link_tickets(first, to=theirs, by=people.alice)
    assert Ticket.objects.get(pk=first.pk).merged_into_id is None
    assert not TicketLink.objects.exists()


def test_tickets_of_different_customers_are_linked_not_merged(people, pair, client):
    first, _second = pair
    globex = _open(people.dan, "Invoices page is down for us too", category=people.billing)
    login(client, people.sam)
    response = client.post(reverse("desk:merge", args=[first.pk]), {"number": globex.pk})
    assert response.status_code == 400 and "Link them instead" in response.text
    assert Ticket.objects.get(pk=first.pk).merged_into_id is None
    assert list(globex.participants.all()) == []


def test_customers_cannot_merge_or_link(people, pair, client):
    first, second = pair
    login(client, people.carol)
    assert (
        client.post(reverse("desk:merge", args=[first.pk]), {"number": second.pk}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("desk:link", args=[first.pk]), {"number": second.pk, "kind": "related"}
        ).status_code
        == 404
    )
    with pytest.raises(PermissionDenied):
        actions.merge_tickets(first, into=second, by=people.carol)
    assert Ticket.objects.get(pk=first.pk).merged_into_id is None


def test_merging_a_ticket_into_itself_or_twice_is_refused(people, pair):
    first, second = pair
    with pytest.raises(ValidationError):
        actions.merge_tickets(first, into=first, by=people.alice)
    actions.merge_tickets(first, into=second, by=people.alice)
    with pytest.raises(ValidationError):
        actions.merge_tickets(first, into=second, by=people.alice)


def test_a_link_shows_on_both_tickets_with_an_event_on_each(people, pair, client):
    first, second = pair
    login(client, people.alice)
    response = client.post(
        reverse("desk:link", args=[second.pk]), {"number": first.pk, "kind": LinkKind.DUPLICATE}
    )
    assert response.status_code == 302
    page = client.get(reverse("desk:ticket", args=[second.pk]))
    assert "duplicate of" in page.text and first.subject in page.text
    page = client.get(reverse("desk:ticket", args=[first.pk]))
    assert "duplicated by" in page.text and second.subject in page.text
    assert second.events.filter(kind=EventKind.LINKED, data__other=first.pk).exists()
    assert first.events.filter(kind=EventKind.LINKED, data__other=second.pk).exists()
    removed = client.post(reverse("desk:unlink", args=[first.pk, second.pk]))
    assert removed.status_code == 302 and not TicketLink.objects.exists()
    assert first.events.filter(kind=EventKind.UNLINKED).count() == 1


def test_a_link_to_another_teams_ticket_is_not_shown_to_an_agent_of_this_team(people, pair, client):
    first, _second = pair
    theirs = _open(people.carol, "Server room is hot", team=people.second_line)
    actions.link_tickets(theirs, to=first, kind=LinkKind.CHILD, by=people.sam)
    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[first.pk]))
    assert "Server room is hot" not in page.text
    login(client, people.sam)
    page = client.get(reverse("desk:ticket", args=[first.pk]))
    assert "parent of" in page.text and "Server room is hot" in page.text


def test_a_ticket_has_one_parent(people, pair):
    first, second = pair
    third = _open(people.carol, "Outage", category=people.billing)
    actions.link_tickets(first, to=third, kind=LinkKind.CHILD, by=people.alice)
    with pytest.raises(ValidationError):
        actions.link_tickets(first, to=second, kind=LinkKind.CHILD, by=people.alice)
    with pytest.raises(ValidationError):
        actions.link_tickets(third, to=first, kind=LinkKind.CHILD, by=people.alice)


def test_mail_to_a_long_closed_ticket_opens_a_new_one_linked_to_it(people, ticket, settings):
    _verified(people.carol)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.CLOSED,
        closed_at=timezone.now()
        - datetime.timedelta(days=settings.FRONTLINE["REQUESTER_REOPEN_DAYS"] + 1),
    )
    raw = (
        "From: Carol Customer <carol@example.com>\r\n"
        "To: support@frontline.test\r\n"
        f"Subject: Re: [#{ticket.pk}] Invoice 2024-17 charged twice\r\n"
        "Message-ID: <late@example.com>\r\n\r\nIt happened again.\r\n"
    ).encode()
    inbound = receive(raw).inbound
    assert inbound.outcome == Outcome.NEW_TICKET
    assert "closed: new ticket, linked to it" in inbound.reason
    new = inbound.ticket
    assert new.requester == people.carol
    assert new.pk != ticket.pk
    link = TicketLink.objects.get()
    assert (link.source_id, link.target_id, link.kind) == (new.pk, ticket.pk, LinkKind.RELATED)
    assert ticket.messages.filter(kind=MessageKind.REPLY).count() == 1


def test_the_portal_no_longer_promises_a_link_it_does_not_make(people, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=365)
    )
    with pytest.raises(actions.TicketClosed) as refused:
        actions.add_reply(ticket, body="Hello?", by=people.carol)
    assert "link" not in str(refused.value) and ticket.reference in str(refused.value)


def test_the_ticket_page_reads_any_number_of_links_in_two_queries(
    people, pair, client, django_assert_max_num_queries
):
    first, _second = pair
    login(client, people.alice)
    url = reverse("desk:ticket", args=[first.pk])
    client.get(url)
    # the pin of tests/test_desk.py (with the time panel of frontline.reports and
    # the "do you follow this?" check, the shared draft, the mentor check)
    with django_assert_max_num_queries(23) as unlinked:
        client.get(url)
    for i in range(8):
        other = _open(people.carol, f"Outage report {i}", category=people.billing)
        actions.link_tickets(other, to=first, kind=LinkKind.CHILD, by=people.alice)
    with django_assert_max_num_queries(len(unlinked) + 1):
        page = client.get(url)
    assert page.text.count("parent of") == 8


def test_a_merge_is_undone_within_a_day_and_everything_goes_back(people, pair, client):
    first, second = pair
    before = {
        "messages": set(first.messages.values_list("pk", flat=True)),
        "attachments": set(first.attachments.values_list("pk", flat=True)),
        "events": set(first.events.values_list("pk", flat=True)),
        "status": Ticket.objects.get(pk=first.pk).status,
    }
    actions.merge_tickets(first, into=second, by=people.alice)
    later = actions.add_reply(second, body="Fixed for both of you.", by=people.alice)
    login(client, people.alice)
    page = client.get(reverse("desk:ticket", args=[second.pk]))
    assert "merged from" in page.text and "Undo the merge" in page.text
    response = client.post(reverse("desk:undo_merge", args=[first.pk]))
    assert response.status_code == 302 and response.url == reverse("desk:ticket", args=[first.pk])
    first.refresh_from_db()
    assert first.merged_into_id is None and first.status == before["status"]
    assert set(first.messages.values_list("pk", flat=True)) == before["messages"]
    assert set(first.attachments.values_list("pk", flat=True)) == before["attachments"]
    assert before["events"] <= set(first.events.values_list("pk", flat=True))
    assert later.pk in set(second.messages.values_list("pk", flat=True))
    assert list(second.participants.all()) == []
    assert not TicketLink.objects.exists()
    assert first.events.filter(kind=EventKind.UNMERGED).count() == 1
    assert second.events.filter(kind=EventKind.UNMERGED).count() == 1
    assert client.get(reverse("desk:ticket", args=[first.pk])).status_code == 200


def test_a_merge_cannot_be_undone_after_a_day(people, pair):
    first, second = pair
    actions.merge_tickets(first, into=second, by=people.alice)
    with (
        time_machine.travel(
            timezone.now() + actions.UNDO_MERGE_WITHIN + datetime.timedelta(minutes=1)
        ),
        pytest.raises(ValidationError),
    ):
        actions.undo_merge(first, by=people.alice)
    assert Ticket.objects.get(pk=first.pk).merged_into_id == second.pk


def test_merged_tickets_are_not_relinked_or_unlinked_by_hand(people, pair):
    first, second = pair
    actions.merge_tickets(first, into=second, by=people.alice)
    with pytest.raises(ValidationError):
        actions.link_tickets(second, to=first, kind=LinkKind.RELATED, by=people.alice)
    with pytest.raises(ValidationError):
        actions.link_tickets(first, to=second, kind=LinkKind.MERGED, by=people.alice)
    assert not actions.unlink_tickets(second, other=first, by=people.alice)
    assert TicketLink.objects.get().kind == LinkKind.MERGED


def test_a_merge_keeps_whom_the_customer_copied_unconfirmed(people, pair):
    """Someone a customer copied waits for an agent's confirmation before replies
    reach them; merging their ticket into another does not confirm them."""
    first, second = pair
    actions.add_participant(second, user=people.maria, by=people.erin)  # proposed only
    actions.merge_tickets(second, into=first, by=people.alice)
    rows = dict(first.participations.values_list("user_id", "confirmed"))
    assert rows == {people.erin.pk: True, people.maria.pk: False}
