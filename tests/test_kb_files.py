"""Pictures and documents in articles: checked on upload, referred to from the
Markdown, served only to those who may read the article."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from frontline.knowledge import actions
from frontline.knowledge.models import ArticleCategory, ArticleFile
from tests.conftest import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


@pytest.fixture
def category(db):
    return ArticleCategory.objects.create(name="Printers")


def article_with(people, category, *, visibility="public", publish=True, body="Read this."):
    article = actions.create_article(
        category=category,
        title="Clearing a paper jam",
        body=body,
        language="en",
        visibility=visibility,
        by=people.alice,
    )
    if publish:
        actions.publish_article(article, by=people.alice)
    return article


def upload(client, article, name="jam.png", content=PNG):
    return client.post(
        f"/desk/kb/{article.pk}/files/", {"upload": SimpleUploadedFile(name, content)}
    )


def test_an_agent_uploads_a_picture_and_the_text_shows_it(client, people, category):
    article = article_with(people, category)
    login(client, people.alice)
    response = upload(client, article)
    stored = ArticleFile.objects.get()
    assert response.status_code == 302 and response.url.endswith("#files")
    assert stored.content_type == "image/png" and stored.filename == "jam.png"
    page = client.get(f"/desk/kb/{article.pk}/").content.decode()
    assert f"![jam.png](attachment:{stored.pk})" in page  # what to paste into the text
    client.post(
        f"/desk/kb/{article.pk}/edit/",
        {
            "title": article.title,
            "category": category.pk,
            "visibility": "public",
            "body": f"Open the tray.\n\n![The tray](attachment:{stored.pk})",
        },
    )
    client.logout()
    page = client.get(f"/help/articles/{article.pk}/").content.decode()
    assert f'<img src="/help/files/{stored.pk}/" alt="The tray"' in page
    picture = client.get(f"/help/files/{stored.pk}/")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert picture["X-Content-Type-Options"] == "nosniff"
    assert b"".join(picture.streaming_content) == PNG


def test_a_reference_written_before_the_upload_works_once_the_file_is_there(people, category):
    article = article_with(people, category, body="See ![shot](attachment:1) and more.")
    assert "<img" not in article.body_html or "src=" not in article.body_html
    stored = actions.add_article_file(
        article, upload=SimpleUploadedFile("a.png", PNG), by=people.alice
    )
    actions.update_article(
        article,
        title=article.title,
        body=f"See ![shot](attachment:{stored.pk}) and a [form](attachment:{stored.pk}).",
        category=category,
        visibility="public",
        owner=people.alice,
        by=people.alice,
    )
    article.refresh_from_db()
    assert f'src="/help/files/{stored.pk}/"' in article.body_html
    assert f'href="/help/files/{stored.pk}/"' in article.body_html


def test_references_to_files_of_other_articles_or_unsafe_links_lose_their_address(people, category):
    other = article_with(people, category, visibility="internal")
    secret = actions.add_article_file(
        other, upload=SimpleUploadedFile("secret.pdf", PDF), by=people.alice
    )
    article = article_with(
        people,
        category,
        body=(
            f"[leak](attachment:{secret.pk}) ![leak](https://attachment.invalid/{secret.pk}) "
            '[x](javascript:alert(1)) <img src="x" onerror="alert(1)"> <script>alert(1)</script>'
        ),
    )
    html = article.body_html
    assert f"/help/files/{secret.pk}/" not in html
    assert "attachment.invalid" not in html
    assert 'href="javascript' not in html and "onerror" not in html and "<script" not in html


def test_a_document_cannot_be_shown_as_a_picture_but_can_be_linked(people, category):
    article = article_with(people, category)
    doc = actions.add_article_file(
        article, upload=SimpleUploadedFile("guide.pdf", PDF), by=people.alice
    )
    actions.update_article(
        article,
        title=article.title,
        body=f"![guide](attachment:{doc.pk}) [the guide](attachment:{doc.pk})",
        category=category,
        visibility="public",
        owner=people.alice,
        by=people.alice,
    )
    article.refresh_from_db()
    assert "src=" not in article.body_html
    assert f'href="/help/files/{doc.pk}/"' in article.body_html


@pytest.mark.parametrize(
    ("visibility", "publish"), [("internal", True), ("public", False), ("internal", False)]
)
def test_files_of_internal_or_draft_articles_reach_staff_only(
    client, people, category, visibility, publish
):
    article = article_with(people, category, visibility=visibility, publish=publish)
    stored = actions.add_article_file(
        article, upload=SimpleUploadedFile("a.png", PNG), by=people.alice
    )
    url = f"/help/files/{stored.pk}/"
    assert client.get(url).status_code == 404  # a visitor
    login(client, people.carol)
    assert client.get(url).status_code == 404  # a customer
    login(client, people.bob)
    assert client.get(url).status_code == 200  # staff, any team


def test_an_unknown_file_is_a_404(client, db):
    assert client.get("/help/files/999999/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),  # the name lies
        ("tool.exe", b"MZ\x90\x00\x03" + b"\0" * 64),
    ],
)
def test_files_that_could_run_are_refused_with_a_message(client, people, category, name, content):
    article = article_with(people, category)
    login(client, people.alice)
    response = upload(client, article, name=name, content=content)
    assert response.status_code == 400
    assert "cannot go into an article" in response.content.decode()
    assert not ArticleFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, people, category, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_UPLOAD_BYTES": 10}
    article = article_with(people, category)
    login(client, people.alice)
    response = upload(client, article)
    assert response.status_code == 400 and "the limit is" in response.content.decode()
    assert not ArticleFile.objects.exists()


def test_an_upload_without_a_file_is_a_form_error(client, people, category):
    article = article_with(people, category)
    login(client, people.alice)
    response = client.post(f"/desk/kb/{article.pk}/files/", {})
    assert response.status_code == 400 and "upload" in response.context["file_form"].errors


def test_customers_cannot_upload_or_remove(client, people, category):
    article = article_with(people, category)
    stored = actions.add_article_file(
        article, upload=SimpleUploadedFile("a.png", PNG), by=people.alice
    )
    login(client, people.carol)
    assert upload(client, article).status_code == 404
    assert client.post(f"/desk/kb/files/{stored.pk}/remove/").status_code == 404
    assert ArticleFile.objects.count() == 1
    with pytest.raises(Exception, match="Only staff"):
        actions.add_article_file(article, upload=SimpleUploadedFile("b.png", PNG), by=people.carol)


def test_a_file_the_text_uses_is_not_removed_until_the_text_lets_go(client, people, category):
    article = article_with(people, category)
    stored = actions.add_article_file(
        article, upload=SimpleUploadedFile("a.png", PNG), by=people.alice
    )
    actions.update_article(
        article,
        title=article.title,
        body=f"![a](attachment:{stored.pk})",
        category=category,
        visibility="public",
        owner=people.alice,
        by=people.alice,
    )
    login(client, people.alice)
    response = client.post(f"/desk/kb/files/{stored.pk}/remove/", follow=True)
    assert "take it out of the text first" in response.content.decode()
    assert ArticleFile.objects.filter(pk=stored.pk).exists()
    actions.update_article(
        article,
        title=article.title,
        body="No picture now.",
        category=category,
        visibility="public",
        owner=people.alice,
        by=people.alice,
    )
    response = client.post(f"/desk/kb/files/{stored.pk}/remove/", follow=True)
    assert "removed" in response.content.decode()
    assert not ArticleFile.objects.exists()


def test_the_action_checks_the_type_as_well(people, category):
    article = article_with(people, category)
    with pytest.raises(ValidationError):
        actions.add_article_file(
            article, upload=SimpleUploadedFile("a.html", b"<html></html>"), by=people.alice
        )
