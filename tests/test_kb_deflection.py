# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""While a customer writes a new request, matching public articles appear beside the form."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontline.knowledge import actions, suggest
from frontline.knowledge import reactions as knowledge_reactions
from frontline.knowledge.access import readable_articles
from frontline.knowledge.deflection import deflection_by_article, deflection_totals
from frontline.knowledge.models import ArticleCategory, SuggestedRead
from frontline.knowledge.suggest import suggest_articles
from frontline.knowledge.terms import terms
from frontline.tickets import actions as ticket_actions
from frontline.tickets.models import Ticket
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
    assert f'href="/help/articles/{articles["jam"].pk}/?from=suggested"' in page


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


# --- counting deflections -------------------------------------------------------


def open_from_suggestions(client, article):
    return client.get(f"/help/articles/{article.pk}/", {"from": "suggested"})


def write_request(client, people, django_capture_on_commit_callbacks, subject="Paper jam"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/portal/new/{people.billing.pk}/", {"subject": subject, "body": "Still stuck."}
        )
    assert response.status_code == 302
    return Ticket.objects.latest("pk")


def test_suggestion_links_say_where_they_come_from(client, people, articles):
    page = client.get("/help/suggest/", {"subject": "printer jam"}).content.decode()
    assert f'href="/help/articles/{articles["jam"].pk}/?from=suggested"' in page


def test_a_customer_who_reads_and_does_not_write_is_a_deflection_once_the_window_passes(
    client, people, articles
):
    login(client, people.carol)
    with time_machine.travel("2026-03-02 10:00Z", tick=False) as clock:
        assert open_from_suggestions(client, articles["jam"]).status_code == 200
        open_from_suggestions(client, articles["jam"])  # a reload is no second read
        read = SuggestedRead.objects.get()
        assert read.user == people.carol and read.ticket is None
        now = timezone.now()
        since = now - datetime.timedelta(days=30)
        totals = deflection_totals(since=since, now=now)
        assert (totals.opened, totals.deflected, totals.waiting) == (1, 0, 1)  # too soon to tell
        clock.shift(datetime.timedelta(hours=settings.FRONTLINE["KB_DEFLECTION_HOURS"], seconds=1))
        now = timezone.now()
        totals = deflection_totals(since=since, now=now)
        assert (totals.opened, totals.deflected, totals.wrote_anyway) == (1, 1, 0)
        [row] = deflection_by_article(since=since, now=now)
        assert row.article == articles["jam"] and row.deflected == 1


def test_a_customer_who_writes_anyway_has_what_they_read_recorded_on_the_ticket(
    client, people, articles, django_capture_on_commit_callbacks
):
    login(client, people.carol)
    open_from_suggestions(client, articles["jam"])
    open_from_suggestions(client, articles["toner"])
    ticket = write_request(client, people, django_capture_on_commit_callbacks)
    assert set(ticket.articles_read.values_list("article", flat=True)) == {
        articles["jam"].pk,
        articles["toner"].pk,
    }
    later = timezone.now() + datetime.timedelta(days=3)
    totals = deflection_totals(since=later - datetime.timedelta(days=30), now=later)
    assert (totals.opened, totals.deflected, totals.wrote_anyway) == (2, 0, 2)
    # Read again after writing: a new read, which may yet be a deflection.
    open_from_suggestions(client, articles["jam"])
    assert SuggestedRead.objects.filter(ticket__isnull=True).count() == 1


def test_a_request_long_after_the_read_leaves_the_deflection_counted(
    client, people, articles, django_capture_on_commit_callbacks
):
    login(client, people.carol)
    with time_machine.travel("2026-03-02 10:00Z", tick=False) as clock:
        open_from_suggestions(client, articles["jam"])
        clock.shift(datetime.timedelta(hours=settings.FRONTLINE["KB_DEFLECTION_HOURS"] + 1))
        ticket = write_request(client, people, django_capture_on_commit_callbacks)
        assert not ticket.articles_read.exists()
        now = timezone.now()
        assert deflection_totals(since=now - datetime.timedelta(days=7), now=now).deflected == 1


def test_another_customers_request_does_not_take_a_read(
    client, people, articles, django_capture_on_commit_callbacks
):
    login(client, people.carol)
    open_from_suggestions(client, articles["jam"])
    login(client, people.erin)
    ticket = write_request(client, people, django_capture_on_commit_callbacks)
    assert not ticket.articles_read.exists()
    assert SuggestedRead.objects.get().ticket is None


def test_staff_visitors_and_plain_reads_count_nothing(client, people, articles):
    open_from_suggestions(client, articles["jam"])  # a visitor: not signed in
    login(client, people.alice)
    open_from_suggestions(client, articles["jam"])  # staff
    login(client, people.carol)
    client.get(f"/help/articles/{articles['jam'].pk}/")  # not from a suggestion
    assert not SuggestedRead.objects.exists()
    # Internal articles stay a 404 for the customer, and are not recorded.
    assert open_from_suggestions(client, articles["internal"]).status_code == 404
    assert not SuggestedRead.objects.exists()


def test_the_reaction_is_safe_to_run_twice(client, people, articles, ticket):
    login(client, people.carol)
    open_from_suggestions(client, articles["jam"])
    event = ticket.events.get(kind="created")
    SuggestedRead.objects.update(opened_at=ticket.created_at - datetime.timedelta(minutes=5))
    assert knowledge_reactions.note_articles_read(event.pk) == 1
    assert knowledge_reactions.note_articles_read(event.pk) == 0
    assert SuggestedRead.objects.get().ticket == ticket
    assert knowledge_reactions.note_articles_read(10**9) == 0  # an event that is gone


def test_staff_see_deflections_in_the_desk(client, people, articles):
    SuggestedRead.objects.create(
        article=articles["jam"],
        user=people.carol,
        opened_at=timezone.now() - datetime.timedelta(days=3),
    )
    login(client, people.alice)
    page = client.get("/desk/kb/deflection/").content.decode()
    assert "Printer paper jam" in page and "<dd data-deflected>1</dd>" in page
    assert client.get("/desk/kb/deflection/", {"days": "1"}).status_code == 400
    week = client.get("/desk/kb/deflection/", {"days": "7"}).content.decode()
    assert "<dd data-deflected>1</dd>" in week
    article_page = client.get(f"/desk/kb/{articles['jam'].pk}/").content.decode()
    assert "1 without writing to us (deflected)" in article_page
    login(client, people.carol)
    assert client.get("/desk/kb/deflection/").status_code == 404


def test_the_deflection_page_takes_a_bounded_number_of_queries(
    client, people, articles, django_assert_max_num_queries
):
    for customer in (people.carol, people.erin):
        for key in ("jam", "toner"):
            SuggestedRead.objects.create(
                article=articles[key], user=customer, opened_at=timezone.now()
            )
    login(client, people.alice)
    with django_assert_max_num_queries(8):
        assert client.get("/desk/kb/deflection/").status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
def test_suggestions_read_only_the_postings_of_the_words_typed(client, articles):
    """The ranking reads each typed word's postings from the index, in its order
    (no sort, so it stops at the cap), never every term of every readable
    article (what made it slow, issue 16)."""
    with CaptureQueriesContext(connection) as ctx:
        client.get("/help/suggest/", {"subject": "printer paper jam", "body": "tray"})
    ranking = [q["sql"] for q in ctx.captured_queries if "knowledge_articleterm" in q["sql"]]
    assert len(ranking) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {ranking[0]}")
        plan = [row[-1] for row in cursor.fetchall()]
    terms_read = [step for step in plan if "knowledge_articleterm" in step]
    assert terms_read == [
        "SEARCH knowledge_articleterm USING COVERING INDEX articleterm_scope_postings "
        "(term=? AND scope=?)"
    ] * len(terms("printer paper jam tray")), plan
    assert "LIMIT 400" in ranking[0]


def test_a_word_in_very_many_articles_counts_in_titles_and_the_newest(
    people, articles, monkeypatch
):
    """Past the cap of postings per word, title matches come first, then the newest."""
    monkeypatch.setattr(suggest, "POSTINGS_PER_TERM", 2)
    category = articles["jam"].category
    newer = actions.create_article(
        category=category, title="Scanner settings", body="The printer and scanner share a tray.",
        language="en", visibility="public", by=people.alice,
    )  # fmt: skip
    actions.publish_article(newer, by=people.alice)
    # "printer" is in two public titles (toner's, jam's) and a public body: the
    # cap reads the two titles.
    assert suggest_articles("printer", language="en", limit=5) == [
        articles["jam"],
        articles["toner"],
    ]
    # The body-only article is found by its other word, its "printer" uncounted
    # (it would rank first with it: 3 + 1 against 3; ties by age).
    assert suggest_articles("printer scanner", language="en", limit=5) == [
        articles["jam"],
        articles["toner"],
        newer,
    ]


def test_the_cap_is_spent_only_on_articles_the_asker_may_be_offered(
    client, people, articles, monkeypatch
):
    """Internal articles, drafts and other languages holding a word many times
    over never take a customer's share of its postings (they did: the cap was
    counted among every indexed article before the portal's filter)."""
    monkeypatch.setattr(suggest, "POSTINGS_PER_TERM", 3)
    category = articles["jam"].category
    for n in range(3):  # newer than the public ones, "printer" in every title
        for visibility, language in (("internal", "en"), ("public", "ru")):
            article = actions.create_article(
                category=category, title=f"Printer fleet {n}", body="printer printer",
                language=language, visibility=visibility, by=people.alice,
            )  # fmt: skip
            actions.publish_article(article, by=people.alice)
        actions.create_article(
            category=category, title=f"Printer draft {n}", body="printer",
            language="en", visibility="public", by=people.alice,
        )  # fmt: skip
    page = client.get("/help/suggest/", {"subject": "printer"}).content.decode()
    assert f'href="/help/articles/{articles["jam"].pk}/?from=suggested"' in page
    assert f'href="/help/articles/{articles["toner"].pk}/?from=suggested"' in page
    assert "fleet" not in page and "draft" not in page
    # Staff read their own scope (published, public and internal, any language).
    login(client, people.alice)
    assert "fleet" not in client.get("/help/suggest/", {"subject": "printer"}).content.decode()
    ticket = ticket_actions.open_ticket(
        requester=people.carol, by=people.carol, subject="Printer", body="Nothing comes out."
    )
    staff = suggest.articles_for_ticket(ticket, among=readable_articles(people.alice), limit=10)
    assert len(staff.suggested) == 3
    assert {s.article.title for s in staff.suggested} <= {f"Printer fleet {n}" for n in range(3)}


def test_suggestion_postings_follow_publishing_and_visibility(people, articles):
    """An article's postings are rewritten when it is published, unpublished or
    made internal or public again; a draft has none."""
    from frontline.knowledge.models import ArticleTerm

    def scopes(article):
        return set(ArticleTerm.objects.filter(article=article).values_list("scope", flat=True))

    assert scopes(articles["draft"]) == set()
    assert scopes(articles["jam"]) == {"staff", "public:en"}
    assert scopes(articles["internal"]) == {"staff"}
    jam = articles["jam"]
    actions.update_article(
        jam, title=jam.title, body=jam.body, category=jam.category, visibility="internal",
        owner=jam.owner, by=people.alice,
    )  # fmt: skip
    assert scopes(jam) == {"staff"}
    assert suggest_articles("jam", language="en") == []
    actions.update_article(
        jam, title=jam.title, body=jam.body, category=jam.category, visibility="public",
        owner=jam.owner, by=people.alice,
    )  # fmt: skip
    assert suggest_articles("jam", language="en") == [jam]
    actions.unpublish_article(jam, by=people.alice)
    assert scopes(jam) == set() and suggest_articles("jam", language="en") == []
    actions.publish_article(jam, by=people.alice)
    assert scopes(jam) == {"staff", "public:en"}


def test_an_empty_pool_suggests_nothing(articles):
    from frontline.knowledge.models import Article

    assert suggest_articles("printer", language="en", among=Article.objects.none()) == []
    assert suggest_articles("printer", language=None, limit=5)  # the same words otherwise
