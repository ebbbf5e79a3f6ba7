"""QA review: supervisors and admins score a sample of an agent's resolved
tickets on the team's scorecard; every agent reads the reviews of their own
work. Who sees what is ``reports.access``; the review is ``reports.actions``."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Avg, Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from frontline.accounts.models import User
from frontline.lib.http import AuthedRequest
from frontline.reports import actions as reports_actions
from frontline.reports.access import (
    access_agent_for_review,
    access_review,
    access_ticket_for_review,
    may_review,
    review_sample,
    reviews_of,
    visible_reviews,
)
from frontline.reports.models import QA_SCORES, QaReview, Scorecard
from frontline.tickets.models import Message, MessageKind, Ticket

from .forms import PeriodForm
from .views import staff_required

DEFAULT_DAYS = 30
REPLIES_SHOWN = 20


class QaReviewForm(forms.Form):
    """One 1-5 choice per criterion of the scorecard, and a comment."""

    comment = forms.CharField(
        label=gettext_lazy("Comment for the agent"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args: Any, scorecard: Scorecard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(scorecard.criteria.all())
        choices = [("", "—"), *((str(n), str(n)) for n in QA_SCORES)]
        scored = {
            f"criterion_{c.pk}": forms.TypedChoiceField(
                label=c.name, help_text=c.guidance, choices=choices, coerce=int
            )
            for c in self.criteria
        }
        self.fields = scored | dict(self.fields)

    def scores(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"criterion_{c.pk}"] for c in self.criteria}


def _period(request: AuthedRequest) -> PeriodForm:
    today = timezone.localdate()
    defaults = {
        "start": f"{today - datetime.timedelta(days=DEFAULT_DAYS - 1):%Y-%m-%d}",
        "end": f"{today:%Y-%m-%d}",
    }
    return PeriodForm(defaults | {k: request.GET[k] for k in defaults if k in request.GET})


def _reviewers_only(request: AuthedRequest) -> None:
    if not may_review(request.user):
        raise Http404


@staff_required
def qa_home(request: AuthedRequest) -> HttpResponse:
    """The agents, with how many reviews of their work the period has and their
    average score; each leads to a sample of their tickets to review."""
    _reviewers_only(request)
    form = _period(request)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "desk/qa_home.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    since = datetime.datetime.combine(
        start, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    until = since + datetime.timedelta(days=(end - start).days + 1)
    figures: dict[int, dict[str, Any]] = {
        r["agent"]: dict(r)
        for r in visible_reviews(request.user)
        .filter(created_at__gte=since, created_at__lt=until)
        .values("agent")
        .annotate(n=Count("id"), average=Avg("score"))
        .order_by()
    }
    none: dict[str, Any] = {"n": 0, "average": None}
    context["agents"] = [
        (agent, figures.get(agent.pk, none)["n"], figures.get(agent.pk, none)["average"])
        for agent in User.objects.agents().filter(is_active=True).order_by("first_name", "username")
    ]
    return render(request, "desk/qa_home.html", context)


@staff_required
def qa_agent(request: AuthedRequest, agent_id: int) -> HttpResponse:
    """A sample of the agent's resolved tickets not yet reviewed, and the
    reviews of their work so far."""
    agent = access_agent_for_review(request.user, agent_id)
    form = _period(request)
    context: dict[str, Any] = {"form": form, "agent": agent, "reviews": reviews_of(agent)}
    if not form.is_valid():
        return render(request, "desk/qa_agent.html", context, status=400)
    data = form.cleaned_data
    context["sample"] = review_sample(agent, start=data["start"], end=data["end"])
    return render(request, "desk/qa_agent.html", context)


def _review_page(
    request: AuthedRequest, ticket: Ticket, form: QaReviewForm | None = None, status: int = 200
) -> HttpResponse:
    scorecard = reports_actions.scorecard_for(ticket)
    earlier = (
        QaReview.objects.filter(ticket=ticket, agent_id=ticket.assignee_id)
        .prefetch_related("scores")
        .first()
    )
    if form is None and scorecard is not None:
        initial: dict[str, Any] = {}
        if earlier is not None:
            initial = {f"criterion_{s.criterion_id}": s.score for s in earlier.scores.all()}
            initial["comment"] = earlier.comment
        form = QaReviewForm(scorecard=scorecard, initial=initial)
    replies = (
        Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY, author_id=ticket.assignee_id)
        .only("id", "body", "created_at")
        .order_by("created_at", "id")[:REPLIES_SHOWN]
        if ticket.assignee_id
        else []
    )
    context = {
        "ticket": ticket,
        "scorecard": scorecard,
        "form": form,
        "earlier": earlier,
        "replies": replies,
    }
    return render(request, "desk/qa_ticket.html", context, status=status)


@staff_required
def qa_ticket(request: AuthedRequest, number: int) -> HttpResponse:
    """The ticket's subject and the agent's public replies, beside the scorecard."""
    return _review_page(request, access_ticket_for_review(request.user, number))


@staff_required
@require_POST
def qa_review_ticket(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_review(request.user, number)
    scorecard = reports_actions.scorecard_for(ticket)
    if scorecard is None:
        messages.error(request, _("No scorecard for this team: set one up in the settings."))
        return _review_page(request, ticket, status=400)
    form = QaReviewForm(request.POST, scorecard=scorecard)
    if not form.is_valid():
        return _review_page(request, ticket, form, status=400)
    try:
        review = reports_actions.review_ticket(
            ticket, scores=form.scores(), comment=form.cleaned_data["comment"], by=request.user
        )
    except ValidationError as error:
        for text in error.messages:
            form.add_error(None, text)
        return _review_page(request, ticket, form, status=400)
    except PermissionDenied as refused:
        raise Http404 from refused
    messages.success(
        request,
        _("Review saved: %(score)s of 5 for %(agent)s on #%(number)s.")
        % {
            "score": review.score,
            "agent": ticket.assignee.display_name if ticket.assignee else "",
            "number": ticket.pk,
        },
    )
    return redirect("desk:qa_review", review.pk)


@staff_required
def qa_review(request: AuthedRequest, review_id: int) -> HttpResponse:
    """One review: to the agent reviewed, and to reviewers."""
    review = access_review(request.user, review_id)
    scores = list(review.scores.select_related("criterion"))
    return render(
        request,
        "desk/qa_review.html",
        {"review": review, "scores": scores, "reviewer": may_review(request.user)},
    )


@staff_required
def my_reviews(request: AuthedRequest) -> HttpResponse:
    """The reviews of one's own work, newest first, with every score."""
    return render(
        request, "desk/qa_mine.html", {"reviews": reviews_of(request.user), "agent": request.user}
    )
