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
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import SimpleRateThrottle

from frontline.accounts.middleware import HAS_SECOND_FACTOR
from frontline.accounts.second_factor import has_second_factor, staff_must_use_second_factor

from .access import token_for_secret
from .actions import mark_used


class TokenAuth(HttpBearer):
    """A personal token. A token sent but not usable (unknown, revoked, expired)
    is a 401 at once, not a fall-back to the session; a read-only token on a
    write endpoint is a 403."""

    def __init__(self, *, write: bool) -> None:
        self.write = write
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_for_secret(token.strip())
        if found is None:
            raise AuthenticationError
        if self.write and not found.may_write:
            raise HttpError(403, _("This token is read-only."))
        mark_used(found)
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser. Unsafe methods need the CSRF token (``X-CSRFToken``)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Not signed in: let the next method (or the 401) answer, not a CSRF error.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user: Any = request.user
        if not (user.is_authenticated and user.is_active):
            return None
        if _second_factor_pending(request, user):
            return None
        return user


def _second_factor_pending(request: HttpRequest, user: Any) -> bool:
    """A session signed in with a password but not yet with the second factor it
    needs: the pages show it only the code form, so the API answers 401. (The
    API's views are outside ``SecondFactorMiddleware``, which skips views that
    need no login; this is the same rule.)"""
    if user.is_verified():
        return False
    if HAS_SECOND_FACTOR in request.session:
        has_one = bool(request.session[HAS_SECOND_FACTOR])
    else:
        has_one = has_second_factor(user)
    return has_one or staff_must_use_second_factor(user)


read_auth: list[Any] = [TokenAuth(write=False), SessionAuth()]
write_auth: list[Any] = [TokenAuth(write=True), SessionAuth()]


class PerCallerThrottle(SimpleRateThrottle):
    """At most ``API_REQUESTS_PER_MINUTE`` requests a minute per token (per person
    for the session); past it a 429 with ``Retry-After``. The limit is read at
    each request, not at import."""

    scope = "api"

    def __init__(self) -> None:
        self.rate = None
        self.num_requests, self.duration = None, None

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.FRONTLINE["API_REQUESTS_PER_MINUTE"]
        if not limit:
            return True
        self.num_requests, self.duration = limit, 60
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        token = getattr(request, "api_token", None)
        if token is not None:
            ident = f"token-{token.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # no caller: the 401 came first
        return self.cache_format % {"scope": self.scope, "ident": ident}
