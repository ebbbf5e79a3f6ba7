"""Messages on a ticket: public replies, internal notes, calls, asking the customer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.lib.email_html import clean_message_html

from ..events import record_event
from ..models import (
    CallDetails,
    Channel,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
)
from ..uploads import check_length, check_uploads
from ._base import (
    ReplyNeedsReview,
    TicketClosed,
    _answered,
    _needs_review,
    _require_staff,
    _require_staff_or_system,
    _set_status,
    _store_files,
    _touch,
    lock_ticket,
)
from .assignment import assign_ticket
from .changes import change_status


def add_reply(
    ticket: Ticket,
    *,
    body: str,
    by: User | None,
    files: Sequence[Any] = (),
    channel: str = Channel.WEB,
    body_html: str = "",
    approved_by: User | None = None,
) -> Message:
    """A public message on the ticket, from staff, the customer or the system.

    From staff: counts as the first response if it is one and answers the
    waiting customer message (the next-response deadline is cleared); a new
    ticket becomes open; an unassigned one becomes the replier's (see
    ``_take_on_reply``); the customers get it by mail. From the customer: a
    ticket waiting for them or resolved reopens; a closed one reopens within the
    reopen window and raises ``TicketClosed`` after it; the SLA clock then sets
    the next-response deadline (after commit) and the assignee is told. From the
    system (``by=None``, e.g. a template reply sent by a triage rule): no person
    answered, so it stops no SLA clock and leaves the status alone; the
    customers get it by mail. ``body_html`` (mail) is sanitised again and kept
    beside the text. A trainee's reply raises ``ReplyNeedsReview`` unless it
    comes with the mentor who approved it (``approved_by``, kept in the event):
    it waits in ``knowledge.reviews`` instead, by whatever channel it came.
    """
    return _add_public_message(
        ticket,
        body=body,
        by=by,
        files=files,
        channel=channel,
        body_html=body_html,
        approved_by=approved_by,
    )


def _add_public_message(
    ticket: Ticket,
    *,
    body: str,
    by: User | None,
    files: Sequence[Any],
    channel: str,
    body_html: str = "",
    asks: bool = False,
    take_on: bool = True,
    approved_by: User | None = None,
) -> Message:
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    if by is not None and by.is_staff_member and approved_by is None and _needs_review(by):
        raise ReplyNeedsReview(_("Your replies go to your mentor first: send this one for review."))
    check_length(body)
    check_uploads(list(files))
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        if ticket.merged_into_id is not None:  # a merged ticket lives on in its survivor
            ticket = lock_ticket(ticket.merged_into_id)
        changed: list[str] = []
        if by is None:
            pass
        elif by.is_staff_member:
            _require_staff(by)
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                changed.append("first_response_at")
            changed += _answered(ticket)
            if ticket.status == Status.NEW:
                changed += _set_status(ticket, Status.OPEN, by, now)
        else:
            if not by.is_active:
                raise PermissionDenied("Deactivated people cannot write.")
            if ticket.status == Status.CLOSED and not ticket.requester_may_reopen(now):
                # Mail to it opens a new ticket linked to this one (mail.inbound).
                raise TicketClosed(
                    _("This request was closed. Please open a new one and mention %(ref)s.")
                    % {"ref": ticket.reference}
                )
            if ticket.status in (Status.RESOLVED, Status.CLOSED):
                changed += _set_status(ticket, Status.OPEN, by, now)
                record_event(ticket, EventKind.REOPENED, by=by, at=now, reason="customer reply")
            elif ticket.status == Status.WAITING_CUSTOMER:
                changed += _set_status(ticket, Status.OPEN, by, now)
        message = Message.objects.create(
            ticket=ticket,
            kind=MessageKind.REPLY,
            author=by,
            channel=channel,
            body=body,
            body_html=clean_message_html(body_html),
            created_at=now,
        )
        _store_files(ticket, message, files, by=by, internal=False)
        record_event(
            ticket,
            EventKind.REPLY,
            by=by,
            at=now,
            message=message.pk,
            **({"asks": True} if asks else {}),
            **({"approved_by": approved_by.pk} if approved_by is not None else {}),
        )
        _touch(ticket, now, *changed)
        if take_on and by is not None and by.is_staff_member and ticket.assignee_id is None:
            _take_on_reply(ticket, by)
    return message


def _take_on_reply(ticket: Ticket, by: User) -> None:
    """Whoever answers an unassigned ticket becomes its assignee, so the customer
    sees a person on it: when it is in one of their teams, or not yet routed
    (then it joins their team). Someone answering for another team (a
    supervisor) leaves it to that team, and so does a team whose setting
    ``assign_on_reply`` is off."""
    if ticket.team_id is None or by.teams.filter(pk=ticket.team_id, assign_on_reply=True).exists():
        assign_ticket(ticket, by=by, assignee=by)


def add_note(
    ticket: Ticket,
    *,
    body: str,
    by: User | None,
    files: Sequence[Any] = (),
    mentions: bool = True,
) -> Message:
    """An internal note: staff only, never shown to the customer anywhere.

    ``@username`` mentions mail the agents named, unless ``mentions`` is off:
    a note that carries words from outside (mail from a stranger, a bounce)
    must not let its author mail our agents."""
    _require_staff_or_system(by)
    if not body.strip():
        raise ValidationError({"body": _("Write a note.")})
    check_length(body)
    check_uploads(list(files))
    now = timezone.now()
    if ticket.merged_into_id is not None:  # a merged ticket lives on in its survivor
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    with transaction.atomic():
        message = Message.objects.create(
            ticket=ticket, kind=MessageKind.NOTE, author=by, body=body, created_at=now
        )
        _store_files(ticket, message, files, by=by, internal=True)
        record_event(
            ticket,
            EventKind.NOTE,
            by=by,
            at=now,
            message=message.pk,
            **({} if mentions else {"mentions": False}),
        )
        _touch(ticket, now)
    return message


def log_call(
    ticket: Ticket,
    *,
    by: User,
    direction: str,
    phone: str,
    duration_seconds: int,
    summary: str,
    files: Sequence[Any] = (),
) -> Message:
    """A phone call on the ticket, logged by staff: internal, like a note, with the
    direction, number and length; a recording goes in as an internal attachment."""
    _require_staff(by)
    if not summary.strip():
        raise ValidationError({"summary": _("Say what the call was about.")})
    check_length(summary, field="summary")
    check_uploads(list(files))
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        message = Message.objects.create(
            ticket=ticket,
            kind=MessageKind.CALL,
            author=by,
            channel=Channel.PHONE,
            body=summary,
            created_at=now,
        )
        CallDetails.objects.create(
            message=message,
            direction=direction,
            phone=phone,
            duration_seconds=max(int(duration_seconds), 0),
        )
        _store_files(ticket, message, files, by=by, internal=True)
        record_event(ticket, EventKind.CALL, by=by, at=now, message=message.pk, direction=direction)
        changed = []
        if ticket.first_response_at is None:  # a call is an answer
            ticket.first_response_at = now
            changed.append("first_response_at")
        changed += _answered(ticket)
        _touch(ticket, now, *changed)
    return message


def request_information(
    ticket: Ticket,
    *,
    body: str,
    by: User,
    files: Sequence[Any] = (),
    approved_by: User | None = None,
) -> Message:
    """Ask the customer for something: a public reply, then waiting for the customer.
    A trainee's question, like their reply, needs the mentor who approved it."""
    _require_staff(by)
    with transaction.atomic():
        message = _add_public_message(
            ticket,
            body=body,
            by=by,
            files=files,
            channel=Channel.WEB,
            asks=True,
            approved_by=approved_by,
        )
        ticket.refresh_from_db()
        if ticket.status != Status.WAITING_CUSTOMER:
            change_status(ticket, status=Status.WAITING_CUSTOMER, by=by)
    return message


def reply_and_resolve(
    ticket: Ticket,
    *,
    body: str,
    by: User,
    files: Sequence[Any] = (),
    closure_reason: str = "",
) -> Message:
    """A public reply that resolves the ticket ("send and resolve") with
    ``closure_reason``, in one transaction: a resolve that is refused takes the
    reply back too."""
    with transaction.atomic():
        message = add_reply(ticket, body=body, by=by, files=files)
        change_status(ticket, status=Status.RESOLVED, by=by, closure_reason=closure_reason)
    return message


def reply_and_wait(ticket: Ticket, *, body: str, by: User, files: Sequence[Any] = ()) -> Message:
    """A public reply after which the ticket waits for the customer ("send and
    wait"), in one transaction. Unlike :func:`request_information` the reply is
    not marked as a question: the customer has something to try, not to answer."""
    _require_staff(by)
    with transaction.atomic():
        message = add_reply(ticket, body=body, by=by, files=files)
        ticket.refresh_from_db()
        if ticket.status != Status.WAITING_CUSTOMER:
            change_status(ticket, status=Status.WAITING_CUSTOMER, by=by)
    return message
