"""The portal speaks the customer's language, not the team's, and a visitor who
is not signed in finds help without an account."""

import pytest

from frontline.tickets import actions
from tests.conftest import login


def test_the_customer_sees_who_is_on_it_in_plain_words(client, people, ticket):
    login(client, people.carol)
    page = client.get("/portal/").content.decode()
    assert "Our support team is on it" in page
    assert "First line" not in page and "Stage" not in page

    actions.add_reply(ticket, body="Looking at it now.", by=people.alice)  # assigns Alice
    for url in ("/portal/", f"/portal/tickets/{ticket.pk}/"):
        page = client.get(url).content.decode()
        assert "Alice from our support team" in page
        assert "First line" not in page and "Working on it" not in page


def test_an_escalated_request_is_with_our_specialists(client, people, ticket):
    actions.assign_ticket(ticket, by=people.alice, team=people.second_line, note="Needs billing")
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Passed on to our specialists" in page
    assert "Second line" not in page


def test_a_request_nobody_has_picked_up_says_so(client, people):
    unrouted = actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Hello", body="Anyone?"
    )
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{unrouted.pk}/").content.decode()
    assert "Received; someone will pick it up soon" in page


@pytest.mark.parametrize("path", ["/", "/portal/"])
def test_a_visitor_finds_help_without_an_account(client, db, path):
    page = client.get(path, follow=True).content.decode()
    assert 'href="/help/"' in page  # the public help centre
    assert 'href="/portal/callback/new/"' in page  # a callback, no account needed
    assert 'href="/portal/signup/"' in page
    assert client.get("/help/").status_code == 200
    assert client.get("/portal/callback/new/").status_code == 200


def test_a_question_from_the_team_asks_for_an_answer(client, people, ticket):
    login(client, people.carol)
    assert "We need your answer" not in client.get("/portal/").content.decode()
    actions.request_information(ticket, body="Which card did you pay with?", by=people.alice)
    assert "We need your answer" in client.get("/portal/").content.decode()
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "We need your answer: we asked you something above." in page


def test_writing_to_a_resolved_request_says_it_reopens(client, people, ticket):
    from frontline.tickets.models import Status

    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    login(client, people.carol)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Writing here reopens this request." in page


def test_the_request_list_names_who_is_on_each_request_in_a_fixed_number_of_statements(
    client, people, ticket
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(path):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(path)
        assert page.status_code == 200
        return len(captured), page.content.decode()

    def opened(subject):
        return actions.open_ticket(
            requester=people.maria, by=people.maria, subject=subject, body="Help"
        )

    opened("Nobody yet")
    login(client, people.maria)
    client.get("/portal/")  # the session's first-use writes
    one = {path: statements(path)[0] for path in ("/portal/", "/portal/?scope=org")}

    # Maria's others: taken by Alice; passed to the specialists; taken by Bob there.
    actions.add_reply(opened("Taken"), body="On it.", by=people.alice)
    actions.assign_ticket(opened("Passed"), by=people.alice, team=people.second_line, note="n")
    specialist = opened("Specialist")
    actions.assign_ticket(specialist, by=people.alice, team=people.second_line, note="n")
    actions.add_reply(specialist, body="Mine now.", by=people.bob)

    count, mine = statements("/portal/")
    assert count == one["/portal/"]
    assert mine.count('class="request"') == 4
    assert "Alice from our support team" in mine
    assert "Passed on to our specialists" in mine
    assert "Bob, one of our specialists" in mine
    count, organisation = statements("/portal/?scope=org")
    assert count == one["/portal/?scope=org"]
    assert organisation.count('class="request"') == 5
    # The organisation's list also says who asked: Carol's and Maria's requests.
    assert "From Carol Customer" in organisation and "From Maria Manager" in organisation
