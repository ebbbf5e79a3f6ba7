"""Hostile input: scripts in text, oversized and disguised uploads, CSRF."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from frontline.tickets import actions
from frontline.tickets.models import Attachment, Ticket
from frontline.tickets.uploads import safe_filename, sniff_content_type
from tests.conftest import login

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def hostile(people):
    t = actions.open_ticket(
        requester=people.carol,
        by=people.carol,
        subject=f"Help {XSS}",
        body=f"Body {XSS}",
        category=people.hardware,
        fields={"serial": XSS, "model": "Laptop"},
    )
    actions.add_note(t, body=f"note {XSS}", by=people.alice)
    return t


@pytest.mark.parametrize(
    "who,url",
    [
        ("carol", "/portal/tickets/{pk}/"),
        ("carol", "/portal/"),
        ("alice", "/desk/tickets/{pk}/"),
        ("alice", "/desk/q/open/"),
        ("sam", "/desk/q/unassigned/"),
    ],
)
def test_scripts_in_subject_body_and_fields_never_reach_a_page_unescaped(
    client, people, hostile, who, url
):
    login(client, getattr(people, who))
    page = client.get(url.format(pk=hostile.pk)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert 'onerror="alert' not in page


def test_an_upload_over_the_limit_is_refused_with_a_clear_message(client, people, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_UPLOAD_BYTES": 1000}
    login(client, people.carol)
    response = client.post(
        f"/portal/new/{people.billing.pk}/",
        {
            "subject": "Big file",
            "body": "see attached",
            "attachments": [SimpleUploadedFile("big.bin", b"x" * 5000)],
        },
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_the_action_enforces_the_limit_as_well(people, ticket, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_UPLOAD_BYTES": 10}
    with pytest.raises(ValidationError):
        actions.add_reply(
            ticket, body="x", by=people.carol, files=[SimpleUploadedFile("a.txt", b"x" * 11)]
        )
    assert ticket.messages.count() == 1


def test_too_many_files_are_refused(people, ticket, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "MAX_FILES_PER_MESSAGE": 2}
    files = [SimpleUploadedFile(f"{i}.txt", b"x") for i in range(3)]
    with pytest.raises(ValidationError):
        actions.add_reply(ticket, body="x", by=people.carol, files=files)


def test_html_and_svg_uploads_are_downloads_never_rendered(client, people, ticket):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    actions.add_reply(
        ticket,
        body="files",
        by=people.carol,
        files=[SimpleUploadedFile("pic.png", svg), SimpleUploadedFile("page.jpg", html)],
    )
    login(client, people.carol)
    for name, sniffed in (("pic.png", "image/svg+xml"), ("page.jpg", "text/html")):
        a = Attachment.objects.get(filename=name)
        assert a.content_type == sniffed  # the name's extension is not believed
        response = client.get(f"/portal/attachments/{a.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_images_are_shown_inline_with_a_safe_disposition(client, people, ticket):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    actions.add_reply(
        ticket,
        body="shot",
        by=people.carol,
        files=[SimpleUploadedFile('evil"\r\nX-Injected: 1.png', png)],
    )
    a = Attachment.objects.get()
    login(client, people.carol)
    response = client.get(f"/portal/attachments/{a.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert (
        "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]
    )
    assert "X-Injected" not in response.headers


def test_filenames_lose_paths_and_control_characters():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert safe_filename("a\r\nb.txt") == "ab.txt"
    assert safe_filename("...") == "file"
    assert len(safe_filename("x" * 500 + ".txt")) <= 200


def test_sniffing_ignores_claims_and_recognises_text():
    assert sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_content_type("Привет, 你好".encode()) == "text/plain"
    assert sniff_content_type(b"\xff\xfe\x00\x01\x02\x80\x81") == "application/octet-stream"


def test_posts_without_a_csrf_token_are_refused(people, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.carol)
    response = client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "forged"})
    assert response.status_code == 403
    assert ticket.messages.count() == 1


def test_secure_cookies_are_configurable(monkeypatch):
    import importlib

    import frontline.settings as s

    monkeypatch.setenv("SECURE_COOKIES", "1")
    try:
        reloaded = importlib.reload(s)
        assert reloaded.SESSION_COOKIE_SECURE is True
        assert reloaded.CSRF_COOKIE_SECURE is True
    finally:
        monkeypatch.delenv("SECURE_COOKIES")
        importlib.reload(s)
