"""Attaching tickets to an incident from a list: the queue's bulk selection and
the desk's search results, the same act as attaching by number (each ticket
one the agent may see, all or none), with a confirmation or a clear 400."""

from __future__ import annotations

import pytest
from django.urls import reverse

from frontline.tickets import actions
from frontline.tickets.models import LinkKind, Ticket, TicketLink
from tests.conftest import login
from tests.test_search_pages import open_as

ATTACH = "/desk/bulk/attach/"


def _open(person, subject, **extra) -> Ticket:
    return actions.open_ticket(
        requester=person, by=person, subject=subject, body=subject + ".", **extra
    )


@pytest.fixture
def incident(people) -> Ticket:
    ticket = _open(people.maria, "Invoices page is down", category=people.billing)
    return actions.mark_incident(ticket, by=people.alice)


def _attached(incident: Ticket) -> set[int]:
    return set(
        TicketLink.objects.filter(target=incident, kind=LinkKind.CHILD).values_list(
            "source_id", flat=True
        )
    )


def test_tickets_ticked_in_the_queue_are_attached_to_an_incident(people, incident, client):
    reports = [
        _open(p, f"Broken for {p.first_name}", category=people.billing)
        for p in (people.carol, people.erin)
    ]
    login(client, people.alice)
    queue = client.get("/desk/q/unassigned/")
    assert 'formaction="/desk/bulk/attach/"' in queue.text
    assert "Attach the ticked tickets to incident number" in queue.text
    page = client.post(
        ATTACH,
        {
            "incident": f"#{incident.pk}",
            "tickets": [str(t.pk) for t in reports],
            "next": "/desk/q/unassigned/",
        },
        follow=True,
    )
    assert page.redirect_chain[-1][0] == "/desk/q/unassigned/"
    assert f"2 tickets attached to incident {incident.reference}." in page.text
    assert _attached(incident) == {t.pk for t in reports}
    # Twice is once; a foreign "next" goes back to the desk.
    again = client.post(
        ATTACH,
        {"incident": str(incident.pk), "tickets": [str(reports[0].pk)], "next": "https://x.test/"},
    )
    assert again.status_code == 302 and again["Location"] == "/desk/"


def test_search_results_can_be_ticked_and_attached(people, incident, client):
    found = open_as(people, people.carol, "Zeppelin invoices missing", "The zeppelin page fails.")
    login(client, people.alice)
    page = client.get(reverse("desk:search"), {"q": "zeppelin"})
    assert f'aria-label="Select {found.reference}"' in page.text
    assert 'formaction="/desk/bulk/attach/"' in page.text
    response = client.post(
        ATTACH,
        {
            "incident": str(incident.pk),
            "tickets": [str(found.pk)],
            "next": "/desk/search/?q=zeppelin",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/desk/search/?q=zeppelin"
    assert f"1 ticket attached to incident {incident.reference}." in response.text
    assert _attached(incident) == {found.pk}


def test_what_the_list_attach_refuses_with_a_clear_400(people, incident, client):
    mine = _open(people.carol, "Mine", category=people.billing)
    theirs = _open(people.dan, "Server down", team=people.second_line)
    plain = _open(people.erin, "Not an incident", category=people.billing)
    login(client, people.alice)
    cases = [
        ({"incident": str(incident.pk)}, "Tick at least one ticket to attach."),
        ({"incident": "abc", "tickets": [str(mine.pk)]}, "“abc” is not a ticket number."),
        (
            {"incident": str(theirs.pk), "tickets": [str(mine.pk)]},
            "There is no ticket with that number that you may see.",
        ),
        (
            {"incident": str(plain.pk), "tickets": [str(mine.pk)]},
            "Mark the ticket as an incident first.",
        ),
        (
            {"incident": str(incident.pk), "tickets": [str(mine.pk), str(theirs.pk)]},
            f"There is no ticket you may see with the number #{theirs.pk}.",
        ),
        (
            {"incident": str(incident.pk), "tickets": [str(incident.pk)]},
            f"{incident.reference} is an incident itself.",
        ),
        ({"incident": str(incident.pk), "tickets": ["9" * 40]}, "is not a ticket number"),
    ]
    for data, error in cases:
        response = client.post(ATTACH, {**data, "next": "/desk/q/team/"})
        assert response.status_code == 400, data
        assert error in response.text, (data, response.text)
    # All or none, and the selection is kept to try again.
    assert _attached(incident) == set()
    refused = client.post(
        ATTACH, {"incident": str(incident.pk), "tickets": [str(mine.pk), str(theirs.pk)]}
    )
    assert f'name="tickets" value="{mine.pk}"' in refused.text
    login(client, people.carol)
    assert (
        client.post(ATTACH, {"incident": str(incident.pk), "tickets": [str(mine.pk)]}).status_code
        == 404
    )
