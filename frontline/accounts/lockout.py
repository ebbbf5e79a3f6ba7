"""How django-axes counts failed sign-ins: per account and per address, on every
login form (ours and the admin's), with a page that says what happened."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def username_tried(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The account a sign-in was for, as Frontline compares names (any letter case,
    no surrounding spaces), so "Carol " and "CAROL" count against the same account."""
    given = (credentials or {}).get("username")
    if given is None and request is not None:
        given = request.POST.get("username", "")
    return str(given or "").strip().lower()


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The answer to a sign-in while the account or the address is locked out: the
    same for a right or a wrong password, and for an account that does not exist."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
