"""An agent on a phone-sized screen sees who a reply will not reach (people the
customer copied) and confirms one of them."""

import pytest
from playwright.sync_api import expect

from frontline.mail.inbound import receive
from frontline.mail.models import Mailbox
from frontline.tickets.models import TicketParticipant
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser


def test_an_agent_confirms_someone_the_customer_copied(new_page, site, people):
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    ticket = receive(
        b"From: Carol Customer <carol@example.com>\r\nTo: support@frontline.test\r\n"
        b"Cc: Paul Partner <paul@partner.test>\r\nSubject: Printer jams\r\n"
        b"Message-ID: <cc1@example.com>\r\n\r\nIt jams on every page.\r\n"
    ).inbound.ticket
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")
    expect(page.get_by_text("Not sent to Paul Partner")).to_be_visible()
    expect(page.get_by_text("gets no replies until confirmed")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    page.get_by_role("button", name="Send replies to Paul Partner").click()
    expect(page.get_by_text("Paul Partner will get the public replies now.")).to_be_visible()
    expect(page.get_by_text("Not sent to Paul Partner")).to_have_count(0)
    assert TicketParticipant.objects.get(ticket=ticket).confirmed
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
