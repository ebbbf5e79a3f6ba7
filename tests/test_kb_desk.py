"""Staff write, publish, review and restore articles in the desk (/desk/kb/)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from frontline.knowledge import actions
from frontline.knowledge.models import Article, ArticleCategory, ArticleStatus
from tests.conftest import login


@pytest.fixture
def category(db):
    return ArticleCategory.objects.create(name="Billing")


def new_article(client, in_category, **data):
    form = {
        "title": "Refunds",
        "category": in_category.pk,
        "language": "en",
        "visibility": "public",
        "body": "Refunds take five days.\nAsk for the invoice number.",
    }
    return client.post("/desk/kb/new/", {**form, **data})


def test_the_desk_knowledge_base_is_for_staff_only(client, people, category):
    assert client.get("/desk/kb/").status_code == 302  # to sign in
    login(client, people.carol)
    for url in ("/desk/kb/", "/desk/kb/new/", "/desk/kb/due/"):
        assert client.get(url).status_code == 404
    assert new_article(client, category).status_code == 404
    assert not Article.objects.exists()


def test_an_agent_writes_a_draft_and_publishes_it(client, people, category):
    login(client, people.alice)
    response = new_article(client, category)
    article = Article.objects.get()
    assert response.status_code == 302 and response.url == f"/desk/kb/{article.pk}/"
    assert article.status == ArticleStatus.DRAFT and article.owner == people.alice
    page = client.get(response.url).content.decode()
    assert "Draft saved" in page and "<p>Refunds take five days." in page
    response = client.post(f"/desk/kb/{article.pk}/publish/", follow=True)
    assert "Published." in response.content.decode()
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None
    listing = client.get("/desk/kb/", {"status": "published"}).content.decode()
    assert "Refunds" in listing
    assert "Refunds" not in client.get("/desk/kb/", {"status": "draft"}).content.decode()
    client.post(f"/desk/kb/{article.pk}/unpublish/")
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"language": "fr"}, "language"),
        ({"visibility": "everyone"}, "visibility"),
        ({"category": "999999"}, "category"),
        ({"category": "x"}, "category"),
    ],
)
def test_bad_article_data_gets_errors(client, people, category, data, field):
    login(client, people.alice)
    response = new_article(client, category, **data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Article.objects.exists()


def test_publishing_an_empty_article_is_refused_with_a_message(client, people, category):
    login(client, people.alice)
    new_article(client, category, body="")
    article = Article.objects.get()
    page = client.post(f"/desk/kb/{article.pk}/publish/", follow=True).content.decode()
    assert "Write the article before publishing it." in page
    assert Article.objects.get().status == ArticleStatus.DRAFT


def test_edits_are_revisions_with_a_readable_diff_and_can_be_restored(client, people, category):
    login(client, people.alice)
    new_article(client, category)
    article = Article.objects.get()
    login(client, people.bob)
    edit = {
        "title": "Refunds and credits",
        "category": category.pk,
        "visibility": "public",
        "body": "Refunds take three days.\nAsk for the invoice number.",
        "note": "Faster now",
    }
    page = client.post(f"/desk/kb/{article.pk}/edit/", edit, follow=True).content.decode()
    assert "Saved as revision 2." in page
    diff = client.get(f"/desk/kb/{article.pk}/revisions/2/").content.decode()
    assert '<div class="diff-removed" role="listitem">' in diff
    assert "Refunds take five days." in diff and "Refunds take three days." in diff
    assert "<del>Refunds</del> → <ins>Refunds and credits</ins>" in diff
    assert "Bob Builder" in diff and "Faster now" in diff
    # The same text again is no new revision.
    page = client.post(f"/desk/kb/{article.pk}/edit/", edit, follow=True).content.decode()
    assert "no new revision" in page
    page = client.post(f"/desk/kb/{article.pk}/revisions/1/restore/", follow=True).content
    assert "Revision 1 restored as revision 3." in page.decode()
    article.refresh_from_db()
    assert article.title == "Refunds" and "five days" in article.body
    assert list(article.revisions.values_list("number", "author__username")) == [
        (3, "bob"),
        (2, "bob"),
        (1, "alice"),
    ]
    assert client.get(f"/desk/kb/{article.pk}/revisions/9/").status_code == 404
    page = client.post(f"/desk/kb/{article.pk}/revisions/9/restore/", follow=True).content
    assert "There is no such revision." in page.decode()


def test_edit_with_bad_data_keeps_the_article(client, people, category):
    login(client, people.alice)
    new_article(client, category)
    article = Article.objects.get()
    response = client.post(
        f"/desk/kb/{article.pk}/edit/",
        {"title": "", "category": category.pk, "visibility": "nope", "body": "x"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "visibility"}
    assert Article.objects.get().title == "Refunds"


def test_articles_due_a_review_are_listed_until_reviewed(client, people, category):
    fresh = actions.create_article(
        category=category, title="Fresh", body="x", language="en", visibility="public",
        by=people.alice,
    )  # fmt: skip
    actions.publish_article(fresh, by=people.alice)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=181)):
        old = actions.create_article(
            category=category, title="Refunds", body="x", language="en", visibility="public",
            by=people.alice,
        )  # fmt: skip
        actions.publish_article(old, by=people.alice)
    login(client, people.bob)
    due = client.get("/desk/kb/due/").content.decode()
    assert "Refunds" in due and "Fresh" not in due
    assert "1 article due a review" in client.get("/desk/kb/").content.decode()
    page = client.post(f"/desk/kb/{old.pk}/reviewed/", follow=True).content.decode()
    assert "Marked as reviewed." in page
    assert "Refunds" not in client.get("/desk/kb/due/").content.decode()
    old.refresh_from_db()
    assert timezone.now() - old.reviewed_at < datetime.timedelta(minutes=1)


def test_a_translation_is_started_from_the_original(client, people, category):
    login(client, people.alice)
    new_article(client, category)
    original = Article.objects.get()
    form = client.get("/desk/kb/new/", {"translation_of": original.pk, "language": "ru"})
    form = form.content.decode()
    assert f'name="translation_of" value="{original.pk}"' in form and "Refunds" in form
    assert '<option value="ru" selected>' in form
    data = {"translation_of": original.pk}
    response = new_article(client, category, language="en", **data)
    assert response.status_code == 400
    assert "already exists in that language" in response.content.decode()
    new_article(client, category, language="ru", title="Возврат", **data)
    ru = Article.objects.get(language="ru")
    assert ru.translation_of == original
    page = client.get(f"/desk/kb/{original.pk}/").content.decode()
    assert f'href="/desk/kb/{ru.pk}/" lang="ru"' in page
    assert f"?translation_of={original.pk}&amp;language=zh-hans" in page
    assert client.get("/desk/kb/new/", {"translation_of": "x"}).status_code == 404


def test_internal_article_feedback_comments_are_shown_to_staff(client, people, category):
    article = actions.create_article(
        category=category, title="Help", body="Text", language="en", visibility="public",
        by=people.alice,
    )  # fmt: skip
    actions.publish_article(article, by=people.alice)
    actions.record_feedback(article, helpful=False, comment="Step 2 is unclear", by=None)
    login(client, people.bob)
    page = client.get(f"/desk/kb/{article.pk}/").content.decode()
    assert "Step 2 is unclear" in page and "not helpful 1" in page


def test_the_article_list_has_a_bounded_number_of_queries(
    client, people, category, django_assert_max_num_queries
):
    for n in range(15):
        actions.create_article(
            category=category, title=f"A{n}", body="x", language="en", visibility="internal",
            by=people.alice,
        )  # fmt: skip
    login(client, people.alice)
    with django_assert_max_num_queries(6):
        assert client.get("/desk/kb/").status_code == 200
