"""The system check that refuses a half-set single sign-on: ``frontline check``
(and so ``serve`` and ``migrate``) stops with the environment variable to fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

ROOT = Path(__file__).resolve().parent.parent


def check_output() -> str:
    """What ``frontline check --tag security`` says, or "" when it passes."""
    try:
        call_command("check", tags=["security"], fail_level="WARNING")
    except SystemCheckError as exc:
        return str(exc)
    return ""


@pytest.fixture
def whole(settings):
    settings.OIDC_OP_ISSUER = "https://id.example.com/realms/staff"
    settings.OIDC_RP_CLIENT_ID = "frontline"
    settings.OIDC_RP_CLIENT_SECRET = "s3cret"
    return settings


def test_sign_on_off_and_sign_on_fully_set_both_pass(settings, whole):
    whole.OIDC_ROLE_GROUPS = "admin=it;supervisor=leads;agent=support,helpdesk"
    whole.OIDC_TEAM_GROUPS = "First line=l1;Second line=l2"
    assert check_output() == ""
    settings.OIDC_OP_ISSUER = settings.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_SECRET = ""
    settings.OIDC_ROLE_GROUPS = settings.OIDC_TEAM_GROUPS = ""
    assert check_output() == ""


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (["OIDC_RP_CLIENT_ID"], "OIDC_CLIENT_ID is not"),
        (["OIDC_RP_CLIENT_SECRET"], "OIDC_CLIENT_SECRET is not"),
        (["OIDC_OP_ISSUER"], "OIDC_ISSUER is not"),
        (["OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET"], "OIDC_CLIENT_ID, OIDC_CLIENT_SECRET are"),
    ],
)
def test_a_half_set_provider_is_refused_naming_what_is_missing(whole, unset, named):
    for name in unset:
        setattr(whole, name, "")
    said = check_output()
    assert "frontline.E101" in said and "half set up" in said and named in said
    assert "Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together" in said


def test_mappings_or_endpoints_without_a_provider_are_refused(settings):
    settings.OIDC_ROLE_GROUPS = "agent=support"
    settings.OIDC_OP_END_SESSION_ENDPOINT = "https://id.example.com/logout"
    said = check_output()
    assert "frontline.E102" in said
    assert "OIDC_END_SESSION_ENDPOINT, OIDC_ROLE_GROUPS are set, but single sign-on is off" in said


def test_a_role_mapping_that_would_be_ignored_is_refused(whole):
    # "admins" is no role: everyone in it-admins would sign in as a customer.
    whole.OIDC_ROLE_GROUPS = "admins=it-admins;agent=support;supervisor"
    said = check_output()
    assert "frontline.E104" in said and "admins=it-admins; supervisor" in said
    whole.OIDC_ROLE_GROUPS = "agent=support"
    whole.OIDC_TEAM_GROUPS = "First line=l1;Second line"
    assert "frontline.E105" in check_output()


def test_addresses_scopes_and_algorithm_are_checked(whole):
    whole.OIDC_OP_ISSUER = "id.example.com"
    whole.OIDC_RP_SCOPES = "email profile"
    whole.OIDC_RP_SIGN_ALGO = "none"
    said = check_output()
    assert "frontline.E103" in said and "OIDC_ISSUER is not an address" in said
    assert "frontline.E106" in said and "frontline.E107" in said
    whole.OIDC_OP_ISSUER = "http://id.example.com"
    whole.OIDC_RP_SCOPES = "openid email"
    whole.OIDC_RP_SIGN_ALGO = "ES256"
    said = check_output()
    assert "frontline.W101" in said and "plain http" in said and "E10" not in said
    whole.OIDC_OP_ISSUER = "http://localhost:8080"  # a provider on this machine
    assert check_output() == ""


def test_frontline_check_refuses_it_from_the_environment():
    """The operator's view: environment variables in, the command's answer out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    env |= {"OIDC_ISSUER": "https://id.example.com", "OIDC_CLIENT_ID": "frontline"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "frontline"), "check", "--tag", "security"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "half set up: OIDC_ISSUER, OIDC_CLIENT_ID are set but OIDC_CLIENT_SECRET" in done.stderr
