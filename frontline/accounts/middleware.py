"""Request hooks that protect signed-in people: pages that hold their data are
never kept in a cache, a staff session left alone ends by itself, and where
staff must use single sign-on, their sessions come from it and go back to it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext, ngettext

# Where a staff session keeps the time of its last request that a person made.
LAST_ACTIVE = "frontline_last_active"
# Seconds between two writes of LAST_ACTIVE: not one session write per click.
ACTIVE_RESOLUTION = 60


def signed_in_pages_not_stored(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """``Cache-Control: private, no-store`` on every response to a signed-in
    person: the back button on a shared computer, or a proxy, must not show a
    ticket after sign-out."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


def not_activity[V: Callable[..., Any]](view: V) -> V:
    """Mark a view that pages call by themselves (polling): it does not count as the
    person being there, so an open tab does not keep a staff session alive."""
    view.not_activity = True  # type: ignore[attr-defined]
    return view


# When this session signed in (for the staff's return to the sign-on provider).
SIGNED_IN_AT = "frontline_signed_in_at"
SIGN_ON_BACKEND = "frontline.accounts.single_sign_on.SingleSignOnBackend"


def must_sign_on(user: Any) -> bool:
    """Whether ``user`` may sign in only through single sign-on: staff, when it
    is on and ``STAFF_SIGN_ON_ONLY`` is set. Their password and passkeys are
    refused, so that someone removed at the provider cannot come back that way."""
    return bool(
        settings.FRONTLINE["STAFF_SIGN_ON_ONLY"]
        and settings.OIDC_OP_ISSUER
        and settings.OIDC_RP_CLIENT_ID
        and (user.is_staff_member or user.is_staff)
    )


def sign_on_refusal() -> str:
    return gettext(
        "Staff sign in here with single sign-on only: please use the single sign-on button."
    )


# Whether the person had a second factor when this session signed in: read once
# there, not on every request (the hot pages keep their query counts).
HAS_SECOND_FACTOR = "frontline_has_second_factor"


def note_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At sign-in: it counts as activity, and whether a second factor is due is
    looked up now, in the session save that signing in does anyway."""
    from .second_factor import has_second_factor

    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVE] = request.session[SIGNED_IN_AT] = time.time()
        request.session[HAS_SECOND_FACTOR] = has_second_factor(user)


class StaffIdleTimeoutMiddleware(MiddlewareMixin):
    """Signs staff out after ``STAFF_IDLE_HOURS`` without a request of their own.

    Staff sessions hold every customer's data; customers' sessions keep Django's
    lifetime. Runs after the login check, so the sign-in page is what follows.
    """

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or not (user.is_staff_member or user.is_staff):
            return None
        now = time.time()
        hours = settings.FRONTLINE["STAFF_IDLE_HOURS"]
        last = request.session.get(LAST_ACTIVE)
        if last is not None and now - last > hours * 3600:
            logout(request)
            messages.info(
                request,
                ngettext(
                    "You were signed out after %(hours)s hour without activity.",
                    "You were signed out after %(hours)s hours without activity.",
                    int(hours),
                )
                % {"hours": f"{hours:g}"},
            )
            response = redirect_to_login(request.get_full_path())
            if request.headers.get("HX-Request"):
                # htmx would swap the sign-in page into a fragment: load it whole.
                response["HX-Redirect"] = response["Location"]
            return response
        if getattr(view, "not_activity", False):
            return None
        if last is None or now - last > ACTIVE_RESOLUTION:
            request.session[LAST_ACTIVE] = now
        return None


class StaffSignOnOnlyMiddleware(MiddlewareMixin):
    """Where staff must use single sign-on (``must_sign_on``): a staff session that
    did not come from it (a password or passkey sign-in from before the setting)
    ends at its next request, and one that did ends ``STAFF_SIGN_ON_HOURS`` after
    it signed on, so the person goes back through the provider, which lets in
    only those it still knows (usually without asking anything)."""

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or not must_sign_on(user):
            return None
        if getattr(view, "login_required", True) is False:  # signing in, or on
            return None
        hours = settings.FRONTLINE["STAFF_SIGN_ON_HOURS"]
        if request.session.get(BACKEND_SESSION_KEY) != SIGN_ON_BACKEND:
            message = sign_on_refusal()
        elif time.time() - request.session.get(SIGNED_IN_AT, 0) > hours * 3600:
            message = ngettext(
                "Staff sign in again with single sign-on every %(hours)s hour: "
                "please use the single sign-on button.",
                "Staff sign in again with single sign-on every %(hours)s hours: "
                "please use the single sign-on button.",
                int(hours),
            ) % {"hours": f"{hours:g}"}
        else:
            return None
        logout(request)
        messages.info(request, message)
        response = redirect_to_login(request.get_full_path())
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]
        return response


def second_factor_exempt(view: Any) -> Any:
    """Mark a view a signed-in person reaches before their second factor (the
    code form, setting up an app, signing out)."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware(MiddlewareMixin):
    """Someone signed in with a password but not yet with their second factor
    sees only the code form (or, if they must have one and have none, the page
    that sets one up)."""

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        from .second_factor import has_second_factor, staff_must_use_second_factor

        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        exempt = getattr(view, "second_factor_exempt", False)
        if exempt or getattr(view, "login_required", True) is False:
            return None
        if HAS_SECOND_FACTOR not in request.session:  # a session from before this check
            request.session[HAS_SECOND_FACTOR] = has_second_factor(user)
        has_one = request.session[HAS_SECOND_FACTOR]
        if not has_one and not staff_must_use_second_factor(user):
            return None
        target = "second_factor_verify" if has_one else "second_factor"
        response = redirect_to_login(request.get_full_path(), reverse(target))
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = response["Location"]
        return response
