"""Trainees' replies held for their mentor: sending one for review, the mentor's
"To review" queue, approving (perhaps edited) or sending back with a comment.
The work is done by ``knowledge.reviews``; nothing here reaches the customer."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from frontline.knowledge import reviews
from frontline.knowledge.access import (
    REVIEW_PAGE,
    access_held_reply_for_review,
    own_held_replies,
    replies_to_review,
)
from frontline.lib.http import AuthedRequest
from frontline.tickets.access import access_ticket_for_agent

from .forms import DeskReplyForm
from .views import COMPOSER_MODES, _ticket_page, staff_required


class HoldForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea)


class ApproveForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Reply as it will be sent"), widget=forms.Textarea, required=False
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("What to change"), widget=forms.Textarea(attrs={"rows": 3})
    )


def _said(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@staff_required
@require_POST
def hold_reply(request: AuthedRequest, number: int) -> HttpResponseBase:
    """A trainee sends the composer's reply to their mentor instead of the customer."""
    if request.POST.get("mode") == "note":
        # Without JavaScript the button stays beside the note mode's text: an
        # internal note is saved as one, never held as a reply a mentor may send.
        return COMPOSER_MODES["note"](request, number)
    ticket = access_ticket_for_agent(request.user, number)
    if request.FILES or request.POST.get("minutes", "").strip():
        # A held reply keeps only its words: refuse what came with it rather
        # than drop it, and give the text back in the composer.
        return _ticket_page(
            request,
            ticket,
            status=400,
            reply_form=DeskReplyForm(request.POST),
            error=_(
                "Files and minutes cannot wait for review yet: send the reply for review "
                "without them, then attach the files or log the time once it is approved."
            ),
        )
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message."))
        return redirect("desk:ticket", number=ticket.pk)
    try:
        reviews.hold_reply(ticket, body=form.cleaned_data["body"], by=request.user)
    except ValidationError as exc:
        messages.error(request, _said(exc))
    else:
        messages.success(
            request, _("Your reply waits for your mentor. The customer sees nothing yet.")
        )
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
def review_queue(request: AuthedRequest) -> HttpResponse:
    """The mentor's "To review" queue (oldest first, with each ticket's deadline)
    and the trainee's own replies with their outcome."""
    return _queue_page(request)


def _queue_page(request: AuthedRequest, status: int = 200) -> HttpResponse:
    return render(
        request,
        "desk/review.html",
        {
            "held": replies_to_review(request.user)[:REVIEW_PAGE],
            "mine": own_held_replies(request.user)[:REVIEW_PAGE],
        },
        status=status,
    )


@staff_required
@require_POST
def approve(request: AuthedRequest, pk: int) -> HttpResponse:
    held = access_held_reply_for_review(request.user, pk)
    form = ApproveForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    try:
        reviews.approve_held_reply(held, by=request.user, body=body)
    except (ValidationError, PermissionDenied) as exc:
        said = _said(exc) if isinstance(exc, ValidationError) else _("You may not decide on it.")
        messages.error(request, said)
        return _queue_page(request, status=400)
    messages.success(
        request,
        _("Reply on %(ref)s approved and sent to the customer.") % {"ref": held.ticket.reference},
    )
    return redirect("desk:review")


@staff_required
@require_POST
def send_back(request: AuthedRequest, pk: int) -> HttpResponse:
    held = access_held_reply_for_review(request.user, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what to change."))
        return _queue_page(request, status=400)
    try:
        reviews.return_held_reply(held, by=request.user, comment=form.cleaned_data["comment"])
    except (ValidationError, PermissionDenied) as exc:
        said = _said(exc) if isinstance(exc, ValidationError) else _("You may not decide on it.")
        messages.error(request, said)
        return _queue_page(request, status=400)
    messages.success(
        request,
        _("Reply on %(ref)s sent back to %(name)s.")
        % {"ref": held.ticket.reference, "name": held.trainee.display_name},
    )
    return redirect("desk:review")
