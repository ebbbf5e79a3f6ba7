"""The portal's search: the customer's own requests (their organisation's for a
manager), never an internal note, another customer's ticket, or a snippet of
either; and the public articles of the help centre."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from frontline.knowledge.access import readable_articles
from frontline.lib.http import AuthedRequest
from frontline.search.selectors import search, ticket_number
from frontline.tickets.access import access_ticket_for_requester


def results(request: AuthedRequest) -> HttpResponse:
    if request.user.is_staff_member:
        raise Http404  # staff search in the desk
    text = request.GET.get("q", "").strip()[:500]
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    number = ticket_number(text)
    if number is not None:
        try:
            return redirect("portal:ticket", access_ticket_for_requester(request.user, number).pk)
        except Http404:
            pass  # not theirs: search for the number as a word
    found = (
        search(request.user, text, page=page, articles=readable_articles(request.user))
        if text
        else None
    )
    return render(
        request,
        "portal/search.html",
        {"search_text": text, "results": found},
    )
