"""A customer's data: exported for an access request, erased on request.

The erasure test greps every table of the database (the search index's
shadow tables included), the uploaded files and the file outbox for the
erased address and name, after the contact took part in tickets by real mail,
by the portal and through an agent's replies. Raw mail is compressed
(zstandard) in its column or its file, so the grep reads compressed bytes
decompressed; it runs with raw mail in the database and in files.
"""

from __future__ import annotations

import io
import json
import stat
import zipfile
from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from frontline.accounts.models import User
from frontline.lib.stored_bytes import decompress
from frontline.mail.inbound import receive
from frontline.mail.models import InboundMessage, Mailbox, OutboundMessage
from frontline.ops.models import Erasure
from frontline.ops.privacy import erase_contact
from frontline.search.selectors import search
from frontline.tickets import actions
from frontline.tickets.models import Attachment, Message, Ticket
from tests.conftest import login

ADDRESS = "w.quartz@client.test"
# What must be found nowhere after the erasure (compared in lower case).
TRACES = (ADDRESS, "wilhelmina", "quartz", "+441632960123")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def outbox(settings, tmp_path):
    """The development file outbox, where copies of sent mail land."""
    folder = tmp_path / "outbox"
    settings.MAILERS = {
        "default": {
            "BACKEND": "frontline.mail.filebox.RedactingFileBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    return folder


def wilhelminas_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Wilhelmina Quartz <{ADDRESS}>"
    msg["To"] = "support@frontline.test"
    msg["Subject"] = "Printer broken, Wilhelmina Quartz here"
    msg["Message-ID"] = "<wq1@client.test>"
    msg.set_content("The printer is broken. Call me on +441632960123. Wilhelmina")
    msg.add_attachment(
        b"Purchase order signed by Wilhelmina Quartz",
        maintype="text",
        subtype="plain",
        filename="order-quartz.txt",
    )
    return msg.as_bytes()


@pytest.fixture
def wilhelmina(people, committed, outbox, client):
    """Wilhelmina writes in by mail, Alice answers by name; Carol copies her on
    another request, where Alice confirms her; she answers on the portal."""
    Mailbox.objects.create(name="Support", address="support@frontline.test")
    with committed():
        own = receive(wilhelminas_mail()).inbound.ticket
    person = own.requester
    User.objects.filter(pk=person.pk).update(phone="+441632960123")
    person.refresh_from_db()
    with committed():
        actions.assign_ticket(own, assignee=people.alice, by=people.alice)
        actions.add_reply(own, body="Hello Wilhelmina, a technician comes today.", by=people.alice)
        actions.add_note(own, body="Wilhelmina Quartz sounded upset.", by=people.alice)
    with committed():
        carols = receive(
            (
                "From: Carol Customer <carol@example.com>\r\nTo: support@frontline.test\r\n"
                f"Cc: Wilhelmina Quartz <{ADDRESS}>\r\nSubject: Shared printer\r\n"
                "Message-ID: <c9@example.com>\r\n\r\nThe shared printer is down too.\r\n"
            ).encode()
        ).inbound.ticket
        actions.confirm_participant(carols, user=person, by=people.alice)
        actions.add_reply(carols, body="Fixed for Carol and Ms Quartz.", by=people.alice)
    person.set_password("a long enough password 9")
    person.email_verified_at = person.date_joined
    person.save()
    login(client, person)
    with committed():
        response = client.post(
            f"/portal/tickets/{carols.pk}/reply/", {"body": "Thanks, Wilhelmina here."}
        )
    assert response.status_code == 302
    client.logout()
    return person, own, carols


def traces_in_database() -> list[str]:
    """Every table, every column, every row: where a trace still is."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(include_views=False):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        text = decompress(bytes(value)).decode("utf-8", "replace").lower()
                    else:
                        text = str(value).lower()
                    found += [f"{table}: {t}" for t in TRACES if t in text]
    return found


def traces_in_files(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file():
                data = decompress(path.read_bytes()).lower()
                found += [f"{path}: {t}" for t in TRACES if t.encode() in data]
    return found


@pytest.fixture(params=[False, True], ids=["raw-mail-in-database", "raw-mail-in-files"])
def raw_mail_in_files(request, settings):
    settings.FRONTLINE = {**settings.FRONTLINE, "RAW_MAIL_IN_FILES": request.param}
    return request.param


def test_an_erased_contact_is_found_nowhere_and_their_tickets_still_count(
    raw_mail_in_files, wilhelmina, people, outbox, committed
):
    person, own, carols = wilhelmina
    media = Path(settings.MEDIA_ROOT)
    # The setting up is real: the traces are there before, her raw mail's included.
    traces_before = traces_in_database()
    assert traces_before and traces_in_files(media) and traces_in_files(outbox)
    if raw_mail_in_files:
        assert traces_in_files(media / "mail" / "raw")
    else:
        assert any(t.startswith("mail_inboundmessage: ") for t in traces_before), traces_before
    tickets, messages = Ticket.objects.count(), Message.objects.count()
    before = carols.messages.count()

    with committed():
        out = StringIO()
        call_command("erase_contact", ADDRESS.upper(), "--yes", stdout=out)
    assert f"Contact #{person.pk} erased" in out.getvalue()

    assert traces_in_database() == []
    assert traces_in_files(media, outbox) == []
    # Tickets and messages stay, for the numbers; Carol's part of hers is hers still.
    assert (Ticket.objects.count(), Message.objects.count()) == (tickets, messages)
    assert carols.messages.count() == before
    assert carols.messages.filter(body="The shared printer is down too.").exists()
    carols.refresh_from_db()
    assert (carols.subject, carols.requester.email) == ("Shared printer", "carol@example.com")
    own.refresh_from_db()
    assert own.subject == "[erased]" and own.requester_id == person.pk
    assert own.messages.get(author=people.alice, kind="reply").body == (
        "Hello [erased], a technician comes today."
    )
    assert Attachment.objects.get(ticket=own).filename == "erased.txt"
    person.refresh_from_db()
    assert not person.is_active and not person.has_usable_password()
    # The audit entry says that and how much, not what.
    erasure = Erasure.objects.get(contact=person)
    assert erasure.counts["messages"] == 2 and erasure.counts["attachments"] == 1
    assert erasure.counts["raw_mail"] == 2  # hers, and Carol's that copied her
    assert bytes(InboundMessage.objects.get(ticket=carols).raw).startswith(b"X-Frontline-Erased")
    # Search finds her no more; Carol's ticket is still found by its words.
    assert search(people.sam, "Wilhelmina").tickets == []
    assert [h.ticket.pk for h in search(people.sam, "shared printer").tickets] == [carols.pk]


def test_erasing_refuses_staff_twice_and_unknown_addresses(wilhelmina, people):
    person, _own, _carols = wilhelmina
    with pytest.raises(ValidationError):
        erase_contact(people.alice, by=people.sam)
    erase_contact(person, by=people.sam)
    with pytest.raises(ValidationError):
        erase_contact(person, by=people.sam)
    with pytest.raises(CommandError, match="0 accounts match"):
        call_command("erase_contact", "nobody@nowhere.test", "--yes")
    assert Erasure.objects.get().erased_by == people.sam


def test_erasing_by_command_asks_first(wilhelmina, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing erased"):
        call_command("erase_contact", ADDRESS)
    assert not Erasure.objects.exists()
    assert User.objects.filter(email=ADDRESS, is_active=True).exists()


def test_the_export_holds_what_they_sent_and_were_told_but_no_internal_note(wilhelmina, tmp_path):
    person, own, carols = wilhelmina
    target = tmp_path / "wilhelmina.zip"
    call_command("export_contact", ADDRESS, str(target), stdout=StringIO())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        contact = json.loads(archive.read("contact.json"))
        mine = json.loads(archive.read(f"tickets/{own.pk}.json"))
        copied = json.loads(archive.read(f"tickets/{carols.pk}.json"))
        sent = json.loads(archive.read("mail/sent.json"))
        received = [n for n in names if n.startswith("mail/received/")]
        (attachment,) = [n for n in names if n.startswith("attachments/")]
        assert archive.read(attachment) == b"Purchase order signed by Wilhelmina Quartz"
        assert archive.read(received[0]) == bytes(InboundMessage.objects.get(ticket=own).raw)
    assert contact["email"] == ADDRESS and contact["phone"] == "+441632960123"
    assert mine["you_are"] == "requester" and copied["you_are"] == "participant"
    texts = [m["text"] for m in mine["messages"]]
    assert any("Hello Wilhelmina" in t for t in texts)
    assert not any("upset" in t for t in texts)  # the internal note
    assert [m["text"] for m in copied["messages"] if m["yours"]] == ["Thanks, Wilhelmina here."]
    assert len(received) == 1  # her own mail, not Carol's
    assert {s["to"] for s in sent} == {ADDRESS} and len(sent) >= 2
    # Never over an existing file.
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_contact", ADDRESS, str(target))
    assert OutboundMessage.objects.filter(recipient=person).count() == len(sent)


def test_an_admin_erases_a_contact_after_typing_their_address(client, wilhelmina, people):
    person, own, _carols = wilhelmina
    login(client, people.ada)
    form = client.get("/admin/ops/erasure/add/")
    assert form.status_code == 200 and "cannot be undone" in form.content.decode()
    wrong = client.post("/admin/ops/erasure/add/", {"contact": person.pk, "confirm": "nope"})
    assert wrong.status_code == 200 and "not the contact" in wrong.content.decode()
    assert not Erasure.objects.exists()
    # Staff cannot be chosen at all.
    staff = client.post(
        "/admin/ops/erasure/add/", {"contact": people.alice.pk, "confirm": people.alice.email}
    )
    assert staff.status_code == 200 and not Erasure.objects.exists()
    done = client.post("/admin/ops/erasure/add/", {"contact": person.pk, "confirm": ADDRESS})
    assert done.status_code == 302
    erasure = Erasure.objects.get()
    assert erasure.erased_by == people.ada and erasure.counts["messages"] == 2
    own.refresh_from_db()
    assert own.subject == "[erased]"
    listing = client.get("/admin/ops/erasure/").content.decode()
    assert f"erased-{person.pk}" in listing
    assert "quartz" not in listing.lower()


def test_an_admin_exports_one_persons_data_from_the_people_list(client, wilhelmina, people):
    person, _own, _carols = wilhelmina
    login(client, people.ada)
    response = client.post(
        "/admin/accounts/user/", {"action": "export_data", "_selected_action": [person.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert json.loads(archive.read("contact.json"))["email"] == ADDRESS
    two = client.post(
        "/admin/accounts/user/",
        {"action": "export_data", "_selected_action": [person.pk, people.carol.pk]},
        follow=True,
    )
    assert "Choose one person to export." in two.content.decode()
