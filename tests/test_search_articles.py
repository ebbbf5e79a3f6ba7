# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""Knowledge-base articles in the search index: public ones for anyone (help
centre, portal), internal ones for staff (desk), drafts for nobody's search;
kept current by the article actions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from frontline.knowledge import actions
from frontline.knowledge.access import public_articles, readable_articles
from frontline.knowledge.models import ArticleCategory
from frontline.search.selectors import find_articles, search
from tests.conftest import login


def publish(people, category, title, body, *, visibility="public", language="en"):
    article = actions.create_article(
        category=category, title=title, body=body, language=language, visibility=visibility,
        by=people.alice,
    )  # fmt: skip
    actions.publish_article(article, by=people.alice)
    return article


@pytest.fixture
def kb(people):
    general = ArticleCategory.objects.create(name="General")
    return SimpleNamespace(
        public=publish(
            people, general, "Printer jams on the third floor", "Open tray two and pull gently."
        ),
        internal=publish(
            people,
            general,
            "Refund approval limits",
            "Agents approve printer refunds up to 100 EUR; the walrus procedure above that.",
            visibility="internal",
        ),
        draft=actions.create_article(
            category=general,
            title="Printer draft",
            body="Walrus secrets, not yet.",
            language="en",
            visibility="public",
            by=people.alice,
        ),
        ru=publish(
            people, general, "Принтер не печатает", "Проверьте картридж принтера.", language="ru"
        ),
        zh=publish(people, general, "退款说明", "我想申请退款怎么办？", language="zh-hans"),
    )


def titles(hits) -> set[str]:
    return {hit.article.title for hit in hits}


def test_staff_find_public_and_internal_articles_customers_only_public(people, kb):
    assert titles(find_articles(readable_articles(people.bob), "printer")) == {
        kb.public.title,
        kb.internal.title,
    }
    for reader in (people.carol, people.maria, people.dan):
        assert titles(find_articles(readable_articles(reader), "printer")) == {kb.public.title}
        assert find_articles(readable_articles(reader), "walrus") == []
    assert find_articles(public_articles(), "refund approval") == []


def test_drafts_are_in_no_search(people, kb):
    assert find_articles(readable_articles(people.sam), "secrets") == []
    actions.publish_article(kb.draft, by=people.alice)
    assert titles(find_articles(readable_articles(people.carol), "secrets")) == {kb.draft.title}
    actions.unpublish_article(kb.draft, by=people.alice)
    assert find_articles(readable_articles(people.carol), "secrets") == []


def test_an_edited_article_is_found_by_its_new_words_not_its_old(people, kb):
    actions.update_article(
        kb.public, title="Paper feed problems", body="Use the manual feeder.",
        category=kb.public.category, visibility="public", owner=people.alice, by=people.alice,
    )  # fmt: skip
    assert find_articles(public_articles(), "jams") == []
    assert titles(find_articles(public_articles(), "feeder")) == {"Paper feed problems"}


def test_articles_are_found_in_russian_and_chinese_with_highlights(people, kb):
    hits = find_articles(public_articles(), "принтера")
    assert titles(hits) == {kb.ru.title}
    assert "<mark>Принтер</mark>" in hits[0].title
    assert "<mark>принтера</mark>" in hits[0].snippet
    assert titles(find_articles(public_articles(), "退款")) == {kb.zh.title}
    assert titles(find_articles(public_articles(), "申请退款")) == {kb.zh.title}


def test_article_snippets_are_escaped(people):
    general = ArticleCategory.objects.create(name="Markup")
    publish(people, general, "Tags <b>here</b>", "A zebra <script>alert(1)</script> crossed.")
    hit = find_articles(public_articles(), "zebra")[0]
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>zebra</mark>" in hit.snippet
    assert hit.title == "Tags &lt;b&gt;here&lt;/b&gt;"


def test_a_ticket_filter_finds_no_article_and_bad_words_never_fail(people, kb):
    results = search(people.sam, "printer status:open", articles=readable_articles(people.sam))
    assert results.articles == [] and results.errors == []
    for text in ['"', "*", "NEAR(", "-printer", "", "((", "{x}:"]:
        assert find_articles(readable_articles(people.sam), text) == []


def test_the_desk_lists_articles_staff_may_read_beside_tickets(client, people, kb):
    login(client, people.bob)
    page = client.get("/desk/search/", {"q": "printer"}).content.decode()
    assert page.count('data-hit="article"') == 2
    assert f'href="/desk/kb/{kb.internal.pk}/"' in page
    assert f'href="/desk/kb/{kb.public.pk}/"' in page
    assert "Printer draft" not in page
    page = client.get("/desk/search/", {"q": "printer", "kind": "articles"}).content.decode()
    assert page.count('data-hit="article"') == 2 and 'aria-current="page">Articles' in page


def test_the_portal_search_shows_only_public_articles(client, people, kb, ticket):
    login(client, people.carol)
    page = client.get("/portal/search/", {"q": "printer"}).content.decode()
    assert f'href="/help/articles/{kb.public.pk}/"' in page
    assert "Refund approval" not in page and "walrus" not in page.lower()
    page = client.get("/portal/search/", {"q": "walrus"}).content.decode()
    assert "Nothing found" in page


def test_the_help_centre_searches_the_index_for_anonymous_visitors(client, people, kb):
    # "jammed" finds "jams" by its stem, which the knowledge base's own terms do not.
    page = client.get("/help/search/", {"q": "jammed"}).content.decode()
    assert "Printer jams on the third floor" in page
    assert "Refund approval" not in page and "Printer draft" not in page
    login(client, people.bob)
    page = client.get("/help/search/", {"q": "refunds"}).content.decode()
    assert "Refund approval limits" in page


def test_rebuild_and_check_know_articles(people, kb):
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_article")
    assert find_articles(public_articles(), "printer") == []
    out = StringIO()
    call_command("search", "reindex", "--kind", "articles", stdout=out)
    assert "articles: 5 indexed" in out.getvalue()
    assert titles(find_articles(public_articles(), "printer")) == {kb.public.title}
