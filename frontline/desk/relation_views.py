"""Desk endpoints that relate tickets: merge one into another, link, unlink,
split a message off, and incidents (mark, attach, post an update)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from frontline.lib.http import AuthedRequest
from frontline.tickets import actions
from frontline.tickets.access import access_ticket_for_agent, visible_tickets
from frontline.tickets.models import Message, Ticket

from .forms import LinkForm, MergeForm
from .relation_forms import AttachForm, AttachSelectedForm, IncidentUpdateForm, SplitForm
from .views import _ticket_page, staff_required


def _other(request: AuthedRequest, number: int) -> Ticket | None:
    """The ticket an agent typed the number of, if they may see it."""
    try:
        return access_ticket_for_agent(request.user, number)
    except Http404:
        return None


def _refused(request: AuthedRequest, ticket: Ticket, error: str, status: int = 400) -> HttpResponse:
    return _ticket_page(request, ticket, status=status, error=error)


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


@staff_required
@require_POST
def split(request: AuthedRequest, number: int, message_id: int) -> HttpResponse:
    """Make a customer's message on ticket ``number`` a ticket of its own."""
    ticket = access_ticket_for_agent(request.user, number)
    message = Message.objects.filter(pk=message_id, ticket=ticket).first()
    if message is None:
        raise Http404
    form = SplitForm(request.POST)
    if not form.is_valid():
        return _refused(request, ticket, " ".join(str(e) for e in form.errors.get("subject") or []))
    try:
        new = actions.split_message(message, by=request.user, subject=form.cleaned_data["subject"])
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, ticket, " ".join(getattr(exc, "messages", [str(exc)])))
    messages.success(
        request,
        _("The message is now ticket %(new)s, linked to %(old)s; its writer is told.")
        % {"new": new.reference, "old": ticket.reference},
    )
    return redirect("desk:ticket", number=new.pk)


@staff_required
@require_POST
def mark_incident(request: AuthedRequest, number: int) -> HttpResponse:
    """Mark ticket ``number`` as an incident, or (``on=0``) no longer."""
    ticket = access_ticket_for_agent(request.user, number)
    on = request.POST.get("on", "1") != "0"
    try:
        actions.mark_incident(ticket, by=request.user, on=on)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, ticket, " ".join(getattr(exc, "messages", [str(exc)])))
    if on:
        messages.success(request, _("%(ref)s is an incident now.") % {"ref": ticket.reference})
    else:
        messages.success(
            request, _("%(ref)s is no longer an incident.") % {"ref": ticket.reference}
        )
    return redirect("desk:ticket", number=ticket.pk)


@staff_required
@require_POST
def attach(request: AuthedRequest, number: int) -> HttpResponse:
    """Attach the tickets whose numbers were typed to incident ``number``."""
    incident = access_ticket_for_agent(request.user, number)
    form = AttachForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, incident, " ".join(str(e) for e in form.errors.get("numbers") or [])
        )
    count, error = _attach(request, incident, form.cleaned_data["numbers"])
    if error:
        return _refused(request, incident, error)
    messages.success(
        request,
        ngettext(
            "%(count)s ticket attached to the incident.",
            "%(count)s tickets attached to the incident.",
            count,
        )
        % {"count": count},
    )
    return redirect("desk:ticket", number=incident.pk)


def _attach(request: AuthedRequest, incident: Ticket, wanted: list[int]) -> tuple[int, str]:
    """Attach the tickets numbered ``wanted`` (each one the agent may see) to
    ``incident``: how many were new, or the error that refused them all."""
    found = {t.pk: t for t in visible_tickets(request.user).filter(pk__in=wanted)}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        return 0, _("There is no ticket you may see with the number %(numbers)s.") % {
            "numbers": ", ".join(f"#{n}" for n in unknown)
        }
    try:
        count = actions.attach_to_incident(
            incident, tickets=[found[n] for n in wanted], by=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        return 0, " ".join(getattr(exc, "messages", [str(exc)]))
    return count, ""


def _back(request: AuthedRequest) -> str:
    back = request.POST.get("next") or "/desk/"
    return back if back.startswith("/desk/") and not back.startswith("/desk//") else "/desk/"


@staff_required
@require_POST
def attach_selected(request: AuthedRequest) -> HttpResponse:
    """Attach the tickets ticked in a list (the queue, search results) to the
    incident whose number was typed; back to the list with a confirmation, or
    a page saying what was refused (400) with the selection kept."""
    form = AttachSelectedForm(request.POST)
    error = ""
    incident = None
    if form.is_valid():
        incident = _other(request, form.cleaned_data["incident"])
        if incident is None:
            error = _("There is no ticket with that number that you may see.")
        else:
            count, error = _attach(request, incident, form.cleaned_data["tickets"])
            if not error:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s ticket attached to incident %(ref)s.",
                        "%(count)s tickets attached to incident %(ref)s.",
                        count,
                    )
                    % {"count": count, "ref": incident.reference},
                )
                return redirect(_back(request))
    context = {
        "form": form,
        "error": error,
        "incident": incident,
        "selected": [v for v in request.POST.getlist("tickets") if v.isdigit()][:200],
        "back": _back(request),
    }
    return render(request, "desk/attach_refused.html", context, status=400)


@staff_required
@require_POST
def incident_update(request: AuthedRequest, number: int) -> HttpResponse:
    """A public update on incident ``number`` for every attached ticket's customers."""
    incident = access_ticket_for_agent(request.user, number)
    form = IncidentUpdateForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, incident, status=400, incident_form=form)
    try:
        reached = actions.post_incident_update(
            incident,
            body=form.cleaned_data["body"],
            translations=form.translations(),
            resolve=form.cleaned_data["resolve"],
            by=request.user,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _ticket_page(request, incident, status=400, incident_form=form)
    except PermissionDenied as exc:
        # Someone may not see every attached ticket (the page says so too).
        return _refused(request, incident, str(exc), status=403)
    messages.success(
        request,
        ngettext(
            "The update is posted here and on %(count)s attached ticket.",
            "The update is posted here and on %(count)s attached tickets.",
            reached,
        )
        % {"count": reached},
    )
    return redirect("desk:ticket", number=incident.pk)
