"""The public "call me back" form: no account, a contact is made, and abuse is held off."""

import pytest
from django.test import Client
from django.utils import timezone

from frontline.accounts.models import Role, User
from frontline.portal.views import PUBLIC_CALLBACKS_PER_HOUR
from frontline.tickets.models import Channel, Priority, Ticket

URL = "/portal/callback/new/"
FORM = {
    "name": "Victor Visitor",
    "phone": "+44 20 7946 0958",
    "preferred_time": "after 14:00",
    "reason": "My order never arrived",
}


def test_the_form_is_open_to_visitors_and_hides_the_honeypot(client, db):
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="website"' in html and 'class="visually-hidden" aria-hidden="true"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_visitor_becomes_a_contact_with_a_callback_ticket(client, people):
    r = client.post(URL, FORM)
    assert r.status_code == 302 and r.url == "/portal/callback/sent/"
    assert client.get(r.url).status_code == 200
    ticket = Ticket.objects.get(channel=Channel.CALLBACK)
    assert ticket.priority == Priority.HIGH
    assert "+442079460958" in ticket.messages.get().body
    assert "after 14:00" in ticket.messages.get().body
    visitor = ticket.requester
    assert (visitor.display_name, visitor.phone, visitor.role) == (
        "Victor Visitor",
        "+442079460958",
        Role.CUSTOMER,
    )
    assert not visitor.has_usable_password()
    client.post(URL, FORM | {"reason": "Still nothing"})  # the same number: the same person
    assert Ticket.objects.filter(requester=visitor).count() == 2
    assert User.objects.filter(phone="+442079460958").count() == 1


@pytest.mark.parametrize("who", ["carol", "sam"])
def test_a_visitor_typing_someones_address_or_number_does_not_become_them(client, people, who):
    owner = getattr(people, who)  # a customer with an account, and a supervisor
    owner.email_verified_at = timezone.now()
    owner.phone = "+442079460958"
    owner.save()
    r = client.post(URL, FORM | {"email": owner.email.upper()})
    assert r.status_code == 302
    ticket = Ticket.objects.get(channel=Channel.CALLBACK)
    assert ticket.requester != owner and not ticket.requester.is_staff_member
    assert ticket.requester.email == ""  # the typed address is not confirmed
    assert not ticket.messages.filter(author=owner).exists()
    owner_view = Client()
    owner_view.force_login(owner)
    if not owner.is_staff_member:
        assert f"/portal/tickets/{ticket.pk}/" not in owner_view.get("/portal/").content.decode()
    r = client.post(URL, FORM | {"reason": "by number only"})  # her number, no address
    assert Ticket.objects.filter(channel=Channel.CALLBACK, requester=owner).count() == 0
    owner.refresh_from_db()
    assert owner.phone == "+442079460958"  # a stranger's form does not change her number


def test_a_visitor_with_the_address_of_a_mail_contact_joins_that_contact(client, people):
    from frontline.mail.inbound import receive

    ticket = receive(
        b"From: Vic <vic@example.org>\r\nTo: support@frontline.test\r\nSubject: Hi\r\n"
        b"Message-ID: <v1@example.org>\r\n\r\nHello.\r\n"
    ).inbound.ticket
    client.post(URL, FORM | {"email": "vic@example.org"})
    callback = Ticket.objects.get(channel=Channel.CALLBACK)
    assert callback.requester == ticket.requester  # nobody signs in as a mail contact


@pytest.mark.parametrize(
    "bad", [{"phone": "12"}, {"phone": ""}, {"reason": ""}, {"name": ""}, {"email": "nope"}]
)
def test_bad_input_is_refused_and_nothing_is_stored(client, people, bad):
    r = client.post(URL, FORM | bad)
    assert r.status_code == 400
    assert not Ticket.objects.exists()


def test_a_filled_honeypot_is_thanked_and_ignored(client, people):
    users = User.objects.count()
    r = client.post(URL, FORM | {"website": "http://spam.example"})
    assert r.status_code == 302
    assert not Ticket.objects.exists() and User.objects.count() == users


def test_posts_without_the_csrf_token_are_refused(people):
    r = Client(enforce_csrf_checks=True).post(URL, FORM)
    assert r.status_code == 403
    assert not Ticket.objects.exists()


def test_each_address_may_post_a_few_times_an_hour(client, people):
    for i in range(PUBLIC_CALLBACKS_PER_HOUR):
        assert client.post(URL, FORM | {"reason": f"try {i}"}).status_code == 302
    r = client.post(URL, FORM, REMOTE_ADDR="127.0.0.1")
    assert r.status_code == 429
    assert "Too many requests" in r.content.decode()
    assert Ticket.objects.count() == PUBLIC_CALLBACKS_PER_HOUR
    # Another address is not affected; bad posts count too.
    assert client.post(URL, FORM, REMOTE_ADDR="203.0.113.9").status_code == 302
    for _ in range(PUBLIC_CALLBACKS_PER_HOUR):
        client.post(URL, FORM | {"phone": "1"}, REMOTE_ADDR="203.0.113.10")
    assert client.post(URL, FORM, REMOTE_ADDR="203.0.113.10").status_code == 429
