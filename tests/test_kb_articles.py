# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""Knowledge-base articles: written by staff, rendered safely, seen by the right people."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from frontline.knowledge import actions
from frontline.knowledge.access import (
    access_article,
    access_article_for_editing,
    public_articles,
    readable_articles,
)
from frontline.knowledge.markdown import render_markdown
from frontline.knowledge.models import ArticleCategory, ArticleStatus


@pytest.fixture
def kb(people):
    """A public and an internal published article, and a public draft."""
    account = ArticleCategory.objects.create(name="Account")
    passwords = ArticleCategory.objects.create(name="Passwords", parent=account)
    public = actions.create_article(
        category=passwords,
        title="Reset your password",
        body="Open **Sign in** and choose *Forgot password*.",
        language="en",
        visibility="public",
        by=people.alice,
    )
    internal = actions.create_article(
        category=account,
        title="Unlocking a locked account",
        body="Check the audit log before you unlock.",
        language="en",
        visibility="internal",
        by=people.alice,
    )
    draft = actions.create_article(
        category=account,
        title="Two-factor sign-in",
        body="Coming soon.",
        language="en",
        visibility="public",
        by=people.bob,
    )
    actions.publish_article(public, by=people.alice)
    actions.publish_article(internal, by=people.alice)
    return SimpleNamespace(
        account=account, passwords=passwords, public=public, internal=internal, draft=draft
    )


def test_markdown_is_rendered():
    html = render_markdown("# Title\n\nSome **bold** and a [link](https://example.com).")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html


@pytest.mark.parametrize(
    "markdown",
    [
        "Hello <script>alert(1)</script> world",
        '<img src="https://example.com/x.png" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<p style="background: url(https://evil.test/x)" onclick="alert(1)">x</p>',
        "<iframe src=https://evil.test></iframe><svg onload=alert(1)>",
    ],
)
def test_scripts_in_markdown_are_stripped(markdown):
    html = render_markdown(markdown).lower()
    for bad in ("<script", 'href="javascript', "onerror", "onclick", "onload", "<iframe", "url("):
        assert bad not in html, (bad, html)


def test_a_script_goes_with_its_content():
    assert render_markdown("Hello <script>alert(1)</script> world") == "<p>Hello  world</p>\n"


def test_only_staff_write_articles(people, kb):
    with pytest.raises(PermissionDenied):
        actions.create_article(
            category=kb.account,
            title="Mine",
            body="x",
            language="en",
            visibility="public",
            by=people.carol,
        )
    with pytest.raises(PermissionDenied):
        actions.publish_article(kb.draft, by=people.carol)


def test_a_new_article_is_a_draft_with_its_first_revision(people, kb):
    assert kb.draft.status == ArticleStatus.DRAFT
    assert kb.draft.owner == people.bob
    revision = kb.draft.revisions.get()
    assert (revision.number, revision.author, revision.body) == (1, people.bob, "Coming soon.")
    assert "<strong>Sign in</strong>" in kb.public.body_html


def test_bad_article_data_is_refused(people, kb):
    with pytest.raises(ValidationError) as error:
        actions.create_article(
            category=kb.account, title="  ", body="x", language="fr", visibility="secret",
            by=people.alice,
        )  # fmt: skip
    assert set(error.value.message_dict) == {"title", "visibility"}
    with pytest.raises(ValidationError) as error:
        actions.create_article(
            category=kb.account, title="T", body="x", language="fr", visibility="public",
            by=people.alice,
        )  # fmt: skip
    assert set(error.value.message_dict) == {"language"}


def test_translations_link_to_the_original_once_per_language(people, kb):
    ru = actions.create_article(
        category=kb.passwords, title="Сброс пароля", body="Откройте вход.", language="ru",
        visibility="public", by=people.alice, translation_of=kb.public,
    )  # fmt: skip
    zh = actions.create_article(
        category=kb.passwords, title="重置密码", body="打开登录。", language="zh-hans",
        visibility="public", by=people.alice, translation_of=ru,
    )  # fmt: skip
    assert ru.translation_of == kb.public and zh.translation_of == kb.public
    for language in ("en", "ru"):
        with pytest.raises(ValidationError):
            actions.create_article(
                category=kb.passwords, title="Again", body="x", language=language,
                visibility="public", by=people.alice, translation_of=zh,
            )  # fmt: skip


def test_categories_nest_one_level_only(kb):
    deeper = ArticleCategory(name="Too deep", parent=kb.passwords)
    with pytest.raises(ValidationError):
        deeper.full_clean()
    ArticleCategory(name="Fine", parent=kb.account).full_clean()
    kb.account.parent = ArticleCategory.objects.create(name="Top")
    with pytest.raises(ValidationError):  # it has a category inside it
        kb.account.full_clean()
    assert kb.passwords.full_name == "Account / Passwords"


def test_anonymous_visitors_and_customers_read_public_published_articles_only(people, kb):
    for reader in (AnonymousUser(), people.carol, people.maria):
        assert set(readable_articles(reader)) == {kb.public}
        assert access_article(reader, kb.public.pk) == kb.public
        for hidden in (kb.internal, kb.draft):
            with pytest.raises(Http404):
                access_article(reader, hidden.pk)
            with pytest.raises(Http404):
                access_article_for_editing(reader, hidden.pk)
    assert set(public_articles()) == {kb.public}


def test_staff_read_internal_articles_and_edit_drafts(people, kb):
    for staff in (people.alice, people.bob, people.sam):
        assert set(readable_articles(staff)) == {kb.public, kb.internal}
        assert access_article(staff, kb.internal.pk) == kb.internal
        assert access_article_for_editing(staff, kb.draft.pk) == kb.draft
    people.alice.is_active = False
    with pytest.raises(Http404):
        access_article(people.alice, kb.internal.pk)


def test_publishing_needs_text_and_starts_the_review_clock(people, kb):
    assert kb.public.reviewed_at is not None and kb.public.review_due_at > kb.public.reviewed_at
    empty = actions.create_article(
        category=kb.account, title="Empty", body=" ", language="en", visibility="public",
        by=people.alice,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        actions.publish_article(empty, by=people.alice)
    actions.unpublish_article(kb.public, by=people.alice)
    assert kb.public.status == ArticleStatus.DRAFT
    assert kb.public not in readable_articles(AnonymousUser())
