"""An agent on a phone-sized screen attaches tickets to an incident from the
queue's bulk selection and from search results, and sees each confirmed."""

import pytest
from playwright.sync_api import expect

from frontline.tickets import actions
from tests.browser.conftest import axe_violations
from tests.browser.test_request_flow import sign_in
from tests.test_search_pages import open_as

pytestmark = pytest.mark.browser


def test_tickets_are_attached_to_an_incident_from_the_queue_and_from_search(new_page, site, people):
    incident = actions.open_ticket(
        requester=people.maria,
        by=people.maria,
        subject="Invoices page is down",
        body="Nobody here can open invoices.",
        category=people.billing,
    )
    actions.mark_incident(incident, by=people.alice)
    queued = [
        actions.open_ticket(
            requester=p,
            by=p,
            subject=f"Invoices broken for {p.first_name}",
            body="Help.",
            category=people.billing,
        )
        for p in (people.carol, people.erin)
    ]
    found = open_as(people, people.dan, "Zeppelin invoices missing", "The zeppelin page fails.")

    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/q/unassigned/")
    for ticket in queued:
        page.get_by_label(f"Select #{ticket.pk}", exact=True).check()
    page.get_by_label("Attach the ticked tickets to incident number").fill(str(incident.pk))
    page.get_by_role("button", name="Attach to the incident").click()
    expect(page.get_by_text(f"2 tickets attached to incident #{incident.pk}.")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the queue is {width}px wide on a 390px screen"
    assert axe_violations(page) == []

    page.goto(f"{site}/desk/search/?q=zeppelin")
    page.get_by_label(f"Select #{found.pk}", exact=True).check()
    page.get_by_label("Attach the ticked tickets to incident number").fill(f"#{incident.pk}")
    page.get_by_role("button", name="Attach to the incident").click()
    expect(page.get_by_text(f"1 ticket attached to incident #{incident.pk}.")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the search page is {width}px wide on a 390px screen"
    assert axe_violations(page) == []

    page.goto(f"{site}/desk/tickets/{incident.pk}/")
    expect(page.get_by_text("3 tickets attached.")).to_be_visible()
