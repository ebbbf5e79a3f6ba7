"""The desk as agents use it, in a real browser: a phone-sized screen in English
and Russian, the side panel, confirmations, and @mention suggestions."""

import pytest
from playwright.sync_api import expect

from frontline.tickets import actions
from frontline.tickets.models import MessageKind, Priority, Status
from tests.browser.conftest import axe_violations
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


def field(page, name):
    """A drop-down of the side panel by its label."""
    return page.get_by_role("combobox", name=name, exact=True)


def test_the_side_panel_saves_in_place_and_says_so(open_page, site, people, ticket):
    page = open_page()
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    # A mark on the document that a reload would wipe out.
    page.evaluate("document.documentElement.dataset.stayed = 'yes'")
    field(page, "Status").select_option(Status.WAITING_THIRD_PARTY)
    field(page, "Priority").select_option(str(Priority.HIGH.value))
    page.get_by_role("button", name="Save changes").click()
    saved = page.locator("#panel-status")
    expect(saved).to_contain_text(f"Status: {Status.WAITING_THIRD_PARTY.label}")
    expect(saved).to_contain_text("Priority: High")
    expect(page.locator("#ticket-badges .prio")).to_have_text("High")
    # The keyboard stays on the panel's button after the swap.
    expect(page.get_by_role("button", name="Save changes")).to_be_focused()
    page.get_by_role("button", name="Assign to me").click()
    expect(saved).to_contain_text("Assigned to you")
    expect(page.locator("[data-assignee]")).to_have_text("Alice Agent")
    # A refusal shows its reason in place and changes nothing.
    field(page, "Assignee").select_option(label="Bob Builder")
    page.get_by_role("button", name="Save changes").click()
    expect(saved).to_contain_text("Nothing was changed")
    expect(page.locator("#panel-body")).to_contain_text("Write a handoff note")
    assert page.evaluate("document.documentElement.dataset.stayed") == "yes"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (
        Status.WAITING_THIRD_PARTY,
        Priority.HIGH,
        people.alice,
    )
    page.fill("#id_body", "The second charge is refunded.")
    page.get_by_role("combobox", name="Closure reason").select_option(label="Solved")
    page.click("button:has-text('Send and resolve')")
    expect(page.locator(".flash")).to_contain_text("Reply sent to the customer.")
    expect(page.locator(".flash")).to_contain_text("Status: Resolved")
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_the_side_panel_works_without_javascript(browser, site, people, ticket):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site}/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")  # the first button is the language's "Go"
        page.goto(f"{site}/desk/tickets/{ticket.pk}/")
        field(page, "Priority").select_option(str(Priority.LOW.value))
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator(".flash")).to_contain_text("Priority: Low")
    finally:
        context.close()


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
    # Asked before saving: the note is still in the box, in note mode.
    check = page.get_by_role("alert").filter(has_text="Not saved yet")
    expect(check).to_contain_text("Bob Builder (@bob) cannot see this ticket and will not be told.")
    expect(page.locator("#id_body")).to_have_value("Please look, @sam and @bob")
    expect(page.get_by_role("radio", name="Internal note")).to_be_checked()
    assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the note anyway").click()
    expect(page.locator(".flash")).to_contain_text("Internal note added.")
    expect(page.locator(".flash-warning")).to_contain_text(
        "Bob Builder (@bob) cannot see this ticket, so was not told."
    )
    assert ticket.messages.filter(kind=MessageKind.NOTE).count() == 1


def test_the_bell_counts_unread_notifications_and_leads_to_them(open_page, site, people, ticket):
    actions.follow_ticket(ticket, by=people.alice)
    actions.add_note(ticket, body="@alice can you check the invoice?", by=people.sam)
    page = open_page()
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/q/team/")
    bell = page.get_by_role("link", name="Notifications")
    expect(bell).to_contain_text("1")
    bell.click()
    page.get_by_role("link", name=f"Sam Supervisor mentioned you on #{ticket.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.subject)
    page.wait_for_load_state("networkidle")  # the bell asked for its count
    expect(page.locator("#bell[hx-trigger='every 30s']")).to_be_attached()
    expect(page.get_by_role("link", name="Notifications")).not_to_contain_text("1")


def test_a_colleague_sees_a_shared_draft(open_page, site, people, ticket):
    alice = open_page()
    sign_in(alice, site, "alice")
    alice.goto(f"{site}/desk/tickets/{ticket.pk}/")
    alice.get_by_label("Message", exact=True).fill("We refunded the second charge; it shows in")
    expect(alice.locator("#draft-status")).to_contain_text("Draft saved")
    alice.reload()
    expect(alice.get_by_label("Message", exact=True)).to_have_value(
        "We refunded the second charge; it shows in"
    )
    expect(alice.locator("#draft-status")).to_contain_text("Your draft, saved")
    sam = open_page()
    sign_in(sam, site, "sam")
    sam.goto(f"{site}/desk/tickets/{ticket.pk}/")
    expect(sam.get_by_label("Message", exact=True)).to_have_value(
        "We refunded the second charge; it shows in"
    )
    expect(sam.get_by_role("note").filter(has_text="Draft by Alice Agent")).to_be_visible()
    # Sam carries on; Alice, whose page shows the older text, is told instead
    # of saving over his.
    sam.get_by_label("Message", exact=True).press("End")
    sam.keyboard.type(" three days.")
    expect(sam.locator("#draft-status")).to_contain_text("Draft saved")
    alice.get_by_label("Message", exact=True).press("End")
    alice.keyboard.type(" x")
    expect(alice.locator("#draft-status")).to_contain_text("Sam Supervisor changed this draft")
    # Sam sends it: it goes out once, and the draft is gone.
    sam.get_by_role("button", name="Send", exact=True).click()
    expect(sam.locator(".flash")).to_contain_text("Reply sent to the customer.")
    expect(sam.get_by_label("Message", exact=True)).to_have_value("")
    reply = ticket.messages.get(author=people.sam)
    assert reply.body == "We refunded the second charge; it shows in three days."


def test_the_mention_question_works_without_javascript(browser, site, people, ticket):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site}/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.press("#id_password", "Enter")  # the first button is the language's "Go"
        page.goto(f"{site}/desk/tickets/{ticket.pk}/")
        page.get_by_role("radio", name="Internal note").check()
        page.locator("#id_body").fill("@nosuchuser see the gateway log")
        page.locator("[data-submit-label]").click()
        check = page.get_by_role("alert").filter(has_text="Not saved yet")
        expect(check).to_contain_text("No colleague is called @nosuchuser: nobody will be told.")
        assert not ticket.messages.filter(kind=MessageKind.NOTE).exists()
        page.get_by_role("button", name="Save the note anyway").click()
        expect(page.locator(".flash")).to_contain_text("Internal note added.")
        note = ticket.messages.get(kind=MessageKind.NOTE)
        assert note.body == "@nosuchuser see the gateway log"
        assert not ticket.messages.filter(body__contains="gateway log").exclude(pk=note.pk)
    finally:
        context.close()
