"""An agent on a phone-sized screen makes a ticket the incident, attaches three
customers' reports to it and posts one update; each customer sees it on the
portal in their own language."""

import pytest
from playwright.sync_api import expect

from frontline.tickets import actions
from frontline.tickets.models import Ticket
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser

UPDATE = "The billing service is back; invoices load again."
UPDATE_RU = "Сервис счетов снова работает, счета открываются."
UPDATE_ZH = "账单服务已恢复。"


def test_one_update_on_an_incident_reaches_three_customers_each_in_their_language(
    browser, new_page, site, people
):
    for person, language in ((people.erin, "ru"), (people.dan, "zh-hans")):
        person.language = language
        person.save(update_fields=["language"])
    incident = actions.open_ticket(
        requester=people.maria,
        by=people.maria,
        subject="Invoices page is down",
        body="Nobody here can open invoices.",
        category=people.billing,
    )
    reports = {
        p.username: actions.open_ticket(
            requester=p,
            by=p,
            subject=f"Invoices broken for {p.first_name}",
            body="Help.",
            category=people.billing,
        )
        for p in (people.carol, people.erin, people.dan)
    }
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{incident.pk}/")
    page.get_by_role("button", name="Mark as an incident").click()
    expect(page.get_by_text(f"#{incident.pk} is an incident now.")).to_be_visible()
    page.get_by_label("Ticket numbers to attach").fill(
        ", ".join(str(t.pk) for t in reports.values())
    )
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(page.get_by_text("3 tickets attached to the incident.")).to_be_visible()
    page.get_by_label("Update for every affected customer").fill(UPDATE)
    page.get_by_label("The same in Russian (optional)").fill(UPDATE_RU)
    page.get_by_label("The same in Chinese (optional)").fill(UPDATE_ZH)
    page.get_by_role("button", name="Post the update").click()
    expect(page.get_by_text("The update is posted here and on 3 attached tickets.")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the incident's page is {width}px wide on a 390px screen"
    assert Ticket.objects.get(pk=incident.pk).is_incident

    for username, locale, text, known in (
        ("carol", "en-GB", UPDATE, "part of a known incident"),
        ("erin", "ru-RU", UPDATE_RU, "известным инцидентом"),
        ("dan", "zh-CN", UPDATE_ZH, "属于我们团队正在处理的已知事件"),
    ):
        context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844})
        try:
            customer = context.new_page()
            sign_in(customer, site, username)
            customer.goto(f"{site}/portal/tickets/{reports[username].pk}/")
            expect(customer.get_by_text(text)).to_be_visible()
            expect(customer.get_by_text(known)).to_be_visible()
            for other in {UPDATE, UPDATE_RU, UPDATE_ZH} - {text}:
                expect(customer.get_by_text(other)).to_have_count(0)
        finally:
            context.close()
