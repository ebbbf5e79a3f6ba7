"""Who reaches what: the permission matrix, through HTTP."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontline.tickets import actions
from tests.conftest import login


@pytest.fixture
def carols(people):
    """Carol's ticket with a public file and an internal note with its own file."""
    t = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Printer on fire",
        body="It smokes.",
        category=people.billing,
        files=[SimpleUploadedFile("smoke.txt", b"smoke log")],
    )
    note = actions.add_note(
        t,
        body="Secret: the customer's contract expired",
        by=people.alice,
        files=[SimpleUploadedFile("contract.txt", b"internal contract")],
    )
    public_file = t.attachments.get(is_internal=False)
    note_file = note.attachments.get()
    return t, public_file, note_file


@pytest.mark.parametrize("who", ["dan", "erin"])
def test_other_customers_never_reach_carols_ticket_or_files(client, people, carols, who):
    t, public_file, note_file = carols
    login(client, getattr(people, who))
    assert client.get(f"/portal/tickets/{t.pk}/").status_code == 404
    assert client.post(f"/portal/tickets/{t.pk}/reply/", {"body": "hi"}).status_code == 404
    assert client.post(f"/portal/tickets/{t.pk}/solved/").status_code == 404
    assert client.get(f"/portal/attachments/{public_file.pk}/").status_code == 404
    assert client.get(f"/portal/attachments/{note_file.pk}/").status_code == 404
    listing = client.get("/portal/?scope=org").content.decode()
    assert "Printer on fire" not in listing
    assert t.messages.count() == 2  # nothing was added by the refused reply


def test_requester_sees_own_ticket_and_public_file_but_not_the_notes_file(client, people, carols):
    t, public_file, note_file = carols
    login(client, people.carol)
    assert client.get(f"/portal/tickets/{t.pk}/").status_code == 200
    response = client.get(f"/portal/attachments/{public_file.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"smoke log"
    assert client.get(f"/portal/attachments/{note_file.pk}/").status_code == 404


def test_organisation_manager_sees_the_organisations_tickets(client, people, carols):
    t, public_file, _note_file = carols
    login(client, people.maria)
    assert client.get(f"/portal/tickets/{t.pk}/").status_code == 200
    assert client.get(f"/portal/attachments/{public_file.pk}/").status_code == 200
    assert "Printer on fire" in client.get("/portal/?scope=org").content.decode()
    assert "Printer on fire" not in client.get("/portal/?scope=mine").content.decode()


def test_manager_of_another_organisation_sees_nothing(client, people, carols):
    t, _public, _note = carols
    people.dan.is_org_manager = True
    people.dan.save()
    login(client, people.dan)
    assert client.get(f"/portal/tickets/{t.pk}/").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, people, carols):
    t, public_file, _note_file = carols
    for url in (
        f"/portal/tickets/{t.pk}/",
        f"/desk/tickets/{t.pk}/",
        f"/portal/attachments/{public_file.pk}/",
        "/desk/q/open/",
        "/portal/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_customers_find_no_desk(client, people, carols):
    t, public_file, _note = carols
    login(client, people.carol)
    assert client.get("/desk/q/open/").status_code == 404
    assert client.get(f"/desk/tickets/{t.pk}/").status_code == 404
    assert client.post(f"/desk/tickets/{t.pk}/note/", {"body": "x"}).status_code == 404
    assert client.get(f"/desk/attachments/{public_file.pk}/").status_code == 404


def test_agent_outside_the_team_cannot_reach_the_ticket(client, people, carols):
    t, _public, note_file = carols  # First line's ticket
    login(client, people.bob)  # Second line
    assert client.get(f"/desk/tickets/{t.pk}/").status_code == 404
    assert client.post(f"/desk/tickets/{t.pk}/reply/", {"body": "hi"}).status_code == 404
    assert client.get(f"/desk/attachments/{note_file.pk}/").status_code == 404
    assert "Printer on fire" not in client.get("/desk/q/open/").content.decode()


def test_agent_in_the_team_and_supervisor_reach_it(client, people, carols):
    t, _public, note_file = carols
    for user in (people.alice, people.sam):
        login(client, user)
        assert client.get(f"/desk/tickets/{t.pk}/").status_code == 200
        assert client.get(f"/desk/attachments/{note_file.pk}/").status_code == 200
        assert "Printer on fire" in client.get("/desk/q/open/").content.decode()


def test_delegated_ticket_becomes_visible_to_the_new_team(client, people, carols):
    t, _public, _note = carols
    actions.assign_ticket(t, by=people.alice, assignee=people.bob, note="Needs a technician")
    login(client, people.bob)
    assert client.get(f"/desk/tickets/{t.pk}/").status_code == 200


def test_deactivated_staff_lose_access(client, people, carols):
    t, _public, _note = carols
    people.alice.is_active = False
    people.alice.save()
    client.force_login(people.alice)
    response = client.get(f"/desk/tickets/{t.pk}/")
    assert response.status_code in (302, 404)
