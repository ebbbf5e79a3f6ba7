"""Signing in through the organisation's sign-on service (OpenID Connect).

The sign-in page shows the button when ``OIDC_ISSUER`` and ``OIDC_CLIENT_ID``
are set; otherwise these addresses answer 404. Whatever goes wrong on the way
back (a stale or forged state, a token that does not check out, an address the
provider has not verified, a disabled account, a provider that cannot be
reached) is a page that says so, never a server error.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    OIDCLogoutView,
)

from frontline.accounts.forms import SignInForm
from frontline.accounts.single_sign_on import Refused, endpoint, is_on

logger = logging.getLogger(__name__)


def provider_trouble() -> tuple[type[Exception], ...]:
    """What goes wrong talking to the provider, or with what it sends back. A
    function (evaluated by ``except`` only when something was raised) so that
    the URLs do not load ``requests`` and PyJWT into every web process: only
    sign-on uses them."""
    import jwt
    import requests

    return (requests.RequestException, ValueError, KeyError, jwt.PyJWTError)


def button_label() -> str:
    return settings.OIDC_BUTTON_LABEL or _("Sign in with single sign-on")


class LoginView(auth_views.LoginView):
    """Django's sign-in page, with the single sign-on button when it is on."""

    authentication_form = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_label"] = button_label() if is_on() else ""
        return context


@method_decorator(never_cache, name="dispatch")
class LogoutView(OIDCLogoutView):
    """Signing out (POST only): the session ends here, and a session that signed
    on goes on to the provider's end-session endpoint and comes back to the
    sign-in page (``OIDC_OP_LOGOUT_URL_METHOD``: ``provider_logout_url``)."""


def refused(request: HttpRequest, reason: str, *, status: int) -> HttpResponse:
    return render(request, "account/sso_failed.html", {"reason": reason}, status=status)


@method_decorator(login_not_required, name="dispatch")
class StartView(OIDCAuthenticationRequestView):
    """Off to the provider, with a fresh state, nonce and PKCE verifier in the session."""

    def __init__(self, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_on():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = endpoint("authorization_endpoint")
        except Refused as exc:
            logger.warning("single sign-on: %s", exc)
            return refused(request, str(exc.reason), status=503)
        except provider_trouble() as exc:
            logger.warning("single sign-on: the provider's discovery failed: %r", exc)
            return refused(
                request,
                _("The sign-on service cannot be reached just now. Please try again later."),
                status=503,
            )
        response: HttpResponse = super().get(request)
        return response


@method_decorator(login_not_required, name="dispatch")
class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: check everything, sign in or say why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not is_on():
            raise Http404
        try:
            response: HttpResponse = super().get(request)
        except Refused as exc:
            logger.warning("single sign-on refused: %s", exc)
            return refused(request, str(exc.reason), status=403)
        except SuspiciousOperation as exc:
            logger.warning("single sign-on: %s", exc)
            return refused(
                request,
                _(
                    "This sign-in could not be checked (it was started in another "
                    "browser, used twice, or its answer was not genuine). Please try again."
                ),
                status=400,
            )
        except provider_trouble() as exc:
            logger.warning("single sign-on: talking to the provider failed: %r", exc)
            return refused(
                request,
                _("The sign-on service did not complete the sign-in. Please try again."),
                status=502,
            )
        return response

    def login_failure(self) -> HttpResponse:
        if self.request.GET.get("error"):
            reason = _("The sign-on service did not sign you in.")
        else:
            reason = _(
                "This sign-in could not be checked (it was started in another "
                "browser, used twice, or its answer was not genuine). Please try again."
            )
        return refused(self.request, reason, status=400)
