"""Single sign-on with OpenID Connect (mozilla-django-oidc does the protocol).

On only when ``OIDC_ISSUER`` and ``OIDC_CLIENT_ID`` are set. What this module
adds to the library:

- the ID token is checked in full: signature, issuer, audience (and ``azp``),
  expiry and nonce; the user-info answer must be about the same subject;
- an account is found by a *verified* address only (``email_verified`` true),
  with the rules of :func:`account_for`;
- the role and teams follow the provider's groups when the deployment maps them
  (``OIDC_ROLE_GROUPS``, ``OIDC_TEAM_GROUPS``), each change kept in the admin's
  history of the account and of the team (:func:`_audit`);
- every refusal says why (:class:`Refused`), for the page the person sees.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.backends import BaseBackend
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .actions import split_name, users_with_address, verify_email
from .models import STAFF_ROLES, Role, Team, User

logger = logging.getLogger(__name__)

# The strongest role first: someone in several mapped groups gets the highest.
ROLE_ORDER = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)


class Refused(Exception):
    """Sign-on worked at the provider but does not let this person in here.
    ``reason`` is shown to them; the log gets the detail."""

    def __init__(self, reason: Any, detail: str = "") -> None:
        super().__init__(detail or str(reason))
        self.reason = reason


def is_on() -> bool:
    return bool(settings.OIDC_OP_ISSUER and settings.OIDC_RP_CLIENT_ID)


_discovered: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()


def endpoint(name: str) -> str:
    """The provider's endpoint ``name`` (``authorization_endpoint``, ...): the
    setting if given, else the issuer's discovery document, read once."""
    given = {
        "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
        "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
        "end_session_endpoint": settings.OIDC_OP_END_SESSION_ENDPOINT,
    }[name]
    if given:
        return str(given)
    document = _discovery()
    if name == "end_session_endpoint":  # optional: "" when the provider has none
        return str(document.get(name) or "")
    return str(document[name])  # a KeyError is the provider's trouble, as before


def _discovery() -> dict[str, Any]:
    import requests  # loaded by the first sign-on, not by every process (see SingleSignOnBackend)

    issuer = settings.OIDC_OP_ISSUER
    with _discovery_lock:
        if issuer not in _discovered:
            response = requests.get(
                f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
            )
            response.raise_for_status()
            document = response.json()
            if str(document.get("issuer", "")).rstrip("/") != issuer:
                raise Refused(
                    _("The sign-on service is not set up correctly here."),
                    f"discovery document names issuer {document.get('issuer')!r}",
                )
            _discovered[issuer] = document
    return _discovered[issuer]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def provider_logout_url(request: HttpRequest) -> str:
    """Where signing out sends the browser (``OIDC_OP_LOGOUT_URL_METHOD``, called
    before the session ends): for a session that signed on, the provider's
    end-session endpoint (RP-initiated logout) with the ID token as a hint and
    the sign-in page to come back to; otherwise, or when the provider has no such
    endpoint or cannot be reached, the sign-in page. The endpoint must be on an
    origin the pages' ``form-action`` allows (settings.py adds the provider's),
    or the browser would refuse the redirect from the sign-out form."""
    here = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    if not id_token or not is_on():
        return here
    import requests

    try:
        end_session = endpoint("end_session_endpoint")
    except (Refused, requests.RequestException, ValueError) as exc:
        logger.warning("single sign-on: no sign-out at the provider: %r", exc)
        return here
    if not end_session:
        return here
    allowed: Any = settings.SECURE_CSP.get("form-action") or []
    if origin_of(end_session) not in allowed:
        logger.warning(
            "single sign-on: the provider's end_session_endpoint %s is not on its issuer's "
            "origin; set OIDC_END_SESSION_ENDPOINT to it to sign out there too",
            end_session,
        )
        return here
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(here),
            "ui_locales": get_language() or settings.LANGUAGE_CODE,
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"


def parse_mapping(text: str) -> dict[str, set[str]]:
    """``"admin=a,b;agent=c"`` → ``{"admin": {"a", "b"}, "agent": {"c"}}``."""
    mapping: dict[str, set[str]] = {}
    for part in text.split(";"):
        key, _sep, groups = part.partition("=")
        if key.strip() and groups.strip():
            mapping[key.strip()] = {g.strip() for g in groups.split(",") if g.strip()}
    return mapping


def groups_of(claims: dict[str, Any]) -> set[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = [value]
    return {str(g) for g in value} if isinstance(value, list) else set()


def role_from_groups(groups: set[str]) -> Role | None:
    """The role the groups give, ``CUSTOMER`` if mapped roles exist and none
    matches, None when the deployment maps no roles (the account's own role holds)."""
    mapping = parse_mapping(settings.OIDC_ROLE_GROUPS)
    if not mapping:
        return None
    for role in ROLE_ORDER:
        if mapping.get(role.value, set()) & groups:
            return role
    return Role.CUSTOMER


def account_for(claims: dict[str, Any]) -> User:
    """The account that ``claims`` (an ID token's, with the user info) sign in to.

    - The address must be verified by the provider (``email_verified`` true).
    - Among the accounts with that address (compared as everywhere, by
      ``address_key``): a staff account, else one whose address was verified,
      else the only other one (a contact made from mail, or a portal sign-up
      never confirmed, which then loses its password: whoever chose it was not
      proved to own the address). Two candidates of the same rank: refused.
    - A deactivated account is refused; it is never reopened here.
    - No account: one is made if the groups give a staff role, or if
      customers may use sign-on (``OIDC_CUSTOMERS``).
    - Customers sign in this way only with ``OIDC_CUSTOMERS``.
    """
    email = str(claims.get("email") or "").strip()
    if not email:
        raise Refused(_("The sign-on service did not tell us your email address."))
    if claims.get("email_verified") is not True:
        raise Refused(
            _("The sign-on service has not verified your email address, so we cannot link it.")
        )
    role = role_from_groups(groups_of(claims))
    found = users_with_address(email)
    active = [u for u in found if u.is_active]
    if found and not active:
        raise Refused(_("Your account here is disabled. Please ask an administrator."))
    user = _pick(active)
    final_role = role or Role(user.role if user else Role.CUSTOMER)
    if final_role not in STAFF_ROLES and not settings.OIDC_CUSTOMERS:
        raise Refused(
            _("Single sign-on is for staff. Please sign in with your email and password."),
            f"{email}: no staff role (groups {sorted(groups_of(claims))})",
        )
    with transaction.atomic():
        made = user is None
        if user is None:
            user = _new_account(email, claims, final_role)
            old_role = ""
        else:
            old_role = _link(user, final_role)
        joined, left = _follow_teams(user, groups_of(claims))
        _audit(user, made=made, old_role=old_role, joined=joined, left=left)
    return verify_email(user)


def _pick(accounts: list[User]) -> User | None:
    if not accounts:
        return None
    for rank in (
        lambda u: u.is_staff_member,
        lambda u: u.email_verified_at is not None,
    ):
        ranked = [u for u in accounts if rank(u)]
        if len(ranked) > 1:
            raise Refused(
                _("Several accounts here have your address. Please ask an administrator."),
                f"accounts {[u.pk for u in ranked]} share an address",
            )
        if ranked:
            return ranked[0]
    # Unproved accounts only: the one someone signed up with, else the oldest contact.
    signed_up = [u for u in accounts if u.has_usable_password()]
    if len(signed_up) > 1:
        raise Refused(_("Several accounts here have your address. Please ask an administrator."))
    return signed_up[0] if signed_up else min(accounts, key=lambda u: u.pk)


def _new_account(email: str, claims: dict[str, Any], role: Role) -> User:
    name = str(claims.get("name") or "")
    first, last = split_name(name) if name else ("", "")
    user = User(
        username=_free_username(email),
        email=email,
        first_name=str(claims.get("given_name") or first)[:150],
        last_name=str(claims.get("family_name") or last)[:150],
        role=role,
    )
    user.set_unusable_password()
    user.save()
    logger.info("single sign-on made account %s (%s)", user.pk, role)
    return user


def _free_username(email: str) -> str:
    base = email[:140]
    if not User.objects.filter(username__iexact=base).exists():
        return base
    return f"{base}-{User.objects.count()}"


def _link(user: User, role: Role) -> str:
    """Link ``user`` to the provider's person with ``role``; the role they had if
    it changed, else ""."""
    changed = []
    old_role = ""
    if user.email_verified_at is None and user.has_usable_password():
        # Chosen by someone who never proved the address: not the provider's user.
        user.set_unusable_password()
        changed.append("password")
    if user.role != role:
        logger.info("single sign-on changed account %s from %s to %s", user.pk, user.role, role)
        old_role = str(user.role)
        user.role = role
        changed.append("role")
    if changed:
        user.save(update_fields=changed)
    return old_role


def _follow_teams(user: User, groups: set[str]) -> tuple[list[Team], list[Team]]:
    """Make ``user``'s membership of the mapped teams follow ``groups``: the
    teams joined and the teams left."""
    mapping = parse_mapping(settings.OIDC_TEAM_GROUPS)
    if not mapping:
        return [], []
    teams = {t.name: t for t in Team.objects.filter(name__in=mapping)}
    should = {t.pk for name, t in teams.items() if mapping[name] & groups and user.is_staff_member}
    now = set(user.teams.filter(pk__in=[t.pk for t in teams.values()]).values_list("pk", flat=True))
    if should - now:
        user.teams.add(*(should - now))
    if now - should:
        user.teams.remove(*(now - should))
    by_pk = {t.pk: t for t in teams.values()}
    return (
        sorted((by_pk[pk] for pk in should - now), key=lambda t: t.name),
        sorted((by_pk[pk] for pk in now - should), key=lambda t: t.name),
    )


def _audit(user: User, *, made: bool, old_role: str, joined: list[Team], left: list[Team]) -> None:
    """What the sign-in changed, in the admin's history (``LogEntry``), where an
    administrator's own edits of roles (on the person) and of members (on the
    team) are kept: one history per account and per team, whoever changed it.
    The entry's user is the person who signed in, the text says it was the
    provider's groups. Nothing is written when nothing changed."""
    said = []
    if made:
        said.append(f"account made with the role {user.role}")
    elif old_role:
        said.append(f"role {old_role} → {user.role}")
    if joined:
        said.append("joined " + ", ".join(t.name for t in joined))
    if left:
        said.append("left " + ", ".join(t.name for t in left))
    if not said:
        return
    why = "Single sign-on, from the provider's groups: "
    LogEntry.objects.log_actions(
        user.pk,
        [user],
        ADDITION if made else CHANGE,
        why + "; ".join(said) + ".",
        single_object=True,
    )
    for team, verb in [*((t, "joined") for t in joined), *((t, "left") for t in left)]:
        LogEntry.objects.log_actions(
            user.pk, [team], CHANGE, f"{why}{user.username} {verb}.", single_object=True
        )


class SingleSignOnBackend(BaseBackend):
    """Answers only the sign-on callback (a code and a state), and only when
    sign-on is on: mozilla-django-oidc's backend with the checks and rules above
    (:class:`frontline.accounts.oidc.ProviderBackend`). That one, with
    ``requests`` and PyJWT, is imported by the first callback, not by every
    process that serves pages: Django asks each backend at every sign-in with a
    password, and loads a session's backend at every request."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or not is_on() or "nonce" not in kwargs:
            return None  # a password sign-in, or sign-on is off
        from .oidc import ProviderBackend

        return ProviderBackend().authenticate(request, **kwargs)

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id).first()
