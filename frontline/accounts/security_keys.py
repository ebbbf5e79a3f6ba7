"""Security keys and passkeys (WebAuthn, py_webauthn): a second factor, and
passkeys also a sign-in of their own.

Each ceremony is a challenge the server makes and keeps in the session, then
an answer the browser's authenticator signs: registering a key (for someone
whose session already passed their second factor), using it after the
password, and signing in with a passkey alone. A challenge is used once. A
key's signature counter must go up at every use, so a cloned key or a
replayed answer is refused.

A passkey is a key registered as discoverable (the authenticator keeps it and
offers it without being told whose it is) with user verification (a PIN or a
fingerprint on the device). Signing in with it needs that verification again,
so it is two factors in one (something held, something known or been), and
the session is verified as after the password and a code.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import SecurityKey, User

# py_webauthn (with cryptography, pyOpenSSL, cbor2, pyasn1: some 150 modules)
# is imported by each ceremony when it runs, not with this module: the URLs
# import it, and every web process would hold a library few requests use.

REGISTER_CHALLENGE = "frontline_webauthn_register"
SIGN_IN_CHALLENGE = "frontline_webauthn_sign_in"
REGISTER_PASSKEY = "frontline_webauthn_register_passkey"
PASSKEY_CHALLENGE = "frontline_webauthn_passkey"
MAX_KEYS = 10


class KeyRefused(Exception):
    """The browser's answer does not check out; ``reason`` is shown."""

    def __init__(self, reason: Any, detail: str = "") -> None:
        super().__init__(detail or str(reason))
        self.reason = reason


def _answer(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
        raise KeyRefused(_("The answer from your security key could not be read."))
    return answer


def registration_options(
    user: User, *, rp_id: str, rp_name: str, session: Any, passkey: bool = False
) -> str:
    """The options for ``navigator.credentials.create`` (JSON); the challenge is
    kept in ``session`` for :func:`register`. A ``passkey`` must be kept on the
    authenticator and verify its user."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_id=str(user.pk).encode(),
        user_name=user.username,
        user_display_name=user.display_name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_bytes(k.credential_id))
            for k in SecurityKey.objects.filter(user=user)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED
            if passkey
            else ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.REQUIRED
            if passkey
            else UserVerificationRequirement.PREFERRED,
        ),
    )
    session[REGISTER_CHALLENGE] = bytes_to_base64url(options.challenge)
    session[REGISTER_PASSKEY] = passkey
    return str(options_to_json(options))


def register(
    user: User, answer: Any, *, name: str, rp_id: str, origin: str, session: Any
) -> SecurityKey:
    """Check the authenticator's answer to the challenge in ``session`` (used
    once) and keep the new key."""
    from webauthn import verify_registration_response
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.exceptions import WebAuthnException

    challenge = session.pop(REGISTER_CHALLENGE, None)
    passkey = bool(session.pop(REGISTER_PASSKEY, False))
    answer = _answer(answer)
    if challenge is None:
        raise KeyRefused(_("This request is out of date. Please try again."))
    if SecurityKey.objects.filter(user=user).count() >= MAX_KEYS:
        raise KeyRefused(_("You have as many security keys as one person may have."))
    try:
        verified = verify_registration_response(
            credential=answer,
            expected_challenge=_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=passkey,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise KeyRefused(_("Your security key's answer did not check out."), repr(exc)) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if SecurityKey.objects.filter(credential_id=credential_id).exists():
        raise KeyRefused(_("This security key is registered already."))
    return SecurityKey.objects.create(
        user=user,
        name=(name.strip() or str(_("Security key")))[:64],
        confirmed=True,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        passkey=passkey,
    )


def sign_in_options(user: User, *, rp_id: str, session: Any) -> str | None:
    """The options for ``navigator.credentials.get`` for ``user``'s keys (JSON),
    or None if they have none; the challenge is kept in ``session``."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import (
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    keys = list(SecurityKey.objects.filter(user=user, confirmed=True))
    if not keys:
        return None
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=_bytes(k.credential_id)) for k in keys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    session[SIGN_IN_CHALLENGE] = bytes_to_base64url(options.challenge)
    return str(options_to_json(options))


def check_key(user: User, answer: Any, *, rp_id: str, origin: str, session: Any) -> SecurityKey:
    """The key of ``user``'s that signed the challenge in ``session`` (used once),
    with its counter moved on; a counter that did not go up is refused (a
    replayed answer, or a cloned key)."""
    challenge = session.pop(SIGN_IN_CHALLENGE, None)
    answer = _answer(answer)
    if challenge is None:
        raise KeyRefused(_("This request is out of date. Please try again."))
    key = SecurityKey.objects.filter(user=user, confirmed=True, credential_id=answer["id"]).first()
    if key is None:
        raise KeyRefused(_("This security key is not one of yours here."))
    return _verify(key, answer, challenge, rp_id=rp_id, origin=origin, passkey=False)


def passkey_options(*, rp_id: str, session: Any) -> str:
    """The options for ``navigator.credentials.get`` before anyone is signed in
    (JSON): no list of keys (the authenticator offers the passkeys it keeps for
    this site), user verification required; the challenge is kept in ``session``."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=rp_id, user_verification=UserVerificationRequirement.REQUIRED
    )
    session[PASSKEY_CHALLENGE] = bytes_to_base64url(options.challenge)
    return str(options_to_json(options))


def check_passkey(answer: Any, *, rp_id: str, origin: str, session: Any) -> SecurityKey:
    """The passkey that signed the challenge in ``session`` (used once), with its
    user verified on the device; its counter moved on. Refused: a key added as a
    second factor only, an account that is deactivated, an answer whose user
    handle is not the key's owner, an answer without user verification."""
    challenge = session.pop(PASSKEY_CHALLENGE, None)
    answer = _answer(answer)
    if challenge is None:
        raise KeyRefused(_("This request is out of date. Please try again."))
    key = (
        SecurityKey.objects.select_related("user")
        .filter(confirmed=True, passkey=True, user__is_active=True, credential_id=answer["id"])
        .first()
    )
    if key is None:
        raise KeyRefused(_("This passkey does not sign in to an account here."))
    response = answer.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    try:
        owner = _bytes(handle) if isinstance(handle, str) else b""
    except ValueError:
        owner = b""
    if owner != str(key.user_id).encode():
        raise KeyRefused(_("This passkey does not sign in to an account here."), "user handle")
    return _verify(key, answer, challenge, rp_id=rp_id, origin=origin, passkey=True)


def _verify(
    key: SecurityKey,
    answer: dict[str, Any],
    challenge: str,
    *,
    rp_id: str,
    origin: str,
    passkey: bool,
) -> SecurityKey:
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
            require_user_verification=passkey,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise KeyRefused(_("Your security key's answer did not check out."), repr(exc)) from exc
    with transaction.atomic():
        # Conditional: two answers racing with the same counter, only one wins.
        moved = SecurityKey.objects.filter(pk=key.pk, sign_count=key.sign_count).update(
            sign_count=verified.new_sign_count, last_used_at=timezone.now()
        )
    if not moved:
        raise KeyRefused(_("Your security key's answer did not check out."), "counter raced")
    return key


def _bytes(text: str) -> bytes:
    from webauthn import base64url_to_bytes

    return base64url_to_bytes(text)
