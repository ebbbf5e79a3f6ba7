"""Retention rules: closed tickets' attachments, or the whole tickets, go after N days,
per category or organisation; previewed first, applied by the scheduler."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from frontline.accounts.models import User
from frontline.mail.inbound import receive
from frontline.mail.models import InboundMessage
from frontline.ops.models import RetentionDelete, RetentionRule, RetentionRun
from frontline.ops.tasks import apply_retention_rules
from frontline.ops.workers import periodic_tasks
from frontline.search.selectors import search
from frontline.tickets import actions
from frontline.tickets.models import Attachment, Message, Status, Ticket
from tests.conftest import login

LONG_AGO = datetime.timedelta(days=400)


def files_on_disk() -> set[str]:
    media = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}


def closed_ticket(people, *, category, requester, words: str, days_ago: int = 400) -> Ticket:
    """A ticket with a file, closed ``days_ago`` days ago."""
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=days_ago + 60)):
        ticket = actions.open_ticket(
            requester=requester,
            by=requester,
            subject=f"{words} request",
            body=f"About the {words}.",
            category=category,
            files=[SimpleUploadedFile(f"{words}.txt", f"{words} file".encode())],
            fields={"serial": "SN-1"} if category == people.hardware else None,
        )
        actions.change_status(ticket, status=Status.RESOLVED, by=people.alice)
    with time_machine.travel(now - datetime.timedelta(days=days_ago)):
        actions.close_quiet_resolved()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    return ticket


@pytest.fixture
def tickets(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        billing_old = closed_ticket(
            people, category=people.billing, requester=people.carol, words="invoice"
        )
        billing_new = closed_ticket(
            people, category=people.billing, requester=people.carol, words="receipt", days_ago=3
        )
        hardware_old = closed_ticket(
            people, category=people.hardware, requester=people.dan, words="printer"
        )
        open_old = actions.open_ticket(
            requester=people.carol,
            by=people.carol,
            subject="Still open",
            body="Open for ages.",
            category=people.billing,
            files=[SimpleUploadedFile("open.txt", b"open file")],
        )
    return billing_old, billing_new, hardware_old, open_old


def test_preview_names_what_is_due_and_deletes_nothing(people, tickets):
    RetentionRule.objects.create(name="Billing files", category=people.billing, after_days=365)
    RetentionRule.objects.create(
        name="Globex tickets",
        organisation=people.globex,
        what=RetentionDelete.TICKETS,
        after_days=30,
    )
    before = (files_on_disk(), Ticket.objects.count(), Attachment.objects.count())
    out = StringIO()
    call_command("retention", stdout=out)
    text = out.getvalue()
    assert "Billing files (after 365 days): would delete 1 attachments" in text
    assert (
        "Globex tickets (after 30 days): would delete 1 closed tickets with 1 attachments" in text
    )
    assert "Nothing deleted (preview)" in text
    assert (files_on_disk(), Ticket.objects.count(), Attachment.objects.count()) == before
    assert not RetentionRun.objects.exists()


def test_a_category_rule_deletes_old_closed_tickets_files_only(
    people, tickets, django_capture_on_commit_callbacks
):
    billing_old, billing_new, hardware_old, open_old = tickets
    RetentionRule.objects.create(name="Billing files", category=people.billing, after_days=365)
    kept = {a.file.name for a in Attachment.objects.exclude(ticket=billing_old)}
    gone = Attachment.objects.get(ticket=billing_old).file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_rules.call() == 1
    assert not Attachment.objects.filter(ticket=billing_old).exists()
    assert gone not in files_on_disk() and kept <= files_on_disk()
    assert Ticket.objects.filter(pk=billing_old.pk).exists()  # the ticket stays
    # Closed too recently, another category, not closed: all keep their files.
    for ticket in (billing_new, hardware_old, open_old):
        assert ticket.attachments.count() == 1
    run = RetentionRun.objects.get()
    assert (run.tickets, run.attachments, run.bytes) == (0, 1, len(b"invoice file"))
    # Again: nothing more is due.
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention_rules.call() == 0
    assert RetentionRun.objects.count() == 1


def test_an_organisation_rule_deletes_whole_tickets_with_their_raw_mail(
    people, tickets, django_capture_on_commit_callbacks, client
):
    billing_old, billing_new, hardware_old, open_old = tickets
    # Dan's address is confirmed, so his mail is his (and Globex's).
    User.objects.filter(pk=people.dan.pk).update(email_verified_at=timezone.now() - LONG_AGO)
    with time_machine.travel(timezone.now() - LONG_AGO):
        mailed = receive(
            b"From: Dan Other <dan@example.com>\r\nTo: support@frontline.test\r\n"
            b"Subject: Fax machine\r\nMessage-ID: <fax@globex.test>\r\n\r\nThe fax is down.\r\n"
        ).inbound.ticket
        actions.change_status(mailed, status=Status.RESOLVED, by=people.alice)
    with time_machine.travel(timezone.now() - LONG_AGO + datetime.timedelta(days=60)):
        actions.close_quiet_resolved()
    assert mailed.organisation == people.globex
    RetentionRule.objects.create(
        name="Globex tickets",
        organisation=people.globex,
        what=RetentionDelete.TICKETS,
        after_days=30,
    )
    gone_files = {a.file.name for a in Attachment.objects.filter(ticket=hardware_old)}
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention", "--apply", stdout=StringIO())
    assert not Ticket.objects.filter(pk__in=[hardware_old.pk, mailed.pk]).exists()
    assert not Message.objects.filter(ticket_id__in=[hardware_old.pk, mailed.pk]).exists()
    assert not InboundMessage.objects.filter(message_id_header__contains="fax@").exists()
    assert not gone_files & files_on_disk()
    assert set(Ticket.objects.values_list("pk", flat=True)) == {
        billing_old.pk,
        billing_new.pk,
        open_old.pk,
    }
    assert search(people.sam, "printer").tickets == []
    run = RetentionRun.objects.get()
    assert (run.tickets, run.attachments) == (2, 1)
    login(client, people.sam)
    assert client.get(f"/desk/tickets/{hardware_old.pk}/").status_code == 404


def test_retention_runs_on_the_schedule_and_rules_preview_in_the_admin(people, tickets, client):
    names = [
        p.task.name
        for p in periodic_tasks(close_resolved_every=60, sla_sweep_every=60, mail_poll_every=60)
    ]
    assert "apply_retention_rules" in names
    RetentionRule.objects.create(name="Billing files", category=people.billing, after_days=365)
    login(client, people.ada)
    page = client.get("/admin/ops/retentionrule/").content.decode()
    assert "Billing files" in page and "1 attachments" in page
    assert Attachment.objects.count() == 4


def test_deleted_tickets_raw_mail_files_go_and_a_file_another_row_holds_stays(
    people, tickets, django_capture_on_commit_callbacks, settings
):
    """With raw mail kept in files (RAW_MAIL_IN_FILES), a deleted ticket's mail
    leaves no file behind; files are named by content, so one that another
    mail still holds stays, readable."""
    settings.FRONTLINE = {**settings.FRONTLINE, "RAW_MAIL_IN_FILES": True}
    User.objects.filter(pk=people.dan.pk).update(email_verified_at=timezone.now() - LONG_AGO)
    dans_mail = (
        b"From: Dan Other <dan@example.com>\r\nTo: support@frontline.test\r\n"
        b"Subject: Fax machine\r\nMessage-ID: <fax@globex.test>\r\n\r\nThe fax is down.\r\n"
    )
    with time_machine.travel(timezone.now() - LONG_AGO):
        mailed = receive(dans_mail).inbound.ticket
        other = receive(
            b"From: Someone <someone@elsewhere.test>\r\nTo: support@frontline.test\r\n"
            b"Subject: Kettle\r\nMessage-ID: <kettle@elsewhere.test>\r\n\r\nIt leaks.\r\n"
        ).inbound
        gone = receive(
            b"From: Dan Other <dan@example.com>\r\nTo: support@frontline.test\r\n"
            b"Subject: Scanner\r\nMessage-ID: <scanner@globex.test>\r\n\r\nIt jams.\r\n"
        ).inbound
        actions.change_status(mailed, status=Status.RESOLVED, by=people.alice)
        actions.change_status(gone.ticket, status=Status.RESOLVED, by=people.alice)
    with time_machine.travel(timezone.now() - LONG_AGO + datetime.timedelta(days=60)):
        actions.close_quiet_resolved()
    # Another mail with the very same bytes as Dan's first (on a ticket that stays).
    InboundMessage.objects.filter(pk=other.pk).update(raw=dans_mail)
    shared = InboundMessage.objects.get(pk=other.pk).raw.name
    only_dans = InboundMessage.objects.get(pk=gone.pk).raw.name
    assert {shared, only_dans} <= files_on_disk()
    RetentionRule.objects.create(
        name="Globex tickets",
        organisation=people.globex,
        what=RetentionDelete.TICKETS,
        after_days=30,
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention", "--apply", stdout=StringIO())
    assert not Ticket.objects.filter(pk__in=[mailed.pk, gone.ticket_id]).exists()
    assert only_dans not in files_on_disk()
    assert shared in files_on_disk()
    assert bytes(InboundMessage.objects.get(pk=other.pk).raw) == dans_mail
