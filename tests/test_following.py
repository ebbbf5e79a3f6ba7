"""Agents follow a ticket: the customer's replies reach them by mail (and the
bell) as they reach the assignee, after a handoff out of their sight too, when
they read it read-only; unfollowing stops it."""

import pytest
from django.core.exceptions import PermissionDenied

from frontline.accounts.models import Role
from frontline.mail.models import Mailbox, Notification
from frontline.tickets import actions
from tests.conftest import login

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def support(db):
    return Mailbox.objects.create(name="Acme Support", address="support@frontline.test")


def mailed(mailoutbox, address):
    return [m for m in mailoutbox if address in m.to]


def test_an_agent_follows_and_unfollows_from_the_ticket_page(client, people, ticket):
    login(client, people.alice)
    assert ">Follow</button>" in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    response = client.post(f"/desk/tickets/{ticket.pk}/follow/", follow=True)
    page = response.content.decode()
    assert f"You follow #{ticket.pk}" in page
    assert 'aria-pressed="true">Following</button>' in page
    assert ticket.followers.filter(user=people.alice).exists()
    response = client.post(f"/desk/tickets/{ticket.pk}/unfollow/", **HTMX)
    page = response.content.decode()
    assert "<html" not in page  # in place
    assert f"You no longer follow #{ticket.pk}." in page
    assert 'aria-pressed="false">Follow</button>' in page
    assert not ticket.followers.exists()


def test_following_twice_is_one_follow(people, ticket):
    assert actions.follow_ticket(ticket, by=people.alice) is True
    assert actions.follow_ticket(ticket, by=people.alice) is False
    assert ticket.followers.count() == 1


def test_only_staff_who_may_see_a_ticket_follow_it(client, people, ticket):
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    with pytest.raises(PermissionDenied):
        actions.follow_ticket(ticket, by=people.alice)
    login(client, people.alice)
    assert client.post(f"/desk/tickets/{ticket.pk}/follow/").status_code == 404
    login(client, people.carol)
    assert client.post(f"/desk/tickets/{ticket.pk}/follow/").status_code == 404
    assert not ticket.followers.exists()


def test_followers_hear_the_customers_reply(people, ticket, support, mailoutbox, committed):
    actions.assign_ticket(ticket, by=people.alice, assignee=people.alice)
    actions.follow_ticket(ticket, by=people.sam)
    with committed():
        actions.add_reply(ticket, body="It happened again this morning.", by=people.carol)
    (to_sam,) = mailed(mailoutbox, "sam@example.com")
    assert "It happened again this morning." in to_sam.body
    assert mailed(mailoutbox, "alice@example.com")  # the assignee as before


def test_a_follower_keeps_hearing_of_the_ticket_after_a_handoff(
    people, ticket, support, mailoutbox, committed
):
    actions.follow_ticket(ticket, by=people.alice)
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    with committed():
        actions.add_reply(ticket, body="Any news?", by=people.carol)
    (to_alice,) = mailed(mailoutbox, "alice@example.com")
    assert "Any news?" in to_alice.body
    assert mailed(mailoutbox, "bob@example.com")
    assert Notification.objects.filter(user=people.alice, ticket=ticket).exists()


def test_a_follower_who_left_the_staff_hears_nothing(
    people, ticket, support, mailoutbox, committed
):
    actions.follow_ticket(ticket, by=people.alice)
    people.alice.role = Role.CUSTOMER
    people.alice.save()
    with committed():
        actions.add_reply(ticket, body="Any news?", by=people.carol)
    assert mailed(mailoutbox, "alice@example.com") == []


def test_after_a_handoff_a_follower_reads_the_ticket_but_cannot_change_it(client, people, ticket):
    actions.add_note(ticket, body="Card ends 4242", by=people.alice)
    actions.follow_ticket(ticket, by=people.alice)
    actions.assign_ticket(ticket, by=people.alice, assignee=people.bob, note="Needs a refund")
    login(client, people.alice)
    response = client.get(f"/desk/tickets/{ticket.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "you read it here but cannot change it" in page
    assert "Card ends 4242" in page and "Needs a refund" in page
    assert 'id="composer"' not in page and f"/desk/tickets/{ticket.pk}/update/" not in page
    assert 'aria-pressed="true">Following</button>' in page
    for path, data in (
        ("reply/", {"body": "Hi"}),
        ("note/", {"body": "Hi"}),
        ("draft/", {"body": "Hi"}),
        ("take/", {}),
        ("follow/", {}),
    ):
        assert client.post(f"/desk/tickets/{ticket.pk}/{path}", data).status_code == 404, path
    assert ticket.messages.count() == 2
    # Unfollowing ends it: back to the queue, and the ticket is out of reach.
    response = client.post(f"/desk/tickets/{ticket.pk}/unfollow/")
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert not ticket.followers.exists()
    assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 404


def test_only_followers_read_a_ticket_out_of_their_sight(client, people, ticket):
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    for user in (people.alice, people.carol):
        login(client, user)
        assert client.get(f"/desk/tickets/{ticket.pk}/").status_code == 404
        assert client.post(f"/desk/tickets/{ticket.pk}/unfollow/").status_code == 404


def test_an_unfollower_hears_nothing(people, ticket, support, mailoutbox, committed):
    actions.follow_ticket(ticket, by=people.sam)
    actions.unfollow_ticket(ticket, by=people.sam)
    with committed():
        actions.add_reply(ticket, body="Hello?", by=people.carol)
    assert mailed(mailoutbox, "sam@example.com") == []
