"""Macros on a ticket: the list, the preview of what one will do, applying it.
The work is ``knowledge.macros``; the preview and the act share ``macro_steps``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from frontline.knowledge.access import access_macro, usable_macros
from frontline.knowledge.actions import filled_in
from frontline.knowledge.macros import apply_macro, filled_note, macro_steps
from frontline.knowledge.models import ReplyTemplate
from frontline.lib.http import AuthedRequest
from frontline.tickets.access import access_ticket_for_agent
from frontline.tickets.models import Ticket

from .views import staff_required

LIST_LIMIT = 100


class ApplyForm(forms.Form):
    reply = forms.CharField(
        label=gettext_lazy("Reply to send (read it and make it yours; empty: no reply)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


@staff_required
def macro_list(request: AuthedRequest, number: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    macros = usable_macros(request.user).order_by("name", "language")[:LIST_LIMIT]
    return render(request, "desk/macros.html", {"ticket": ticket, "macros": macros})


def _preview(
    request: AuthedRequest,
    ticket: Ticket,
    macro: ReplyTemplate,
    form: ApplyForm,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "desk/macro_preview.html",
        {
            "ticket": ticket,
            "macro": macro,
            "steps": macro_steps(macro, ticket, agent=request.user),
            "note": filled_note(macro, ticket, agent=request.user),
            "form": form,
        },
        status=status,
    )


@staff_required
def macro_preview(request: AuthedRequest, number: int, pk: int) -> HttpResponse:
    """What the macro will do to this ticket, before it does it."""
    ticket = access_ticket_for_agent(request.user, number)
    macro = access_macro(request.user, pk)
    body = filled_in(macro, ticket, agent=request.user) if macro.body.strip() else ""
    return _preview(request, ticket, macro, ApplyForm(initial={"reply": body}))


@staff_required
@require_POST
def macro_apply(request: AuthedRequest, number: int, pk: int) -> HttpResponse:
    ticket = access_ticket_for_agent(request.user, number)
    macro = access_macro(request.user, pk)
    form = ApplyForm(request.POST)
    if form.is_valid():
        try:
            steps = apply_macro(macro, ticket, by=request.user, reply=form.cleaned_data["reply"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            done = " · ".join(s.text for s in steps) or _("Nothing was changed.")
            messages.success(
                request,
                _("Macro “%(name)s” applied: %(done)s") % {"name": macro.name, "done": done},
            )
            return redirect("desk:ticket", number=ticket.pk)
    return _preview(request, ticket, macro, form, status=400)
