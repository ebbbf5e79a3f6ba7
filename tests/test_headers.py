"""Security headers on every kind of page: a strict Content-Security-Policy, no
inline script anywhere, signed-in pages never cached, attachments as downloads."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import frontline
from frontline.tickets import actions
from frontline.tickets.models import Attachment
from tests.conftest import login

TEMPLATES = sorted(Path(frontline.__file__).parent.rglob("templates/**/*.html"))
# Inline event handlers (onclick=, onchange=...), javascript: URLs, and htmx
# features that need eval (hx-vals="js:...", hx-on, hx-vars, hx-trigger filters).
INLINE_CODE = re.compile(
    r"""\son[a-z]+\s*=|javascript:|hx-(?:vals|headers)=["']\s*(?:js|javascript):|hx-on|hx-vars"""
    r"""|hx-trigger="[^"]*\[""",
    re.I,
)


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


class InlineCode(HTMLParser):
    """Collects inline <script> bodies and on* attributes from a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "hx-vals" and (value or "").lstrip().startswith("js:"):
                self.found.append(f"<{tag} hx-vals={value!r}>")
        if tag == "script":
            given = dict(attrs)
            # A script with a src, or a data block (type="application/json"), runs nothing inline.
            self._in_inline_script = "src" not in given and "json" not in (given.get("type") or "")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")


def assert_strict_csp(response):
    policy = directives(response)
    header = response.headers.get("Content-Security-Policy", "")
    if policy.get("default-src") == ["'none'"] and "sandbox" in policy:
        return  # a file: stricter still, nothing runs or loads
    assert policy.get("default-src") == ["'self'"], header
    assert policy.get("script-src") == ["'self'"]
    assert policy.get("object-src") == ["'none'"]
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("base-uri") == ["'none'"]
    assert "unsafe-eval" not in header
    # Style attributes only (sanitised mail keeps some); never <style> or scripts.
    assert "'unsafe-inline'" not in policy["script-src"] + policy.get("style-src", [])


def assert_no_inline_code(response):
    if "html" not in response.get("Content-Type", ""):
        return
    parser = InlineCode()
    parser.feed(response.content.decode())
    assert parser.found == [], parser.found


@pytest.fixture
def pages(people, ticket):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    actions.add_reply(
        ticket, body="shot", by=people.carol, files=[SimpleUploadedFile("s.png", png)]
    )
    attachment = Attachment.objects.get()
    return {
        None: [
            "/login/",
            "/password/",
            "/password/sent/",
            "/portal/signup/",
            "/portal/callback/new/",
            "/admin/login/",
            "/help/",
        ],
        "carol": [
            "/portal/",
            "/portal/new/",
            f"/portal/new/{people.hardware.pk}/",
            f"/portal/tickets/{ticket.pk}/",
            "/portal/callback/",
            "/account/two-factor/",
            f"/portal/attachments/{attachment.pk}/",
        ],
        "alice": [
            "/desk/q/open/",
            "/desk/q/mine/",
            f"/desk/tickets/{ticket.pk}/",
            "/desk/calls/new/",
            "/desk/kb/",
            "/desk/kb/new/",
            f"/desk/attachments/{attachment.pk}/",
        ],
        "ada": [
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{people.carol.pk}/change/",
            "/admin/tickets/ticket/",
            f"/admin/tickets/ticket/{ticket.pk}/change/",
            "/admin/mail/mailbox/add/",
        ],
    }


def test_every_page_type_has_a_strict_csp_and_runs_no_inline_code(client, people, pages):
    for who, urls in pages.items():
        client.logout()
        if who:
            login(client, getattr(people, who))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (who, url, response.status_code)
            assert_strict_csp(response)
            assert_no_inline_code(response)


def test_an_error_page_has_the_csp_too(client, people):
    login(client, people.carol)
    response = client.get("/portal/tickets/999999/")
    assert response.status_code == 404
    assert_strict_csp(response)


def test_no_template_holds_inline_script_or_event_handlers():
    assert len(TEMPLATES) > 20
    offenders = []
    for path in TEMPLATES:
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text, re.I):
            if "src=" not in match[0]:
                offenders.append(f"{path}: {match[0]}")
        for match in INLINE_CODE.finditer(text):
            offenders.append(f"{path}: {match[0]}")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path}: style attribute")
    assert offenders == []


def test_htmx_is_told_not_to_eval_nor_inject_styles(client, people):
    login(client, people.alice)
    page = client.get("/desk/q/open/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'>', page)
    assert config is not None
    assert '"allowEval": false' in config[1]
    assert '"includeIndicatorStyles": false' in config[1]


@pytest.mark.parametrize("who", ["carol", "alice", "ada"])
def test_signed_in_pages_are_never_stored(client, people, ticket, who):
    login(client, getattr(people, who))
    url = {
        "carol": f"/portal/tickets/{ticket.pk}/",
        "alice": f"/desk/tickets/{ticket.pk}/",
        "ada": "/admin/",
    }[who]
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_pdf_is_a_download_not_shown_in_the_browser(client, people, ticket):
    actions.add_reply(
        ticket,
        body="the contract",
        by=people.carol,
        files=[SimpleUploadedFile("contract.pdf", b"%PDF-1.7\n/JavaScript (app.alert(1))\n")],
    )
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    for who, url in (("carol", "/portal"), ("alice", "/desk")):
        login(client, getattr(people, who))
        response = client.get(f"{url}/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
