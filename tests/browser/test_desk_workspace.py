"""The desk as agents use it, in a real browser: a phone-sized screen in English
and Russian, the side panel, confirmations, and @mention suggestions."""

import pytest
from playwright.sync_api import expect

from frontline.tickets import actions
from frontline.tickets.models import Priority, Status
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def open_page(browser, site):
    """A page in a fresh context with the given viewport and language."""
    contexts = []

    def make(width=1280, height=900, locale="en-GB"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, site, username):
    page.goto(f"{site}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def busy_queue(people):
    """A few tickets with long words, a wait for the customer and an assignee."""
    tickets = [
        actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject=f"Счёт-фактура {i} выставлен дважды, требуется возврат средств",
            body="Мы оплатили счёт дважды.",
            category=people.billing,
        )
        for i in range(4)
    ]
    actions.assign_ticket(tickets[0], by=people.alice, assignee=people.alice)
    actions.request_information(tickets[1], body="Какой счёт?", by=people.alice)
    actions.change_priority(tickets[2], priority=Priority.URGENT, by=people.alice)
    return tickets


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("locale", ["en-GB", "ru-RU"])
def test_the_desk_fits_a_phone(open_page, site, people, locale):
    tickets = busy_queue(people)
    page = open_page(390, 844, locale)
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/q/team/")
    expect(page.locator("tr[data-row]")).to_have_count(4)
    assert scroll_width(page) <= 390
    # Priority, assignee and due stay visible; the filters wait behind their summary.
    row = page.locator("tr[data-row]").first
    for cell in ("td.prio", "td.assignee", "td.when >> nth=0"):
        expect(row.locator(cell)).to_be_visible()
    expect(page.locator(".filters-box > summary")).to_be_visible()
    expect(page.locator("form.filters")).to_be_hidden()
    # The list starts on the first screen.
    assert row.bounding_box()["y"] < 844
    page.goto(f"{site}/desk/tickets/{tickets[1].pk}/")
    expect(page.locator("#composer")).to_be_visible()
    assert scroll_width(page) <= 390


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_queue_fits_a_laptop_in_russian(open_page, site, people, width):
    busy_queue(people)
    page = open_page(width, 800, "ru-RU")
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/q/team/")
    expect(page.locator("tr[data-row]")).to_have_count(4)
    assert scroll_width(page) <= width
    # Relative times, the full date in the title.
    updated = page.locator("tr[data-row] td.updated time").first
    assert updated.get_attribute("title")


def test_the_side_panel_changes_two_things_at_once_and_says_so(open_page, site, people, ticket):
    page = open_page()
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    page.select_option("#id_status", Status.WAITING_THIRD_PARTY)
    page.select_option("#id_priority", str(Priority.HIGH.value))
    page.click("#panel button[type=submit]")
    flash = page.locator(".flash")
    expect(flash).to_contain_text(f"Status: {Status.WAITING_THIRD_PARTY.label}")
    expect(flash).to_contain_text("Priority: High")
    page.click("button:has-text('Assign to me')")
    expect(page.locator(".flash")).to_contain_text("Assigned to you")
    expect(page.locator("[data-assignee]")).to_have_text("Alice Agent")
    page.fill("#id_body", "The second charge is refunded.")
    page.click("button:has-text('Send and resolve')")
    expect(page.locator(".flash")).to_contain_text("Reply sent to the customer.")
    expect(page.locator(".flash")).to_contain_text("Status: Resolved")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_mentions_are_suggested_and_unreachable_ones_reported(open_page, site, people, ticket):
    page = open_page()
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    page.check("input[name=mode][value=note]")
    expect(page.locator("button:has-text('Send and resolve')")).to_be_hidden()
    page.click("#id_body")
    page.keyboard.type("Please look, @sa")
    suggestion = page.locator("#mention-suggestions [data-mention=sam]")
    expect(suggestion).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_body")).to_have_value("Please look, @sam ")
    page.keyboard.type("and @bob")
    # Bob may not see the ticket: he is never offered.
    expect(page.locator("#mention-suggestions")).to_be_empty()
    page.click("[data-submit-label]")
    expect(page.locator(".flash")).to_contain_text("Internal note added.")
    expect(page.locator(".flash-warning")).to_contain_text(
        "Bob Builder (@bob) cannot see this ticket, so was not told."
    )
