"""A mail in the desk, in a real browser: its HTML shown safely, remote images on
request, and a reply started from a template."""

import pytest
from playwright.sync_api import expect

from frontline.knowledge.models import ReplyTemplate
from frontline.mail.inbound import receive
from tests.browser.test_request_flow import sign_in

pytestmark = pytest.mark.browser

REMOTE = "https://images.example.test/logo.png"
HTML_MAIL = (
    "From: Carol Customer <carol@example.com>\r\n"
    "To: support@frontline.test\r\n"
    "Subject: Our invoice looks wrong\r\n"
    "Message-ID: <html1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/alternative; boundary="b"\r\n'
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "The invoice total is wrong.\r\n"
    "--b\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>The invoice <b>total</b> is wrong.</p>"
    f'<img src="{REMOTE}" alt="logo">'
    "<script>alert('xss')</script>"
    '<p onclick="alert(2)">Click me</p>\r\n'
    "--b--\r\n"
).encode()


def test_mail_html_is_safe_and_remote_images_load_only_when_asked(new_page, site, people):
    ticket = receive(HTML_MAIL).inbound.ticket
    ReplyTemplate.objects.create(
        name="Invoice check", body="Hello {customer_first_name}, we are checking {ticket_number}."
    )
    page = new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, site, "alice")
    page.goto(f"{site}/desk/tickets/{ticket.pk}/")

    body = page.locator(f"#mbody{ticket.messages.get().pk}")
    expect(body.locator("b")).to_have_text("total")  # the HTML is shown, not escaped
    expect(body).to_contain_text("Remote images are blocked.")
    assert body.locator(f'img[src="{REMOTE}"]').count() == 0
    body.locator("text=Click me").click()
    assert REMOTE not in requested

    with page.expect_request(REMOTE):  # the browser asks for it only now
        body.locator("button", has_text="Show remote images").click()
    expect(body.locator(f'img[src="{REMOTE}"]')).to_have_count(1)
    expect(body).not_to_contain_text("Remote images are blocked.")
    assert dialogs == []  # no script ran, before or after

    # A reply started from a template, filled in for this customer and ticket.
    page.select_option("select[name=template]", label="Invoice check")
    expect(page.locator("#id_body")).to_have_value(f"Hello Carol, we are checking #{ticket.pk}.")
