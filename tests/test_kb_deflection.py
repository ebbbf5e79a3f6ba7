# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""While a customer writes a new request, matching public articles appear beside the form."""

import pytest

from frontline.knowledge import actions
from frontline.knowledge.models import ArticleCategory
from frontline.knowledge.suggest import suggest_articles
from frontline.knowledge.terms import terms
from tests.conftest import login


@pytest.fixture
def articles(people):
    category = ArticleCategory.objects.create(name="Printing")
    made = {}
    for key, title, body, visibility in [
        ("jam", "Printer paper jam", "Open the tray and remove the paper.", "public"),
        ("toner", "Replacing the printer toner", "Toner cartridges are in the cupboard.", "public"),
        ("internal", "Printer fleet contract", "The printer vendor's hotline.", "internal"),
    ]:
        article = actions.create_article(
            category=category, title=title, body=body, language="en", visibility=visibility,
            by=people.alice,
        )  # fmt: skip
        actions.publish_article(article, by=people.alice)
        made[key] = article
    made["draft"] = actions.create_article(
        category=category, title="Printer draft", body="printer", language="en",
        visibility="public", by=people.alice,
    )  # fmt: skip
    return made


def test_the_new_request_form_asks_for_suggestions_as_the_customer_types(client, people):
    login(client, people.carol)
    page = client.get(f"/portal/new/{people.billing.pk}/").content.decode()
    assert 'hx-get="/help/suggest/"' in page and 'hx-include="#id_subject, #id_body"' in page
    assert "from:#id_subject" in page and "delay:" in page
    assert "<script>" not in page and "onload=" not in page


def test_matching_public_articles_are_suggested_best_first(client, people, articles):
    login(client, people.carol)
    page = client.get("/help/suggest/", {"subject": "My printer has a paper jam"}).content
    page = page.decode()
    assert page.index("Printer paper jam") < page.index("Replacing the printer toner")
    assert f'href="/help/articles/{articles["jam"].pk}/"' in page


def test_customers_and_visitors_are_never_suggested_internal_or_draft_articles(
    client, people, articles
):
    for who in (None, people.carol, people.dan, people.alice):
        if who:
            login(client, who)
        page = client.get("/help/suggest/", {"subject": "printer", "body": "vendor hotline"})
        assert "Printer paper jam" in page.content.decode()
        assert "fleet contract" not in page.content.decode()
        assert "Printer draft" not in page.content.decode()


def test_nothing_typed_or_nothing_matching_suggests_nothing(client, articles):
    for params in ({}, {"subject": "a"}, {"subject": "weather forecast"}, {"body": "x" * 50000}):
        response = client.get("/help/suggest/", params)
        assert response.status_code == 200
        assert "<li>" not in response.content.decode()


def test_suggestions_follow_the_readers_language(people, articles):
    category = articles["jam"].category
    ru = actions.create_article(
        category=category, title="Замятие бумаги в принтере", body="Откройте лоток.",
        language="ru", visibility="public", by=people.alice, translation_of=articles["jam"],
    )  # fmt: skip
    actions.publish_article(ru, by=people.alice)
    assert suggest_articles("принтер замятие", language="ru", limit=5) == [ru]
    assert suggest_articles("принтеры", language="ru", limit=5) == [ru]  # same stem
    assert suggest_articles("printer jam", language="ru", limit=5) == []
    assert suggest_articles("jams", language="en", limit=5) == [articles["jam"]]


def test_chinese_text_is_matched_without_spaces(people, articles):
    category = articles["jam"].category
    zh = actions.create_article(
        category=category, title="打印机卡纸", body="打开纸盒，取出纸张。", language="zh-hans",
        visibility="public", by=people.alice,
    )  # fmt: skip
    actions.publish_article(zh, by=people.alice)
    assert suggest_articles("我的打印机卡纸了", language="zh-hans", limit=5) == [zh]


def test_suggestions_take_a_bounded_number_of_queries(
    client, articles, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        client.get("/help/suggest/", {"subject": "printer paper jam toner tray " * 20})


def test_terms_fold_case_plurals_stems_and_chinese_pairs():
    assert terms("The Invoices, an INVOICE!") == ["invoic"]
    assert terms("Пароли и пароль, ёлка") == ["пароли", "пароль", "елка"]
    assert terms("打印机") == ["打印", "印机"]
    assert terms("a b cd") == []
    assert len(terms("word " * 10 + " ".join(f"w{n}xx" for n in range(100)), limit=5)) == 5
