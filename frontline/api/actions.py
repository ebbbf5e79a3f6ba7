"""Changes the API app owns: personal tokens (and webhook subscriptions).

Same contract as ``tickets/actions.py``: main object positional, the rest
keyword-only, an explicit actor, one transaction.
"""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User

from .access import TOKEN_PREFIX, hash_secret
from .models import ApiToken, Scope

# Used-at is written at most this often per token: not one UPDATE per request.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


def create_token(
    user: User,
    *,
    name: str,
    scope: str,
    by: User,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``, made by ``user`` themselves. Returns the token
    and its secret; the secret is not stored and cannot be read again."""
    if by.pk != user.pk or not user.is_active:
        raise PermissionDenied("People make their own tokens.")
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Name the token, e.g. after the system that uses it.")})
    if scope not in Scope.values:
        raise ValidationError({"scope": _("Choose read only or read and write.")})
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:10],
            key_hash=hash_secret(secret),
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
    return token, secret


def revoke_token(token: ApiToken, *, by: User) -> bool:
    """The owner revokes a token: it stops working at once. False if it already was."""
    if by.pk != token.user_id:
        raise PermissionDenied("Only the owner revokes a token.")
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
    return bool(revoked)


def mark_used(token: ApiToken, *, now: datetime.datetime | None = None) -> None:
    """Remember when the token was last used, to the minute: a conditional UPDATE
    that writes nothing when it was used less than ``LAST_USED_EVERY`` ago."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_EVERY).update(
        last_used_at=now
    )
    token.last_used_at = now
