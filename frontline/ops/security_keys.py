"""Security keys and passkeys (WebAuthn): as a second factor, and a passkey
alone on the sign-in page. The JSON the browser's script
(``static/frontline/security-keys.js``) asks for and answers. Bad or replayed
answers are a 400 with a sentence to show, never a 500."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from frontline.accounts.middleware import must_sign_on, second_factor_exempt, sign_on_refusal
from frontline.accounts.models import SecurityKey
from frontline.accounts.second_factor import has_second_factor
from frontline.accounts.security_keys import (
    KeyRefused,
    check_key,
    check_passkey,
    register,
    registration_options,
    sign_in_options,
)
from frontline.accounts.security_keys import passkey_options as sign_in_passkey_options
from frontline.lib.http import AuthedRequest
from frontline.lib.ratelimit import over_hourly_limit

MAX_BODY = 64 * 1024


def _party(request: HttpRequest) -> tuple[str, str]:
    """The relying party's id (the host name) and the page's origin."""
    host = request.get_host()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    scheme = "https" if request.is_secure() else "http"
    return name.strip("[]"), f"{scheme}://{host}"


def _body(request: HttpRequest) -> Any:
    if len(request.body) > MAX_BODY:
        raise KeyRefused(_("The answer from your security key could not be read."))
    try:
        return json.loads(request.body or b"null")
    except ValueError as exc:
        raise KeyRefused(_("The answer from your security key could not be read.")) from exc


def _refused(exc: KeyRefused) -> JsonResponse:
    return JsonResponse({"error": str(exc.reason)}, status=400)


def _may_change_keys(request: AuthedRequest) -> bool:
    """Keys are added to a second factor that exists (its recovery codes are the
    way back), by a session that passed it."""
    return has_second_factor(request.user) and bool(request.user.is_verified())  # type: ignore[attr-defined]


def _options(text: str) -> HttpResponse:
    return HttpResponse(text, content_type="application/json")


@require_POST
def new_key_options(request: AuthedRequest) -> HttpResponse:
    if not _may_change_keys(request):
        return JsonResponse({"error": _("Set up an authenticator app first.")}, status=403)
    rp_id, _origin = _party(request)
    site = settings.FRONTLINE["SITE_NAME"]
    try:
        asked = _body(request)
    except KeyRefused as exc:
        return _refused(exc)
    passkey = isinstance(asked, dict) and asked.get("passkey") is True
    return _options(
        registration_options(
            request.user, rp_id=rp_id, rp_name=site, session=request.session, passkey=passkey
        )
    )


@require_POST
def add_key(request: AuthedRequest) -> HttpResponse:
    if not _may_change_keys(request):
        return JsonResponse({"error": _("Set up an authenticator app first.")}, status=403)
    rp_id, origin = _party(request)
    try:
        body = _body(request)
        if not isinstance(body, dict):
            raise KeyRefused(_("The answer from your security key could not be read."))
        key = register(
            request.user,
            body.get("credential"),
            name=str(body.get("name") or ""),
            rp_id=rp_id,
            origin=origin,
            session=request.session,
        )
    except KeyRefused as exc:
        return _refused(exc)
    messages.success(request, _("Security key “%(name)s” added.") % {"name": key.name})
    return JsonResponse({"redirect": reverse("second_factor")})


@require_POST
def remove_key(request: AuthedRequest, key_id: int) -> HttpResponse:
    if not _may_change_keys(request):
        return redirect("second_factor_verify")
    key = get_object_or_404(SecurityKey, pk=key_id, user=request.user)
    key.delete()
    messages.success(request, _("Security key “%(name)s” removed.") % {"name": key.name})
    return redirect("second_factor")


@second_factor_exempt
@require_POST
def sign_in_key_options(request: AuthedRequest) -> HttpResponse:
    rp_id, _origin = _party(request)
    options = sign_in_options(request.user, rp_id=rp_id, session=request.session)
    if options is None:
        return JsonResponse({"error": _("You have no security key here.")}, status=400)
    return _options(options)


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    return target


@second_factor_exempt
@require_POST
def sign_in_with_key(request: AuthedRequest) -> HttpResponse:
    """The security key's answer after the password: the session is then verified."""
    rp_id, origin = _party(request)
    target = _next(request)
    try:
        key = check_key(
            request.user, _body(request), rp_id=rp_id, origin=origin, session=request.session
        )
    except KeyRefused as exc:
        return _refused(exc)
    otp_login(request, key)
    return JsonResponse({"redirect": target})


PASSKEY_CHALLENGES_PER_HOUR = 100


@login_not_required
@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    """The challenge for signing in with a passkey alone (the sign-in page). Each
    one is kept in a new session, which anyone may ask for: so at most
    ``PASSKEY_CHALLENGES_PER_HOUR`` an hour from one address (an office's people
    behind one address sign in well within it)."""
    if over_hourly_limit(request, "passkey-options", PASSKEY_CHALLENGES_PER_HOUR):
        again = _(
            "This form was sent from your connection many times in the last hour, so we are "
            "not taking more for now. Please try again in an hour."
        )
        return JsonResponse({"error": again}, status=429)
    rp_id, _origin = _party(request)
    return _options(sign_in_passkey_options(rp_id=rp_id, session=request.session))


@login_not_required
@require_POST
def sign_in_with_passkey(request: HttpRequest) -> HttpResponse:
    """A passkey's answer instead of the password: its owner is signed in, with
    the session verified (the passkey checked its user on the device)."""
    rp_id, origin = _party(request)
    target = _next(request)
    try:
        key = check_passkey(_body(request), rp_id=rp_id, origin=origin, session=request.session)
    except KeyRefused as exc:
        return _refused(exc)
    if must_sign_on(key.user):
        return _refused(KeyRefused(sign_on_refusal()))
    login(request, key.user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, key)
    return JsonResponse({"redirect": target})
