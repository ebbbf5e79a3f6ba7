"""Search pages through HTTP: the desk's box and results, the portal's search."""

from __future__ import annotations

import pytest
from django.db import connection

from frontline.search.reactions import index_ticket
from frontline.tickets import actions
from frontline.tickets.models import Ticket
from tests.conftest import login

# On PostgreSQL the total is counted with the planner held to the GIN index
# (``selectors.total``): SAVEPOINT, SET LOCAL, SET LOCAL back, RELEASE inside a
# test's transaction; one SET in production, where requests autocommit. Before
# it, for who sees every ticket, the planner's estimate of the matches
# (``selectors._surely_many``): an agent's are always counted.
COUNT_EXTRA = 5 if connection.vendor == "postgresql" else 0
AGENT_COUNT_EXTRA = 4 if connection.vendor == "postgresql" else 0


def reindex(ticket: Ticket) -> None:
    index_ticket(ticket.events.latest("id").pk)


def open_as(people, requester, subject: str, body: str) -> Ticket:
    ticket = actions.open_ticket(
        requester=requester, by=requester, subject=subject, body=body, category=people.billing
    )
    reindex(ticket)
    return ticket


@pytest.fixture
def noted(people, ticket) -> Ticket:
    """Carol's ticket with a note only staff may read, and a public reply."""
    actions.add_note(ticket, body="Zeppelin account flagged <script>x</script>", by=people.alice)
    actions.add_reply(ticket, body="Your invoice is corrected.", by=people.alice)
    reindex(ticket)
    return ticket


def test_every_desk_page_has_the_search_box(client, people, ticket):
    login(client, people.alice)
    for url in ("/desk/q/team/", f"/desk/tickets/{ticket.pk}/", "/desk/calls/new/"):
        page = client.get(url).content.decode()
        assert '<label class="visually-hidden" for="search-box">Search</label>' in page, url
        assert 'action="/desk/search/"' in page and "frontline/search.js" in page, url


def test_desk_results_show_highlighted_sanitised_snippets(client, people, noted):
    login(client, people.alice)
    page = client.get("/desk/search/", {"q": "zeppelin"}).content.decode()
    assert f'href="/desk/tickets/{noted.pk}/"' in page
    assert "<mark>Zeppelin</mark> account flagged &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x</script>" not in page


def test_a_ticket_number_opens_the_ticket(client, people, ticket):
    login(client, people.alice)
    for text in (str(ticket.pk), f"#{ticket.pk}", f" # {ticket.pk} "):
        response = client.get("/desk/search/", {"q": text})
        assert response.status_code == 302 and response.url == f"/desk/tickets/{ticket.pk}/"
    login(client, people.bob)  # not his team's: searched as a word, nothing opens
    response = client.get("/desk/search/", {"q": f"#{ticket.pk}"})
    assert response.status_code == 200
    assert f"/desk/tickets/{ticket.pk}/" not in response.content.decode()


def test_results_filter_by_kind(client, people, ticket):
    reindex(ticket)
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "acme"}).content.decode()
    assert 'data-hit="ticket"' in page and 'data-hit="organisation"' in page
    page = client.get("/desk/search/", {"q": "acme", "kind": "organisations"}).content.decode()
    assert 'data-hit="ticket"' not in page and 'data-hit="organisation"' in page
    page = client.get("/desk/search/", {"q": "carol", "kind": "contacts"}).content.decode()
    assert 'data-hit="contact"' in page and "carol@example.com" in page
    assert 'data-hit="ticket"' not in page
    page = client.get("/desk/search/", {"q": "acme", "kind": "bogus", "page": "x"})
    assert page.status_code == 200 and 'data-hit="ticket"' in page.content.decode()


MALFORMED = [
    # unbalanced quotes
    '"',
    '"invoice',
    'invoice "march',
    '-"invoice',
    # lone operators
    "AND OR",
    "OR",
    "NOT",
    "|",
    "-",
    "--",
    "-invoice",
    # SQLite FTS5 syntax
    "*",
    "invoice*",
    "^invoice",
    "NEAR(",
    'NEAR("invoice" "march", 2)',
    "invoice NEAR/2 march",
    "{title}: invoice",
    "{x}:",
    "title:invoice",
    "((",
    "\\",
    "'",
    "'; DROP TABLE search_ticket; --",
    # PostgreSQL tsquery syntax
    "invoice & !march",
    "invoice <-> march",
    "invoice:*",
    # NUL bytes, in words and in filter values (PostgreSQL refuses them in text)
    "\x00",
    "inv\x00oice",
    "team:\x00",
    "tag:a\x00b",
    "requester:\x00@example.com",
    # dates past the calendar's end
    "created:9999-12-31",
    "updated:>9999-12-31",
    "updated:<9999w",
    # very long input (the view keeps the first 500 characters)
    "a" * 600,
    " ".join(["invoice"] * 200),
    "status:" + "x" * 600,
    "#" + "9" * 40,
    "",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_queries_get_a_page_never_an_error(client, people, ticket, text):
    reindex(ticket)
    login(client, people.sam)
    assert client.get("/desk/search/", {"q": text}).status_code == 200
    assert (
        client.get("/desk/search/", {"q": text, "kind": "tickets", "page": "2"}).status_code == 200
    )
    login(client, people.carol)
    assert client.get("/portal/search/", {"q": text}).status_code == 200


def test_an_unusable_query_says_so(client, people):
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "* -x ()"}).content.decode()
    assert "Nothing to search for: type a word." in page
    page = client.get("/desk/search/", {"q": "nonexistentword"}).content.decode()
    assert "Nothing found for “nonexistentword”." in page


def test_customers_have_no_desk_search(client, people):
    login(client, people.carol)
    assert client.get("/desk/search/", {"q": "invoice"}).status_code == 404


def test_the_results_page_takes_a_bounded_number_of_queries(
    client, people, django_assert_max_num_queries
):
    for i in range(30):
        ticket = open_as(people, people.carol if i % 2 else people.dan, f"Toner {i}", "toner")
        actions.add_note(ticket, body="toner note", by=people.alice)
        reindex(ticket)
    login(client, people.alice)
    # 10, and one each for the articles found and the agent's saved searches.
    with django_assert_max_num_queries(12 + COUNT_EXTRA):
        page = client.get("/desk/search/", {"q": "toner"}).content.decode()
    assert page.count('data-hit="ticket"') == 20
    login(client, people.carol)
    with django_assert_max_num_queries(11 + COUNT_EXTRA):  # 10, and one for the articles found
        page = client.get("/portal/search/", {"q": "toner"}).content.decode()
    assert page.count('class="request hit"') == 15


def test_portal_search_finds_only_what_the_customer_may_see(client, people, noted):
    theirs = open_as(people, people.erin, "Invoice for Erin", "zeppelin invoice")
    other = open_as(people, people.dan, "Invoice for Dan", "zeppelin invoice")

    def hits(user, text):
        login(client, user)
        page = client.get("/portal/search/", {"q": text}).content.decode()
        return {t.pk for t in (noted, theirs, other) if f"/portal/tickets/{t.pk}/" in page}, page

    assert hits(people.carol, "invoice")[0] == {noted.pk}
    assert hits(people.erin, "invoice")[0] == {theirs.pk}
    assert hits(people.maria, "invoice")[0] == {noted.pk, theirs.pk}
    assert hits(people.dan, "invoice")[0] == {other.pk}
    for customer in (people.carol, people.maria):
        found, page = hits(customer, "zeppelin")
        assert noted.pk not in found
        assert "flagged" not in page and "Zeppelin account" not in page


def test_portal_number_jump_only_to_the_customers_own(client, people, ticket):
    login(client, people.carol)
    response = client.get("/portal/search/", {"q": f"#{ticket.pk}"})
    assert response.status_code == 302 and response.url == f"/portal/tickets/{ticket.pk}/"
    login(client, people.dan)
    assert client.get("/portal/search/", {"q": f"#{ticket.pk}"}).status_code == 200
    login(client, people.alice)
    assert client.get("/portal/search/", {"q": "invoice"}).status_code == 404


def test_search_pages_speak_russian_and_chinese(client, people):
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "нет"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Поиск" in page and "По запросу «нет» ничего не найдено." in page
    login(client, people.carol)
    page = client.get("/portal/search/", {"q": "无"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    assert "搜索我的请求" in page.decode() and "未找到与“无”相关的结果。" in page.decode()


def test_a_filter_alone_lists_tickets_and_a_bad_value_is_explained(client, people, ticket):
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "status:open"}).content.decode()
    assert f'href="/desk/tickets/{ticket.pk}/"' in page
    page = client.get("/desk/search/", {"q": "status:bogus"}).content.decode()
    assert 'role="alert"' in page and "status: “bogus” is not one of new, open" in page
    login(client, people.carol)
    page = client.get("/portal/search/", {"q": "created:soon"}).content.decode()
    assert "created: “soon” is not a date" in page


def test_ranked_and_newest_first_pages_take_the_same_statements(
    client, people, monkeypatch, django_assert_num_queries
):
    """Past the count cap the page is newest first (read in the index's order);
    under it, ranked. Either way a fixed number of statements, however many
    tickets match: session, user, (an agent's teams), the matches' ids (for
    who sees all, past RANK_CAP of them, the capped count), the page's ids,
    its tickets, their messages, their files, contacts, organisations,
    articles, saved searches."""
    from frontline.search import selectors

    monkeypatch.setattr(selectors, "RANK_CAP", 25)
    for i in range(30):
        open_as(people, people.carol, f"Gasket {i}", "gasket" + (" sprocket" if i < 5 else ""))
    for who, statements in ((people.sam, 11), (people.alice, 12)):
        login(client, who)
        for word, broad in (("sprocket", False), ("gasket", True)):
            # Who sees all, many matches: the first ids and a count, both
            # of the index alone; an agent's ids up to the count cap, one pass.
            # PostgreSQL reads every match before the first row anyway: one pass
            # for both (selectors._first_and_total).
            extra = broad and who == people.sam and connection.vendor != "postgresql"
            counting = COUNT_EXTRA if who == people.sam else AGENT_COUNT_EXTRA
            with django_assert_num_queries(statements + extra + counting):
                page = client.get("/desk/search/", {"q": word}).content.decode()
            assert ("the newest come first" in page) is broad, (who, word)
            assert page.count('data-hit="ticket"') == (20 if broad else 5)


def test_past_the_total_cap_the_pages_say_more(client, people, monkeypatch):
    from frontline.search import selectors

    monkeypatch.setattr(selectors, "TOTAL_CAP", 2)
    for i in range(3):
        open_as(people, people.carol, f"Gasket {i}", "gasket")
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "gasket"}).content.decode()
    assert '<span class="count">2+</span>' in page
    login(client, people.carol)
    page = client.get("/portal/search/", {"q": "gasket"}).content.decode()
    assert "More than 2 requests found." in page
    monkeypatch.setattr(selectors, "TOTAL_CAP", 3)
    page = client.get("/portal/search/", {"q": "gasket"}).content.decode()
    assert "3 requests found." in page and "More than" not in page
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "gasket"}).content.decode()
    assert '<span class="count">3</span>' in page


def test_a_total_in_the_thousands_is_grouped(client, people, monkeypatch):
    from frontline.search import selectors

    # The one match found, and a total of 10,001 as either database counts it.
    found = selectors._first_and_total
    monkeypatch.setattr(
        selectors, "_first_and_total", lambda qs, alone: (found(qs, alone=alone)[0], 10_001)
    )
    open_as(people, people.carol, "Gasket", "gasket")
    login(client, people.sam)
    page = client.get("/desk/search/", {"q": "gasket"}).content.decode()
    assert '<span class="count">10,000+</span>' in page
