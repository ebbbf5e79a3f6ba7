"""Registering a request as a ticket."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team, User
from frontline.lib.email_html import clean_message_html
from frontline.lib.prepared import insert

from ..events import record_event
from ..forms import normalise_field_values
from ..models import (
    Category,
    Channel,
    EventKind,
    FieldType,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
)
from ..uploads import check_length, check_uploads
from ._base import (
    RESOLUTION_TARGET,
    _set_status,
    _store_files,
)


def open_ticket(
    *,
    requester: User,
    subject: str,
    body: str,
    by: User,
    category: Category | None = None,
    fields: dict[str, Any] | None = None,
    channel: str = Channel.WEB,
    files: Sequence[Any] = (),
    priority: int | None = None,
    body_html: str = "",
    team: Team | None = None,
    ask_missing: bool = False,
    acknowledge: bool = True,
) -> Ticket:
    """Register a request as a ticket with its first message.

    Required form fields of the category must be answered (``ValidationError``
    otherwise); file answers are stored as attachments. The team and priority
    come from the category; ``team`` is the team when the category names none
    (e.g. the mailbox's). ``body_html`` (mail) is sanitised again and kept
    beside the text. Writes a CREATED event. The first message is the returned
    ticket's ``opening_message``.

    With ``ask_missing`` (mail, which cannot fill in a form) a missing required
    answer does not refuse the request: the ticket is registered waiting for
    the customer, its CREATED event lists the ``missing`` keys, and the
    acknowledgement asks for them (``Ticket.missing_answers``).

    ``acknowledge=False`` (mail that may come from a forged address) marks the
    CREATED event ``quiet``: nobody is told the request was received.
    """
    subject = " ".join(subject.split())[:300]
    if not subject:
        raise ValidationError({"subject": _("A subject is required.")})
    if not body.strip():
        raise ValidationError({"body": _("Describe the request.")})
    check_length(body)
    specs = list(category.fields.all()) if category else []
    values = normalise_field_values(specs, fields or {}, allow_missing=ask_missing)
    field_files = [
        (spec.key, values[spec.key])
        for spec in specs
        if spec.field_type == FieldType.FILE and spec.key in values
    ]
    check_uploads([*files, *(f for _, f in field_files)])
    now = timezone.now()
    if priority is None:
        priority = category.default_priority if category else Priority.NORMAL
    with transaction.atomic():
        # Each written by ``insert``: its statement built once (issue 19).
        ticket = insert(
            Ticket(
                subject=subject,
                requester=requester,
                organisation_id=requester.organisation_id,
                channel=channel,
                category=category,
                priority=priority,
                team=(category.default_team if category else None) or team,
                fields={k: v for k, v in values.items() if k not in dict(field_files)},
                created_at=now,
                updated_at=now,
                due_at=now + RESOLUTION_TARGET[Priority(priority)],
                reply_token=secrets.token_hex(10),
            )
        )
        message = insert(
            Message(
                ticket=ticket,
                kind=MessageKind.REPLY,
                author=by,
                channel=channel,
                body=body,
                body_html=clean_message_html(body_html),
                created_at=now,
            )
        )
        _store_files(ticket, message, files, by=by, internal=False)
        for key, f in field_files:
            (attachment,) = _store_files(ticket, None, [f], by=by, internal=False)
            ticket.fields[key] = {"attachment": attachment.pk, "name": attachment.filename}
        if field_files:
            ticket.save(update_fields=["fields"])
        missing = [s.key for s in specs if s.required and s.key not in values]
        record_event(
            ticket,
            EventKind.CREATED,
            by=by,
            at=now,
            channel=channel,
            message=message.pk,
            **({"missing": missing} if missing else {}),
            **({} if acknowledge else {"quiet": True}),
        )
        if missing:
            # The clock waits for the customer until the answers are in.
            changed = _set_status(ticket, Status.WAITING_CUSTOMER, None, now)
            ticket.save(update_fields=changed)
    ticket.opening_message = message
    return ticket
