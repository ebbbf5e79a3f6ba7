"""Changes to a ticket's state: status, priority, category, form answers, tags, closing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import Team, User

from ..events import record_event
from ..forms import normalise_field_values
from ..models import (
    STATUS_TRANSITIONS,
    Category,
    ClosureReason,
    EventKind,
    FieldType,
    Priority,
    Status,
    Tag,
    Ticket,
)
from ._base import (
    _require_staff,
    _require_staff_or_system,
    _set_status,
    _store_files,
    _touch,
    lock_ticket,
)
from .assignment import assign_ticket


def change_status(
    ticket: Ticket, *, status: str, by: User, reason: str = "", closure_reason: str = ""
) -> Ticket:
    """Staff move a ticket along ``STATUS_TRANSITIONS``; anything else is refused.

    Closing is not among the manual moves: a resolved ticket closes when the
    customer confirms or after the quiet period. Resolving keeps
    ``closure_reason`` (a ``ClosureReason``; the desk's forms require one,
    other callers may leave it empty); an unknown one is refused.
    """
    _require_staff(by)
    if closure_reason and closure_reason not in ClosureReason.values:
        raise ValidationError({"closure_reason": _("Choose a closure reason from the list.")})
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        if status == ticket.status:
            return ticket
        if status not in STATUS_TRANSITIONS[ticket.status]:
            raise ValidationError(
                _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                % {"old": ticket.get_status_display(), "new": Status(status).label}
            )
        reopened = ticket.status in (Status.RESOLVED, Status.CLOSED)
        changed = _set_status(ticket, status, by, now, closure_reason)
        if reopened:
            record_event(ticket, EventKind.REOPENED, by=by, at=now, reason=reason)
        _touch(ticket, now, *changed)
    return ticket


def change_priority(ticket: Ticket, *, priority: int, by: User | None, reason: str = "") -> Ticket:
    _require_staff_or_system(by)
    priority = Priority(int(priority))
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
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
        ticket = lock_ticket(ticket.pk)
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
        ticket = lock_ticket(ticket.pk)
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


class NothingMissing(ValidationError):
    """The answers a link asked for are already in (the link works once)."""


def answer_missing_fields(ticket: Ticket, *, values: dict[str, Any], by: User) -> Ticket:
    """The customer answers the required questions their mail left open (through
    the signed link of the acknowledgement). Only the missing questions are
    taken, all of them required; file answers are stored as attachments.
    Records a FIELDS event by the customer; a ticket waiting for them opens.

    ``by`` must speak for the requester; ``NothingMissing`` once answered.
    """
    if not ticket.speaks_for_requester(by) or by.is_staff_member:
        raise ValidationError(_("Only the person who asked can answer these questions."))
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        specs = ticket.missing_answers()
        if not specs:
            raise NothingMissing(_("These questions are already answered."))
        clean = normalise_field_values(specs, {s.key: values.get(s.key) for s in specs})
        changes = {k: {"old": ticket.fields.get(k), "new": v} for k, v in clean.items()}
        for spec in specs:
            if spec.field_type == FieldType.FILE:
                (attachment,) = _store_files(ticket, None, [clean[spec.key]], by=by, internal=False)
                clean[spec.key] = {"attachment": attachment.pk, "name": attachment.filename}
                changes[spec.key]["new"] = clean[spec.key]
        ticket.fields = ticket.fields | clean
        record_event(ticket, EventKind.FIELDS, by=by, at=now, changes=changes)
        changed = ["fields"]
        if ticket.status == Status.WAITING_CUSTOMER:
            changed += _set_status(ticket, Status.OPEN, by, now)
        _touch(ticket, now, *changed)
    return ticket


def set_tags(ticket: Ticket, *, names: Iterable[str], by: User | None) -> Ticket:
    _require_staff_or_system(by)
    wanted = sorted({n.strip().lower()[:50] for n in names if n.strip()})
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        old = sorted(ticket.tags.values_list("name", flat=True))
        if old == wanted:
            return ticket
        tags = [Tag.objects.get_or_create(name=n)[0] for n in wanted]
        ticket.tags.set(tags)
        record_event(ticket, EventKind.TAGS, by=by, at=now, old=old, new=wanted)
        _touch(ticket, now)
    return ticket


def confirm_solved(ticket: Ticket, *, by: User) -> Ticket:
    """The customer says the solution worked: a resolved ticket closes. Only the
    requester (or their organisation's manager) may say so, not people copied in."""
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
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


def update_ticket(
    ticket: Ticket,
    *,
    by: User,
    status: str,
    priority: int,
    category: Category | None,
    tags: Iterable[str],
    reason: str = "",
    closure_reason: str = "",
    hand_over: bool = False,
    assignee: User | None = None,
    team: Team | None = None,
    note: str = "",
) -> Ticket:
    """Several changes at once (the desk's side panel): status (resolving with
    ``closure_reason``), priority (with ``reason``), category and tags, then,
    with ``hand_over``, the assignee and team (last: the other changes are
    made while the ticket is still ours). Each is its own action and event,
    all in one transaction, so a change refused halfway (``ValidationError``)
    leaves the ticket as it was."""
    _require_staff(by)
    priority = Priority(int(priority))
    with transaction.atomic():
        # Locked once here: a change whose value is already the ticket's is not
        # made (each action would lock and read the ticket again to find that out,
        # three statements in a savepoint each time).
        current = lock_ticket(ticket.pk)
        if status != current.status or closure_reason:
            change_status(ticket, status=status, by=by, closure_reason=closure_reason)
        if priority != current.priority:
            change_priority(ticket, priority=priority, by=by, reason=reason)
        if (category.pk if category else None) != current.category_id:
            change_category(ticket, category=category, by=by)
        set_tags(ticket, names=tags, by=by)
        if hand_over:
            assign_ticket(ticket, by=by, assignee=assignee, team=team, note=note)
    ticket.refresh_from_db()
    return ticket
