"""CC'd people take part in a ticket: they see it, may reply by mail, agents manage them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from frontline.accounts.models import User
from frontline.mail.inbound import MAX_NEW_PARTICIPANTS, receive
from frontline.mail.models import Mailbox, Outcome
from frontline.tickets import actions
from frontline.tickets.access import access_ticket_for_requester, visible_tickets
from frontline.tickets.models import EventKind, ParticipantSource, Ticket, TicketParticipant
from tests.conftest import login

from .test_inbound import mail


@pytest.fixture(autouse=True)
def support_mailbox(db):
    # The address the test mail is sent to: ours, never a participant.
    return Mailbox.objects.create(name="Support", address="support@frontline.test")


def test_copied_addresses_of_a_new_ticket_become_participants(people):
    ticket = receive(
        mail(
            Cc="Paul Partner <paul@partner.test>, quinn@partner.test, "
            "Support Alias <SUPPORT+urgent@frontline.test>, alice@example.com, carol@example.com",
        )
    ).inbound.ticket
    people_on_it = set(ticket.participants.values_list("email", flat=True))
    # Not our mailbox (with or without +tag), not staff (alice), not the sender (carol).
    assert people_on_it == {"paul@partner.test", "quinn@partner.test"}
    paul = User.objects.get(email="paul@partner.test")
    assert paul.first_name == "Paul" and not paul.has_usable_password()
    row = TicketParticipant.objects.get(ticket=ticket, user=paul)
    assert row.how == ParticipantSource.EMAIL and row.added_by == ticket.requester
    # Copied by the customer: proposed, not confirmed (no replies go to them yet).
    assert not row.confirmed
    assert ticket.events.filter(kind=EventKind.PARTICIPANT_ADDED).count() == 2


def test_a_participant_replies_by_mail_and_brings_in_someone_else(people):
    ticket = receive(mail(Cc="paul@partner.test")).inbound.ticket
    reply = receive(
        mail(
            sender="Paul <paul@partner.test>",
            subject="Re: Printer jams",
            body="Same here.",
            message_id="<p2@partner.test>",
            Cc=f"support+t-{ticket.reply_token}@frontline.test, rita@partner.test",
        )
    ).inbound
    assert reply.outcome == Outcome.REPLY and reply.ticket == ticket
    assert ticket.messages.last().author.email == "paul@partner.test"
    assert set(ticket.participants.values_list("email", flat=True)) == {
        "paul@partner.test",
        "rita@partner.test",
    }


def test_a_forged_reply_by_subject_tag_cannot_copy_in_an_outsider(people):
    ticket = receive(mail()).inbound.ticket
    forged = receive(
        mail(
            subject=f"Re: [#{ticket.pk}] Printer jams",  # From carol, but anyone can write that
            body="Please keep my colleague informed.",
            message_id="<forged@evil.test>",
            Cc="mallory@evil.test",
        )
    ).inbound
    assert forged.outcome == Outcome.REPLY and forged.ticket == ticket
    assert not ticket.participants.exists()
    assert "mallory@evil.test" in forged.reason and "not added" in forged.reason
    for mallory in User.objects.filter(email="mallory@evil.test"):
        assert not visible_tickets(mallory).filter(pk=ticket.pk).exists()


def test_a_stranger_citing_the_ticket_does_not_add_people_to_it(people):
    ticket = receive(mail()).inbound.ticket
    forged = receive(
        mail(
            sender="mallory@evil.test",
            subject=f"Re: [#{ticket.pk}]",
            message_id="<f@evil.test>",
            Cc="friend@evil.test",
        )
    ).inbound
    assert forged.outcome == Outcome.NEW_TICKET and forged.ticket != ticket
    assert not ticket.participants.exists()
    assert list(forged.ticket.participants.values_list("email", flat=True)) == ["friend@evil.test"]


def test_automatic_messages_add_nobody(people):
    ticket = receive(mail()).inbound.ticket
    receive(
        mail(
            subject=f"Re: [#{ticket.pk}]",
            message_id="<auto@x>",
            Auto_Submitted="auto-replied",
            Cc="someone@else.test",
        )
    )
    assert not ticket.participants.exists()


def test_a_message_copied_to_very_many_adds_a_bounded_number(people):
    many = ", ".join(f"p{i}@crowd.test" for i in range(MAX_NEW_PARTICIPANTS + 5))
    inbound = receive(mail(Cc=many)).inbound
    assert inbound.outcome == Outcome.NEW_TICKET
    assert inbound.ticket.participants.count() == MAX_NEW_PARTICIPANTS
    assert "5 more copied addresses not added" in inbound.reason


def test_participant_sees_the_ticket_and_a_stranger_still_does_not(client, people, ticket):
    actions.add_participant(ticket, user=people.dan, by=people.alice)
    assert access_ticket_for_requester(people.dan, ticket.pk) == ticket
    assert visible_tickets(people.dan).filter(pk=ticket.pk).exists()
    page = login(client, people.dan).get(f"/portal/tickets/{ticket.pk}/")
    assert page.status_code == 200 and "Dan Other" in page.content.decode()
    mine = client.get("/portal/").content.decode()
    assert f"/portal/tickets/{ticket.pk}/" in mine  # listed under "my requests" too
    # erin is in carol's organisation but no manager and not on it; bob is another team's agent.
    assert login(client, people.erin).get(f"/portal/tickets/{ticket.pk}/").status_code == 404
    assert login(client, people.bob).get(f"/desk/tickets/{ticket.pk}/").status_code == 404
    actions.remove_participant(ticket, user=people.dan, by=people.alice)
    assert login(client, people.dan).get(f"/portal/tickets/{ticket.pk}/").status_code == 404


@pytest.mark.parametrize("count", [3, 600])  # ids inline, and the subquery beyond the bound
def test_for_requester_finds_participations_both_ways(people, count):
    tickets = [
        actions.open_ticket(requester=people.carol, by=people.carol, subject=f"t{i}", body="b")
        for i in range(2)
    ]
    TicketParticipant.objects.bulk_create(
        [TicketParticipant(ticket=tickets[0], user=people.dan, how="desk")]
        + [
            TicketParticipant(
                ticket=Ticket.objects.create(
                    subject="x", requester=people.erin, due_at=tickets[0].due_at
                ),
                user=people.dan,
                how="desk",
            )
            for _ in range(count - 1)
        ]
    )
    seen = Ticket.objects.for_requester(people.dan)
    assert seen.filter(pk=tickets[0].pk).exists()
    assert not seen.filter(pk=tickets[1].pk).exists()
    assert seen.count() == count


def test_agent_adds_and_removes_participants_on_the_desk(client, people, ticket):
    login(client, people.alice)
    response = client.post(
        f"/desk/tickets/{ticket.pk}/participants/",
        {"email": "Paul@Partner.test", "name": "Paul Partner"},
    )
    assert response.status_code == 302
    paul = User.objects.get(email="Paul@Partner.test")
    assert list(ticket.participants.all()) == [paul]
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Paul Partner" in page and "now takes part" in page
    assert (
        client.post(f"/desk/tickets/{ticket.pk}/participants/{paul.pk}/remove/").status_code == 302
    )
    assert not ticket.participants.exists()
    assert ticket.events.filter(kind=EventKind.PARTICIPANT_REMOVED, actor=people.alice).exists()
    # Removing someone who is not on it: 404, nothing recorded.
    assert (
        client.post(f"/desk/tickets/{ticket.pk}/participants/{paul.pk}/remove/").status_code == 404
    )


def test_the_desk_refuses_staff_bad_addresses_and_strangers(client, people, ticket):
    login(client, people.alice)
    staff = client.post(f"/desk/tickets/{ticket.pk}/participants/", {"email": "bob@example.com"})
    assert staff.status_code == 400 and not ticket.participants.exists()
    bad = client.post(f"/desk/tickets/{ticket.pk}/participants/", {"email": "not an address"})
    assert bad.status_code == 400
    login(client, people.bob)  # cannot see the ticket
    response = client.post(f"/desk/tickets/{ticket.pk}/participants/", {"email": "p@x.test"})
    assert response.status_code == 404 and not ticket.participants.exists()
    login(client, people.carol)  # customers have no desk
    response = client.post(f"/desk/tickets/{ticket.pk}/participants/", {"email": "p@x.test"})
    assert response.status_code == 404


def test_add_participant_rules(people, ticket):
    with pytest.raises(ValidationError):
        actions.add_participant(ticket, user=people.carol, by=people.alice)  # the requester
    with pytest.raises(PermissionDenied):
        actions.add_participant(ticket, user=people.erin, by=people.dan)  # a stranger
    assert actions.add_participant(ticket, user=people.erin, by=people.carol) is True
    # Carol proposed her; Alice adding her confirms that (True), then nothing changes.
    assert actions.add_participant(ticket, user=people.erin, by=people.alice) is True
    assert actions.add_participant(ticket, user=people.erin, by=people.alice) is False
    assert actions.add_participant(ticket, user=people.erin, by=people.carol) is False
    with pytest.raises(PermissionDenied):
        actions.remove_participant(ticket, user=people.erin, by=people.carol)


def test_notifications_read_participants_from_the_ticket(people, ticket):
    actions.add_participant(ticket, user=people.dan, by=None)
    assert list(ticket.participants.filter(is_active=True)) == [people.dan]


def test_without_a_mailbox_configured_only_cc_counts(people):
    Mailbox.objects.all().delete()
    ticket = receive(mail(Cc="paul@partner.test")).inbound.ticket
    # support@frontline.test (To) is ours, even if nobody said so.
    assert list(ticket.participants.values_list("email", flat=True)) == ["paul@partner.test"]


def test_people_copied_in_cannot_close_the_requesters_ticket(client, people, ticket):
    from frontline.tickets.models import Status

    actions.add_participant(ticket, user=people.dan, by=people.alice)
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    login(client, people.dan)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Yes, this solved it" not in page
    assert client.post(f"/portal/tickets/{ticket.pk}/solved/").status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    login(client, people.carol)
    assert "Yes, this solved it" in client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert client.post(f"/portal/tickets/{ticket.pk}/solved/").status_code == 302


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_an_agents_reply_goes_to_copied_addresses_only_once_an_agent_confirms_them(
    client, people, mailoutbox, committed
):
    with committed():
        ticket = receive(
            mail(Cc="Paul Partner <paul@partner.test>, victim@elsewhere.test")
        ).inbound.ticket
    paul = User.objects.get(email="paul@partner.test")
    mailoutbox.clear()
    with committed():
        actions.add_reply(ticket, body="We are on it.", by=people.alice)
    assert [m.to for m in mailoutbox] == [["carol@example.com"]]

    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert page.count("data-unconfirmed") == 2 and page.count("data-not-sent") == 2
    assert "Not sent to Paul Partner" in page
    with committed():
        response = client.post(f"/desk/tickets/{ticket.pk}/participants/{paul.pk}/confirm/")
    assert response.status_code == 302
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Paul Partner will get the public replies now." in page
    assert page.count("data-unconfirmed") == 1 and "Not sent to Paul Partner" not in page
    assert ticket.events.filter(
        kind=EventKind.PARTICIPANT_CONFIRMED, actor=people.alice, data__user=paul.pk
    ).exists()

    mailoutbox.clear()
    with committed():
        actions.add_reply(ticket, body="Fixed now.", by=people.alice)
    assert sorted(m.to[0] for m in mailoutbox) == ["carol@example.com", "paul@partner.test"]


def test_someone_newly_copied_on_a_reply_waits_for_an_agent_too(people, mailoutbox, committed):
    with committed():
        ticket = receive(mail()).inbound.ticket
        actions.add_participant(ticket, user=people.erin, by=people.alice)  # on it before
        receive(
            mail(
                subject="Re: Printer jams",
                body="Adding my colleague.",
                message_id="<c2@example.com>",
                Cc=f"support+t-{ticket.reply_token}@frontline.test, rita@partner.test",
            )
        )
    confirmed = dict(ticket.participations.values_list("user__email", "confirmed"))
    assert confirmed == {people.erin.email: True, "rita@partner.test": False}
    mailoutbox.clear()
    with committed():
        actions.add_reply(ticket, body="Noted.", by=people.alice)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([people.carol.email, people.erin.email])


def test_confirming_is_for_staff_and_only_for_people_on_the_ticket(client, people, ticket):
    actions.add_participant(ticket, user=people.erin, by=people.carol)
    with pytest.raises(PermissionDenied):
        actions.confirm_participant(ticket, user=people.erin, by=people.carol)
    login(client, people.bob)  # cannot see the ticket
    assert (
        client.post(f"/desk/tickets/{ticket.pk}/participants/{people.erin.pk}/confirm/").status_code
        == 404
    )
    login(client, people.alice)
    assert (
        client.get(f"/desk/tickets/{ticket.pk}/participants/{people.erin.pk}/confirm/").status_code
        == 405
    )
    dan = f"/desk/tickets/{ticket.pk}/participants/{people.dan.pk}/confirm/"
    assert client.post(dan).status_code == 404
    assert not TicketParticipant.objects.get(ticket=ticket, user=people.erin).confirmed
    # An agent adding a proposed person on the desk confirms them.
    assert actions.add_participant(ticket, user=people.erin, by=people.alice) is True
    assert TicketParticipant.objects.get(ticket=ticket, user=people.erin).confirmed
    assert actions.confirm_participant(ticket, user=people.erin, by=people.alice) is False
    assert ticket.events.filter(kind=EventKind.PARTICIPANT_CONFIRMED).count() == 1
