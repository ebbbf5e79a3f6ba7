"""Security keys in Chromium, with its virtual authenticator (DevTools'
WebAuthn domain): an agent adds a key on a phone's width, signs out, and
after the password touches the key instead of typing the app's code."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from frontline.accounts.models import SecurityKey
from tests.browser.conftest import axe_violations
from tests.browser.test_desk_workspace import sign_in
from tests.test_second_factor import code_of

pytestmark = pytest.mark.browser


def test_an_agent_adds_a_key_and_signs_in_with_it(browser, site, people):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": False,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        sign_in(page, site, "alice")
        page.goto(f"{site}/account/two-factor/")
        expect(page.get_by_label("Code")).to_be_visible()
        app = TOTPDevice.objects.get(user=people.alice, confirmed=False)
        page.get_by_label("Code").fill(code_of(app))
        page.get_by_role("button", name="Turn on").click()
        page.goto(f"{site}/account/two-factor/")
        assert axe_violations(page) == []
        page.get_by_label("Name of the key").fill("Blue key")
        page.get_by_role("button", name="Add a security key").click()
        expect(page.get_by_text("Security key “Blue key” added.")).to_be_visible()
        expect(page.get_by_role("button", name="Remove Blue key")).to_be_visible()
        assert SecurityKey.objects.filter(user=people.alice, name="Blue key").exists()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_role("button", name="Sign out", exact=True).click()
        sign_in(page, site, "alice")
        expect(page.get_by_role("button", name="Use a security key")).to_be_visible()
        assert axe_violations(page) == []
        page.get_by_role("button", name="Use a security key").click()
        expect(page).to_have_url(f"{site}/desk/q/team/")
        assert SecurityKey.objects.get(user=people.alice).sign_count >= 1
    finally:
        context.close()
