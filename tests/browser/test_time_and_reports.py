"""The ticket page's timer survives a reload and fills the time form; the
reports page draws its charts from its tables, without errors, at 390 px too."""

import pytest
from playwright.sync_api import expect

from frontline.reports.models import TimeEntry
from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser


def test_timer_survives_a_reload_and_logs_the_time(new_page, site, people, ticket):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    page.click("[data-timer-start]")
    # Pretend the timer was started 25 minutes ago (the clock is kept in localStorage).
    page.evaluate(
        f"localStorage.setItem('frontline-timer-{ticket.pk}',"
        " JSON.stringify({startedAt: Date.now() - 25 * 60000, banked: 0}))"
    )
    page.reload()
    expect(page.locator("[data-timer-clock]")).to_contain_text("0:25:")
    expect(page.locator("[data-timer-stop]")).to_be_visible()
    page.click("[data-timer-stop]")
    page.click("[data-timer-use]")
    expect(page.locator("#time input[name=minutes]")).to_have_value("25")
    page.click("#time button:has-text('Log time')")
    expect(page.locator(".flash")).to_contain_text("25 minutes logged.")
    expect(page.locator("[data-timer-clock]")).to_have_text("0:00:00")
    assert TimeEntry.objects.get().minutes == 25
    assert errors == []


def test_reports_page_draws_its_charts(new_page, site, people, ticket):
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "sam")
    page.goto(f"{site}/desk/reports/")
    charts = page.locator("canvas[data-chart]")
    expect(charts).to_have_count(2)
    expect(charts.first).to_be_visible()
    assert page.evaluate("Object.keys(Chart.instances).length") == 2
    # The numbers are still there, one click away.
    expect(page.locator("#daily")).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    assert errors == []
    # The daily chart has the backlog as its third series.
    assert page.evaluate("Chart.instances[0].data.datasets.length") == 3


def test_agents_page_on_a_phone(new_page, site, people, ticket):
    actions.add_reply(ticket, body="On it", by=people.alice)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "alice")
    page.get_by_role("link", name="My figures").click()
    expect(page.get_by_role("heading", name="My figures")).to_be_visible()
    expect(page.locator("#open-load")).to_contain_text("1 open ticket assigned")
    page.get_by_role("textbox", name="From").fill("2000-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("at most 366 days")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_estimate_approved_on_the_portal_then_worked_and_billed(new_page, site, people, ticket):
    from decimal import Decimal

    from frontline.reports.models import Contract

    Contract.objects.create(organisation=people.acme, name="Support", hourly_rate=Decimal(90))
    agent = new_page()
    sign_in(agent, site, "alice")
    agent.goto(f"{site}/desk/tickets/{ticket.pk}/")
    agent.click("text=Send an estimate for approval")
    agent.fill("#estimates input[name=hours]", "2")
    agent.fill("#estimates textarea[name=description]", "Refund the double charge and audit March")
    agent.click("#estimates button:has-text('Send the estimate')")
    expect(agent.locator(".flash")).to_contain_text("Estimate sent to the customer")

    customer = new_page()
    sign_in(customer, site, "carol")
    customer.goto(f"{site}/portal/tickets/{ticket.pk}/")
    expect(customer.locator("[data-estimates]")).to_contain_text("180.00")
    customer.click("button:has-text('Approve the estimate')")
    expect(customer.locator(".flash")).to_contain_text("the estimate is approved")

    agent.reload()
    agent.fill("#time input[name=minutes]", "45")
    agent.select_option("#time select[name=estimate]", index=1)
    agent.click("#time button:has-text('Log time')")
    expect(agent.locator(".flash")).to_contain_text("45 minutes logged.")

    customer.reload()
    expect(customer.locator("[data-billed-cost]")).to_have_text("67.50")
    expect(customer.locator("[data-estimates]")).to_contain_text("45 of 120 minutes used")


def test_time_is_logged_with_a_reply_on_a_phone(new_page, site, people, ticket):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    page.get_by_role("textbox", name="Message").fill("The invoice is corrected.")
    page.get_by_label("Time spent, minutes").fill("15")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".flash").first).to_be_visible()
    flashes = page.locator(".flash").all_inner_texts()
    assert any("Reply sent to the customer." in f for f in flashes)
    assert any("15 minutes logged." in f for f in flashes)
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.agent) == (15, people.alice)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    assert errors == []
