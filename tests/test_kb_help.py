"""The public help centre (/help/): public articles for anyone, internal ones never
for customers or visitors; views, "Was this helpful?" and search."""

from io import StringIO
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from django.core.management import call_command

from frontline.knowledge import actions
from frontline.knowledge.models import (
    Article,
    ArticleCategory,
    ArticleFeedback,
    ReplyTemplate,
)
from tests.conftest import login


def publish(people, category, title, body, *, visibility="public", language="en", **extra):
    article = actions.create_article(
        category=category, title=title, body=body, language=language, visibility=visibility,
        by=people.alice, **extra,
    )  # fmt: skip
    actions.publish_article(article, by=people.alice)
    return article


@pytest.fixture
def kb(people):
    account = ArticleCategory.objects.create(name="Account", position=1)
    passwords = ArticleCategory.objects.create(name="Passwords", parent=account)
    billing = ArticleCategory.objects.create(name="Billing", position=2)
    staff_only = ArticleCategory.objects.create(name="Escalations", position=3)
    public = publish(people, passwords, "Reset your password", "Choose *Forgot password*.")
    ru = publish(
        people, passwords, "Как сбросить пароль", "Нажмите «Забыли пароль».", language="ru",
        translation_of=public,
    )  # fmt: skip
    invoice = publish(people, billing, "Where is my invoice", "Invoices are mailed monthly.")
    internal = publish(
        people, staff_only, "Refund approval limits", "Agents approve refunds up to 100 EUR.",
        visibility="internal",
    )  # fmt: skip
    draft = actions.create_article(
        category=billing, title="Secret draft about refunds", body="Not yet.", language="en",
        visibility="public", by=people.alice,
    )  # fmt: skip
    return SimpleNamespace(
        public=public,
        ru=ru,
        invoice=invoice,
        internal=internal,
        draft=draft,
        staff_only=staff_only,
        billing=billing,
    )


def test_anonymous_visitors_see_public_articles_only(client, kb):
    home = client.get("/help/")
    assert home.status_code == 200
    page = home.content.decode()
    assert "Reset your password" in page and "Where is my invoice" in page
    assert "Refund approval" not in page and "Secret draft" not in page
    assert "Escalations" not in page
    assert client.get(f"/help/articles/{kb.public.pk}/").status_code == 200
    for hidden in (kb.internal, kb.draft):
        assert client.get(f"/help/articles/{hidden.pk}/").status_code == 404
    assert client.get(f"/help/c/{kb.staff_only.pk}/").status_code == 404
    assert client.get(f"/help/c/{kb.billing.pk}/").status_code == 200
    assert client.get("/help/articles/999999/").status_code == 404


def test_customers_never_see_internal_articles(client, people, kb):
    for customer in (people.carol, people.maria, people.dan):
        login(client, customer)
        assert "Refund approval" not in client.get("/help/").content.decode()
        assert client.get(f"/help/articles/{kb.internal.pk}/").status_code == 404
        assert client.get(f"/help/articles/{kb.draft.pk}/").status_code == 404
        found = client.get("/help/search/", {"q": "refund approval limits"}).content.decode()
        assert "Refund approval" not in found and "Secret draft" not in found
        feedback = client.post(f"/help/articles/{kb.internal.pk}/feedback/", {"helpful": "yes"})
        assert feedback.status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_staff_read_internal_articles_in_the_help_centre(client, people, kb):
    login(client, people.bob)
    page = client.get(f"/help/articles/{kb.internal.pk}/").content.decode()
    assert "Agents approve refunds" in page and "only staff can read it" in page
    assert "Refund approval" in client.get("/help/search/", {"q": "refund"}).content.decode()
    assert client.get(f"/help/articles/{kb.draft.pk}/").status_code == 404  # drafts: the desk


def test_each_reading_counts_a_view(client, kb):
    for _ in range(3):
        client.get(f"/help/articles/{kb.invoice.pk}/")
    client.get(f"/help/articles/{kb.internal.pk}/")  # refused: not counted
    kb.invoice.refresh_from_db()
    kb.internal.refresh_from_db()
    assert (kb.invoice.view_count, kb.internal.view_count) == (3, 0)


def test_the_home_page_lists_the_most_viewed_articles_of_each_category(client, people, kb):
    more = [publish(people, kb.billing, f"Billing question {n}", "Text") for n in range(6)]
    Article.objects.filter(pk=more[5].pk).update(view_count=50)
    Article.objects.filter(pk=kb.invoice.pk).update(view_count=10)
    page = client.get("/help/").content.decode()
    assert page.index("Billing question 5") < page.index("Where is my invoice")
    shown = [a for a in [kb.invoice, *more] if a.title in page]
    assert len(shown) == 5  # five per category


def test_readers_see_articles_in_their_language_with_links_to_translations(client, kb):
    page = client.get("/help/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Как сбросить пароль" in page and "Reset your password" not in page
    assert "Чем мы можем помочь?" in page
    page = client.get(f"/help/articles/{kb.public.pk}/").content.decode()
    assert f'href="/help/articles/{kb.ru.pk}/" lang="ru"' in page


def test_was_this_helpful_counts_once_per_visitor_and_keeps_the_comment(client, people, kb):
    url = f"/help/articles/{kb.public.pk}/feedback/"
    response = client.post(url, {"helpful": "no", "comment": "Where is the button?"}, follow=True)
    assert "Thank you for telling us." in response.content.decode()
    assert "Thank you for your feedback." in response.content.decode()
    client.post(url, {"helpful": "no"})  # the same visitor again
    kb.public.refresh_from_db()
    assert (kb.public.helpful_count, kb.public.unhelpful_count) == (0, 1)
    feedback = ArticleFeedback.objects.get()
    assert (feedback.comment, feedback.user, feedback.helpful) == (
        "Where is the button?",
        None,
        False,
    )
    client.logout()  # a new session: another reader, who signs in
    login(client, people.carol)
    client.post(url, {"helpful": "yes"})
    kb.public.refresh_from_db()
    assert kb.public.helpful_count == 1
    assert ArticleFeedback.objects.filter(user=people.carol, helpful=True).exists()
    # Staff see the comment in the desk, customers never do.
    assert (
        "Where is the button?" not in client.get(f"/help/articles/{kb.public.pk}/").content.decode()
    )
    login(client, people.alice)
    assert "Where is the button?" in client.get(f"/desk/kb/{kb.public.pk}/").content.decode()


@pytest.mark.parametrize(
    "data", [{}, {"helpful": "maybe"}, {"helpful": "yes", "comment": "x" * 2001}]
)
def test_bad_feedback_gets_an_error(client, kb, data):
    response = client.post(f"/help/articles/{kb.public.pk}/feedback/", data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not ArticleFeedback.objects.exists()
    assert client.get(f"/help/articles/{kb.public.pk}/feedback/").status_code == 405


def test_search_finds_public_articles_by_their_words(client, kb):
    page = client.get("/help/search/", {"q": "invoices"}).content.decode()
    assert "Where is my invoice" in page and "Reset your password" not in page
    page = client.get("/help/search/", {"q": "zzzz"}).content.decode()
    assert "Nothing matches" in page
    assert client.get("/help/search/", {"q": ""}).status_code == 200
    assert client.get("/help/search/", {"q": "x" * 5000}).status_code == 200


def test_the_help_home_has_a_bounded_number_of_queries(
    client, people, kb, django_assert_max_num_queries
):
    for n in range(20):
        publish(people, kb.billing, f"Billing question {n}", "Text")
    # One query for every category's most read articles; a signed-in reader adds
    # the session and the user.
    with django_assert_max_num_queries(1):
        assert client.get("/help/").status_code == 200
    login(client, people.carol)
    with django_assert_max_num_queries(3):
        assert client.get("/help/").status_code == 200


def test_the_article_page_has_a_bounded_number_of_queries(
    client, people, kb, django_assert_max_num_queries
):
    # The article, its view count, its translations.
    with django_assert_max_num_queries(3):
        assert client.get(f"/help/articles/{kb.public.pk}/").status_code == 200
    login(client, people.carol)
    with django_assert_max_num_queries(5):
        assert client.get(f"/help/articles/{kb.public.pk}/").status_code == 200


def test_the_demo_has_public_and_internal_articles_in_three_languages(client, db):
    call_command("demo", stdout=StringIO())
    articles = Article.objects.published()
    assert set(articles.values_list("language", flat=True)) == {"en", "ru", "zh-hans"}
    assert set(articles.values_list("visibility", flat=True)) == {"public", "internal"}
    assert articles.filter(translation_of__isnull=False).count() >= 6
    home = client.get("/help/").content.decode()
    assert "Reset a forgotten password" in home and "Refunds: who approves" not in home
    assert "打印机提示卡纸" in client.get("/help/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ReplyTemplate.objects.filter(is_active=True).count() >= 3


def test_the_sitemap_lists_public_articles_only_whoever_asks(
    client, people, kb, settings, django_assert_max_num_queries
):
    """Public articles are indexable by search engines; internal ones and drafts
    are never listed, not even in a signed-in agent's copy."""
    settings.SITE_URL = "https://help.example.com"
    for user in (None, people.carol, people.alice):
        if user is not None:
            login(client, user)
        with django_assert_max_num_queries(4):
            response = client.get("/help/sitemap.xml")
        assert response.status_code == 200 and response["Content-Type"].startswith(
            "application/xml"
        )
        xml = response.content.decode()
        for shown in (kb.public, kb.ru, kb.invoice):
            assert f"<loc>https://help.example.com/help/articles/{shown.pk}/</loc>" in xml
        for hidden in (kb.internal, kb.draft):
            assert f"/help/articles/{hidden.pk}/<" not in xml
    ElementTree.fromstring(response.content)  # noqa: S314 (well-formed; our own output)
