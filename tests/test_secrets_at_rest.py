"""Secrets at rest: no stored mail row or outbox file holds a working account link,
and what Frontline writes under FRONTLINE_VAR is readable by its own user only."""

from __future__ import annotations

import email
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from frontline.mail.models import Delivery, Notice, OutboundMessage

LINK = re.compile(r"http://testserver\.example(/password/[^/\s]+/[^/\s]+/)")
VERIFY = re.compile(r"http://testserver\.example(/portal/verify/\S+/)")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver.example"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_suppressed_reset_mail_keeps_no_working_link(client, people, mailoutbox, committed):
    # Anyone can make the hourly limit suppress mails to a victim.
    for _ in range(5):
        with committed():
            client.post("/password/", {"email": "carol@example.com"})
    rows = OutboundMessage.objects.filter(notice=Notice.PASSWORD_RESET)
    assert rows.filter(status=Delivery.SUPPRESSED).count() == 2
    for row in rows:
        assert not LINK.search(row.body), (row.status, row.body)
        assert "/password/" not in row.body
        assert "[one-time link, not kept]" in row.body
    # The mails that went out carry a link that works.
    assert len(mailoutbox) == 3
    path = LINK.search(mailoutbox[-1].body)[1]
    form = client.get(path, follow=True)
    assert b'name="new_password1"' in form.content


def test_a_queued_confirmation_mail_keeps_no_working_link(client, people, mailoutbox, committed):
    from frontline.accounts.actions import request_email_verification

    with committed():
        request_email_verification(people.carol)
    (row,) = OutboundMessage.objects.filter(notice=Notice.VERIFY_EMAIL)
    assert "/portal/verify/" not in row.body
    (mail,) = mailoutbox
    assert VERIFY.search(mail.body)


@pytest.mark.parametrize("keep", [False, True])
def test_the_file_outbox_writes_links_only_when_asked(
    client, people, settings, tmp_path, committed, keep
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "frontline.mail.filebox.RedactingFileBackend",
            "OPTIONS": {"file_path": str(tmp_path / "outbox")},
        }
    }
    settings.FRONTLINE = {**settings.FRONTLINE, "OUTBOX_KEEPS_LINKS": keep}
    with committed():
        client.post("/password/", {"email": "carol@example.com"})
    (written,) = (tmp_path / "outbox").iterdir()
    message = email.message_from_bytes(written.read_bytes())
    assert message["To"] == "carol@example.com"
    text = message.get_payload(decode=True).decode()  # quoted-printable when lines are long
    assert bool(LINK.search(text)) is keep
    assert ("[one-time link, not kept]" in text) is not keep


def test_files_under_frontline_var_are_for_the_service_user_only(tmp_path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "FRONTLINE_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "frontline.settings",
    }
    env.pop("EMAIL_HOST", None)
    env.pop("MEDIA_ROOT", None)
    script = (
        "from django.core.management import call_command\n"
        "call_command('migrate', 'contenttypes', verbosity=0)\n"
        "from django.core.mail import send_mail\n"
        "send_mail('hi', 'body', 'a@example.com', ['b@example.com'])\n"
        "from django.core.files.base import ContentFile\n"
        "from django.core.files.storage import default_storage\n"
        "default_storage.save('attachments/x/file.txt', ContentFile(b'secret'))\n"
    )
    # Through the console script (`frontline shell`), under a permissive umask as
    # a shell or service manager may give.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; os.umask(0o022); from frontline.manage import main;"
            f" sys.argv = ['frontline', 'shell', '-c', {script!r}]; main()",
        ],
        env=env,
        check=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
    )
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    found = list(var.rglob("*"))
    assert any(p.name == "db.sqlite3" for p in found)
    assert any(p.parent.name == "outbox" for p in found)
    assert any(p.name == "file.txt" for p in found)
    for path in found:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_a_shared_sticky_folder_as_the_var_folder_is_left_open(tmp_path):
    """A benchmark pointed at /tmp (``--db /tmp/x.sqlite3`` makes /tmp the var
    folder) closed /tmp to everyone but root: a folder with the sticky bit is
    shared, and its mode is not Frontline's to change."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    env = {**os.environ, "FRONTLINE_VAR": str(shared), "DATABASE_URL": f"sqlite:///{shared}/db"}
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from frontline.manage import main; import sys;"
            " sys.argv = ['frontline', 'check']; main()",
        ],
        env=env,
        check=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
        capture_output=True,
    )
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
