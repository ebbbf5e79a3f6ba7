"""An agent on a phone-sized screen links and merges two reports of one problem,
then opens the customer's page."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from frontline.accounts.actions import add_customer_note
from frontline.tickets import actions
from frontline.tickets.models import Ticket
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser

# Set to a folder to keep screenshots of each step (to look at the layout).
SHOTS = os.environ.get("FRONTLINE_SCREENSHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_an_agent_merges_two_reports_and_sees_the_customer(new_page, site, people):
    first = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject="Invoices page is down",
        body="It shows an error.",
        category=people.billing,
    )
    second = actions.open_ticket(
        requester=people.erin,
        by=people.erin,
        subject="Cannot open invoices",
        body="Blank page.",
        category=people.billing,
    )
    add_customer_note(people.carol, body="Prefers phone calls.", by=people.sam)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{first.pk}/")
    page.click("text=Link or merge")
    page.fill("#id_number", str(second.pk))  # the link form's number
    page.select_option("#id_kind", "related")
    page.click("button:has-text('Link')")
    expect(page.get_by_text(f"Linked to #{second.pk}.")).to_be_visible()
    shot(page, "1-linked")
    page.click("text=Link or merge")
    page.locator("form[action$='/merge/'] input[name=number]").fill(str(second.pk))
    page.click("button:has-text('Merge')")
    expect(page.get_by_text(f"#{first.pk} is merged into #{second.pk}.")).to_be_visible()
    expect(page.get_by_text("It shows an error.")).to_be_visible()
    shot(page, "2-merged")
    assert Ticket.objects.get(pk=first.pk).merged_into_id == second.pk
    page.goto(f"{site}/desk/contacts/{people.carol.pk}/")
    expect(page.get_by_text("Prefers phone calls.")).to_be_visible()
    expect(page.get_by_role("link", name="Acme")).to_be_visible()
    shot(page, "3-contact")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the contact page is {width}px wide on a 390px screen"
