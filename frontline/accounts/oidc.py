"""The OpenID Connect protocol of single sign-on: mozilla-django-oidc's backend
with the checks and rules of :mod:`frontline.accounts.single_sign_on`.

Imported by :class:`~frontline.accounts.single_sign_on.SingleSignOnBackend`
on the first sign-on callback only, so that a process that never signs anyone
on never loads ``requests``, PyJWT and the library's backend.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .models import User
from .single_sign_on import Refused, account_for, endpoint


class ProviderBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the checks and rules of
    :mod:`~frontline.accounts.single_sign_on`; a refusal is a
    :class:`~frontline.accounts.single_sign_on.Refused` for the callback page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads its endpoints here; ours come from discovery, later.
        self.UserModel = User
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        self.OIDC_OP_TOKEN_ENDPOINT = endpoint("token_endpoint")
        self.OIDC_OP_USER_ENDPOINT = endpoint("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = endpoint("jwks_uri")
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        try:
            alg = jwt.get_unverified_header(payload).get("alg")
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token unreadable: {exc}") from exc
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {alg!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=60,
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        azp = claims.get("azp")
        if azp is not None and azp != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation(f"ID token for another client ({azp!r})")
        return claims

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        info = self.get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise Refused(
                _("The sign-on service answered about someone else."),
                f"user info for {info.get('sub')!r}, token for {payload.get('sub')!r}",
            )
        return account_for({**payload, **info})
