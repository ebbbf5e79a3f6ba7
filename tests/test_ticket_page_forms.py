"""The ticket page's rarely opened forms (answers, call, link and merge, estimate):
fetched when their <details> opens, on a page of their own without JavaScript,
and back on the ticket page, filled in, when sent with a mistake."""

import pytest

from frontline.tickets import actions
from tests.conftest import login

FORMS = {
    "answers": 'action="/desk/tickets/{n}/fields/"',
    "call": 'action="/desk/tickets/{n}/call/"',
    "link": 'action="/desk/tickets/{n}/merge/"',
    "estimate": 'action="/desk/tickets/{n}/estimate/"',
}


@pytest.fixture
def hardware_ticket(people):
    return actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Laptop will not boot",
        body="Black screen since this morning.",
        category=people.hardware,
        fields={"serial": "SN-4411", "model": "Laptop"},
    )


def test_the_ticket_page_links_each_form_instead_of_carrying_it(client, people, hardware_ticket):
    login(client, people.alice)
    n = hardware_ticket.pk
    page = client.get(f"/desk/tickets/{n}/").content.decode()
    for name, form_action in FORMS.items():
        assert f'href="/desk/tickets/{n}/forms/{name}/"' in page
        assert form_action.format(n=n) not in page


@pytest.mark.parametrize("name", FORMS)
def test_each_form_comes_as_a_fragment_for_htmx_and_as_a_page_without(
    client, people, hardware_ticket, name
):
    login(client, people.alice)
    n = hardware_ticket.pk
    url = f"/desk/tickets/{n}/forms/{name}/"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert FORMS[name].format(n=n) in body and "<html" not in body
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and FORMS[name].format(n=n) in html
    assert f'href="/desk/tickets/{n}/"' in html  # the way back


def test_the_answers_form_is_filled_in_with_the_ticket_answers(client, people, hardware_ticket):
    login(client, people.alice)
    body = client.get(
        f"/desk/tickets/{hardware_ticket.pk}/forms/answers/", headers={"HX-Request": "true"}
    ).content.decode()
    assert 'value="SN-4411"' in body


def test_unknown_forms_and_tickets_out_of_reach_are_not_found(client, people, hardware_ticket):
    login(client, people.alice)
    n = hardware_ticket.pk
    assert client.get(f"/desk/tickets/{n}/forms/delete-everything/").status_code == 404
    login(client, people.bob)  # second line: not his team's ticket
    assert client.get(f"/desk/tickets/{n}/forms/call/").status_code == 404
    login(client, people.carol)
    assert client.get(f"/desk/tickets/{n}/forms/call/").status_code in (302, 403, 404)


def test_a_ticket_without_a_category_form_has_no_answers_form(client, people, ticket):
    login(client, people.alice)
    n = ticket.pk
    assert "/forms/answers/" not in client.get(f"/desk/tickets/{n}/").content.decode()
    assert client.get(f"/desk/tickets/{n}/forms/answers/").status_code == 404


def test_a_form_sent_with_a_mistake_comes_back_open_and_filled_in(client, people, ticket):
    login(client, people.alice)
    n = ticket.pk
    r = client.post(
        f"/desk/tickets/{n}/call/",
        {"direction": "in", "phone": "+44 20 7946 0958", "minutes": "3", "summary": ""},
    )
    assert r.status_code == 400
    page = r.content.decode()
    assert f'action="/desk/tickets/{n}/call/"' in page
    assert 'value="+44 20 7946 0958"' in page
    assert f'href="/desk/tickets/{n}/forms/call/"' not in page


def test_a_category_that_asks_only_for_files_offers_no_answers_form(client, people):
    from frontline.tickets.models import Category, FieldType, FormField

    photos = Category.objects.create(name="Photos", default_team=people.first_line)
    FormField.objects.create(
        category=photos, key="photo", label="Photo", field_type=FieldType.FILE, position=1
    )
    ticket = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Cracked screen",
        body="See photo.",
        category=photos,
    )
    login(client, people.alice)
    n = ticket.pk
    assert "/forms/answers/" not in client.get(f"/desk/tickets/{n}/").content.decode()
    assert client.get(f"/desk/tickets/{n}/forms/answers/").status_code == 404
