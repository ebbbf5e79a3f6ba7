"""Signing in with a passkey alone in Chromium, with its virtual authenticator
(DevTools' WebAuthn domain) acting as a phone's or laptop's platform
authenticator: it keeps the credential (resident key) and verifies its user.
On a phone's width, with axe, and the sign-in page's words in Russian and Chinese."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from frontline.accounts.models import SecurityKey
from tests.browser.conftest import axe_violations
from tests.browser.test_desk_workspace import sign_in
from tests.test_second_factor import code_of

pytestmark = pytest.mark.browser


def test_an_agent_adds_a_passkey_and_signs_in_with_it_alone(browser, site, people):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        authenticator = devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )["authenticatorId"]
        sign_in(page, site, "alice")
        page.goto(f"{site}/account/two-factor/")
        app = TOTPDevice.objects.get(user=people.alice, confirmed=False)
        page.get_by_label("Code").fill(code_of(app))
        page.get_by_role("button", name="Turn on").click()
        page.goto(f"{site}/account/two-factor/")
        page.get_by_label("Name of the key").fill("Laptop")
        page.get_by_label("A passkey").check()
        page.get_by_role("button", name="Add a security key").click()
        expect(page.get_by_text("Security key “Laptop” added.")).to_be_visible()
        expect(page.locator("ul.security-keys")).to_contain_text("passkey")
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        key = SecurityKey.objects.get(user=people.alice)
        assert key.passkey
        stored = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        assert [c["isResidentCredential"] for c in stored["credentials"]] == [True]

        page.get_by_role("button", name="Sign out", exact=True).click()
        page.goto(f"{site}/login/?next=/desk/")
        button = page.get_by_role("button", name="Sign in with a passkey")
        expect(button).to_be_visible()
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        button.click()  # no name, no password, no code: the authenticator answers
        expect(page).to_have_url(f"{site}/desk/q/team/")
        expect(page.get_by_role("button", name="Sign out everywhere")).to_be_visible()
        key.refresh_from_db()
        assert key.sign_count >= 1 and key.last_used_at is not None
    finally:
        context.close()


@pytest.mark.parametrize(
    ("locale", "words"),
    [("ru-RU", "Войти с ключом доступа"), ("zh-CN", "使用通行密钥登录")],  # noqa: RUF001
)
def test_the_passkey_button_speaks_russian_and_chinese(browser, site, people, locale, words):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    try:
        page = context.new_page()
        page.goto(f"{site}/login/")
        expect(page.get_by_role("button", name=words)).to_be_visible()
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
