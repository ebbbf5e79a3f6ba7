"""Similar resolved tickets beside the agent's ticket: found with the search index,
only among tickets the agent may see, with how each was answered; bounded."""

from frontline.search.reactions import index_ticket
from frontline.search.selectors import SIMILAR_WORDS, similar_resolved, similar_words
from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.conftest import login


def resolved(people, requester, subject, answer, *, team=None):
    t = actions.open_ticket(
        requester=requester, by=requester, subject=subject, body=subject, category=people.billing
    )
    if team is not None:
        actions.assign_ticket(t, by=people.sam, team=team, note="theirs")
    actions.add_reply(t, body=answer, by=people.sam)
    actions.change_status(t, status=Status.RESOLVED, by=people.sam, closure_reason="solved")
    index_ticket(t.events.latest("id").pk)
    return t


def fragment(client, ticket):
    response = client.get(f"/desk/tickets/{ticket.pk}/articles/")
    assert response.status_code == 200
    return response.content.decode()


def test_similar_resolved_tickets_show_with_their_answer(client, people, ticket):
    index_ticket(ticket.events.latest("id").pk)
    twin = resolved(people, people.erin, "Invoice charged twice in April",
                    "We refunded the second charge.")  # fmt: skip
    hidden = resolved(people, people.dan, "Invoice charged twice for Globex",
                      "Globex refund done.", team=people.second_line)  # fmt: skip
    unrelated = resolved(people, people.erin, "Printer smokes", "Unplug it.")
    still_open = actions.open_ticket(
        requester=people.erin, by=people.erin, subject="Invoice charged twice again",
        body="Again", category=people.billing,
    )  # fmt: skip
    index_ticket(still_open.events.latest("id").pk)
    login(client, people.alice)  # First line: not Second line's tickets
    page = fragment(client, ticket)
    assert "Similar resolved tickets" in page
    assert twin.reference in page and "We refunded the second charge." in page
    assert hidden.reference not in page and "Globex refund" not in page
    assert unrelated.reference not in page and still_open.reference not in page
    assert f"{ticket.reference} " not in page  # not itself
    login(client, people.sam)  # a supervisor sees every ticket
    assert hidden.reference in fragment(client, ticket)


def test_internal_notes_never_show_as_the_answer(people, ticket):
    twin = resolved(people, people.erin, "Invoice charged twice", "Refunded.")
    actions.add_note(twin, body="Internal: customer is difficult", by=people.sam)
    found = similar_resolved(people.sam, ticket)
    assert [s.ticket for s in found] == [twin] and found[0].resolution == "Refunded."


def test_the_words_looked_for_are_bounded(people, ticket):
    ticket.subject = " ".join(f"word{i}x" for i in range(50)) + " 12345 a an"
    words = similar_words(ticket)
    assert len(words) == SIMILAR_WORDS and "12345" not in words and "an" not in words


def test_the_fragment_stays_bounded_with_many_similar_tickets(
    client, people, ticket, django_assert_max_num_queries
):
    index_ticket(ticket.events.latest("id").pk)
    for i in range(8):
        resolved(people, people.erin, f"Invoice charged twice {i}", f"Refund {i} done.")
    login(client, people.alice)
    # The articles' 12 (tests/test_kb_ticket.py), +1 the ticket's first message,
    # +3 the similar tickets: candidates, ranked, the page with its answers.
    with django_assert_max_num_queries(16):
        page = fragment(client, ticket)
    assert page.count('class="similar-answer"') == 5
