"""Request types for view signatures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from frontline.accounts.models import User


class AuthedRequest(HttpRequest):
    """The request a view behind login gets: ``LoginRequiredMiddleware`` lets only a
    signed-in user reach a view not marked ``login_not_required``, so its user is a
    ``User``, never ``AnonymousUser``. For type hints only; Django still passes an
    ``HttpRequest`` (a ``WSGIRequest``)."""

    user: User
    htmx: HtmxDetails  # set by django_htmx's middleware: falsy unless htmx asked
