"""Internal notes are never visible to customers, anywhere they look."""

import pytest

from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.conftest import login

SECRET = "INTERNAL-ONLY the customer is on the late-payers list"
HANDOFF = "HANDOFF-ONLY check their VIP status before replying"


@pytest.fixture
def noted(people, ticket):
    actions.add_note(ticket, body=SECRET, by=people.alice)
    actions.add_reply(ticket, body="We are looking into the double charge.", by=people.alice)
    actions.assign_ticket(ticket, by=people.alice, assignee=people.bob, note=HANDOFF)
    return ticket


def test_requester_never_sees_internal_notes_or_handoff_notes_on_the_portal(client, people, noted):
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{noted.pk}/").content.decode()
    assert "We are looking into the double charge." in page
    assert "Bob Builder" in page  # the assignee's name is shown
    assert "Bob, one of our specialists" in page  # in plain words
    assert "Second line" not in page  # never the team's name
    assert SECRET not in page
    assert HANDOFF not in page
    assert "Internal note" not in page


def test_requesters_list_does_not_leak_notes(client, people, noted):
    login(client, people.maria)
    for url in ("/portal/", "/portal/?scope=org"):
        page = client.get(url).content.decode()
        assert SECRET not in page and HANDOFF not in page


def test_staff_see_the_note_marked_as_internal(client, people, noted):
    login(client, people.bob)
    page = client.get(f"/desk/tickets/{noted.pk}/").content.decode()
    assert SECRET in page
    assert 'class="msg msg-note"' in page
    assert HANDOFF in page  # shown at the top as the handoff note


def test_a_customer_reply_after_a_note_still_hides_it(client, people, noted):
    login(client, people.carol)
    response = client.post(f"/portal/tickets/{noted.pk}/reply/", {"body": "Any news?"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Any news?" in page and SECRET not in page


def test_customers_cannot_write_notes_through_the_action(people, ticket):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.add_note(ticket, body="sneaky", by=people.carol)
    assert ticket.messages.filter(kind="note").count() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


# The same notes, the same people, through the API and search (the quality bar of
# issue 12: the note-leak tests run against every way in).


def test_the_api_never_gives_a_customer_the_note_or_the_handoff(people, noted):
    import json

    from tests.test_api_tickets import Api

    for customer in (people.carol, people.maria):  # the requester, her manager
        api = Api(customer, scope="read")
        for path in (
            f"/tickets/{noted.pk}",
            f"/tickets/{noted.pk}/messages",
            f"/tickets/{noted.pk}/timeline",
            "/tickets",
        ):
            response = api.get(path)
            assert response.status_code == 200, (path, response.content)
            body = json.dumps(response.json())
            assert SECRET not in body and HANDOFF not in body, path
    staff = json.dumps(Api(people.bob, scope="read").get(f"/tickets/{noted.pk}/messages").json())
    assert SECRET in staff  # the same request finds it for staff: the test can fail


def test_search_never_finds_the_note_for_a_customer(client, people, noted):
    from frontline.search.reactions import index_ticket

    index_ticket(noted.events.latest("id").pk)
    words = "late-payers"
    login(client, people.bob)
    assert f"#{noted.pk}" in client.get("/desk/search/", {"q": words}).content.decode()
    link = f"/portal/tickets/{noted.pk}/"
    for customer in (people.carol, people.maria):
        login(client, customer)
        for q in (words, f'"{words}"', "VIP", "late-payers OR VIP"):
            page = client.get("/portal/search/", {"q": q}).content.decode()
            assert SECRET not in page and HANDOFF not in page, q
            assert link not in page, q  # the note's words do not find the ticket
        page = client.get("/portal/search/", {"q": "double charge"}).content.decode()
        assert link in page  # the public reply's words do: the search works for them
        assert SECRET not in page and HANDOFF not in page
