"""The desk's search box in a real browser: "/" focuses it, a number opens the ticket."""

import pytest
from playwright.sync_api import expect

from frontline.search.reactions import index_ticket
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser


def test_slash_focuses_the_search_box_and_results_fit_a_phone(new_page, site, people, ticket):
    index_ticket(ticket.events.latest("id").pk)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/q/team/")
    box = page.locator("#search-box")
    expect(box).not_to_be_focused()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the "/" itself is not typed
    page.keyboard.type("invoice")
    page.keyboard.press("Enter")
    expect(page.locator("[data-hit=ticket] mark").first).to_have_text("Invoice")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the results page is {width}px wide"
    box = page.locator("#search-box")
    page.keyboard.press("/")
    expect(box).to_be_focused()
    box.fill(f"#{ticket.pk}")
    box.press("Enter")
    expect(page).to_have_url(f"{site}/desk/tickets/{ticket.pk}/")
