"""Saved searches: an agent keeps a query by name, pinned beside the queues as a
personal queue; nobody else can open, pin or delete it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from frontline.search import actions
from frontline.search.models import SavedSearch
from frontline.search.reactions import index_ticket
from tests.conftest import login


@pytest.fixture
def indexed(ticket):
    index_ticket(ticket.events.latest("id").pk)
    return ticket


def test_an_agent_saves_a_search_and_finds_it_beside_the_queues(client, people, indexed):
    login(client, people.alice)
    response = client.post(
        "/desk/search/saved/",
        {"name": "Double charges", "q": "charged status:open", "pinned": "on"},
    )
    saved = SavedSearch.objects.get(owner=people.alice)
    assert response.status_code == 302 and response.url == f"/desk/search/saved/{saved.pk}/"
    page = client.get(response.url).content.decode()
    assert "Search “Double charges” saved." in page  # the confirmation
    assert "<h1>Double charges</h1>" in page
    assert f'href="/desk/tickets/{indexed.pk}/"' in page
    queue = client.get("/desk/q/team/").content.decode()
    assert f'href="/desk/search/saved/{saved.pk}/" data-saved-search>Double charges' in queue


def test_an_unpinned_search_leaves_the_sidebar_and_a_deleted_one_is_gone(client, people):
    saved = actions.save_search(name="Mine", text="assignee:me", by=people.alice)
    login(client, people.alice)
    response = client.post(f"/desk/search/saved/{saved.pk}/pin/", {"pinned": "0"}, follow=True)
    assert "“Mine” is no longer beside the queues." in response.content.decode()
    assert "data-saved-search" not in client.get("/desk/q/team/").content.decode()
    assert "/desk/search/saved/" in client.get("/desk/search/").content.decode()  # still listed
    response = client.post(f"/desk/search/saved/{saved.pk}/pin/", {"pinned": "1"}, follow=True)
    assert "“Mine” is beside the queues." in response.content.decode()
    assert "data-saved-search" in client.get("/desk/q/team/").content.decode()
    response = client.post(f"/desk/search/saved/{saved.pk}/delete/", follow=True)
    assert "Saved search “Mine” deleted." in response.content.decode()
    assert not SavedSearch.objects.exists()
    assert client.get(f"/desk/search/saved/{saved.pk}/").status_code == 404


def test_nobody_else_opens_pins_or_deletes_a_saved_search(client, people):
    saved = actions.save_search(name="Alice's", text="invoice", by=people.alice)
    for other in (people.bob, people.sam, people.carol, people.maria):
        login(client, other)
        assert client.get(f"/desk/search/saved/{saved.pk}/").status_code == 404
        assert (
            client.post(f"/desk/search/saved/{saved.pk}/pin/", {"pinned": "0"}).status_code == 404
        )
        assert client.post(f"/desk/search/saved/{saved.pk}/delete/").status_code == 404
        assert "Alice&#x27;s" not in client.get("/desk/search/").content.decode()
    saved.refresh_from_db()
    assert saved.pinned
    login(client, people.carol)
    response = client.post("/desk/search/saved/", {"name": "x", "q": "invoice"})
    assert response.status_code == 404 and not SavedSearch.objects.filter(owner=people.carol)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Bad", "q": "status:bogus"}, "status: “bogus” is not one of"),
        ({"name": "Bad", "q": "*"}, "Nothing to search for"),
        ({"name": "Bad", "q": "-walrus"}, "Nothing to search for"),
        ({"name": "", "q": "invoice"}, "This field is required."),
        ({"name": "x" * 81, "q": "invoice"}, "Ensure this value has at most 80 characters"),
    ],
)
def test_a_search_that_would_not_run_is_not_saved(client, people, data, message):
    login(client, people.alice)
    response = client.post("/desk/search/saved/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_saving_a_name_again_replaces_its_query_and_the_number_is_bounded(people):
    first = actions.save_search(name="Mine", text="invoice", by=people.alice)
    again = actions.save_search(name="Mine", text="printer", by=people.alice, pinned=False)
    assert again.pk == first.pk and (again.text, again.pinned) == ("printer", False)
    for i in range(actions.MAX_SAVED - 1):
        actions.save_search(name=f"s{i}", text="invoice", by=people.alice)
    with pytest.raises(ValidationError):
        actions.save_search(name="one too many", text="invoice", by=people.alice)
    assert SavedSearch.objects.filter(owner=people.alice).count() == actions.MAX_SAVED
    actions.save_search(name="Bob's own", text="invoice", by=people.bob)  # a limit per agent


def test_the_search_page_offers_to_save_what_was_typed(client, people, indexed):
    login(client, people.alice)
    page = client.get("/desk/search/", {"q": "invoice"}).content.decode()
    assert 'action="/desk/search/saved/"' in page
    assert '<input type="hidden" name="q" value="invoice">' in page


def test_pinned_searches_cost_the_queue_page_one_query_however_many(
    client, people, django_assert_max_num_queries
):
    for i in range(6):
        actions.save_search(name=f"Pinned {i}", text=f"word{i}", by=people.alice)
    actions.save_search(name="Not pinned", text="other", by=people.alice, pinned=False)
    actions.save_search(name="Bob's", text="other", by=people.bob)
    login(client, people.alice)
    with django_assert_max_num_queries(18):  # as with none (tests/test_desk.py)
        page = client.get("/desk/q/team/").content.decode()
    assert page.count("data-saved-search") == 6
    assert "Not pinned" not in page and "Bob&#x27;s" not in page
