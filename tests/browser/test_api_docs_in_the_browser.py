"""The API's docs page runs in the browser under the CSP, from our own files."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_api_docs_render_under_the_csp_with_nothing_fetched_elsewhere(new_page, site):
    page = new_page()
    violations, elsewhere = [], []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith(site) or request.url.startswith("data:")
            else elsewhere.append(request.url)
        ),
    )
    page.goto(f"{site}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Frontline")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert elsewhere == []
    assert violations == []
