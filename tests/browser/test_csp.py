"""The pages work under the Content-Security-Policy: nothing is refused, htmx runs."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser


def test_the_desk_and_portal_run_under_the_csp_without_a_violation(new_page, site, people, ticket):
    page = new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, site, "alice")
    pings = []
    page.on(
        "request",
        lambda request: (
            pings.append(request.post_data or "") if request.url.endswith("/presence/") else None
        ),
    )
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    # The presence ping (htmx, every 5 s) says whether the agent is typing,
    # without hx-vals="js:..." (which would need 'unsafe-eval').
    # Typing for 6 s spans at least one ping.
    page.locator("#id_body").press_sequentially("Looking into it, one moment", delay=250)
    assert any("typing=1" in data for data in pings), pings

    # The language menu changes the language on its own (no onchange= attribute).
    page.select_option("#language", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    customer = new_page()
    customer.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(customer, site, "carol")
    customer.goto(f"{site}/portal/tickets/{ticket.pk}/")
    expect(customer.locator("h1")).to_contain_text(ticket.subject)
    assert violations == []
