"""QA review on a phone: the supervisor picks an agent, opens a ticket of the
sample, scores it on the scorecard and sees the confirmation; the agent then
reads the review of their work. 390 px wide, axe-clean, found by label and role."""

import pytest
from playwright.sync_api import expect

from frontline.reports.models import QaReview, Scorecard
from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.browser.conftest import axe_violations
from tests.browser.test_desk_workspace import sign_in

pytestmark = pytest.mark.browser


def fits(page, what):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} is {width}px wide on a 390px screen"
    assert axe_violations(page) == [], what


def test_a_supervisor_reviews_a_ticket_and_the_agent_reads_it_on_a_phone(
    new_page, site, people, ticket
):
    card = Scorecard.objects.create(name="Every reply")
    card.criteria.create(name="Tone", guidance="Friendly, plain words", position=1)
    card.criteria.create(name="Correct", position=2)
    actions.assign_ticket(ticket, by=people.sam, assignee=people.alice, note="Yours")
    actions.add_reply(ticket, body="We refunded the second charge.", by=people.alice)
    actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)

    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "sam")
    page.get_by_role("link", name="QA review", exact=True).click()
    expect(page.get_by_role("heading", name="QA review", exact=True)).to_be_visible()
    fits(page, "the QA review's list of agents")
    page.get_by_role("link", name="Alice Agent").click()
    expect(page.get_by_role("heading", name="QA review of Alice Agent")).to_be_visible()
    fits(page, "an agent's sample")
    page.get_by_role("link", name=f"Review #{ticket.pk}: {ticket.subject}").click()
    expect(page.get_by_text("We refunded the second charge.")).to_be_visible()
    page.get_by_label("Tone").select_option("4")
    page.get_by_role("button", name="Save the review").click()
    # Correct is left out: the form says so, and nothing is saved.
    expect(page.get_by_text("This field is required.")).to_be_visible()
    assert not QaReview.objects.exists()
    fits(page, "the scorecard with a mistake")
    page.get_by_label("Tone").select_option("4")
    page.get_by_label("Correct").select_option("5")
    page.get_by_label("Comment for the agent").fill("Say what you checked first.")
    page.get_by_role("button", name="Save the review").click()
    expect(
        page.get_by_text(f"Review saved: 4.50 of 5 for Alice Agent on #{ticket.pk}.")
    ).to_be_visible()
    fits(page, "the saved review")

    agent = new_page()
    agent.set_viewport_size({"width": 390, "height": 844})
    sign_in(agent, site, "alice")
    expect(agent.get_by_role("link", name="QA review", exact=True)).to_have_count(0)
    agent.get_by_role("link", name="My figures").click()
    agent.get_by_role("link", name="My QA reviews").click()
    expect(agent.get_by_role("heading", name="My QA reviews")).to_be_visible()
    fits(agent, "the agent's reviews")
    agent.get_by_role("link", name=f"#{ticket.pk} {ticket.subject}").click()
    expect(agent.get_by_text("Say what you checked first.")).to_be_visible()
    expect(agent.get_by_role("cell", name="5", exact=True)).to_be_visible()
    fits(agent, "one review, as its agent reads it")
