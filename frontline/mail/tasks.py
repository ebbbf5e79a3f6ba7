"""Background work of the mail app. Tasks take ids (or nothing) and are idempotent."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from frontline.lib.tasks import enqueue_after_commit

from . import imap, outbound
from .models import Mailbox


@task
def poll_due_mailboxes() -> list[int]:
    """Claim the IMAP mailboxes whose poll interval has passed and enqueue a poll of
    each. Enqueued every few seconds by ``frontline serve``; returns the ids."""
    claimed = imap.claim_due(timezone.now())
    for mailbox_id in claimed:
        enqueue_after_commit(poll_mailbox, mailbox_id)
    return claimed


@task
def poll_mailbox(mailbox_id: int) -> dict[str, int]:
    """Fetch one mailbox's new mail; the counts of what happened to it. A message
    fetched twice is received once (see :mod:`frontline.mail.imap`)."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).exclude(imap_host="").first()
    if mailbox is None:
        return {}
    return dict(imap.poll(mailbox).counts)


@task
def notify(
    notice: str,
    ticket_id: int,
    message_id: int | None = None,
    actor_id: int | None = None,
    user_ids: list[int] | None = None,
) -> list[int]:
    """Write the notices of a ticket event; each is then sent on its own."""
    sent = outbound.notify(
        notice, ticket_id, message_id=message_id, actor_id=actor_id, user_ids=user_ids or ()
    )
    return [m.pk for m in sent]


@task
def deliver(outbound_id: int) -> str | None:
    """Send one outgoing message (retried by :func:`retry_due_mail` on failure)."""
    message = outbound.deliver(outbound_id)
    return message.status if message else None


@task
def retry_due_mail() -> int:
    """Queue the sends that are due again; enqueued every minute by ``frontline serve``."""
    return outbound.retry_due()
