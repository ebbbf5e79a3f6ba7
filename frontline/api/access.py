"""Who may see which token (and, later, webhook): the one place it is decided.

Each ``access_*`` raises ``Http404`` for what the user may not see.
"""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from frontline.accounts.models import User
from frontline.lib.prepared import Prepared

from .models import ApiToken

# Marks a Frontline token (secret scanners and people recognise one).
TOKEN_PREFIX = "fl_"  # noqa: S105 (a prefix, not a secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The person's own tokens, revoked ones included (their page lists them)."""
    return ApiToken.objects.filter(user=user)


def access_token_for_owner(user: User, token_id: int) -> ApiToken:
    """One of the person's own tokens; anybody else's is a 404."""
    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(tokens_of(user), pk=token_id)


# Every API request with a token makes this read: compiled once (lib.prepared);
# building it was half the Python of the cheapest request, GET /api/v1/me
# (docs/benchmarks.md, stop 14). With the person's organisation, which the
# answers about them name.
_TOKEN_BY_HASH = Prepared(
    lambda p: ApiToken.objects.select_related("user", "user__organisation").filter(
        key_hash=p.key_hash
    )
)


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token whose secret this is (with its user), or None: unknown,
    revoked, expired, or its person deactivated."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = next(iter(_TOKEN_BY_HASH(key_hash=hash_secret(secret))), None)
    if token is None or not token.is_usable():
        return None
    return token
