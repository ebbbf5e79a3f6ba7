"""System checks for the single sign-on settings (``frontline check``, and at
the start of ``frontline serve`` and ``migrate``).

Sign-on is on only when the issuer and the client id are set, so a deployment
that set some of its settings and forgot others would otherwise start with it
silently off (or with every role mapping ignored). These checks refuse that
with the environment variable to fix, not the Django setting's name.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

# Django setting -> the environment variable an operator sets (settings.py).
ENVIRONMENT = {
    "OIDC_OP_ISSUER": "OIDC_ISSUER",
    "OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "OIDC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "OIDC_JWKS_ENDPOINT",
    "OIDC_OP_END_SESSION_ENDPOINT": "OIDC_END_SESSION_ENDPOINT",
    "OIDC_ROLE_GROUPS": "OIDC_ROLE_GROUPS",
    "OIDC_TEAM_GROUPS": "OIDC_TEAM_GROUPS",
    "OIDC_CUSTOMERS": "OIDC_CUSTOMERS",
    "OIDC_BUTTON_LABEL": "OIDC_BUTTON_LABEL",
}
# Without all three, sign-on cannot work: the provider issues the id and secret together.
NEEDED = ("OIDC_OP_ISSUER", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET")
# Meaningful only with sign-on on (their defaults are empty or off).
ONLY_WITH_SIGN_ON = tuple(name for name in ENVIRONMENT if name not in NEEDED)
ENDPOINTS = (
    "OIDC_OP_ISSUER",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_OP_END_SESSION_ENDPOINT",
)
MAPPED_ROLES = ("admin", "supervisor", "agent")
SIGN_ALGORITHMS = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256",
}  # fmt: skip
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def _env(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(ENVIRONMENT[n] for n in names)


def _is_set(name: str) -> bool:
    return bool(getattr(settings, name, ""))


def _mapping_problems(name: str, *, keys: tuple[str, ...] | None) -> list[str]:
    """The parts of a ``key=group,group;...`` setting that would be ignored."""
    problems = []
    for part in str(getattr(settings, name, "")).split(";"):
        if not part.strip():
            continue
        key, sep, groups = part.partition("=")
        well_formed = sep and key.strip() and any(g.strip() for g in groups.split(","))
        if not well_formed or (keys is not None and key.strip() not in keys):
            problems.append(part.strip())
    return problems


@register(Tags.security)
def check_single_sign_on(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    given = [n for n in NEEDED if _is_set(n)]
    missing = [n for n in NEEDED if not _is_set(n)]
    if given and missing:
        found.append(
            Error(
                f"Single sign-on is half set up: {_env(given)} "
                f"{'is' if len(given) == 1 else 'are'} set but {_env(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not, so nobody could sign on.",
                hint=(
                    "Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together "
                    "(the provider gives the client id and secret), or none of them "
                    "to leave single sign-on off."
                ),
                id="frontline.E101",
            )
        )
    elif not given:
        stray = [n for n in ONLY_WITH_SIGN_ON if _is_set(n)]
        if stray:
            found.append(
                Error(
                    f"{_env(stray)} {'is' if len(stray) == 1 else 'are'} set, but single "
                    "sign-on is off (OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET "
                    "are not set), so it would be ignored.",
                    hint="Set the provider's issuer, client id and secret, or remove these.",
                    id="frontline.E102",
                )
            )
        if settings.FRONTLINE["STAFF_SIGN_ON_ONLY"]:
            found.append(
                Error(
                    "STAFF_SIGN_ON_ONLY is set, but single sign-on is off (OIDC_ISSUER, "
                    "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are not set), so staff would "
                    "still sign in with their passwords.",
                    hint="Set up single sign-on, or remove STAFF_SIGN_ON_ONLY.",
                    id="frontline.E108",
                )
            )
        return found  # off: nothing else to check
    for name in ENDPOINTS:
        value = str(getattr(settings, name, ""))
        if not value:
            continue
        url = urlsplit(value)
        if url.scheme not in ("https", "http") or not url.hostname:
            found.append(
                Error(
                    f"{ENVIRONMENT[name]} is not an address: {value!r}.",
                    hint="Give the full address, such as https://login.example.com/realms/staff.",
                    id="frontline.E103",
                )
            )
        elif url.scheme == "http" and url.hostname not in LOOPBACK:
            found.append(
                Warning(
                    f"{ENVIRONMENT[name]} uses plain http ({value}): tokens and the "
                    "client secret would cross the network unencrypted.",
                    hint="Use the provider's https address.",
                    id="frontline.W101",
                )
            )
    bad_roles = _mapping_problems("OIDC_ROLE_GROUPS", keys=MAPPED_ROLES)
    if bad_roles:
        found.append(
            Error(
                f"OIDC_ROLE_GROUPS has parts that would be ignored: {'; '.join(bad_roles)}.",
                hint=(
                    "Write role=group,group;... with the roles admin, supervisor and "
                    "agent, e.g. admin=it-admins;agent=support. A person in none of the "
                    "groups signs in as a customer."
                ),
                id="frontline.E104",
            )
        )
    bad_teams = _mapping_problems("OIDC_TEAM_GROUPS", keys=None)
    if bad_teams:
        found.append(
            Error(
                f"OIDC_TEAM_GROUPS has parts that would be ignored: {'; '.join(bad_teams)}.",
                hint="Write Team name=group,group;..., e.g. First line=support-l1.",
                id="frontline.E105",
            )
        )
    if "openid" not in str(settings.OIDC_RP_SCOPES).split():
        found.append(
            Error(
                f"OIDC_SCOPES ({settings.OIDC_RP_SCOPES!r}) lacks openid: the provider "
                "would send no ID token.",
                hint="Start it with: openid email profile",
                id="frontline.E106",
            )
        )
    if settings.OIDC_RP_SIGN_ALGO not in SIGN_ALGORITHMS:
        found.append(
            Error(
                f"OIDC_SIGN_ALGO {settings.OIDC_RP_SIGN_ALGO!r} is not a signature "
                "algorithm Frontline accepts.",
                hint=f"Use the provider's, one of {', '.join(sorted(SIGN_ALGORITHMS))}.",
                id="frontline.E107",
            )
        )
    return found
