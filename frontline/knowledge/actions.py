"""Knowledge acts: reply templates filled in for a ticket, and the life of an article.

Article actions follow the ticket actions' contract: main object positional,
the rest keyword-only, the actor as ``by``, one transaction each. Only staff
write articles; an article's history is its revisions (title and text as saved,
by whom, when), kept forever.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team, User
from frontline.search.indexing import index_articles
from frontline.tickets import actions as ticket_actions
from frontline.tickets.models import Message, Ticket
from frontline.tickets.uploads import (
    INLINE_TYPES,
    UploadLike,
    check_uploads,
    safe_filename,
    sniff_content_type,
)

from .markdown import FileRef, references, render_markdown
from .models import (
    STAFF_SCOPE,
    Article,
    ArticleCategory,
    ArticleFeedback,
    ArticleFile,
    ArticleRead,
    ArticleRevision,
    ArticleStatus,
    ArticleTerm,
    ReplyTemplate,
    SuggestedRead,
    TemplateUse,
    Visibility,
    public_scope,
)
from .render import render, values_for
from .terms import terms

# What an article may carry: pictures a browser shows, and documents a reader
# downloads. Never HTML, SVG or anything that runs (the type is sniffed, not trusted).
ARTICLE_FILE_TYPES = INLINE_TYPES | {
    "application/pdf",
    "text/plain",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
MAX_FILES_PER_ARTICLE = 50
TITLE_WEIGHT = 3
MAX_TERMS = 600
MAX_COMMENT = 2000


MACRO_FIELDS = ("set_status", "set_priority", "add_tags", "set_team", "note")


def template_named(name: str, *, language: str = "") -> ReplyTemplate | None:
    """The active template of that name in ``language``, else the one for any language."""
    return (
        # Triage rules reply with templates shared with everyone, never a personal one.
        ReplyTemplate.objects.filter(
            name=name, is_active=True, language__in=[language, ""], team=None, owner=None
        )
        .order_by("-language")
        .first()
    )


def filled_in(template: ReplyTemplate, ticket: Ticket, *, agent: User | None) -> str:
    return render(template.body, values_for(ticket, agent=agent))


def count_template_use(template: ReplyTemplate, *, by: User) -> None:
    """``by`` inserted ``template`` into a reply: one more use, counted atomically
    (two tabs at once both count)."""
    now = timezone.now()
    counted = TemplateUse.objects.filter(template=template, user=by).update(
        count=F("count") + 1, last_used_at=now
    )
    if counted:
        return
    try:
        with transaction.atomic():
            TemplateUse.objects.create(template=template, user=by, count=1, last_used_at=now)
    except IntegrityError:  # the other tab made the row first
        TemplateUse.objects.filter(template=template, user=by).update(
            count=F("count") + 1, last_used_at=now
        )


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


@transaction.atomic
def save_template(
    template: ReplyTemplate | None,
    *,
    name: str,
    body: str,
    language: str,
    team: Team | None,
    personal: bool,
    is_active: bool = True,
    by: User,
    macro: dict[str, Any] | None = None,
) -> ReplyTemplate:
    """Create (``template`` None) or change a reply template. A personal one is
    ``by``'s own; a shared one (for ``team``, or everyone) only a supervisor or
    an admin may make or change. Names are unique per scope and language.
    ``macro`` (``set_status``, ``set_priority``, ``add_tags``, ``set_team``,
    ``note``) makes it a macro (``knowledge.macros``); None leaves that as it was."""
    _require_staff(by)
    if template is not None and template.owner_id not in (None, by.pk):
        raise PermissionDenied("Only its owner changes a personal template.")
    shared = not personal or (template is not None and template.owner_id is None)
    if shared and not by.sees_all_tickets:
        raise PermissionDenied("Only supervisors and admins keep shared templates.")
    errors = {}
    if not name.strip():
        errors["name"] = _("A template needs a name.")
    if not body.strip():
        errors["body"] = _("Write the template's text.")
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        errors["language"] = _("Choose one of the site's languages, or none.")
    if errors:
        raise ValidationError(errors)
    saved = template or ReplyTemplate()
    saved.name, saved.body, saved.language = name.strip(), body, language
    saved.owner = by if personal else None
    saved.team = None if personal else team
    saved.is_active = is_active
    for key, value in (macro or {}).items():
        if key in MACRO_FIELDS:
            setattr(saved, key, value if value is not None or key != "add_tags" else "")
    try:
        with transaction.atomic():
            saved.save()
    except IntegrityError:
        raise ValidationError(
            {"name": _("There is already a template of that name and language here.")}
        ) from None
    return saved


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


def _html(article: Article, body: str) -> str:
    """The text as readers see it, its ``attachment:<id>`` pointing at the article's files."""
    stored = ArticleFile.objects.filter(article_id=article.pk).only("id", "content_type")
    files = {
        f.pk: FileRef(
            url=reverse("help:file", args=[f.pk]), is_image=f.content_type in INLINE_TYPES
        )
        for f in stored
    }
    return render_markdown(body, files=files)


def article_terms(article: Article) -> list[ArticleTerm]:
    """The suggestion postings of ``article`` as stored (``ArticleTerm``): its
    title and text words in every scope of those who may be offered it. None
    for a draft; the ``staff`` scope for a published one, and its language's
    public scope too when it is public."""
    if article.status != ArticleStatus.PUBLISHED:
        return []
    scopes = [STAFF_SCOPE]
    if article.visibility == Visibility.PUBLIC:
        scopes.append(public_scope(article.language))
    weights = dict.fromkeys(terms(article.body, limit=MAX_TERMS), 1)
    weights.update(dict.fromkeys(terms(article.title), TITLE_WEIGHT))
    return [
        ArticleTerm(article_id=article.pk, scope=scope, term=term, weight=weight)
        for scope in scopes
        for term, weight in weights.items()
    ]


def _index_terms(article: Article) -> None:
    """Rewrite the article's suggestion postings, after a change of its words,
    status or visibility, in the caller's transaction."""
    ArticleTerm.objects.filter(article=article).delete()
    ArticleTerm.objects.bulk_create(article_terms(article))


def _index(article: Article) -> None:
    """Rewrite the article's terms (for suggestions) and its search index row from
    its title and text, in the caller's transaction."""
    _index_terms(article)
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
    for_trainees: bool = False,
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
        language=language,
        translation_of=original,
        visibility=visibility,
        for_trainees=for_trainees,
        owner=owner or by,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    _add_revision(article, by=by, now=now)
    _index(article)
    if body.strip():
        article.body_html = _html(article, body)
        article.save(update_fields=["body_html"])
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
    for_trainees: bool | None = None,
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
    visibility_changed = visibility != locked.visibility
    locked.title, locked.body, locked.body_html = title, body, _html(locked, body)
    locked.category, locked.visibility, locked.owner = category, visibility, owner
    if for_trainees is not None:
        locked.for_trainees = for_trainees
    locked.updated_at = now
    locked.save()
    revision = _add_revision(locked, by=by, now=now, note=note) if text_changed else None
    if text_changed:
        _index(locked)
    elif visibility_changed:
        _index_terms(locked)
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
        _index_terms(locked)
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
    ArticleTerm.objects.filter(article=article).delete()  # offered to nobody now
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


@transaction.atomic
def add_article_file(article: Article, *, upload: UploadLike, by: User) -> ArticleFile:
    """Store a picture or document for ``article``, after checking its size and
    its sniffed type. The text refers to it as ``attachment:<id>``; the page is
    rendered again so a reference written before the upload now works."""
    _require_staff(by)
    check_uploads([upload])
    upload.seek(0)
    content_type = sniff_content_type(upload.read(2048))
    upload.seek(0)
    name = safe_filename(upload.name or "file")
    if content_type not in ARTICLE_FILE_TYPES:
        raise ValidationError(
            _(
                "“%(name)s” cannot go into an article: "
                "only pictures, PDF, text and office documents."
            )
            % {"name": name},
            code="file_type",
        )
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if locked.files.count() >= MAX_FILES_PER_ARTICLE:
        raise ValidationError(
            _("An article holds at most %(count)d files.") % {"count": MAX_FILES_PER_ARTICLE},
            code="too_many_files",
        )
    stored = ArticleFile(
        article=locked,
        filename=name,
        size=upload.size or 0,
        content_type=content_type,
        uploaded_by=by,
        created_at=timezone.now(),
    )
    stored.file.save(name, upload, save=False)  # type: ignore[arg-type]
    stored.save()
    _rerender(locked, article)
    return stored


@transaction.atomic
def remove_article_file(stored: ArticleFile, *, by: User) -> None:
    """Delete an article's file, unless the text still refers to it (readers
    would meet a broken picture or link)."""
    _require_staff(by)
    article = Article.objects.select_for_update().get(pk=stored.article_id)
    if stored.pk in references(article.body):
        raise ValidationError(
            _("The text still refers to “%(name)s”: take it out of the text first.")
            % {"name": stored.filename},
            code="file_in_use",
        )
    name, storage = stored.file.name, stored.file.storage
    stored.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
    _rerender(article, article)


def _rerender(locked: Article, caller: Article) -> None:
    locked.body_html = _html(locked, locked.body)
    locked.save(update_fields=["body_html"])
    _refresh(caller, locked)


def deflection_window() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.FRONTLINE["KB_DEFLECTION_HOURS"])


def record_suggested_read(article: Article, *, by: User) -> SuggestedRead | None:
    """A customer opened ``article`` from the suggestions beside a request they
    were writing. One pending row per customer and article (opening it again
    changes nothing). None for staff, whose reading deflects nothing."""
    if by.is_staff_member or not article.is_published or not article.is_public:
        return None
    read, _created = SuggestedRead.objects.get_or_create(
        user=by, article=article, ticket=None, defaults={"opened_at": timezone.now()}
    )
    return read


def note_articles_read(ticket: Ticket) -> int:
    """The requester wrote anyway: the suggested articles they opened within
    ``KB_DEFLECTION_HOURS`` before the ticket are recorded on it (so the desk
    does not suggest them again) and no longer count as deflections. Safe to
    run twice. Returns how many were recorded."""
    return SuggestedRead.objects.filter(
        user_id=ticket.requester_id,
        ticket__isnull=True,
        opened_at__gte=ticket.created_at - deflection_window(),
        opened_at__lte=ticket.created_at,
    ).update(ticket=ticket)


def record_article_read(article: Article, *, by: User) -> ArticleRead | None:
    """Staff opened an article of the learning path: the first time is kept, for
    the trainee's page and their mentor. None for other articles or readers."""
    if not (article.for_trainees and article.is_published and by.is_staff_member):
        return None
    read, _created = ArticleRead.objects.get_or_create(
        user=by, article=article, defaults={"read_at": timezone.now()}
    )
    return read


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
