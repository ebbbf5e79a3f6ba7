"""The desk's search page: a ticket number opens the ticket, anything else searches."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from frontline.lib.http import AuthedRequest
from frontline.search.selectors import search, ticket_number
from frontline.tickets.access import access_ticket_for_agent
from frontline.tickets.queues import COUNT_CAP

from .views import staff_required


@staff_required
def results(request: AuthedRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:500]
    kind = request.GET.get("kind") or None
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    number = ticket_number(text)
    if number is not None:
        try:
            return redirect("desk:ticket", access_ticket_for_agent(request.user, number).pk)
        except Http404:
            pass  # not a ticket they may see: search for the number as a word
    found = search(request.user, text, kind=kind, page=page) if text else None
    return render(
        request,
        "desk/search.html",
        {
            "search_text": text,
            "results": found,
            "kind": found.kind if found else None,
            "count_cap": COUNT_CAP,
        },
    )
