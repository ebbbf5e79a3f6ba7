"""What the ticket actions share: permission checks, stored files, status moves, the row lock."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.module_loading import import_string

from frontline.accounts.models import User
from frontline.lib.prepared import Prepared

from ..events import record_event
from ..models import (
    Attachment,
    EventKind,
    Message,
    Priority,
    Status,
    Ticket,
)
from ..uploads import safe_filename, sniff_content_type

# Until SLA policies (business hours) take over, a ticket's deadline is a plain
# resolution target per priority, so every open ticket has one.
RESOLUTION_TARGET = {
    Priority.URGENT: datetime.timedelta(hours=4),
    Priority.HIGH: datetime.timedelta(days=1),
    Priority.NORMAL: datetime.timedelta(days=3),
    Priority.LOW: datetime.timedelta(days=7),
}


class TicketClosed(ValidationError):
    """A requester wrote to a ticket that is closed for longer than the reopen window."""


# Every act on a ticket reads it again, locked, inside its transaction (the
# caller's copy may be stale). Compiled once: a mail import makes this read for
# every reply, and building the ORM query cost more than running it
# (docs/benchmarks.md, "the ticket read again").
_LOCKED_TICKET = Prepared(lambda p: Ticket.objects.select_for_update().filter(pk=p.pk))


def lock_ticket(pk: int) -> Ticket:
    """The ticket as stored now, its row locked until the transaction ends
    (``select_for_update``; SQLite locks the whole database on the first write)."""
    found = _LOCKED_TICKET(pk=pk)
    if not found:
        raise Ticket.DoesNotExist(f"No ticket {pk}")
    return found[0]


class ReplyNeedsReview(ValidationError):
    """A trainee's public reply goes to their mentor first (``knowledge.reviews``):
    it never reaches the customer without the mentor's approval."""


def _needs_review(by: User) -> bool:
    """Whether ``by``'s public replies wait for someone's approval: asked of the
    table ``REPLY_REVIEWERS`` (``frontline/reactions.py``, found through
    ``settings.FRONTLINE_REPLY_REVIEW``), so the ticket core imports no app."""
    return any(check(by) for check in import_string(settings.FRONTLINE_REPLY_REVIEW))


def _require_staff(by: User) -> None:
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff may do this.")


def _require_staff_or_system(by: User | None) -> None:
    """``by=None`` is Frontline itself (triage rules, automatic assignment)."""
    if by is not None:
        _require_staff(by)


def _store_files(
    ticket: Ticket,
    message: Message | None,
    files: Iterable[Any],
    *,
    by: User | None,
    internal: bool,
) -> list[Attachment]:
    stored = []
    for f in files:
        f.seek(0)
        head = f.read(2048)
        f.seek(0)
        attachment = Attachment(
            ticket=ticket,
            message=message,
            is_internal=internal,
            filename=safe_filename(f.name or "file"),
            size=f.size or 0,
            content_type=sniff_content_type(head),
            uploaded_by=by,
        )
        attachment.file.save(attachment.filename, f, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _touch(ticket: Ticket, now: datetime.datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


def _set_status(
    ticket: Ticket,
    status: str,
    by: User | None,
    now: datetime.datetime,
    closure_reason: str = "",
) -> list[str]:
    """Move to ``status``, keep the timestamps (and, on resolving, the closure
    reason) that go with it, and record it."""
    old = ticket.status
    ticket.status = status
    changed = ["status"]
    reason: dict[str, str] = {}
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        ticket.closure_reason = closure_reason
        changed += ["resolved_at", "closure_reason"]
        reason = {"closure_reason": closure_reason}
    elif status == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    elif old in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.closure_reason = ""
        changed += ["resolved_at", "closed_at", "closure_reason"]
    record_event(ticket, EventKind.STATUS, by=by, at=now, old=old, new=status, **reason)
    return changed


def _answered(ticket: Ticket) -> list[str]:
    """Staff answered the customer (a public reply or a call): the next-response
    clock stops until the customer writes again."""
    if ticket.next_response_due_at is None:
        return []
    ticket.next_response_due_at = None
    return ["next_response_due_at"]
