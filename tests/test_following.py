"""Agents follow a ticket: the customer's replies reach them by mail as they
reach the assignee, while they may see the ticket; unfollowing stops it."""

import pytest
from django.core.exceptions import PermissionDenied

from frontline.mail.models import Mailbox
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


def test_a_follower_who_may_no_longer_see_the_ticket_hears_nothing(
    people, ticket, support, mailoutbox, committed
):
    actions.follow_ticket(ticket, by=people.alice)
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    with committed():
        actions.add_reply(ticket, body="Any news?", by=people.carol)
    assert mailed(mailoutbox, "alice@example.com") == []
    assert mailed(mailoutbox, "bob@example.com")


def test_an_unfollower_hears_nothing(people, ticket, support, mailoutbox, committed):
    actions.follow_ticket(ticket, by=people.sam)
    actions.unfollow_ticket(ticket, by=people.sam)
    with committed():
        actions.add_reply(ticket, body="Hello?", by=people.carol)
    assert mailed(mailoutbox, "sam@example.com") == []
