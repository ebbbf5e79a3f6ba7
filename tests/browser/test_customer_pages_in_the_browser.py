"""An agent on a phone-sized screen corrects a contact's details from the
contact page: the form arrives when its section opens, the change is saved
with a visible confirmation and shows in the contact's audit log."""

import pytest
from playwright.sync_api import expect

from frontline.tickets import actions
from tests.browser.conftest import axe_violations
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser


def test_an_agent_edits_a_contact_through_the_form_fetched_when_opened(new_page, site, people):
    actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Invoice twice",
        body="Please check.",
        category=people.billing,
    )
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/contacts/{people.carol.pk}/")
    expect(page.get_by_role("link", name="Invoice twice")).to_be_visible()
    expect(page.get_by_label("Phone")).to_have_count(0)  # not on the page until opened
    page.get_by_text("Edit the details").click()
    phone = page.get_by_label("Phone")
    expect(phone).to_be_visible()
    phone.fill("+44 20 7946 0000")
    page.get_by_role("button", name="Save the details").click()
    expect(page.get_by_text("The contact's details are saved.")).to_be_visible()
    expect(page.get_by_text("phone: — → +44 20 7946 0000")).to_be_visible()
    people.carol.refresh_from_db()
    assert people.carol.phone == "+44 20 7946 0000"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the contact page is {width}px wide on a 390px screen"
    page.get_by_text("Merge with another contact").click()
    expect(
        page.get_by_label("Merge this contact into (email address or contact number)")
    ).to_be_visible()
    assert axe_violations(page) == []
