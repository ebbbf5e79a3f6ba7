"""A trainee's reply waits for the mentor, who approves it; a macro shows what it
will do, then does it: on a phone's width, axe-clean, with a visible confirmation."""

import pytest
from playwright.sync_api import expect

from frontline.knowledge.models import ReplyTemplate, Traineeship
from frontline.tickets.models import MessageKind
from tests.browser.conftest import axe_violations
from tests.browser.test_desk_workspace import sign_in

pytestmark = pytest.mark.browser


def fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} is {width}px wide on a 390px screen"
    assert axe_violations(page) == [], what


def test_a_trainees_reply_is_approved_by_the_mentor_on_a_phone(new_page, site, people, ticket):
    Traineeship.objects.create(trainee=people.alice, mentor=people.sam)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    page.get_by_label("Message", exact=True).fill("We refunded the second charge.")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("Your reply waits for your mentor.")).to_be_visible()
    assert not ticket.messages.filter(kind=MessageKind.REPLY, author=people.alice).exists()
    page.context.clear_cookies()
    sign_in(page, site, "sam")
    page.goto(f"{site}/desk/review/")
    expect(page.get_by_role("heading", name="Replies waiting for you")).to_be_visible()
    fits(page, "the review queue")
    page.get_by_label("Reply as it will be sent (edit if needed)").fill(
        "We refunded the second charge. It shows in 3 days."
    )
    page.get_by_role("button", name="Approve and send").click()
    expect(page.get_by_text("approved and sent to the customer")).to_be_visible()
    assert ticket.messages.get(kind=MessageKind.REPLY, author=people.alice).body.endswith("3 days.")


def test_a_macro_shows_what_it_will_do_then_does_it(new_page, site, people, ticket):
    macro = ReplyTemplate.objects.create(
        name="Waiting on the bank", body="Hello {customer_first_name}, we asked the bank.",
        set_status="waiting_third_party", add_tags="bank",
    )  # fmt: skip
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/macros/")
    page.get_by_role("link", name="Waiting on the bank").click()
    expect(page.get_by_text("Status: Waiting for third party")).to_be_visible()
    fits(page, "the macro preview")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Macro “Waiting on the bank” applied:")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == "waiting_third_party" and macro.uses.get().count == 1
