"""Signing in with a passkey alone (a discoverable WebAuthn credential with user
verification), over HTTP, against a software authenticator that can also send
what no honest one does: no user verification, another person's user handle."""

from __future__ import annotations

import base64
import hashlib

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import SESSION_KEY

from frontline.accounts.models import SecurityKey
from tests.test_security_keys import SoftKey, add_key, b64, post_json, with_app  # noqa: F401

UP, UV, AT = 0x01, 0x04, 0x40


class SoftPasskey(SoftKey):
    """A passkey: verifies its user (UV) and returns the user handle it keeps."""

    def __init__(self, *, verifies: bool = True) -> None:
        super().__init__()
        self.verifies = verifies
        self.user_handle = b""

    def create(self, options: dict) -> dict:
        answer = super().create(options)
        self.user_handle = options["user"]["id"]  # base64url, as the server sent it
        if self.verifies:  # set UV beside UP and AT in the authenticator data's flags
            raw = answer["response"]["attestationObject"]
            attestation = cbor2.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            auth = bytearray(attestation["authData"])
            auth[32] = UP | UV | AT
            attestation["authData"] = bytes(auth)
            answer["response"]["attestationObject"] = b64(cbor2.dumps(attestation))
        return answer

    def get(self, options: dict) -> dict:
        self.count += 1
        flags = UP | (UV if self.verifies else 0)
        auth = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([flags])
            + self.count.to_bytes(4, "big")
        )
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(
            auth + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth),
                "signature": b64(signature),
                "userHandle": self.user_handle,
            },
            "clientExtensionResults": {},
        }


def add_passkey(client, soft: SoftKey, name: str = "Laptop"):
    options = post_json(client, "/account/security-keys/new/options/", {"passkey": True})
    assert options.status_code == 200, options.content
    body = options.json()
    assert body["authenticatorSelection"]["residentKey"] == "required"
    assert body["authenticatorSelection"]["userVerification"] == "required"
    answer = soft.create(body)
    return post_json(client, "/account/security-keys/new/", {"name": name, "credential": answer})


def passkey_options(client) -> dict:
    response = post_json(client, "/login/passkey/options/")
    assert response.status_code == 200, response.content
    return response.json()


def signed_in_pk(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def passkey(client, people, with_app):  # noqa: F811
    soft = SoftPasskey()
    assert add_passkey(client, soft).status_code == 200
    client.logout()
    return soft


def test_a_passkey_signs_in_alone_with_the_session_verified(client, people, passkey):
    key = SecurityKey.objects.get(user=people.alice)
    assert key.passkey
    page = client.get("/login/?next=/desk/").content.decode()
    assert "Sign in with a passkey" in page and 'data-submit="/login/passkey/?next=/desk/"' in page
    options = passkey_options(client)
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    done = post_json(client, "/login/passkey/?next=/desk/", passkey.get(options))
    assert done.status_code == 200 and done.json() == {"redirect": "/desk/"}
    assert str(signed_in_pk(client)) == str(people.alice.pk)
    # No password, no code form: the desk opens (the passkey verified her on the device).
    assert client.get("/desk/", follow=True).redirect_chain[-1][0] == "/desk/q/team/"
    key.refresh_from_db()
    assert key.sign_count == 1 and key.last_used_at is not None
    # An address elsewhere to go on to is not followed.
    client.logout()
    elsewhere = post_json(
        client, "/login/passkey/?next=https://evil.test/", passkey.get(passkey_options(client))
    )
    assert elsewhere.json() == {"redirect": "/"}


def test_a_key_added_as_a_second_factor_only_does_not_sign_in_alone(client, people, with_app):  # noqa: F811
    soft = SoftPasskey()
    assert add_key(client, soft).status_code == 200  # the box not ticked
    assert not SecurityKey.objects.get(user=people.alice).passkey
    client.logout()
    refused = post_json(client, "/login/passkey/", soft.get(passkey_options(client)))
    assert refused.status_code == 400 and "does not sign in" in refused.json()["error"]
    assert signed_in_pk(client) is None


def test_a_passkey_without_user_verification_is_refused(client, people, with_app):  # noqa: F811
    # Registering one: the authenticator must verify its user.
    lazy = SoftPasskey(verifies=False)
    assert add_passkey(client, lazy).status_code == 400
    assert not SecurityKey.objects.exists()
    soft = SoftPasskey()
    add_passkey(client, soft)
    client.logout()
    # Signing in: the answer must say the user was verified (a PIN, a fingerprint).
    soft.verifies = False
    refused = post_json(client, "/login/passkey/", soft.get(passkey_options(client)))
    assert refused.status_code == 400 and "did not check out" in refused.json()["error"]
    assert signed_in_pk(client) is None


def test_a_user_handle_of_someone_else_is_refused(client, people, passkey):
    passkey.user_handle = b64(str(people.bob.pk).encode())
    refused = post_json(client, "/login/passkey/", passkey.get(passkey_options(client)))
    assert refused.status_code == 400 and signed_in_pk(client) is None
    passkey.user_handle = "%%"
    assert (
        post_json(client, "/login/passkey/", passkey.get(passkey_options(client))).status_code
        == 400
    )


def test_a_deactivated_account_cannot_sign_in_with_its_passkey(client, people, passkey):
    people.alice.is_active = False
    people.alice.save()
    refused = post_json(client, "/login/passkey/", passkey.get(passkey_options(client)))
    assert refused.status_code == 400 and signed_in_pk(client) is None


def test_a_replayed_or_cloned_answer_is_refused(client, people, passkey):
    answer = passkey.get(passkey_options(client))
    assert post_json(client, "/login/passkey/", answer).status_code == 200
    client.logout()
    passkey_options(client)
    assert post_json(client, "/login/passkey/", answer).status_code == 400
    stale = post_json(client, "/login/passkey/", answer)
    assert stale.status_code == 400 and "out of date" in stale.json()["error"]
    passkey.count = 0
    cloned = post_json(client, "/login/passkey/", passkey.get(passkey_options(client)))
    assert cloned.status_code == 400 and signed_in_pk(client) is None


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1]", b'{"id": 5}', b'{"id": "AAAA"}', b"\xff\xfe", b"", b"{" * 70000],
)
def test_broken_answers_are_a_clear_400(client, people, passkey, raw):
    passkey_options(client)
    response = post_json(client, "/login/passkey/", raw=raw)
    assert response.status_code == 400 and response.json()["error"]
    assert signed_in_pk(client) is None


def test_the_passkey_addresses_take_only_posts(client, db):
    assert client.get("/login/passkey/options/").status_code == 405
    assert client.get("/login/passkey/").status_code == 405


def test_passkey_challenges_are_limited_per_address(client, db, settings):
    """Each challenge is a new session anyone may ask for: past the hourly limit
    from one address the answer is 429 and no session is written."""
    from django.contrib.sessions.models import Session

    from frontline.ops import security_keys

    settings.LANGUAGE_CODE = "en"
    limit = security_keys.PASSKEY_CHALLENGES_PER_HOUR
    for _n in range(limit):
        client.cookies.clear()
        passkey_options(client)
    sessions = Session.objects.count()
    client.cookies.clear()
    refused = post_json(client, "/login/passkey/options/")
    assert refused.status_code == 429
    assert "try again in an hour" in refused.json()["error"]
    assert Session.objects.count() == sessions
