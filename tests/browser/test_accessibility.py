"""axe-core on the desk's pages (and the portal's main ones): no serious or
critical violation, at a laptop's width and a phone's."""

import pytest

from frontline.tickets import actions
from tests.browser.conftest import axe_violations
from tests.browser.test_desk_workspace import busy_queue, sign_in

pytestmark = pytest.mark.browser


def desk_pages(people, ticket):
    actions.add_note(ticket, body="Checked the gateway @sam", by=people.alice)
    return [
        "/desk/q/open/",
        "/desk/q/mine/?status=open",
        f"/desk/tickets/{ticket.pk}/",
        f"/desk/tickets/{ticket.pk}/rules/",
        f"/desk/contacts/{ticket.requester_id}/",
        f"/desk/organisations/{ticket.organisation_id}/",
        "/desk/search/?q=invoice",
        "/desk/reports/",
        "/desk/reports/?by=organisation",
        "/desk/reports/me/",
        f"/desk/reports/agents/{people.alice.pk}/",
        "/desk/kb/",
        "/desk/kb/new/",
        "/desk/calls/new/",
        "/desk/tokens/",
        "/desk/notifications/",
        "/desk/no-such-page/",
    ]


@pytest.mark.parametrize("width", [1280, 390])
def test_desk_pages_pass_axe(browser, site, people, ticket, width):
    busy_queue(people)
    pages = desk_pages(people, ticket)
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, site, "sam")
        found = {}
        for url in pages:
            page.goto(site + url)
            page.wait_for_load_state("networkidle")
            if problems := axe_violations(page):
                found[url] = problems
        assert found == {}
    finally:
        context.close()


def test_portal_pages_pass_axe(browser, site, people, ticket):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, site, "carol")
        found = {}
        portal = ("/portal/", f"/portal/tickets/{ticket.pk}/", "/portal/new/", "/help/")
        for url in (*portal, "/desk/"):
            page.goto(site + url)
            page.wait_for_load_state("networkidle")
            if problems := axe_violations(page):
                found[url] = problems
        assert found == {}
    finally:
        context.close()


def test_the_check_finds_a_serious_violation(browser, site, people):
    """The check can fail: a field with no label and a button with no name are found."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, site, "alice")
        page.goto(f"{site}/desk/q/open/")
        page.evaluate(
            """() => {
              const input = document.createElement("input");
              const button = document.createElement("button");
              document.querySelector("main").append(input, button);
            }"""
        )
        found = " ".join(axe_violations(page))
        assert "button-name" in found and "label" in found
    finally:
        context.close()
