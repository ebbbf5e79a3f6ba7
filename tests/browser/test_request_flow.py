"""A customer's request, from the portal form to a delegated answer, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from frontline.tickets.models import MessageKind, Ticket
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NOTE = "Internal: the serial belongs to a batch with a known PSU fault"
REPLY = "Thanks, Carol. We have found the cause and are replacing the power supply."
HANDOFF = "PSU replacement needs a second-line technician; the customer sent a photo already"


def sign_in(page, site, username):
    page.goto(f"{site}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_request_to_delegated_reply_in_the_browser(new_page, site, people, tmp_path):
    photo = tmp_path / "broken-screen.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 128)

    # The customer files a request; the form refuses it until the required field is there.
    page = new_page()
    sign_in(page, site, "carol")
    expect(page).to_have_url(f"{site}/portal/")
    page.click("text=New request")
    page.click("text=Hardware")
    page.fill("#id_subject", "Laptop will not power on")
    page.fill("#id_body", "Since this morning the laptop shows nothing at all.")
    page.select_option("#id_f_model", "Laptop")
    page.set_input_files("#id_attachments", str(photo))
    page.click("button:has-text('Send request')")
    expect(page.locator("#id_f_serial_error")).to_be_visible()
    assert Ticket.objects.count() == 0
    page.fill("#id_f_serial", "SN-2049-X")
    page.set_input_files("#id_attachments", str(photo))
    page.click("button:has-text('Send request')")
    expect(page.locator("h1")).to_contain_text("Laptop will not power on")
    ticket = Ticket.objects.get()
    assert ticket.attachments.filter(filename="broken-screen.png").exists()

    # The agent finds it unassigned, writes a note and a reply, and delegates it.
    agent = new_page()
    sign_in(agent, site, "alice")
    agent.goto(f"{site}/desk/q/unassigned/")
    agent.click(f"text={ticket.subject}")
    expect(agent.locator("h1")).to_contain_text(ticket.subject)
    # A supervisor opens the same ticket; the agent sees who else is there.
    supervisor = new_page()
    sign_in(supervisor, site, "sam")
    supervisor.goto(f"{site}/desk/tickets/{ticket.pk}/")
    # Presence is polled every 5 s; the wait is generous for a loaded machine.
    expect(agent.locator("#presence")).to_contain_text("Sam Supervisor is viewing", timeout=30000)
    agent.check("input[name=mode][value=note]")
    expect(agent.locator("#composer")).to_have_class(re.compile("mode-note"))
    agent.fill("#id_body", NOTE)
    agent.click("[data-submit-label]")
    expect(agent.locator(".msg-note")).to_contain_text(NOTE)
    agent.check("input[name=mode][value=reply]")
    agent.fill("#id_body", REPLY)
    agent.click("[data-submit-label]")
    expect(agent.locator(".msg-reply").last).to_contain_text(REPLY)
    agent.select_option("#id_assignee", label="Bob Builder")
    agent.fill("#id_note", HANDOFF)
    agent.click("#panel button[type=submit]")
    # Handed to a team Alice is not in: she is back at her queue, told it went.
    expect(agent.locator(".flash")).to_contain_text(f"{ticket.reference} was handed over")
    ticket.refresh_from_db()
    assert ticket.assignee == people.bob and ticket.team == people.second_line
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.REPLY, MessageKind.NOTE, MessageKind.REPLY]

    # The customer sees the reply, who is on it and the stage, and never the note.
    page.reload()
    expect(page.locator(".timeline")).to_contain_text(REPLY)
    expect(page.locator("[data-assignee]")).to_have_text("Bob, one of our specialists")
    body = page.content()
    assert NOTE not in body and HANDOFF not in body

    # The second-line colleague opens it and reads the handoff note first.
    second = new_page()
    sign_in(second, site, "bob")
    second.goto(f"{site}/desk/tickets/{ticket.pk}/")
    expect(second.locator(".handoff")).to_contain_text(HANDOFF)
    expect(second.locator("[data-assignee]")).to_have_text("Bob Builder")
