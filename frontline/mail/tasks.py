"""Background work of the mail app. Tasks take ids (or nothing) and are idempotent."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from . import imap
from .models import Mailbox


@task
def poll_due_mailboxes() -> list[int]:
    """Claim the IMAP mailboxes whose poll interval has passed and enqueue a poll of
    each. Enqueued every few seconds by ``frontline serve``; returns the ids."""
    claimed = imap.claim_due(timezone.now())
    for mailbox_id in claimed:
        transaction.on_commit(lambda mailbox_id=mailbox_id: poll_mailbox.enqueue(mailbox_id))
    return claimed


@task
def poll_mailbox(mailbox_id: int) -> dict[str, int]:
    """Fetch one mailbox's new mail; the counts of what happened to it. A message
    fetched twice is received once (see :mod:`frontline.mail.imap`)."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).exclude(imap_host="").first()
    if mailbox is None:
        return {}
    return dict(imap.poll(mailbox).counts)
