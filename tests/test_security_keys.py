"""Security keys and passkeys (WebAuthn) as a second factor, over HTTP.

A software authenticator (P-256, "none" attestation, as a USB key answers)
signs the server's challenges, so the bad answers no real key sends can be
made too: replays, a cloned key whose counter went back, broken payloads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from frontline.accounts.models import SecurityKey
from tests.conftest import PASSWORD, login
from tests.test_second_factor import set_up_app

ORIGIN = "http://testserver"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftKey:
    def __init__(self, rp_id: str = "testserver", origin: str = ORIGIN) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.count = 0
        self.rp_id = rp_id
        self.origin = origin

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict) -> dict:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        auth = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([0x41])  # user present, attested credential data
            + self.count.to_bytes(4, "big")
            + bytes(16)
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth})
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(self._client_data("webauthn.create", options["challenge"])),
                "attestationObject": b64(attestation),
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict) -> dict:
        self.count += 1
        auth = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([0x01])
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
            },
            "clientExtensionResults": {},
        }


def post_json(client, url: str, body=None, raw: bytes | None = None):
    data = raw if raw is not None else ("" if body is None else json.dumps(body))
    return client.post(url, data=data, content_type="application/json")


@pytest.fixture
def with_app(client, people):
    """Alice, signed in with her password and her authenticator app's code."""
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    device, _codes = set_up_app(client, people.alice)
    return device


def add_key(client, soft: SoftKey, name: str = "Blue key"):
    options = post_json(client, "/account/security-keys/new/options/")
    assert options.status_code == 200, options.content
    answer = soft.create(options.json())
    return post_json(client, "/account/security-keys/new/", {"name": name, "credential": answer})


def sign_in_with_password(client, username: str = "alice"):
    client.logout()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302


def sign_in_options(client) -> dict:
    response = post_json(client, "/account/security-keys/sign-in/options/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_key_is_added_and_then_stands_in_for_the_apps_code(client, people, with_app):
    soft = SoftKey()
    added = add_key(client, soft)
    assert added.status_code == 200 and added.json() == {"redirect": "/account/two-factor/"}
    page = client.get("/account/two-factor/").content.decode()
    assert "Security key “Blue key” added." in page and "Remove Blue key" in page
    key = SecurityKey.objects.get(user=people.alice)
    assert key.credential_id == b64(soft.credential_id) and key.confirmed

    sign_in_with_password(client)
    assert client.get("/desk/")["Location"].startswith("/account/two-factor/verify/")
    verify = client.get("/account/two-factor/verify/?next=/desk/").content.decode()
    assert "Use a security key" in verify and "security-keys.js" in verify
    options = sign_in_options(client)
    assert [c["id"] for c in options["allowCredentials"]] == [key.credential_id]
    done = post_json(client, "/account/security-keys/sign-in/?next=/desk/", soft.get(options))
    assert done.status_code == 200 and done.json() == {"redirect": "/desk/"}
    assert client.get("/desk/", follow=True).status_code == 200
    key.refresh_from_db()
    assert key.sign_count == 1 and key.last_used_at is not None


def test_a_replayed_answer_and_a_cloned_key_are_refused(client, people, with_app):
    soft = SoftKey()
    add_key(client, soft)
    sign_in_with_password(client)
    answer = soft.get(sign_in_options(client))
    assert post_json(client, "/account/security-keys/sign-in/", answer).status_code == 200

    sign_in_with_password(client)
    sign_in_options(client)  # a fresh challenge: the old answer signed another one
    replay = post_json(client, "/account/security-keys/sign-in/", answer)
    assert replay.status_code == 400 and "did not check out" in replay.json()["error"]
    # Without asking for a challenge at all: the used one is gone.
    again = post_json(client, "/account/security-keys/sign-in/", answer)
    assert again.status_code == 400 and "out of date" in again.json()["error"]

    soft.count = 0  # a copy of the key that starts counting again
    cloned = post_json(client, "/account/security-keys/sign-in/", soft.get(sign_in_options(client)))
    assert cloned.status_code == 400
    assert client.get("/desk/")["Location"].startswith("/account/two-factor/verify/")
    assert SecurityKey.objects.get(user=people.alice).sign_count == 1


def test_another_persons_key_or_another_sites_answer_is_refused(client, people, with_app):
    soft = SoftKey()
    add_key(client, soft)
    stranger = SoftKey()
    sign_in_with_password(client)
    wrong_key = post_json(
        client, "/account/security-keys/sign-in/", stranger.get(sign_in_options(client))
    )
    assert wrong_key.status_code == 400 and "not one of yours" in wrong_key.json()["error"]
    phishing = SoftKey()
    phishing.key, phishing.credential_id = soft.key, soft.credential_id
    phishing.origin = "http://evil.test"
    elsewhere = post_json(
        client, "/account/security-keys/sign-in/", phishing.get(sign_in_options(client))
    )
    assert elsewhere.status_code == 400
    assert client.get("/desk/")["Location"].startswith("/account/two-factor/verify/")


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": 5}',
        b'{"id": "AAAA"}',
        b'{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}',
        b'{"id": "AAAA", "rawId": "!!", "type": "public-key",'
        b' "response": {"clientDataJSON": "%%"}}',
        b"\xff\xfe",
        b"",
    ],
)
def test_broken_answers_are_a_clear_400(client, people, with_app, raw):
    post_json(client, "/account/security-keys/new/options/")
    added = post_json(client, "/account/security-keys/new/", raw=raw)
    assert added.status_code == 400 and added.json()["error"]
    if raw.startswith(b"{"):  # the same as the credential inside a well-formed body
        post_json(client, "/account/security-keys/new/options/")
        wrapped = b'{"name": "k", "credential": ' + raw + b"}"
        assert post_json(client, "/account/security-keys/new/", raw=wrapped).status_code == 400
    assert not SecurityKey.objects.exists()
    add_key(client, SoftKey())
    sign_in_with_password(client)
    sign_in_options(client)
    response = post_json(client, "/account/security-keys/sign-in/", raw=raw)
    assert response.status_code == 400 and response.json()["error"]
    assert client.get("/desk/")["Location"].startswith("/account/two-factor/verify/")


def test_a_registration_for_another_challenge_or_site_is_refused(client, people, with_app):
    soft = SoftKey()
    options = post_json(client, "/account/security-keys/new/options/").json()
    stale = soft.create(options)
    post_json(client, "/account/security-keys/new/options/")  # a newer challenge
    refused = post_json(client, "/account/security-keys/new/", {"credential": stale})
    assert refused.status_code == 400
    elsewhere = SoftKey(rp_id="evil.test")
    assert add_key(client, elsewhere).status_code == 400
    assert not SecurityKey.objects.exists()


def test_keys_are_added_only_on_top_of_a_verified_app(client, people):
    client.post("/login/", {"username": "carol", "password": PASSWORD})
    no_app = post_json(client, "/account/security-keys/new/options/")
    assert no_app.status_code == 403 and "authenticator app first" in no_app.json()["error"]
    assert post_json(client, "/account/security-keys/new/", {}).status_code == 403


def test_a_password_only_session_cannot_add_a_key(client, people, with_app):
    sign_in_with_password(client)
    response = post_json(client, "/account/security-keys/new/options/")
    assert response.status_code == 302  # to the code form, before anything else
    assert response["Location"].startswith("/account/two-factor/verify/")


def test_turning_the_second_factor_off_removes_the_keys(client, people, with_app):
    add_key(client, SoftKey())
    assert SecurityKey.objects.filter(user=people.alice).exists()
    client.post("/account/two-factor/off/")
    assert not SecurityKey.objects.filter(user=people.alice).exists()


def test_removing_a_key(client, people, with_app):
    add_key(client, SoftKey(), name="Old key")
    key = SecurityKey.objects.get(user=people.alice)
    other = client.__class__()
    other.post("/login/", {"username": "bob", "password": PASSWORD})
    assert other.post(f"/account/security-keys/{key.pk}/remove/").status_code in (302, 404)
    assert SecurityKey.objects.filter(pk=key.pk).exists()
    response = client.post(f"/account/security-keys/{key.pk}/remove/", follow=True)
    assert "Security key “Old key” removed." in response.content.decode()
    assert not SecurityKey.objects.filter(pk=key.pk).exists()


def test_an_administrator_removes_a_lost_key_in_the_admin(client, people, with_app):
    add_key(client, SoftKey(), name="Lost key")
    key = SecurityKey.objects.get(user=people.alice)
    admin = login(client.__class__(), people.ada)
    listing = admin.get("/admin/accounts/securitykey/").content.decode()
    assert "Lost key" in listing and key.credential_id not in listing
    assert admin.get("/admin/accounts/securitykey/add/").status_code == 403
    gone = admin.post(f"/admin/accounts/securitykey/{key.pk}/delete/", {"post": "yes"})
    assert gone.status_code == 302 and not SecurityKey.objects.filter(pk=key.pk).exists()
