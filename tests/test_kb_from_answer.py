"""An agent's answer becomes a draft internal article in one step, with the
customer's personal data taken out and a note saying what to check."""

from frontline.knowledge.models import Article, ArticleCategory, ArticleStatus, Visibility
from frontline.knowledge.scrub import scrub
from frontline.tickets import actions
from tests.conftest import login

ANSWER = (
    "Hello Carol,\n\nI refunded the second charge on card 4111111111111111 to "
    "carol@example.com; Acme's invoice is corrected. Call us on +7 (495) 123-45-67 "
    "or see https://frontline.test/portal/answers/t-abc123 if it shows again.\n\nAlice"
)


def test_an_answer_becomes_a_draft_without_the_customer_in_it(client, people, ticket):
    ArticleCategory.objects.create(name="Billing")
    reply = actions.add_reply(ticket, body=ANSWER, by=people.alice)
    login(client, people.alice)
    page = client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert "Make an article from this answer" in page
    response = client.post(f"/desk/messages/{reply.pk}/article/")
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/kb/{article.pk}/edit/"
    shown = client.get(response["Location"]).content.decode()
    assert "Draft article made; 6 personal details were replaced" in shown
    assert article.status == ArticleStatus.DRAFT and article.visibility == Visibility.INTERNAL
    assert article.owner == people.alice and article.title == ticket.subject
    for personal in ("Carol", "4111111111111111", "carol@example.com", "Acme", "495", "t-abc123"):
        assert personal not in article.body, personal
    assert "Hello [name]," in article.body and "card [number]" in article.body
    assert "[email]" in article.body and "[phone]" in article.body and "[link]" in article.body
    assert article.body.startswith("> Made from an answer on a ticket.")
    assert "Alice" in article.body  # the agent's own name stays


def test_only_staff_answers_they_may_see_become_articles(client, people, ticket):
    ArticleCategory.objects.create(name="Billing")
    question = ticket.messages.get()  # the customer's own words: never
    note = actions.add_note(ticket, body="Internal", by=people.alice)
    login(client, people.alice)
    response = client.post(f"/desk/messages/{question.pk}/article/", follow=True)
    assert "Only an answer from staff can become an article." in response.content.decode()
    client.post(f"/desk/messages/{note.pk}/article/")
    assert not Article.objects.exists()
    reply = actions.add_reply(ticket, body="Done.", by=people.alice)
    login(client, people.bob)  # Second line: not his ticket
    assert client.post(f"/desk/messages/{reply.pk}/article/").status_code == 404
    login(client, people.carol)
    assert client.post(f"/desk/messages/{reply.pk}/article/").status_code == 404
    assert not Article.objects.exists()


def test_without_a_category_it_says_so(client, people, ticket):
    reply = actions.add_reply(ticket, body="Done.", by=people.alice)
    login(client, people.alice)
    response = client.post(f"/desk/messages/{reply.pk}/article/", follow=True)
    assert "Make a knowledge-base category first." in response.content.decode()


def test_scrubbing_keeps_short_numbers_and_ticket_references():
    found = scrub("See #1042, step 3 of 12, version 2.4.1; call 555-0100 ext 12", names=["Li"])
    assert "#1042" in found.text and "step 3 of 12" in found.text and "2.4.1" in found.text
    assert "Li" not in found.replaced
