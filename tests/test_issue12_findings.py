"""Finding 8 of issue 12 ("no erasure or retention") through entry points that
existed on the main of the day the issue was filed (12de7c4): real mail in,
the command line, the admin over HTTP. The thorough tests are
tests/test_privacy.py and tests/test_retention.py; they import modules that
code did not have, so these are the ones that show it failing there
(docs/security.md, "Issue 12's findings on the old main")."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.db import connection

from frontline.mail.inbound import receive
from tests.conftest import login

ADDRESS = "olga.orlova@client.test"


def _text(value: object) -> str:
    if isinstance(value, memoryview | bytes):
        data = bytes(value)
        if data.startswith(b"\x28\xb5\x2f\xfd"):  # raw mail, zstandard-compressed
            import zstandard

            data = zstandard.ZstdDecompressor().decompress(data, max_output_size=1 << 26)
        return data.decode("utf-8", "replace").lower()
    return str(value).lower()


def traces() -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found += [
                    f"{table}: {word}"
                    for value in row
                    for word in (ADDRESS, "orlova")
                    if word in _text(value)
                ]
    return found


def test_a_contact_who_wrote_in_can_be_erased_from_the_command_line(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(
            (
                f"From: Olga Orlova <{ADDRESS}>\r\nTo: support@frontline.test\r\n"
                "Subject: Invoice for Orlova\r\nMessage-ID: <oo1@client.test>\r\n\r\n"
                "Please correct the invoice. Olga Orlova\r\n"
            ).encode()
        )
    assert traces()  # her mail is there
    with django_capture_on_commit_callbacks(execute=True):
        call_command("erase_contact", ADDRESS, "--yes", stdout=StringIO())
    assert traces() == []


def test_an_admin_keeps_retention_rules_previewed_before_they_run(client, people):
    login(client, people.ada)
    assert client.get("/admin/ops/retentionrule/").status_code == 200
    out = StringIO()
    call_command("retention", stdout=out)  # the preview: names what is due, deletes nothing
    assert "No active retention rules." in out.getvalue()
