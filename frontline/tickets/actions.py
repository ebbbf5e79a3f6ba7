"""Every change to a ticket, one function per act.

Views, the API, mail handlers and commands call these and nothing else to change
a ticket. Each runs in a transaction, takes an explicit actor (``by``), writes
the change and a :class:`TicketEvent` row, and returns what it changed.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team, User
from frontline.lib.email_html import clean_message_html

from .events import record_event
from .forms import normalise_field_values
from .models import (
    OPEN_STATUSES,
    STATUS_TRANSITIONS,
    Attachment,
    CallDetails,
    Category,
    Channel,
    EventKind,
    FieldType,
    Message,
    MessageKind,
    ParticipantSource,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketParticipant,
)
from .uploads import check_uploads, safe_filename, sniff_content_type

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
) -> Ticket:
    """Register a request as a ticket with its first message.

    Required form fields of the category must be answered (``ValidationError``
    otherwise); file answers are stored as attachments. The team and priority
    come from the category; ``team`` is the team when the category names none
    (e.g. the mailbox's). ``body_html`` (mail) is sanitised again and kept
    beside the text. Writes a CREATED event. The first message is the returned
    ticket's ``opening_message``.
    """
    subject = " ".join(subject.split())[:300]
    if not subject:
        raise ValidationError({"subject": _("A subject is required.")})
    if not body.strip():
        raise ValidationError({"body": _("Describe the request.")})
    specs = list(category.fields.all()) if category else []
    values = normalise_field_values(specs, fields or {})
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
        ticket = Ticket.objects.create(
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
        for key, f in field_files:
            (attachment,) = _store_files(ticket, None, [f], by=by, internal=False)
            ticket.fields[key] = {"attachment": attachment.pk, "name": attachment.filename}
        if field_files:
            ticket.save(update_fields=["fields"])
        record_event(ticket, EventKind.CREATED, by=by, at=now, channel=channel, message=message.pk)
    ticket.opening_message = message
    return ticket


def _touch(ticket: Ticket, now: datetime.datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


def _set_status(ticket: Ticket, status: str, by: User | None, now: datetime.datetime) -> list[str]:
    """Move to ``status``, keep the timestamps that go with it, and record it."""
    old = ticket.status
    ticket.status = status
    changed = ["status"]
    if status == Status.RESOLVED:
        ticket.resolved_at = now
        changed.append("resolved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        changed.append("closed_at")
    elif old in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = None
        ticket.closed_at = None
        changed += ["resolved_at", "closed_at"]
    record_event(ticket, EventKind.STATUS, by=by, at=now, old=old, new=status)
    return changed


def _answered(ticket: Ticket) -> list[str]:
    """Staff answered the customer (a public reply or a call): the next-response
    clock stops until the customer writes again."""
    if ticket.next_response_due_at is None:
        return []
    ticket.next_response_due_at = None
    return ["next_response_due_at"]


def add_reply(
    ticket: Ticket,
    *,
    body: str,
    by: User | None,
    files: Sequence[Any] = (),
    channel: str = Channel.WEB,
    body_html: str = "",
) -> Message:
    """A public message on the ticket, from staff, the customer or the system.

    From staff: counts as the first response if it is one and answers the
    waiting customer message (the next-response deadline is cleared); a new
    ticket becomes open; the customers get it by mail. From the customer: a
    ticket waiting for them or resolved reopens; a closed one reopens within the
    reopen window and raises ``TicketClosed`` after it; the SLA clock then sets
    the next-response deadline (after commit) and the assignee is told. From the
    system (``by=None``, e.g. a template reply sent by a triage rule): no person
    answered, so it stops no SLA clock and leaves the status alone; the
    customers get it by mail. ``body_html`` (mail) is sanitised again and kept
    beside the text.
    """
    return _add_public_message(
        ticket, body=body, by=by, files=files, channel=channel, body_html=body_html
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
) -> Message:
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    check_uploads(list(files))
    now = timezone.now()
    with transaction.atomic():
        ticket = _lock_and_touch(ticket.pk, now)
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
                raise TicketClosed(
                    _("This request was closed. Please open a new one; we will link them.")
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
        )
        if changed:
            ticket.save(update_fields=changed)
    return message


def _lock_and_touch(pk: int, now: datetime.datetime) -> Ticket:
    """The ticket as stored, locked until the transaction ends, its ``updated_at``
    set to ``now``: one ``UPDATE … RETURNING`` for what ``select_for_update``
    and the closing update take two statements for.

    The UPDATE locks the row as ``select_for_update`` does (on PostgreSQL: until
    the transaction ends; a concurrent reply waits, then reads the row as the
    first one left it), so status changes are still made one after the other.
    SQLite locks the whole database for the transaction in any case.
    """
    if not connection.features.can_return_rows_from_update:
        ticket = Ticket.objects.select_for_update().get(pk=pk)
        _touch(ticket, now)
        return ticket
    qn = connection.ops.quote_name
    opts = Ticket._meta
    field = opts.get_field("updated_at")
    updated, key = field.column, opts.pk.column
    assert updated and key  # concrete fields have a column
    # Only the model's own (quoted) names are put in; the values are parameters.
    sql = (
        f"UPDATE {qn(opts.db_table)} SET {qn(updated)} = %s "  # noqa: S608
        f"WHERE {qn(key)} = %s RETURNING *"
    )
    rows = list(Ticket.objects.raw(sql, [field.get_db_prep_save(now, connection), pk]))
    if not rows:
        raise Ticket.DoesNotExist("No ticket matches the given query.")
    return rows[0]


def add_participant(
    ticket: Ticket,
    *,
    user: User,
    by: User | None,
    how: str = ParticipantSource.DESK,
) -> bool:
    """Bring ``user`` (a customer) into the ticket: they see it on the portal, may
    reply by mail and are notified. Staff add people; so do the system (``by=None``)
    and a customer who sees the ticket (the people they copy on mail). Staff
    members and the requester are refused (they see it already): ``ValidationError``.
    Returns False if they already take part. Writes a PARTICIPANT_ADDED event.
    """
    if (
        by is not None
        and not by.is_staff_member
        and not Ticket.objects.for_requester(by).filter(pk=ticket.pk).exists()
    ):
        raise PermissionDenied("Only people on the ticket may bring others in.")
    if user.is_staff_member or not user.is_active:
        raise ValidationError({"user": _("Only active customers can be added to a ticket.")})
    if user.pk == ticket.requester_id:
        raise ValidationError({"user": _("The requester already takes part.")})
    now = timezone.now()
    with transaction.atomic():
        _participant, created = TicketParticipant.objects.get_or_create(
            ticket=ticket, user=user, defaults={"added_by": by, "how": how, "created_at": now}
        )
        if created:
            record_event(
                ticket,
                EventKind.PARTICIPANT_ADDED,
                by=by,
                at=now,
                user=user.pk,
                name=user.display_name,
                how=how,
            )
    return created


def remove_participant(ticket: Ticket, *, user: User, by: User) -> bool:
    """Staff take ``user`` off the ticket. Returns False if they were not on it.
    Writes a PARTICIPANT_REMOVED event."""
    _require_staff(by)
    with transaction.atomic():
        deleted, _rows = TicketParticipant.objects.filter(ticket=ticket, user=user).delete()
        if deleted:
            record_event(
                ticket,
                EventKind.PARTICIPANT_REMOVED,
                by=by,
                user=user.pk,
                name=user.display_name,
            )
    return bool(deleted)


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
    check_uploads(list(files))
    now = timezone.now()
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
    check_uploads(list(files))
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
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
    ticket: Ticket, *, body: str, by: User, files: Sequence[Any] = ()
) -> Message:
    """Ask the customer for something: a public reply, then waiting for the customer."""
    _require_staff(by)
    with transaction.atomic():
        message = _add_public_message(
            ticket, body=body, by=by, files=files, channel=Channel.WEB, asks=True
        )
        ticket.refresh_from_db()
        if ticket.status != Status.WAITING_CUSTOMER:
            change_status(ticket, status=Status.WAITING_CUSTOMER, by=by)
    return message


def change_status(ticket: Ticket, *, status: str, by: User, reason: str = "") -> Ticket:
    """Staff move a ticket along ``STATUS_TRANSITIONS``; anything else is refused.

    Closing is not among the manual moves: a resolved ticket closes when the
    customer confirms or after the quiet period.
    """
    _require_staff(by)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if status == ticket.status:
            return ticket
        if status not in STATUS_TRANSITIONS[ticket.status]:
            raise ValidationError(
                _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                % {"old": ticket.get_status_display(), "new": Status(status).label}
            )
        reopened = ticket.status in (Status.RESOLVED, Status.CLOSED)
        changed = _set_status(ticket, status, by, now)
        if reopened:
            record_event(ticket, EventKind.REOPENED, by=by, at=now, reason=reason)
        _touch(ticket, now, *changed)
    return ticket


def change_priority(ticket: Ticket, *, priority: int, by: User | None, reason: str = "") -> Ticket:
    _require_staff_or_system(by)
    priority = Priority(int(priority))
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.priority == priority:
            return ticket
        record_event(
            ticket,
            EventKind.PRIORITY,
            by=by,
            at=now,
            old=ticket.priority,
            new=int(priority),
            reason=reason,
        )
        ticket.priority = priority
        _touch(ticket, now, "priority")
    return ticket


def change_category(ticket: Ticket, *, category: Category | None, by: User | None) -> Ticket:
    _require_staff_or_system(by)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.category_id == (category.pk if category else None):
            return ticket
        record_event(
            ticket,
            EventKind.CATEGORY,
            by=by,
            at=now,
            old=str(ticket.category) if ticket.category_id else None,
            new=str(category) if category else None,
        )
        ticket.category = category
        _touch(ticket, now, "category")
    return ticket


def update_field_values(ticket: Ticket, *, values: dict[str, Any], by: User) -> Ticket:
    """Staff correct or complete the answers of the ticket's form (not file answers).

    Required questions stay required. Records the changed keys with old and new
    values in a FIELDS event.
    """
    _require_staff(by)
    category = ticket.category
    if category is None:
        raise ValidationError(_("This ticket has no category, so no form to edit."))
    specs = [s for s in category.fields.all() if s.field_type != FieldType.FILE]
    clean = normalise_field_values(specs, values)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        keys = {s.key for s in specs}
        new = {k: v for k, v in ticket.fields.items() if k not in keys} | clean
        changes = {
            k: {"old": ticket.fields.get(k), "new": new.get(k)}
            for k in sorted(keys)
            if ticket.fields.get(k) != new.get(k)
        }
        if not changes:
            return ticket
        ticket.fields = new
        record_event(ticket, EventKind.FIELDS, by=by, at=now, changes=changes)
        _touch(ticket, now, "fields")
    return ticket


def set_tags(ticket: Ticket, *, names: Iterable[str], by: User | None) -> Ticket:
    _require_staff_or_system(by)
    wanted = sorted({n.strip().lower()[:50] for n in names if n.strip()})
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = sorted(ticket.tags.values_list("name", flat=True))
        if old == wanted:
            return ticket
        tags = [Tag.objects.get_or_create(name=n)[0] for n in wanted]
        ticket.tags.set(tags)
        record_event(ticket, EventKind.TAGS, by=by, at=now, old=old, new=wanted)
        _touch(ticket, now)
    return ticket


def assign_ticket(
    ticket: Ticket,
    *,
    by: User | None,
    assignee: User | None = None,
    team: Team | None = None,
    note: str = "",
    reason: str = "",
) -> Ticket:
    """Give the ticket to a person and/or a team.

    Handing it to anyone but yourself, or to another team, is a delegation and
    takes a handoff note, which the next person sees at the top of the ticket.
    An assignee outside the ticket's team brings the ticket to their team.
    A new ticket that gets an assignee becomes open. ``by=None`` is the system
    (automatic assignment, with ``reason`` saying which rule): no note needed.
    A ticket that lands on a team with nobody assigned is offered to the team's
    assignment strategy after commit.
    """
    if by is not None:
        _require_staff(by)
    note = note.strip()
    if assignee is not None and not (assignee.is_active and assignee.is_staff_member):
        raise ValidationError({"assignee": _("Tickets go to active staff only.")})
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        new_team = team if team is not None else ticket.team
        if assignee is not None:
            member_of = set(assignee.teams.values_list("id", flat=True))
            if new_team is None or new_team.pk not in member_of:
                if team is not None:
                    raise ValidationError(
                        {
                            "assignee": _("%(name)s is not in %(team)s.")
                            % {"name": assignee.display_name, "team": team.name}
                        }
                    )
                new_team = assignee.teams.order_by("tier", "name").first() or new_team
        team_changed = (new_team.pk if new_team else None) != ticket.team_id
        assignee_changed = (assignee.pk if assignee else None) != ticket.assignee_id
        if not team_changed and not assignee_changed:
            return ticket
        delegating = team_changed or (assignee is not None and (by is None or assignee.pk != by.pk))
        if delegating and not note and by is not None:
            raise ValidationError({"note": _("Write a handoff note for the next person.")})
        changed: list[str] = []
        if team_changed:
            record_event(
                ticket,
                EventKind.TEAM,
                by=by,
                at=now,
                old=ticket.team.name if ticket.team else None,
                new=new_team.name if new_team else None,
                team_id=new_team.pk if new_team else None,
                note=note,
            )
            ticket.team = new_team
            changed.append("team")
        if assignee_changed:
            record_event(
                ticket,
                EventKind.ASSIGNEE,
                by=by,
                at=now,
                old=ticket.assignee.display_name if ticket.assignee else None,
                new=assignee.display_name if assignee else None,
                assignee_id=assignee.pk if assignee else None,
                note=note,
                **({"reason": reason} if reason else {}),
            )
            ticket.assignee = assignee
            changed.append("assignee")
        if by is None and team_changed and reason and not note and ticket.handoff_note:
            # Frontline moved it on (an SLA breach, a rule): the new team reads why,
            # not the last person's note to someone else (that stays in the timeline).
            note = reason
        if note:
            ticket.handoff_note, ticket.handoff_by, ticket.handoff_at = note, by, now
            changed += ["handoff_note", "handoff_by", "handoff_at"]
        if assignee is not None and ticket.status == Status.NEW:
            changed += _set_status(ticket, Status.OPEN, by, now)
        _touch(ticket, now, *changed)
    return ticket


def confirm_solved(ticket: Ticket, *, by: User) -> Ticket:
    """The customer says the solution worked: a resolved ticket closes. Only the
    requester (or their organisation's manager) may say so, not people copied in."""
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not ticket.speaks_for_requester(by):
            raise ValidationError(_("Only the person who asked can confirm the solution."))
        if ticket.status != Status.RESOLVED:
            raise ValidationError(_("Only a resolved request can be confirmed."))
        record_event(ticket, EventKind.CONFIRMED, by=by, at=now)
        changed = _set_status(ticket, Status.CLOSED, by, now)
        _touch(ticket, now, *changed)
    return ticket


def close_quiet_resolved(*, now: datetime.datetime | None = None) -> int:
    """Close resolved tickets the customer left quiet for the configured period.

    Only resolved tickets: nothing closes an unresolved ticket by timeout. Each
    ticket is claimed with a conditional update, so a customer reply arriving
    at the same moment wins and the ticket stays open. Returns how many closed.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.FRONTLINE["RESOLVED_QUIET_DAYS"])
    ids = list(
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:1000]
    )
    closed = 0
    for pk in ids:
        with transaction.atomic():
            claimed = Ticket.objects.filter(
                pk=pk, status=Status.RESOLVED, resolved_at__lt=cutoff
            ).update(status=Status.CLOSED, closed_at=now, updated_at=now)
            if claimed:
                ticket = Ticket(pk=pk)
                record_event(
                    ticket,
                    EventKind.STATUS,
                    by=None,
                    at=now,
                    old=Status.RESOLVED,
                    new=Status.CLOSED,
                    reason="quiet period",
                )
                closed += 1
    return closed


__all__ = [
    "OPEN_STATUSES",
    "TicketClosed",
    "add_note",
    "add_participant",
    "add_reply",
    "assign_ticket",
    "change_category",
    "change_priority",
    "change_status",
    "close_quiet_resolved",
    "confirm_solved",
    "log_call",
    "open_ticket",
    "remove_participant",
    "request_information",
    "set_tags",
    "update_field_values",
]
