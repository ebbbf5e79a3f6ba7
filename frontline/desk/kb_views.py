"""The knowledge base in the desk: staff find, write, publish and review articles."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from frontline.knowledge import actions, from_answers
from frontline.knowledge.access import (
    access_article_file,
    access_article_for_editing,
    access_learner,
    editable_articles,
    readable_articles,
    trainees_of,
)
from frontline.knowledge.deflection import deflection_by_article, deflection_totals
from frontline.knowledge.diff import diff_lines
from frontline.knowledge.learning import learning_path
from frontline.knowledge.models import Article, language_choices
from frontline.knowledge.suggest import articles_for_ticket
from frontline.lib.http import AuthedRequest
from frontline.search.selectors import similar_resolved
from frontline.tickets.access import access_message, access_ticket_for_agent

from .kb_forms import ArticleFileForm, ArticleFilterForm, ArticleForm, DeflectionPeriodForm
from .views import staff_required

LIST_LIMIT = 100


def _add_errors(form: ArticleForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@staff_required
def kb_list(request: AuthedRequest) -> HttpResponse:
    filters = ArticleFilterForm(request.GET)
    qs = editable_articles(request.user).select_related("category__parent", "owner")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["q"]:
            qs = qs.filter(title__icontains=data["q"])
        for key in ("status", "visibility", "language"):
            if data[key]:
                qs = qs.filter(**{key: data[key]})
        if data["category"]:
            qs = qs.filter(Q(category=data["category"]) | Q(category__parent=data["category"]))
    articles = list(qs.order_by("-updated_at", "-pk")[: LIST_LIMIT + 1])
    return render(
        request,
        "desk/kb_list.html",
        {
            "articles": articles[:LIST_LIMIT],
            "more": len(articles) > LIST_LIMIT,
            "filters": filters,
            "due_count": editable_articles(request.user).due_review(timezone.now()).count(),
        },
    )


@staff_required
def kb_due(request: AuthedRequest) -> HttpResponse:
    """Published articles whose review date has come, the longest overdue first."""
    articles = (
        editable_articles(request.user)
        .due_review(timezone.now())
        .select_related("category__parent", "owner")[:LIST_LIMIT]
    )
    return render(request, "desk/kb_due.html", {"articles": articles})


def _original(request: AuthedRequest) -> Article | None:
    raw = request.GET.get("translation_of") or request.POST.get("translation_of") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return access_article_for_editing(request.user, int(raw))


@staff_required
def kb_new(request: AuthedRequest) -> HttpResponse:
    """A new draft, or with ``?translation_of=<id>`` a translation of that article."""
    original = _original(request)
    initial: dict[str, Any] = {"language": request.GET.get("language", "")}
    if original is not None:
        initial |= {
            "category": original.category_id,
            "visibility": original.visibility,
            "title": original.title,
            "body": original.body,
        }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = actions.create_article(
                category=data["category"],
                title=data["title"],
                body=data["body"],
                language=data["language"],
                visibility=data["visibility"],
                owner=data["owner"],
                translation_of=original,
                for_trainees=data["for_trainees"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Draft saved. Publish it when it is ready."))
            return redirect("desk:kb_article", pk=article.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/kb_form.html", {"form": form, "original": original}, status=status)


@staff_required
def kb_article(request: AuthedRequest, pk: int) -> HttpResponse:
    article = access_article_for_editing(request.user, pk)
    actions.record_article_read(article, by=request.user)
    return _article_page(request, article)


def _article_page(
    request: AuthedRequest,
    article: Article,
    file_form: ArticleFileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    original_id = article.original_id
    family = (
        editable_articles(request.user)
        .filter(Q(pk=original_id) | Q(translation_of_id=original_id))
        .exclude(pk=article.pk)
        .only("id", "title", "language", "status")
    )
    taken = {article.language, *(a.language for a in family)}
    return render(
        request,
        "desk/kb_article.html",
        {
            "article": article,
            "family": family,
            "missing_languages": [(c, n) for c, n in language_choices() if c not in taken],
            "revisions": article.revisions.select_related("author")[:20],
            "comments": article.feedback.exclude(comment="").select_related("user")[:20],
            "due": article.review_due_at is not None and article.review_due_at <= timezone.now(),
            "files": article.files.all(),
            "deflection": deflection_totals(since=None, now=timezone.now(), article=article),
            "file_form": file_form or ArticleFileForm(),
        },
        status=status,
    )


@staff_required
def kb_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    article = access_article_for_editing(request.user, pk)
    initial = {
        "title": article.title,
        "category": article.category_id,
        "visibility": article.visibility,
        "owner": article.owner_id,
        "body": article.body,
        "for_trainees": article.for_trainees,
    }
    form = ArticleForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            revision = actions.update_article(
                article,
                title=data["title"],
                body=data["body"],
                category=data["category"],
                visibility=data["visibility"],
                owner=data["owner"] or request.user,
                note=data["note"],
                for_trainees=data["for_trainees"],
                by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if revision is None:
                messages.success(request, _("Saved. The text is unchanged: no new revision."))
            else:
                messages.success(
                    request, _("Saved as revision %(number)d.") % {"number": revision.number}
                )
            return redirect("desk:kb_article", pk=article.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "desk/kb_form.html", {"form": form, "article": article}, status=status)


def _act(act: Any, done: str) -> Any:
    """A POST endpoint for one act on an article: act, say so, go back to it."""

    @staff_required
    @require_POST
    def view(request: AuthedRequest, pk: int) -> HttpResponse:
        article = access_article_for_editing(request.user, pk)
        try:
            act(article, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done)
        return redirect("desk:kb_article", pk=article.pk)

    return view


kb_publish = _act(actions.publish_article, _("Published."))
kb_unpublish = _act(actions.unpublish_article, _("Back to draft: only staff see it in the desk."))
kb_reviewed = _act(actions.mark_reviewed, _("Marked as reviewed."))


@staff_required
def kb_revision(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    """One revision and what it changed from the one before it."""
    article = access_article_for_editing(request.user, pk)
    revisions = list(article.revisions.filter(number__lte=number).select_related("author")[:2])
    if not revisions or revisions[0].number != number:
        raise Http404
    revision = revisions[0]
    previous = revisions[1] if len(revisions) > 1 else None
    return render(
        request,
        "desk/kb_revision.html",
        {
            "article": article,
            "revision": revision,
            "previous": previous,
            "title_changed": previous is not None and previous.title != revision.title,
            "lines": diff_lines(previous.body if previous else "", revision.body),
        },
    )


@staff_required
@require_POST
def kb_restore(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    article = access_article_for_editing(request.user, pk)
    try:
        revision = actions.restore_revision(article, number=number, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Revision %(old)d restored as revision %(new)d.")
            % {"old": number, "new": revision.number},
        )
    return redirect("desk:kb_article", pk=article.pk)


@staff_required
@require_POST
def kb_add_file(request: AuthedRequest, pk: int) -> HttpResponse:
    """Upload a picture or document to an article; the page shows how to refer to it."""
    article = access_article_for_editing(request.user, pk)
    form = ArticleFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            stored = actions.add_article_file(
                article, upload=form.cleaned_data["upload"], by=request.user
            )
        except ValidationError as exc:
            form.add_error("upload", exc)
        else:
            messages.success(
                request,
                _("“%(name)s” added. Refer to it in the text as %(ref)s.")
                % {"name": stored.filename, "ref": stored.reference},
            )
            return redirect(reverse("desk:kb_article", args=[article.pk]) + "#files")
    return _article_page(request, article, file_form=form, status=400)


@staff_required
@require_POST
def kb_remove_file(request: AuthedRequest, file_id: int) -> HttpResponse:
    stored = access_article_file(request.user, file_id)
    try:
        actions.remove_article_file(stored, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(name)s” removed.") % {"name": stored.filename})
    return redirect(reverse("desk:kb_article", args=[stored.article_id]) + "#files")


@staff_required
def kb_deflection(request: AuthedRequest) -> HttpResponse:
    """Requests the knowledge base answered: suggested articles customers opened
    while writing, and whether they wrote anyway."""
    form = DeflectionPeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "desk/kb_deflection.html", {"form": form}, status=400)
    now = timezone.now()
    since = now - datetime.timedelta(days=form.cleaned_data["days"])
    return render(
        request,
        "desk/kb_deflection.html",
        {
            "form": form,
            "totals": deflection_totals(since=since, now=now),
            "rows": deflection_by_article(since=since, now=now),
            "hours": settings.FRONTLINE["KB_DEFLECTION_HOURS"],
        },
    )


@staff_required
def kb_for_ticket(request: AuthedRequest, number: int) -> HttpResponse:
    """Articles that may answer this ticket (htmx fragment on the ticket page):
    one click puts a public article's link, in the customer's language when
    translated, into the reply (desk-kb.js); then similar resolved tickets the
    agent may see, with how they were answered (``search.similar_resolved``)."""
    ticket = access_ticket_for_agent(request.user, number)
    found = articles_for_ticket(ticket, among=readable_articles(request.user))
    return render(
        request,
        "desk/_kb_for_ticket_list.html",
        {
            "ticket": ticket,
            "suggested": [(s, _link_text(s.customer_link)) for s in found.suggested],
            "read_before": found.read_before,
            "similar": similar_resolved(request.user, ticket),
        },
    )


def _link_text(article: Article | None) -> str:
    """What goes into the reply: the title and the help centre's full address
    (the customer reads it in a mail, away from our site)."""
    if article is None:
        return ""
    url = settings.SITE_URL.rstrip("/") + reverse("help:article", args=[article.pk])
    return f"{article.title}: {url}"


@staff_required
def learning(request: AuthedRequest, user_id: int | None = None) -> HttpResponse:
    """A learner's path: the articles marked for new agents and which they have
    read. One's own, or (for a mentor, a supervisor) a trainee's."""
    learner = access_learner(request.user, request.user.pk if user_id is None else user_id)
    steps = learning_path(learner, among=readable_articles(request.user))
    return render(
        request,
        "desk/learning.html",
        {
            "learner": learner,
            "steps": steps,
            "read": sum(1 for s in steps if s.read_at is not None),
            "mentor": getattr(getattr(learner, "traineeship", None), "mentor", None),
            "trainees": trainees_of(request.user)[:100] if user_id is None else [],
        },
    )


@staff_required
@require_POST
def article_from_answer(request: AuthedRequest, message_id: int) -> HttpResponse:
    """ "Make an article from this answer": a draft internal article from a staff
    reply, the customer's personal data taken out, opened for editing."""
    message = access_message(request.user, message_id)
    try:
        article, found = from_answers.article_from_answer(message, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("desk:ticket", number=message.ticket_id)
    replaced = sum(found.replaced.values())
    messages.success(
        request,
        ngettext(
            "Draft article made; %(count)d personal detail was replaced. Read it through "
            "before publishing.",
            "Draft article made; %(count)d personal details were replaced. Read it through "
            "before publishing.",
            replaced,
        )
        % {"count": replaced},
    )
    return redirect("desk:kb_edit", pk=article.pk)
