"""Styled 403, 404 and 500 pages, each with a way back to where the person belongs."""

from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views import defaults

from frontline.tickets import actions
from tests.conftest import login


def test_a_customer_on_the_desk_gets_a_styled_not_found_with_a_way_back(client, people):
    login(client, people.carol)
    response = client.get("/desk/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert "frontline/app.css" in page  # the site's own frame, not Django's bare page
    assert 'href="/portal/"' in page and "Back to your requests" in page


def test_an_agent_on_another_teams_ticket_is_sent_back_to_the_queues(client, people, ticket):
    actions.assign_ticket(ticket, by=people.sam, assignee=people.bob, note="Second line")
    login(client, people.alice)
    response = client.get(f"/desk/tickets/{ticket.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Back to the queues" in page
    assert ticket.subject not in page


def test_a_stranger_is_sent_back_to_the_start(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Back to the start" in response.content.decode()


def test_the_not_found_page_speaks_russian(client, people):
    login(client, people.carol)
    response = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Страница не найдена" in response.content.decode()


def test_forbidden_is_a_styled_page(people):
    request = RequestFactory().get("/desk/")
    request.user = people.alice
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not allowed" in page and "Back to the queues" in page


def test_the_server_error_page_needs_no_request_context(db):
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "frontline/app.css" in page
