"""Desk endpoints that relate tickets: merge one into another, link, unlink."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontline.lib.http import AuthedRequest
from frontline.tickets import actions
from frontline.tickets.access import access_ticket_for_agent
from frontline.tickets.models import Ticket

from .forms import LinkForm, MergeForm
from .views import _ticket_page, staff_required


def _other(request: AuthedRequest, number: int) -> Ticket | None:
    """The ticket an agent typed the number of, if they may see it."""
    try:
        return access_ticket_for_agent(request.user, number)
    except Http404:
        return None


def _refused(request: AuthedRequest, ticket: Ticket, error: str) -> HttpResponse:
    return _ticket_page(request, ticket, status=400, error=error)


@staff_required
@require_POST
def merge(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, _("Give the number of the ticket to merge into."))
    into = _other(request, form.cleaned_data["number"])
    if into is None:
        return _refused(request, ticket, _("There is no ticket with that number that you may see."))
    try:
        actions.merge_tickets(ticket, into=into, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, ticket, " ".join(getattr(exc, "messages", [str(exc)])))
    messages.success(
        request,
        _("%(old)s is merged into %(new)s.") % {"old": ticket.reference, "new": into.reference},
    )
    return redirect("desk:ticket", number=into.pk)


@staff_required
@require_POST
def link(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, _("Choose how the tickets relate and give a number."))
    other = _other(request, form.cleaned_data["number"])
    if other is None:
        return _refused(request, ticket, _("There is no ticket with that number that you may see."))
    try:
        actions.link_tickets(ticket, to=other, kind=form.cleaned_data["kind"], by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, ticket, " ".join(getattr(exc, "messages", [str(exc)])))
    messages.success(request, _("Linked to %(ref)s.") % {"ref": other.reference})
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
@require_POST
def unlink(request: AuthedRequest, number: int, other: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    linked = access_ticket_for_agent(request.user, other)
    if actions.unlink_tickets(ticket, other=linked, by=request.user):
        messages.success(request, _("The link to %(ref)s is removed.") % {"ref": linked.reference})
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
@require_POST
def undo_merge(request: AuthedRequest, number: int) -> HttpResponse:
    """Undo the merge of ticket ``number`` (the merged one) into its survivor."""
    ticket = access_ticket_for_agent(request.user, number)
    into = ticket.merged_into_id
    try:
        actions.undo_merge(ticket, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        back = _other(request, into) if into else None
        return _refused(request, back or ticket, " ".join(getattr(exc, "messages", [str(exc)])))
    messages.success(
        request, _("The merge is undone: %(ref)s is back.") % {"ref": ticket.reference}
    )
    return redirect("desk:ticket", number=ticket.pk)
