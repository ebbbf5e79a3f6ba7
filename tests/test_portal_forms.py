"""The portal's per-category forms, sign-up and the customer's answers."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from frontline.accounts.models import Role, User
from frontline.tickets import actions
from frontline.tickets.models import Status, Ticket
from tests.conftest import PASSWORD, login


def test_the_form_shows_the_categorys_fields_in_order(client, people):
    login(client, people.carol)
    page = client.get(f"/portal/new/{people.hardware.pk}/").content.decode()
    assert page.index("Serial number") < page.index("Model") < page.index("Photo")
    assert 'name="f_serial"' in page and 'type="file" name="f_photo"' in page


def test_a_missing_required_field_is_refused_next_to_the_field(client, people):
    login(client, people.carol)
    response = client.post(
        f"/portal/new/{people.hardware.pk}/",
        {"subject": "Laptop dead", "body": "Will not boot", "f_model": "Laptop"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_f_serial_error"' in page
    assert "This field is required." in page
    assert Ticket.objects.count() == 0
    assert "Laptop dead" in page  # what was typed is kept


def test_an_invalid_choice_is_refused(client, people):
    login(client, people.carol)
    response = client.post(
        f"/portal/new/{people.hardware.pk}/",
        {"subject": "x", "body": "y", "f_serial": "SN1", "f_model": "Toaster"},
    )
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_a_complete_request_becomes_a_ticket_with_answers_and_files(client, people):
    login(client, people.carol)
    response = client.post(
        f"/portal/new/{people.hardware.pk}/",
        {
            "subject": "Laptop dead",
            "body": "Will not boot",
            "f_serial": "SN-42",
            "f_model": "Laptop",
            "f_photo": SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
            "attachments": [SimpleUploadedFile("log.txt", b"boot failed")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert ticket.requester == people.carol
    assert ticket.organisation == people.acme
    assert ticket.team == people.first_line
    assert ticket.channel == "web"
    assert ticket.fields["serial"] == "SN-42" and ticket.fields["model"] == "Laptop"
    photo = ticket.attachments.get(pk=ticket.fields["photo"]["attachment"])
    assert photo.content_type == "image/png"
    assert ticket.attachments.get(filename="log.txt").message is not None
    page = client.get(response["Location"]).content.decode()
    assert "SN-42" in page and "photo.png" in page and "log.txt" in page


def test_action_refuses_a_missing_required_answer_too(people):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="s",
            body="b",
            category=people.hardware,
            fields={},
        )
    assert "serial" in err.value.message_dict
    assert Ticket.objects.count() == 0


def test_customer_confirms_or_reopens_from_the_portal(client, people, ticket):
    actions.add_reply(ticket, body="Refunded.", by=people.alice)
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Yes, this solved it" in page
    response = client.post(f"/portal/tickets/{ticket.pk}/not-solved/", {"body": "Still twice"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    assert client.post(f"/portal/tickets/{ticket.pk}/solved/").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_not_solved_needs_a_message(client, people, ticket):
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    login(client, people.carol)
    response = client.post(f"/portal/tickets/{ticket.pk}/not-solved/", {"body": ""})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_signup_creates_an_unverified_customer_without_an_organisation(client, people):
    response = client.post(
        "/portal/signup/",
        {"name": "Nina New", "email": "nina@acme.test", "password": "a-long-passphrase-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="nina@acme.test")
    assert user.role == Role.CUSTOMER
    assert user.email_verified_at is None
    assert user.organisation is None  # the domain matches Acme, but the address is unverified
    assert response["Location"] == "/portal/signup/sent/"
    assert "nina@acme.test" in client.get(response["Location"]).content.decode()


def test_signup_refuses_a_weak_password(client, people):
    r = client.post(
        "/portal/signup/", {"name": "Z", "email": "z@example.com", "password": "password"}
    )
    assert r.status_code == 200
    assert not User.objects.filter(email="z@example.com").exists()


def test_sign_in_with_username_and_password(client, people):
    response = client.post("/login/", {"username": "carol", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").headers["Location"] == "/portal/"


def test_answers_survive_admins_changing_or_removing_questions(client, people):
    t = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Laptop",
        body="b",
        category=people.hardware,
        fields={"serial": "SN-12345", "model": "Laptop"},
    )
    people.hardware.fields.filter(key="serial").update(field_type="file")
    people.hardware.fields.filter(key="model").delete()
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{t.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "SN-12345" in text and "Laptop" in text  # the removed question, under its key
    login(client, people.alice)
    assert client.get(f"/desk/tickets/{t.pk}/").status_code == 200


def test_help_text_and_errors_have_the_ids_their_field_points_at(client, people):
    """A screen reader reads a field's help and errors through aria-describedby:
    each id it names exists once on the page."""
    people.hardware.fields.filter(key="serial").update(help_text="On the sticker underneath.")
    login(client, people.carol)
    response = client.post(
        f"/portal/new/{people.hardware.pk}/",
        {"subject": "Laptop dead", "body": "Will not boot", "f_model": "Laptop"},
    )
    page = response.content.decode()
    described = re.search(r'<input[^>]*name="f_serial"[^>]*>', page).group(0)
    ids = re.search(r'aria-describedby="([^"]+)"', described).group(1).split()
    assert "id_f_serial_helptext" in ids
    for element_id in ids:
        assert page.count(f'id="{element_id}"') == 1, element_id
