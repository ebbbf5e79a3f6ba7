"""Single sign-on in a real browser on a phone's width: the button, the
provider's form (a real OpenID provider on loopback), back signed in to the
desk; and the page that says why not, which passes axe."""

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.test_single_sign_on import (  # noqa: F401
    CLIENT_ID,
    allow_forms_to,
    at_provider,
    provider,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def sso(settings, provider):  # noqa: F811
    settings.OIDC_OP_ISSUER = provider
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    settings.OIDC_ROLE_GROUPS = "agent=support"
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme ID"
    allow_forms_to(settings, provider)
    return provider


def test_an_agent_signs_in_through_the_provider_on_a_phone(browser, site, people, sso):
    at_provider(sso, "u-1", email="alice@example.com", email_verified=True, groups=["support"])
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{site}/login/")
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("link", name="Sign in with Acme ID").click()
        page.get_by_label("Subject").fill("u-1")
        page.get_by_role("button", name="Authorize", exact=True).click()
        expect(page).to_have_url(f"{site}/desk/q/team/")
        expect(page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
        assert axe_violations(page) == []
        # Signing out goes on to the provider (the page's CSP lets the form's
        # redirect through) and comes back to the sign-in page.
        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page.get_by_role("heading", name="End Session")).to_be_visible()
        assert page.url.startswith(f"{sso}/oauth2/end_session?id_token_hint=")
        page.get_by_role("button", name="End session").click()
        expect(page).to_have_url(f"{site}/login/")
        expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        page.goto(f"{site}/desk/")
        expect(page).to_have_url(f"{site}/login/?next=/desk/")
    finally:
        context.close()


def test_a_refusal_is_a_page_that_says_why(browser, site, people, sso):
    at_provider(sso, "u-3", email="alice@example.com", email_verified=False)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    try:
        page = context.new_page()
        page.goto(f"{site}/login/")
        page.locator("p.sso a").click()
        page.get_by_label("Subject").fill("u-3")
        page.get_by_role("button", name="Authorize", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("не подтвердил ваш адрес")
        expect(page.get_by_role("link", name="Вернуться ко входу")).to_be_visible()
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    assert requests.get(f"{site}/login/sso/callback/?code=x&state=y", timeout=10).status_code == 400
