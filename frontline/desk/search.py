"""The desk's search page: a ticket number opens the ticket, anything else searches
tickets, contacts, organisations and the articles staff may read. Saved searches
(an agent's own, pinned beside the queues or not) run on the same page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from frontline.knowledge.access import readable_articles
from frontline.lib.http import AuthedRequest
from frontline.search.access import access_saved_search, saved_searches
from frontline.search.actions import delete_saved_search, pin_search, save_search
from frontline.search.models import SavedSearch
from frontline.search.selectors import search, ticket_number
from frontline.tickets.access import access_ticket_for_agent

from .views import staff_required


class SaveSearchForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    q = forms.CharField(label=gettext_lazy("Search"), max_length=500)
    pinned = forms.BooleanField(label=gettext_lazy("Pin beside the queues"), required=False)


def _page(request: AuthedRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


def _render(
    request: AuthedRequest,
    text: str,
    *,
    saved: SavedSearch | None = None,
    form: SaveSearchForm | None = None,
    status: int = 200,
) -> HttpResponse:
    kind = request.GET.get("kind") or None
    found = (
        search(
            request.user,
            text,
            kind=kind,
            page=_page(request),
            articles=readable_articles(request.user),
        )
        if text
        else None
    )
    return render(
        request,
        "desk/search.html",
        {
            "search_text": text,
            "results": found,
            "kind": found.kind if found else None,
            "saved": saved,
            "saved_searches": list(saved_searches(request.user)),
            "save_form": form or SaveSearchForm(initial={"q": text, "pinned": True}),
        },
        status=status,
    )


@staff_required
def results(request: AuthedRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:500]
    number = ticket_number(text)
    if number is not None:
        try:
            return redirect("desk:ticket", access_ticket_for_agent(request.user, number).pk)
        except Http404:
            pass  # not a ticket they may see: search for the number as a word
    return _render(request, text)


@staff_required
def saved(request: AuthedRequest, pk: int) -> HttpResponse:
    """A saved search, run now: the agent's personal queue."""
    found = access_saved_search(request.user, pk)
    return _render(request, found.text, saved=found)


@staff_required
@require_POST
def save(request: AuthedRequest) -> HttpResponse:
    form = SaveSearchForm(request.POST)
    if form.is_valid():
        try:
            kept = save_search(
                name=form.cleaned_data["name"],
                text=form.cleaned_data["q"],
                pinned=form.cleaned_data["pinned"],
                by=request.user,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error("q" if field == "text" else field, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Search “%(name)s” saved.") % {"name": kept.name})
            return redirect("desk:saved_search", kept.pk)
    text = request.POST.get("q", "").strip()[:500]
    return _render(request, text, form=form, status=400)


@staff_required
@require_POST
def pin(request: AuthedRequest, pk: int) -> HttpResponse:
    found = access_saved_search(request.user, pk)
    pinned = request.POST.get("pinned") == "1"
    pin_search(found, pinned=pinned, by=request.user)
    if pinned:
        messages.success(request, _("“%(name)s” is beside the queues.") % {"name": found.name})
    else:
        messages.success(
            request, _("“%(name)s” is no longer beside the queues.") % {"name": found.name}
        )
    return redirect("desk:saved_search", found.pk)


@staff_required
@require_POST
def delete(request: AuthedRequest, pk: int) -> HttpResponse:
    found = access_saved_search(request.user, pk)
    delete_saved_search(found, by=request.user)
    messages.success(request, _("Saved search “%(name)s” deleted.") % {"name": found.name})
    return redirect(reverse("desk:search") + "?" + urlencode({"q": found.text}))
