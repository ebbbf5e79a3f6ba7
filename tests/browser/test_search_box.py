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


def test_an_agent_saves_a_search_and_opens_it_from_the_sidebar_on_a_phone(
    new_page, site, people, ticket
):
    index_ticket(ticket.events.latest("id").pk)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/search/?q=invoice+status%3Aopen")
    page.get_by_label("Name").fill("Open invoices")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Search “Open invoices” saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open invoices")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the saved search's page is {width}px wide"
    page.goto(f"{site}/desk/q/team/")
    page.get_by_role("link", name="Open invoices").click()
    expect(page.locator("[data-hit=ticket] mark").first).to_have_text("Invoice")
    page.get_by_role("button", name="Unpin Open invoices").click()
    expect(page.get_by_text("“Open invoices” is no longer beside the queues.")).to_be_visible()


def test_a_customer_searches_their_requests_on_a_phone(new_page, site, people, ticket):
    index_ticket(ticket.events.latest("id").pk)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, ticket.requester.username)
    page.goto(f"{site}/portal/")
    box = page.get_by_role("searchbox", name="Search my requests")
    box.fill("invoice")
    box.press("Enter")
    expect(page.locator(".request.hit mark").first).to_have_text("Invoice")
    expect(page.get_by_text("1 request found.")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the portal's results page is {width}px wide"
    box = page.get_by_role("searchbox", name="Search my requests")
    box.fill(f"#{ticket.pk}")
    box.press("Enter")
    expect(page).to_have_url(f"{site}/portal/tickets/{ticket.pk}/")
