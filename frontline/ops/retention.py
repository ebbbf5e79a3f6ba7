"""Retention: closed tickets' attachments, or whole closed tickets, go after N days.

The rules are :class:`~frontline.ops.models.RetentionRule` rows (the admin).
:func:`preview` says what each active rule would delete now and changes
nothing; :func:`apply_rules` deletes it, rule by rule, and writes a
:class:`~frontline.ops.models.RetentionRun` for each rule that deleted
something. Running it twice, or on two workers at once, deletes nothing twice:
a row already gone is not counted, a file already gone is fine.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from frontline.lib.stored_bytes import StoredFile
from frontline.mail.models import InboundMessage
from frontline.search import indexing
from frontline.tickets.models import Attachment, Status, Ticket

from .models import RetentionDelete, RetentionRule, RetentionRun

BATCH = 200


@dataclass(frozen=True)
class Due:
    rule: RetentionRule
    tickets: int
    attachments: int
    bytes: int


def due_tickets(rule: RetentionRule, *, now: datetime.datetime) -> QuerySet[Ticket]:
    """The closed tickets ``rule`` covers that were closed more than its days ago."""
    tickets = Ticket.objects.filter(
        status=Status.CLOSED,
        closed_at__lt=now - datetime.timedelta(days=rule.after_days),
    )
    if rule.category_id:
        tickets = tickets.filter(category_id=rule.category_id)
    if rule.organisation_id:
        tickets = tickets.filter(organisation_id=rule.organisation_id)
    return tickets


def preview(*, now: datetime.datetime | None = None) -> list[Due]:
    """What every active rule would delete now. Changes nothing."""
    now = now or timezone.now()
    result = []
    for rule in RetentionRule.objects.filter(is_active=True).select_related(
        "category", "organisation"
    ):
        tickets = due_tickets(rule, now=now)
        files = Attachment.objects.filter(ticket__in=tickets)
        total = files.aggregate(size=Sum("size"))["size"] or 0
        count = tickets.count() if rule.what == RetentionDelete.TICKETS else 0
        result.append(Due(rule, count, files.count(), total))
    return result


def apply_rules(*, now: datetime.datetime | None = None) -> list[RetentionRun]:
    """Delete what is due under every active rule; returns the runs written."""
    now = now or timezone.now()
    runs = []
    for rule in RetentionRule.objects.filter(is_active=True):
        run = RetentionRun(rule=rule, ran_at=now)
        tickets = due_tickets(rule, now=now)
        while True:
            if rule.what == RetentionDelete.TICKETS:
                ids = list(tickets.values_list("pk", flat=True)[:BATCH])
                if not ids:
                    break
                _delete_tickets(ids, run)
            else:
                files = list(
                    Attachment.objects.filter(ticket__in=tickets).values_list("pk", flat=True)[
                        :BATCH
                    ]
                )
                if not files:
                    break
                _delete_attachments(Attachment.objects.filter(pk__in=files), run)
        if run.tickets or run.attachments:
            run.save()
            runs.append(run)
    return runs


def _delete_attachments(attachments: QuerySet[Attachment], run: RetentionRun) -> list[int]:
    """Delete the rows now and their files after the commit; returns their tickets."""
    rows = list(attachments.values_list("pk", "file", "size", "ticket_id"))
    with transaction.atomic():
        deleted, _per_model = Attachment.objects.filter(pk__in=[r[0] for r in rows]).delete()
        if deleted:
            names = [r[1] for r in rows]
            transaction.on_commit(lambda: _delete_files(names))
    run.attachments += len(rows)
    run.bytes += sum(r[2] for r in rows)
    tickets = sorted({r[3] for r in rows})
    indexing.index_tickets(tickets)  # file names are searchable
    return tickets


def _delete_tickets(ids: list[int], run: RetentionRun) -> None:
    with transaction.atomic():
        # Tickets merged into these point at them; they go too when they are
        # due themselves, else they stop pointing.
        Ticket.objects.filter(merged_into__in=ids).update(merged_into=None)
        _delete_attachments(Attachment.objects.filter(ticket_id__in=ids), run)
        # The raw mail of a deleted ticket would otherwise stay, unlinked; kept
        # in files (RAW_MAIL_IN_FILES), its files go after the commit.
        raw_mail = InboundMessage.objects.filter(ticket_id__in=ids)
        raw_files = sorted(
            {
                raw.name
                for raw in raw_mail.values_list("raw", flat=True)
                if isinstance(raw, StoredFile)
            }
        )
        raw_mail.delete()
        if raw_files:
            transaction.on_commit(lambda: _delete_raw_files(raw_files))
        _deleted, per_model = Ticket.objects.filter(pk__in=ids).delete()
        run.tickets += per_model.get(Ticket._meta.label, 0)
        indexing.index_tickets(ids)  # removes the index rows of tickets gone


def _delete_raw_files(names: list[str]) -> None:
    """Delete these raw-mail files unless a row still holds one: the files are
    named by their content, so the same mail kept twice (or the placeholder of
    erased mail) is one file."""
    kept = {
        raw.name
        for raw in InboundMessage.objects.filter(
            raw__in=[StoredFile(name) for name in names]
        ).values_list("raw", flat=True)
        if isinstance(raw, StoredFile)
    }
    for name in names:
        if name not in kept:
            default_storage.delete(name)  # StoredBytesField's files are in the default storage


def _delete_files(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
