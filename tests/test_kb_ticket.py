"""On the agent's ticket page: articles that may answer the ticket, public and
internal, except those the customer already read before writing; one click puts
a public article's link (in the customer's language) into the reply."""

import pytest
from django.conf import settings
from django.utils import timezone

from frontline.knowledge import actions
from frontline.knowledge.models import ArticleCategory, SuggestedRead
from frontline.tickets import actions as ticket_actions
from tests.conftest import login


@pytest.fixture
def kb(people):
    category = ArticleCategory.objects.create(name="Billing")

    def article(title, body, *, visibility="public", language="en", of=None, publish=True):
        made = actions.create_article(
            category=category, title=title, body=body, language=language,
            visibility=visibility, translation_of=of, by=people.alice,
        )  # fmt: skip
        if publish:
            actions.publish_article(made, by=people.alice)
        return made

    twice = article("Charged twice for an invoice", "A double charge on an invoice is refunded.")
    return {
        "twice": twice,
        "twice_ru": article(
            "Двойное списание по счёту", "Возврат за двойное списание.", language="ru", of=twice
        ),
        "internal": article(
            "Refund procedure for double invoice charges",
            "Finance approves invoice refunds.",
            visibility="internal",
        ),
        "draft": article("Invoice draft", "invoice charged twice", publish=False),
        "other": article("Printer toner", "Toner is in the cupboard."),
    }


def fragment(client, ticket):
    response = client.get(f"/desk/tickets/{ticket.pk}/articles/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_ticket_page_fetches_its_articles_after_loading(client, people, ticket):
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f'hx-get="/desk/tickets/{ticket.pk}/articles/"' in page
    assert "frontline/desk-kb.js" in page


def test_public_and_internal_articles_matching_the_ticket_are_suggested(client, people, ticket, kb):
    login(client, people.alice)
    page = fragment(client, ticket)
    assert "Charged twice for an invoice" in page
    assert "Refund procedure for double invoice charges" in page
    assert "Invoice draft" not in page and "Printer toner" not in page
    link = f"{settings.SITE_URL}/help/articles/{kb['twice'].pk}/"
    assert f'data-kb-link="Charged twice for an invoice: {link}"' in page
    # An internal article can be read by the agent, never linked for the customer.
    assert f"/help/articles/{kb['internal'].pk}/" not in page
    assert page.count("data-kb-link=") == 1


def test_the_link_is_in_the_customers_language_when_translated(client, people, ticket, kb):
    people.carol.language = "ru"
    people.carol.save(update_fields=["language"])
    login(client, people.alice)
    page = fragment(client, ticket)
    link = f"{settings.SITE_URL}/help/articles/{kb['twice_ru'].pk}/"
    assert f'data-kb-link="Двойное списание по счёту: {link}"' in page


def test_articles_the_customer_read_before_writing_are_listed_not_suggested(
    client, people, ticket, kb
):
    SuggestedRead.objects.create(
        article=kb["twice"], user=people.carol, opened_at=timezone.now(), ticket=ticket
    )
    login(client, people.alice)
    page = fragment(client, ticket)
    before, _, suggested = page.partition('class="kb-list kb-suggested"')
    assert "Read by the customer before writing" in before
    assert "Charged twice for an invoice" in before
    # Neither it nor its translation is suggested again.
    assert "Charged twice for an invoice" not in suggested
    assert "Двойное" not in suggested
    assert "Refund procedure for double invoice charges" in suggested


def test_nothing_matching_says_so(client, people, kb):
    quiet = ticket_actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Hello", body="Just saying hi."
    )
    login(client, people.sam)
    assert "No article matches this ticket." in fragment(client, quiet)


def test_only_staff_who_may_see_the_ticket_get_its_articles(client, people, ticket, kb):
    login(client, people.carol)
    assert client.get(f"/desk/tickets/{ticket.pk}/articles/").status_code == 404
    login(client, people.bob)  # Second line: not his team's ticket
    assert client.get(f"/desk/tickets/{ticket.pk}/articles/").status_code == 404
    assert client.get("/desk/tickets/999999/articles/").status_code == 404


def test_the_fragment_takes_a_bounded_number_of_queries(
    client, people, ticket, kb, django_assert_max_num_queries
):
    SuggestedRead.objects.create(
        article=kb["other"], user=people.carol, opened_at=timezone.now(), ticket=ticket
    )
    login(client, people.alice)
    with django_assert_max_num_queries(12):
        fragment(client, ticket)
