"""The one place that decides who may read or edit a knowledge-base article.

Public articles are for anyone, signed in or not; internal ones for staff only;
drafts only for staff, in the desk. Every view, suggestion and search result
gets its articles through these functions, and each ``access_*`` raises
``Http404`` for what the user may not see, so a stranger cannot even learn that
an internal article exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from frontline.accounts.models import User
from frontline.lib.prepared import Prepared
from frontline.tickets.access import visible_tickets

from .models import (
    Article,
    ArticleFile,
    ArticleQuerySet,
    HeldReply,
    HeldReplyState,
    ReplyTemplate,
    Traineeship,
)

Visitor = User | AnonymousUser


def _is_staff(user: Visitor) -> bool:
    return isinstance(user, User) and user.is_active and user.is_staff_member


def public_articles() -> ArticleQuerySet:
    """Published public articles: what anyone may read, and all a customer ever sees."""
    return Article.objects.published().public()


def readable_articles(user: Visitor) -> ArticleQuerySet:
    """Published articles ``user`` may read: staff all of them, everyone else the public ones."""
    if _is_staff(user):
        return Article.objects.published()
    return public_articles()


def access_article(user: Visitor, pk: int) -> Article:
    """A published article as a reader sees it (the help centre)."""
    return get_object_or_404(readable_articles(user).select_related("category__parent"), pk=pk)


def editable_articles(user: Visitor) -> ArticleQuerySet:
    """Every article, drafts included, for staff; nothing for anyone else."""
    if not _is_staff(user):
        return Article.objects.none()
    return Article.objects.all()


def access_article_for_editing(user: Visitor, pk: int) -> Article:
    """An article as staff see it in the desk, draft or published, public or internal."""
    if not _is_staff(user):
        raise Http404
    return get_object_or_404(
        Article.objects.select_related("category__parent", "owner", "translation_of"), pk=pk
    )


def access_article_file(user: Visitor, file_id: int) -> ArticleFile:
    """An article's image or document, like a ticket's file: to staff whatever
    the article (drafts too, as the desk shows them), to everyone else only
    when the article is published and public. 404 otherwise."""
    files = ArticleFile.objects.select_related("article")
    if not _is_staff(user):
        files = files.filter(article__in=public_articles())
    return get_object_or_404(files, pk=file_id)


# --- reply templates -------------------------------------------------------------


def usable_templates(user: Visitor) -> QuerySet[ReplyTemplate]:
    """Active templates ``user`` may insert: those for everyone, their teams'
    (a supervisor's: every team's) and their own. None for anyone but staff."""
    if not (isinstance(user, User) and _is_staff(user)):
        return ReplyTemplate.objects.none()
    return _usable(user.pk, None if user.sees_all_tickets else user.team_ids)


def _usable(owner: Any, teams: Any) -> QuerySet[ReplyTemplate]:
    """The rule of :func:`usable_templates`, by owner id and team ids (None: every
    team), written once for it and for the Prepared queries below."""
    shared = Q(owner=None, team=None) | Q(owner_id=owner)
    shared |= Q(owner=None) if teams is None else Q(owner=None, team_id__in=teams)
    return ReplyTemplate.objects.filter(shared, is_active=True)


# The desk ticket page's template picker: names only, compiled once (lib.prepared).
_NAMES = ("name", "language")
_INSERTABLE_ALL = Prepared(lambda p: _usable(p.user, None).only(*_NAMES))
_INSERTABLE_TEAMS = Prepared(lambda p: _usable(p.user, p.teams).only(*_NAMES))
_INSERTABLE_ALONE = Prepared(lambda p: _usable(p.user, ()).only(*_NAMES))


def in_their_language(
    templates: list[ReplyTemplate], language: str
) -> tuple[list[ReplyTemplate], list[ReplyTemplate]]:
    """The picker's two groups: for each template name, the version in the
    customer's ``language`` (else the one for any language), preselected so to
    speak; and the other versions. One group (the first) when no name has
    versions in several languages."""
    if len({t.language for t in templates}) <= 1:
        return templates, []
    chosen: dict[str, ReplyTemplate] = {}
    for t in templates:
        if t.language == language or (t.language == "" and t.name not in chosen):
            chosen[t.name] = t
    first = [t for t in templates if chosen.get(t.name) is t]
    return first, [t for t in templates if chosen.get(t.name) is not t]


def templates_to_insert(user: Visitor) -> list[ReplyTemplate]:
    """:func:`usable_templates`, with only what the picker shows (name, language)."""
    if not (isinstance(user, User) and _is_staff(user)):
        return []
    if user.sees_all_tickets:
        return _INSERTABLE_ALL(user=user.pk)
    if teams := user.team_ids:
        return _INSERTABLE_TEAMS(user=user.pk, teams=teams)
    return _INSERTABLE_ALONE(user=user.pk)


def usable_macros(user: Visitor) -> QuerySet[ReplyTemplate]:
    """The templates of ``usable_templates`` that also change the ticket."""
    return usable_templates(user).filter(
        ~Q(set_status="")
        | Q(set_priority__isnull=False)
        | ~Q(add_tags="")
        | Q(set_team__isnull=False)
        | ~Q(note="")
    )


def access_macro(user: Visitor, pk: int) -> ReplyTemplate:
    """A macro ``user`` may apply (see ``usable_macros``); 404 otherwise."""
    return get_object_or_404(usable_macros(user).select_related("set_team"), pk=pk)


def access_reply_template(user: Visitor, pk: int) -> ReplyTemplate:
    """A template to fill in for a ticket: 404 unless ``user`` may use it."""
    return get_object_or_404(usable_templates(user), pk=pk)


def may_share_templates(user: Visitor) -> bool:
    """Supervisors and admins keep the shared templates; agents their own."""
    return _is_staff(user) and isinstance(user, User) and user.sees_all_tickets


def manageable_templates(user: Visitor) -> QuerySet[ReplyTemplate]:
    """Templates ``user`` may edit, active or not: their own, and for supervisors
    and admins the shared ones too."""
    if not _is_staff(user):
        return ReplyTemplate.objects.none()
    mine = Q(owner=user)
    if may_share_templates(user):
        mine |= Q(owner=None)
    return ReplyTemplate.objects.filter(mine)


def access_template_for_editing(user: Visitor, pk: int) -> ReplyTemplate:
    return get_object_or_404(manageable_templates(user).select_related("team"), pk=pk)


# --- training --------------------------------------------------------------------


def access_learner(user: Visitor, learner_id: int) -> User:
    """Whose learning path ``user`` may look at: their own, their trainees' as a
    mentor, anyone's on staff as a supervisor or admin. 404 otherwise."""
    if not (isinstance(user, User) and _is_staff(user)):
        raise Http404
    if learner_id == user.pk:
        return user
    learners = User.objects.filter(pk=learner_id, role__in=["agent", "supervisor", "admin"])
    if not user.sees_all_tickets:
        learners = learners.filter(traineeship__mentor=user)
    return get_object_or_404(learners)


def trainees_of(user: Visitor) -> QuerySet[Traineeship]:
    """The traineeships ``user`` mentors (all of them for supervisors and admins)."""
    if not (isinstance(user, User) and _is_staff(user)):
        return Traineeship.objects.none()
    found = Traineeship.objects.select_related("trainee", "mentor")
    return found if user.sees_all_tickets else found.filter(mentor=user)


# --- trainees' replies held for review ---------------------------------------------

REVIEW_PAGE = 50


def replies_to_review(user: Visitor) -> QuerySet[HeldReply]:
    """Held replies ``user`` may approve or send back: their trainees' (every
    trainee's for supervisors and admins), on tickets they may see; oldest first."""
    if not (isinstance(user, User) and _is_staff(user)):
        return HeldReply.objects.none()
    held = HeldReply.objects.filter(
        state=HeldReplyState.HELD, ticket__in=visible_tickets(user)
    ).exclude(trainee=user)
    if not user.sees_all_tickets:
        held = held.filter(trainee__traineeship__mentor=user)
    return held.select_related("ticket", "ticket__requester", "trainee").order_by("created_at")


def own_held_replies(user: Visitor) -> QuerySet[HeldReply]:
    """The replies ``user`` sent for review, newest first, with their outcome."""
    if not (isinstance(user, User) and _is_staff(user)):
        return HeldReply.objects.none()
    return (
        HeldReply.objects.filter(trainee=user)
        .select_related("ticket", "decided_by")
        .order_by("-created_at")
    )


def access_held_reply_for_review(user: Visitor, pk: int) -> HeldReply:
    """A held reply ``user`` may decide on (see ``replies_to_review``); 404 otherwise."""
    return get_object_or_404(replies_to_review(user), pk=pk)
