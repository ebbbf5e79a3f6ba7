"""Who is calling: a personal token (``Authorization: Bearer …``) or the
browser's session (with its CSRF token on writes).

Either way ``request.user`` is the person, and every read and write is theirs:
a customer's token sees what the portal shows them, a staff member's what the
desk shows. Read endpoints take ``read_auth``, writes ``write_auth``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie


class SessionAuth(APIKeyCookie):
    """The signed-in browser. Unsafe methods need the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Not signed in: let the next method (or the 401) answer, not a CSRF error.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


read_auth: list[Any] = [SessionAuth()]
write_auth: list[Any] = [SessionAuth()]
