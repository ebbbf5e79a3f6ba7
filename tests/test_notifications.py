"""In-app notifications: mentions, tickets given to you and customers' replies
(on your tickets and the ones you follow) show in the desk as well as by mail;
the bell counts the unread; opening one reads it; bounded and per person."""

import pytest

from frontline.mail.models import Mailbox, Notice, Notification
from frontline.tickets import actions
from tests.conftest import login


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def support(db):
    return Mailbox.objects.create(name="Acme Support", address="support@frontline.test")


def notices(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("notice", flat=True)
    )


def test_a_mention_an_assignment_and_a_customer_reply_notify_in_the_desk(
    client, people, ticket, committed
):
    with committed():
        actions.add_note(ticket, body="@sam can you approve the refund?", by=people.alice)
        actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="Yours")
        actions.follow_ticket(ticket, by=people.sam)
        actions.add_reply(ticket, body="Any news?", by=people.carol)
    assert notices(people.sam) == [Notice.MENTIONED, Notice.CUSTOMER_REPLIED]
    assert notices(people.alice) == [Notice.ASSIGNED, Notice.CUSTOMER_REPLIED]
    assert notices(people.carol) == []  # customers get mail, not the desk's list
    login(client, people.sam)
    bell = client.get("/desk/notifications/bell/").content.decode()
    assert '<span class="bell-count">2<' in bell
    page = client.get("/desk/notifications/").content.decode()
    assert f"Alice Agent mentioned you on #{ticket.pk}" in page
    assert f"Carol Customer replied on #{ticket.pk}" in page
    assert ticket.subject in page


def test_opening_a_notification_reads_it_and_goes_to_the_ticket(client, people, ticket, committed):
    with committed():
        actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="Yours")
    (notification,) = Notification.objects.filter(user=people.alice)
    login(client, people.alice)
    response = client.get(f"/desk/notifications/{notification.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/desk/tickets/{ticket.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "bell-count" not in client.get("/desk/notifications/bell/").content.decode()


def test_mark_all_read_says_how_many(client, people, ticket, committed):
    with committed():
        actions.add_note(ticket, body="@alice look", by=people.sam)
        actions.add_note(ticket, body="@alice and again", by=people.sam)
    login(client, people.alice)
    response = client.post("/desk/notifications/read/", follow=True)
    assert "2 notifications marked read." in response.content.decode()
    assert not Notification.objects.filter(user=people.alice, read_at__isnull=True).exists()


def test_nobody_opens_or_reads_another_persons_notification(client, people, ticket, committed):
    with committed():
        actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="Yours")
    (notification,) = Notification.objects.filter(user=people.alice)
    login(client, people.sam)
    assert client.get(f"/desk/notifications/{notification.pk}/").status_code == 404
    assert "Someone" not in client.get("/desk/notifications/").content.decode()
    notification.refresh_from_db()
    assert notification.read_at is None
    login(client, people.carol)
    assert client.get("/desk/notifications/").status_code == 404
    assert client.get("/desk/notifications/bell/").status_code == 404


def test_a_ticket_out_of_sight_drops_out_of_the_list(client, people, ticket, committed):
    with committed():
        actions.add_note(ticket, body="@alice look", by=people.sam)
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    login(client, people.alice)
    assert ticket.subject not in client.get("/desk/notifications/").content.decode()
    (notification,) = Notification.objects.filter(user=people.alice)
    assert client.get(f"/desk/notifications/{notification.pk}/").status_code == 404


def test_the_list_and_the_bell_are_bounded(client, people, ticket, django_assert_max_num_queries):
    Notification.objects.bulk_create(
        Notification(user=people.alice, ticket=ticket, notice=Notice.MENTIONED, actor=people.sam)
        for _ in range(150)
    )
    login(client, people.alice)
    with django_assert_max_num_queries(4):
        bell = client.get("/desk/notifications/bell/").content.decode()
    assert "99+" in bell
    with django_assert_max_num_queries(6):
        page = client.get("/desk/notifications/").content.decode()
    assert page.count("mentioned you on") == 30
