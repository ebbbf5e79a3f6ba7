"""Secrets Frontline must be able to read back (a mailbox's IMAP password), stored
encrypted: a database file, a dump or a backup alone does not give them away.

Fernet (``cryptography``) with a key derived from ``FIELD_ENCRYPTION_KEY``, or from
``SECRET_KEY`` when that is not set. Values sealed under an older key stay
readable while that key is in ``SECRET_KEY_FALLBACKS`` (or
``FIELD_ENCRYPTION_KEY_FALLBACKS``); ``frontline rotate_secrets`` seals every
stored value again under the current key.
"""

from __future__ import annotations

import base64
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

# ``cryptography`` (about 7 MiB) is imported when a value is sealed or opened,
# not with the model that declares the field: most processes never open one
# (docs/benchmarks.md, "Footprint").

logger = logging.getLogger(__name__)

PREFIX = "sealed:"


def _fernet(secret: str) -> Fernet:
    from cryptography.fernet import Fernet

    digest = salted_hmac("frontline.lib.sealed", "field key", secret=secret, algorithm="sha256")
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def _keys() -> MultiFernet:
    """The current key first (it seals), then every older one (they only open)."""
    from cryptography.fernet import MultiFernet

    current = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    older = [
        *getattr(settings, "FIELD_ENCRYPTION_KEY_FALLBACKS", []),
        *([settings.SECRET_KEY] if current != settings.SECRET_KEY else []),
        *settings.SECRET_KEY_FALLBACKS,
    ]
    return MultiFernet([_fernet(current), *(_fernet(key) for key in older if key != current)])


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(value: str) -> str:
    """``value`` encrypted under the current key (empty stays empty)."""
    if not value:
        return ""
    return PREFIX + _keys().encrypt(value.encode()).decode()


class CannotUnseal(Exception):
    """A sealed value none of the configured keys opens."""


def unseal(value: str) -> str:
    """The plain value. One stored before sealing existed comes back as it is."""
    if not is_sealed(value):
        return value
    from cryptography.fernet import InvalidToken

    try:
        return _keys().decrypt(value.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise CannotUnseal(
            "A stored secret cannot be decrypted with SECRET_KEY (or FIELD_ENCRYPTION_KEY) "
            "or their fallbacks: put the key it was sealed with in SECRET_KEY_FALLBACKS, "
            "then run `frontline rotate_secrets`."
        ) from exc


class SealedTextField(models.TextField):
    """Text kept encrypted in the database and plain in Python. It cannot be
    searched or ordered by (each sealing of the same value differs)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return value
        try:
            return unseal(value)
        except CannotUnseal:
            # One unreadable password must not take the admin or the poller down;
            # the login fails and says why in the mailbox's last error.
            logger.error("Cannot decrypt %s: wrong key", self)
            return ""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        # Always sealed anew: what reaches here is plain (from_db_value opened it).
        return seal(value) if isinstance(value, str) and value else value
