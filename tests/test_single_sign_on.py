"""Single sign-on (OpenID Connect) against a real provider on loopback.

The good path runs against oidc-provider-mock (authlib's server side, in a
thread): the sign-in page's button, the provider's authorisation form, the
code exchanged for a signed ID token, the user info, the account. The bad
paths that a well-behaved provider never sends (a forged signature, another
issuer or audience, an expired token) come from a small hostile provider on
loopback that signs whatever the test asks.
"""

from __future__ import annotations

import json
import re
import runpy
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import jwt
import oidc_provider_mock
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import SESSION_KEY

from frontline import settings as settings_module
from frontline.accounts.models import Role, User
from tests.conftest import PASSWORD, login, make_user

CLIENT_ID = "frontline-desk"


@pytest.fixture
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso(settings, provider):
    settings.OIDC_OP_ISSUER = provider
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    settings.OIDC_ROLE_GROUPS = "admin=it-admins;supervisor=support-leads;agent=support"
    settings.OIDC_TEAM_GROUPS = "First line=support-l1;Second line=support-l2"
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme ID"
    allow_forms_to(settings, provider)
    return provider


def allow_forms_to(settings, provider: str) -> None:
    """What settings.py does with OIDC_ISSUER at start (test_form_action_...)."""
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], provider],
    }


def at_provider(provider: str, sub: str, **claims) -> None:
    response = requests.put(
        f"{provider}/users/{quote(sub)}", json={"sub": sub, **claims}, timeout=10
    )
    assert response.status_code == 204


def sign_in_through(client, sub: str, *, next_url: str = ""):
    """Press the button, sign in as ``sub`` on the provider's form, come back."""
    start = client.get("/login/sso/" + (f"?next={quote(next_url)}" if next_url else ""))
    assert start.status_code == 302
    authorised = requests.post(
        start["Location"], data={"sub": sub}, allow_redirects=False, timeout=10
    )
    assert authorised.status_code == 302, authorised.text
    back = urlsplit(authorised.headers["Location"])
    assert back.path == "/login/sso/callback/"
    return client.get(f"{back.path}?{back.query}")


def signed_in_as(client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def test_sign_in_page_shows_the_button_only_when_sign_on_is_set_up(client, settings, provider, db):
    assert "Acme ID" not in client.get("/login/").content.decode()
    assert client.get("/login/sso/").status_code == 404
    assert client.get("/login/sso/callback/?code=x&state=y").status_code == 404
    settings.OIDC_OP_ISSUER = provider
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme ID"
    page = client.get("/login/?next=/desk/").content.decode()
    assert 'href="/login/sso/?next=/desk/"' in page and "Sign in with Acme ID" in page


def test_an_agent_signs_in_to_their_existing_account_by_verified_address(client, people, sso):
    at_provider(sso, "u-1", email="ALICE@example.com", email_verified=True, groups=["support"])
    start = client.get("/login/sso/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    assert "nonce" in query and "state" in query
    authorised = requests.post(
        start["Location"], data={"sub": "u-1"}, allow_redirects=False, timeout=10
    )
    back = urlsplit(authorised.headers["Location"])
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == people.alice
    assert client.get("/desk/", follow=True).status_code == 200
    # The same code again (a replay, or the back button) signs nobody in.
    client.logout()
    again = client.get(f"{back.path}?{back.query}")
    assert again.status_code == 400 and signed_in_as(client) is None
    assert "could not be checked" in again.content.decode()


def test_a_new_person_in_a_staff_group_gets_an_account_with_role_and_teams(client, people, sso):
    at_provider(
        sso,
        "u-2",
        email="Nina@Staff.test",
        email_verified=True,
        name="Nina Novak",
        groups=["support", "support-l2"],
    )
    response = sign_in_through(client, "u-2", next_url="/desk/")
    assert response.status_code == 302 and response["Location"] == "/desk/"
    nina = signed_in_as(client)
    assert nina.email == "Nina@Staff.test" and nina.role == Role.AGENT
    assert nina.get_full_name() == "Nina Novak" and not nina.has_usable_password()
    assert nina.email_verified_at is not None
    assert list(nina.teams.all()) == [people.second_line]
    # Moved to first line and made a lead at the provider: it follows at next sign-in.
    at_provider(
        sso,
        "u-2",
        email="Nina@Staff.test",
        email_verified=True,
        groups=["support-leads", "support-l1"],
    )
    client.logout()
    sign_in_through(client, "u-2")
    nina.refresh_from_db()
    assert nina.role == Role.SUPERVISOR and list(nina.teams.all()) == [people.first_line]


def test_what_sign_on_changes_is_in_the_admins_history_of_the_account_and_team(client, people, sso):
    """The role and teams the provider's groups give are audited where an
    admin's own edits are: the account's and the team's history in the admin."""
    at_provider(
        sso, "u-1", email="alice@example.com", email_verified=True, groups=["support", "support-l1"]
    )
    sign_in_through(client, "u-1")
    assert not LogEntry.objects.exists()  # alice is an agent in first line already: no change
    at_provider(
        sso,
        "u-1",
        email="alice@example.com",
        email_verified=True,
        groups=["support-leads", "support-l2"],
    )
    client.logout()
    sign_in_through(client, "u-1")
    people.alice.refresh_from_db()
    assert people.alice.role == Role.SUPERVISOR
    on_alice = LogEntry.objects.get(object_id=str(people.alice.pk), content_type__model="user")
    assert on_alice.user == people.alice and on_alice.action_flag == CHANGE
    assert on_alice.change_message == (
        "Single sign-on, from the provider's groups: role agent → supervisor; "
        "joined Second line; left First line."
    )
    on_teams = LogEntry.objects.filter(content_type__model="team").order_by("object_repr")
    assert [(e.object_repr, e.change_message) for e in on_teams] == [
        ("First line", "Single sign-on, from the provider's groups: alice left."),
        ("Second line", "Single sign-on, from the provider's groups: alice joined."),
    ]
    admin = login(client.__class__(), people.ada)
    history = admin.get(f"/admin/accounts/user/{people.alice.pk}/history/").content.decode()
    assert "role agent → supervisor" in history
    team = admin.get(f"/admin/accounts/team/{people.second_line.pk}/history/").content.decode()
    assert "alice joined" in team
    # Signing in again with the same groups changes nothing and writes nothing.
    client.logout()
    sign_in_through(client, "u-1")
    assert LogEntry.objects.count() == 3
    # Someone new: the account is made with its role, and that is recorded too.
    at_provider(sso, "u-9", email="newlead@example.com", email_verified=True, groups=["support"])
    client.logout()
    sign_in_through(client, "u-9")
    made = LogEntry.objects.get(action_flag=ADDITION)
    assert made.change_message == (
        "Single sign-on, from the provider's groups: account made with the role agent."
    )


def test_an_unverified_address_is_refused_with_a_reason(client, people, sso):
    at_provider(sso, "u-3", email="alice@example.com", email_verified=False, groups=["support"])
    response = sign_in_through(client, "u-3")
    assert response.status_code == 403 and signed_in_as(client) is None
    assert "has not verified your email address" in response.content.decode()
    at_provider(sso, "u-3", email="alice@example.com", groups=["support"])  # no claim at all
    assert sign_in_through(client, "u-3").status_code == 403


def test_a_disabled_account_stays_disabled(client, people, sso):
    people.bob.is_active = False
    people.bob.save()
    at_provider(sso, "u-4", email="bob@example.com", email_verified=True, groups=["support"])
    response = sign_in_through(client, "u-4")
    assert response.status_code == 403 and signed_in_as(client) is None
    assert "Your account here is disabled" in response.content.decode()
    people.bob.refresh_from_db()
    assert not people.bob.is_active


def test_customers_may_not_use_sign_on_unless_allowed(client, people, sso, settings):
    at_provider(sso, "u-5", email="carol@example.com", email_verified=True, groups=[])
    response = sign_in_through(client, "u-5")
    assert (
        response.status_code == 403 and "Single sign-on is for staff" in response.content.decode()
    )
    at_provider(sso, "u-6", email="newbie@example.org", email_verified=True)
    assert sign_in_through(client, "u-6").status_code == 403
    assert not User.objects.filter(email="newbie@example.org").exists()
    settings.OIDC_CUSTOMERS = True
    assert sign_in_through(client, "u-5").status_code == 302
    assert signed_in_as(client) == people.carol
    assert signed_in_as(client).role == Role.CUSTOMER


def test_an_unconfirmed_sign_up_with_the_address_loses_its_password(client, people, sso):
    """Someone signed up on the portal with the agent's future address and never
    confirmed it: the provider proves who owns the address, the squatter's
    password stops working."""
    squatter = make_user("squat", Role.CUSTOMER)
    squatter.email = "new.agent@example.com"
    squatter.save()
    at_provider(sso, "u-7", email="new.agent@example.com", email_verified=True, groups=["support"])
    assert sign_in_through(client, "u-7").status_code == 302
    squatter.refresh_from_db()
    assert signed_in_as(client) == squatter and squatter.role == Role.AGENT
    assert not squatter.has_usable_password() and squatter.email_verified_at is not None


def test_two_staff_accounts_with_one_address_are_refused(client, people, sso):
    people.bob.email = "ALICE@example.com"
    people.bob.save()
    at_provider(sso, "u-8", email="alice@example.com", email_verified=True, groups=["support"])
    response = sign_in_through(client, "u-8")
    assert response.status_code == 403 and "Several accounts" in response.content.decode()


def test_a_wrong_or_missing_state_is_a_clear_error(client, people, sso):
    at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=["support"])
    start = client.get("/login/sso/")
    authorised = requests.post(
        start["Location"], data={"sub": "u-1"}, allow_redirects=False, timeout=10
    )
    query = parse_qs(urlsplit(authorised.headers["Location"]).query)
    forged = client.get(f"/login/sso/callback/?code={query['code'][0]}&state=forged")
    assert forged.status_code == 400 and signed_in_as(client) is None
    # Another browser (no state in its session) coming back with a real code.
    other = client.__class__()
    stranger = other.get(f"/login/sso/callback/?code={query['code'][0]}&state={query['state'][0]}")
    assert stranger.status_code == 400 and "could not be checked" in stranger.content.decode()


def test_a_denial_at_the_provider_is_a_clear_page(client, people, sso):
    start = client.get("/login/sso/")
    denied = requests.post(
        start["Location"], data={"action": "deny"}, allow_redirects=False, timeout=10
    )
    back = urlsplit(denied.headers["Location"])
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 400 and signed_in_as(client) is None
    assert "did not sign you in" in response.content.decode()


def test_an_unreachable_provider_is_a_clear_page(client, settings, db):
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"  # nothing listens on discard
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    response = client.get("/login/sso/")
    assert response.status_code == 503 and "cannot be reached" in response.content.decode()


# A provider that signs what the test asks: the tokens no honest provider sends.


class Hostile:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.published = self.key  # the key its JWKS shows
        self.claims: dict = {}
        self.info: dict = {}
        self.url = ""
        self.end_session = ""  # its discovery document's end_session_endpoint, if any

    def token(self) -> str:
        return jwt.encode(self.claims, self.key, algorithm="RS256", headers={"kid": "k1"})

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.published.public_key()))
        return {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


@pytest.fixture
def hostile(settings) -> Iterator[Hostile]:
    state = Hostile()

    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                document = {
                    "issuer": state.url,
                    "authorization_endpoint": f"{state.url}/authorize",
                    "token_endpoint": f"{state.url}/token",
                    "userinfo_endpoint": f"{state.url}/userinfo",
                    "jwks_uri": f"{state.url}/jwks",
                }
                if state.end_session:
                    document["end_session_endpoint"] = state.end_session
                self._json(document)
            elif self.path == "/jwks":
                self._json(state.jwks())
            else:
                self._json(state.info)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._json({"access_token": "at", "token_type": "Bearer", "id_token": state.token()})

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OIDC_OP_ISSUER = state.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_ROLE_GROUPS = "agent=support"
    allow_forms_to(settings, state.url)
    yield state
    server.shutdown()
    server.server_close()


def come_back_with(client, hostile: Hostile, **changes):
    start = client.get("/login/sso/")
    query = parse_qs(urlsplit(start["Location"]).query)
    now = int(time.time())
    hostile.claims = {
        "iss": hostile.url,
        "aud": CLIENT_ID,
        "sub": "h-1",
        "iat": now,
        "exp": now + 300,
        "nonce": query["nonce"][0],
        **changes,
    }
    hostile.claims = {k: v for k, v in hostile.claims.items() if v is not None}
    hostile.info = {
        "sub": "h-1",
        "email": "alice@example.com",
        "email_verified": True,
        "groups": ["support"],
    }
    return client.get(f"/login/sso/callback/?code=c&state={query['state'][0]}")


def test_the_hostile_providers_honest_token_works_so_the_refusals_below_mean_something(
    client, people, hostile
):
    assert come_back_with(client, hostile).status_code == 302
    assert signed_in_as(client) == people.alice


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://elsewhere.test"},
        {"aud": "someone-else"},
        {"aud": [CLIENT_ID, "other"], "azp": "other"},
        {"exp": int(time.time()) - 3600},
        {"nonce": "replayed"},
        {"exp": None},
    ],
    ids=["issuer", "audience", "azp", "expired", "nonce", "no-expiry"],
)
def test_a_token_that_does_not_check_out_signs_nobody_in(client, people, hostile, changes):
    response = come_back_with(client, hostile, **changes)
    assert response.status_code == 400 and signed_in_as(client) is None
    assert "could not be checked" in response.content.decode()


def test_a_token_signed_with_another_key_signs_nobody_in(client, people, hostile):
    hostile.published = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = come_back_with(client, hostile)
    assert response.status_code == 400 and signed_in_as(client) is None


def test_user_info_about_someone_else_is_refused(client, people, hostile):
    response = come_back_with(client, hostile, sub="h-2")
    assert response.status_code == 403 and signed_in_as(client) is None
    assert "about someone else" in response.content.decode()


# Signing out (RP-initiated logout).


def test_signing_out_signs_out_at_the_provider_too(client, people, sso):
    at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=["support"])
    sign_in_through(client, "u-1")
    assert client.get("/logout/").status_code == 405  # a link or an image cannot sign anyone out
    out = client.post("/logout/")
    assert out.status_code == 302 and signed_in_as(client) is None
    to = urlsplit(out["Location"])
    assert f"{to.scheme}://{to.netloc}" == sso and to.path == "/oauth2/end_session"
    query = parse_qs(to.query)
    assert query["client_id"] == [CLIENT_ID] and query["ui_locales"] == ["en"]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    # The hint is the ID token this provider signed for this desk, about this person.
    hint = query["id_token_hint"][0]
    key = jwt.PyJWKClient(f"{sso}/jwks").get_signing_key_from_jwt(hint).key
    claims = jwt.decode(
        hint, key, algorithms=["RS256"], audience=CLIENT_ID, options={"verify_exp": False}
    )
    assert claims["sub"] == "u-1" and claims["iss"] == sso
    # The provider's page takes it (it notes when the hint is missing) and sends us back.
    page = requests.get(out["Location"], timeout=10)
    assert page.status_code == 200 and "id_token_hint</code> not set" not in page.text
    back_to = re.search(r'name="redirect_uri" value="([^"]+)"', page.text)[1]
    back = requests.post(
        f"{sso}/oauth2/end_session/confirm",
        data={"redirect_uri": back_to},
        allow_redirects=False,
        timeout=10,
    )
    assert back.headers["Location"] == "http://testserver/login/"
    assert client.get("/login/").status_code == 200 and signed_in_as(client) is None


def test_signing_out_everywhere_after_sign_on_also_goes_to_the_provider(client, people, sso):
    at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=["support"])
    sign_in_through(client, "u-1")
    out = client.post("/logout/everywhere/")
    assert out["Location"].startswith(f"{sso}/oauth2/end_session?id_token_hint=")
    assert signed_in_as(client) is None
    assert "You are signed out on every device." in client.get("/login/").content.decode()


def test_a_password_session_signs_out_here_only(client, people, sso):
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    out = client.post("/logout/")
    assert out.status_code == 302 and out["Location"] == "/login/"
    assert signed_in_as(client) is None


def test_without_an_end_session_endpoint_signing_out_stays_here(client, people, hostile):
    assert come_back_with(client, hostile).status_code == 302
    out = client.post("/logout/")
    assert out["Location"] == "/login/" and signed_in_as(client) is None


def test_an_end_session_endpoint_elsewhere_is_not_followed(client, people, hostile, caplog):
    """The browser would refuse the redirect (form-action), so it is not made."""
    hostile.end_session = "https://elsewhere.test/logout"
    assert come_back_with(client, hostile).status_code == 302
    out = client.post("/logout/")
    assert out["Location"] == "/login/" and signed_in_as(client) is None
    assert "set OIDC_END_SESSION_ENDPOINT" in caplog.text


def test_a_provider_gone_at_sign_out_still_signs_out_here(client, people, hostile, settings):
    hostile.end_session = f"{hostile.url}/logout"
    assert come_back_with(client, hostile).status_code == 302
    settings.OIDC_OP_ISSUER = "http://127.0.0.1:9"  # not discovered yet, and nothing listens
    out = client.post("/logout/")
    assert out["Location"] == "/login/" and signed_in_as(client) is None


def test_form_action_allows_the_provider_when_sign_on_is_set(monkeypatch):
    """settings.py lets the sign-out form's redirect reach the provider's origin."""
    monkeypatch.setenv("OIDC_ISSUER", "https://id.example.com/realms/staff/")
    monkeypatch.setenv("OIDC_END_SESSION_ENDPOINT", "https://logout.example.com:8443/end")
    values = runpy.run_path(str(Path(settings_module.__file__)))
    assert values["SECURE_CSP"]["form-action"] == [
        "'self'",
        "https://id.example.com",
        "https://logout.example.com:8443",
    ]
    monkeypatch.delenv("OIDC_ISSUER")
    monkeypatch.delenv("OIDC_END_SESSION_ENDPOINT")
    assert runpy.run_path(str(Path(settings_module.__file__)))["SECURE_CSP"]["form-action"] == [
        "'self'"
    ]
