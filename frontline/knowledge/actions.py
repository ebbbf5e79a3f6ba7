"""Knowledge acts: reply templates filled in for a ticket, and the life of an article.

Article actions follow the ticket actions' contract: main object positional,
the rest keyword-only, the actor as ``by``, one transaction each. Only staff
write articles; an article's history is its revisions (title and text as saved,
by whom, when), kept forever.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.search.indexing import index_articles
from frontline.tickets import actions as ticket_actions
from frontline.tickets.models import Message, Ticket

from .markdown import render_markdown
from .models import (
    Article,
    ArticleCategory,
    ArticleFeedback,
    ArticleRevision,
    ArticleStatus,
    ArticleTerm,
    ReplyTemplate,
    Visibility,
)
from .render import render, values_for
from .terms import terms

TITLE_WEIGHT = 3
MAX_TERMS = 600
MAX_COMMENT = 2000


def template_named(name: str, *, language: str = "") -> ReplyTemplate | None:
    """The active template of that name in ``language``, else the one for any language."""
    return (
        ReplyTemplate.objects.filter(name=name, is_active=True, language__in=[language, ""])
        .order_by("-language")
        .first()
    )


def filled_in(template: ReplyTemplate, ticket: Ticket, *, agent: User | None) -> str:
    return render(template.body, values_for(ticket, agent=agent))


def send_template_reply(ticket: Ticket, *, name: str) -> Message | None:
    """A public reply from the system (``by=None``) with the named template, in the
    customer's language when there is one. None when no such active template.

    A system reply stops no SLA clock (see ``add_reply``); outbound mail sends
    it like any public reply.
    """
    template = template_named(name, language=ticket.requester.language)
    if template is None:
        return None
    body = filled_in(template, ticket, agent=None)
    return ticket_actions.add_reply(ticket, body=body, by=None)


# --- articles ------------------------------------------------------------------


def _require_staff(by: User) -> None:
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff may write articles.")


def _review_due(now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=settings.FRONTLINE["KB_REVIEW_DAYS"])


def _check_text(title: str, visibility: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = _("An article needs a title.")
    if visibility not in Visibility.values:
        errors["visibility"] = _("Choose public or internal.")
    if errors:
        raise ValidationError(errors)


def _check_language(language: str, translation_of: Article | None) -> Article | None:
    """The original the new article translates (never a translation), after checking
    that ``language`` is a site language not yet taken in that family."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": _("Choose one of the site's languages.")})
    if translation_of is None:
        return None
    original = translation_of.translation_of or translation_of
    taken = {original.language, *original.translations.values_list("language", flat=True)}
    if language in taken:
        raise ValidationError({"language": _("This article already exists in that language.")})
    return original


def _index(article: Article) -> None:
    """Rewrite the article's terms (for suggestions) and its search index row from
    its title and text, in the caller's transaction."""
    weights = dict.fromkeys(terms(article.body, limit=MAX_TERMS), 1)
    weights.update(dict.fromkeys(terms(article.title), TITLE_WEIGHT))
    ArticleTerm.objects.filter(article=article).delete()
    ArticleTerm.objects.bulk_create(
        ArticleTerm(article=article, term=term, weight=weight) for term, weight in weights.items()
    )
    index_articles([article.pk])


def _add_revision(
    article: Article, *, by: User, now: datetime.datetime, note: str = ""
) -> ArticleRevision:
    last = article.revisions.aggregate(last=Max("number"))["last"] or 0
    return ArticleRevision.objects.create(
        article=article,
        number=last + 1,
        title=article.title,
        body=article.body,
        author=by,
        created_at=now,
        note=note,
    )


@transaction.atomic
def create_article(
    *,
    category: ArticleCategory,
    title: str,
    body: str,
    language: str,
    visibility: str,
    by: User,
    owner: User | None = None,
    translation_of: Article | None = None,
) -> Article:
    """A new draft article with its first revision. ``translation_of`` links it to
    an article in another language (to that article's original, if it is itself
    a translation). The owner, who keeps it reviewed, is ``by`` unless named."""
    _require_staff(by)
    _check_text(title, visibility)
    original = _check_language(language, translation_of)
    now = timezone.now()
    article = Article.objects.create(
        category=category,
        title=title.strip(),
        body=body,
        body_html=render_markdown(body),
        language=language,
        translation_of=original,
        visibility=visibility,
        owner=owner or by,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    _add_revision(article, by=by, now=now)
    _index(article)
    return article


@transaction.atomic
def update_article(
    article: Article,
    *,
    title: str,
    body: str,
    category: ArticleCategory,
    visibility: str,
    owner: User | None,
    by: User,
    note: str = "",
) -> ArticleRevision | None:
    """Save an article's new title, text, category, visibility and owner. A change
    of title or text is a new revision (returned); None when they are unchanged.
    A published article stays published: readers see the change at once."""
    _require_staff(by)
    _check_text(title, visibility)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    now = timezone.now()
    title = title.strip()
    text_changed = (title, body) != (locked.title, locked.body)
    locked.title, locked.body, locked.body_html = title, body, render_markdown(body)
    locked.category, locked.visibility, locked.owner = category, visibility, owner
    locked.updated_at = now
    locked.save()
    revision = _add_revision(locked, by=by, now=now, note=note) if text_changed else None
    if text_changed:
        _index(locked)
    _refresh(article, locked)
    return revision


@transaction.atomic
def restore_revision(article: Article, *, number: int, by: User) -> ArticleRevision:
    """Bring back the title and text of revision ``number`` as a new revision (the
    history in between is kept)."""
    _require_staff(by)
    old = article.revisions.filter(number=number).first()
    if old is None:
        raise ValidationError(_("There is no such revision."))
    revision = update_article(
        article,
        title=old.title,
        body=old.body,
        category=article.category,
        visibility=article.visibility,
        owner=article.owner,
        by=by,
        note=_("Restored revision %(number)d") % {"number": number},
    )
    if revision is None:
        raise ValidationError(_("The article already reads like that revision."))
    return revision


@transaction.atomic
def publish_article(article: Article, *, by: User) -> Article:
    """Make a draft readable (public or internal, as set). Starts the review clock
    when the article has never been reviewed."""
    _require_staff(by)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not locked.body.strip():
        raise ValidationError(_("Write the article before publishing it."))
    if locked.status != ArticleStatus.PUBLISHED:
        now = timezone.now()
        locked.status = ArticleStatus.PUBLISHED
        locked.published_at = locked.published_at or now
        if locked.reviewed_at is None:
            locked.reviewed_at, locked.review_due_at = now, _review_due(now)
        locked.updated_at = now
        locked.save()
    _refresh(article, locked)
    return article


@transaction.atomic
def unpublish_article(article: Article, *, by: User) -> Article:
    """Take an article back to draft: nobody but staff in the desk sees it then."""
    _require_staff(by)
    Article.objects.filter(pk=article.pk).update(
        status=ArticleStatus.DRAFT, updated_at=timezone.now()
    )
    article.refresh_from_db()
    return article


@transaction.atomic
def mark_reviewed(article: Article, *, by: User) -> Article:
    """Someone read the article and found it still right: the next review is due
    ``KB_REVIEW_DAYS`` from now."""
    _require_staff(by)
    now = timezone.now()
    Article.objects.filter(pk=article.pk).update(reviewed_at=now, review_due_at=_review_due(now))
    article.refresh_from_db()
    return article


def count_article_view(article: Article) -> None:
    """One more reader. An atomic increment, so readers at the same moment all count;
    no actor, as reading changes nothing about the article."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def record_feedback(
    article: Article, *, helpful: bool, comment: str = "", by: User | None
) -> ArticleFeedback:
    """An answer to "Was this helpful?" from a reader (``by=None``: not signed in),
    counted on the article; the comment is for staff."""
    if not article.is_published:
        raise ValidationError(_("This article is not published."))
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            {"comment": _("At most %(count)d characters, please.") % {"count": MAX_COMMENT}}
        )
    feedback = ArticleFeedback.objects.create(
        article=article,
        helpful=helpful,
        comment=comment,
        user=by if by is not None and by.is_authenticated else None,
        created_at=timezone.now(),
    )
    counter = "helpful_count" if helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return feedback


def _refresh(article: Article, saved: Article) -> None:
    """Give the caller's instance the saved values (it may be used to render a page)."""
    if article is not saved:
        article.refresh_from_db()
