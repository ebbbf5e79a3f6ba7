"""How tickets stand to each other: merging one into another, typed links."""

from __future__ import annotations

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User

from ..access import can_see_ticket
from ..events import record_event
from ..models import (
    UNDO_MERGE_WITHIN,
    Attachment,
    EventKind,
    LinkKind,
    Message,
    MessageKind,
    ParticipantSource,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketParticipant,
)
from ._base import (
    RESOLUTION_TARGET,
    _require_staff,
    _require_staff_or_system,
    _touch,
    lock_ticket,
)


def _may_relate(by: User | None, *tickets: Ticket) -> None:
    """Staff relate only tickets they may see (an agent of one team cannot reach
    another team's ticket by typing its number); ``by=None`` is Frontline."""
    _require_staff_or_system(by)
    if by is not None and not all(can_see_ticket(by, t) for t in tickets):
        raise PermissionDenied("You may not see one of these tickets.")


def same_customer(a: Ticket, b: Ticket) -> bool:
    """Whether ``a`` and ``b`` are one customer's: the same requester, or
    requesters of one organisation. Only those may be merged: a merge shows
    each customer the other's conversation."""
    return a.requester_id == b.requester_id or (
        a.organisation_id is not None and a.organisation_id == b.organisation_id
    )


def merge_tickets(ticket: Ticket, *, into: Ticket, by: User) -> Ticket:
    """Merge ``ticket`` into ``into``, which survives, and return the survivor.

    Its messages, attachments and events move to ``into``; its requester and
    participants take part in ``into``; it is closed and points at ``into``
    (``merged_into``), so its pages redirect and mail to it lands on ``into``.
    Tickets merged into it before now point at ``into`` too. Writes MERGED_INTO
    on ``ticket`` and MERGED on ``into`` (its customers are told, in their
    language, by the reaction to it). Both tickets are locked, lower number
    first. Refused (``ValidationError``): a ticket into itself, an already
    merged one, or tickets of different customers outside one organisation
    (link those instead); ``PermissionDenied`` for a ticket ``by`` may not see.
    """
    _require_staff(by)
    _may_relate(by, ticket, into)
    if ticket.pk == into.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    now = timezone.now()
    with transaction.atomic():
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .filter(pk__in=[ticket.pk, into.pk])
            .order_by("pk")
        }
        ticket, into = locked[ticket.pk], locked[into.pk]
        if ticket.merged_into_id is not None or into.merged_into_id is not None:
            raise ValidationError(_("A merged ticket cannot be merged again."))
        if not same_customer(ticket, into):
            raise ValidationError(
                _(
                    "These tickets belong to different customers: merging would show each "
                    "the other's conversation. Link them instead."
                )
            )
        # What moves is written down in the merge's event: undoing it moves that back.
        event_ids = list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))
        message_ids = list(Message.objects.filter(ticket=ticket).values_list("pk", flat=True))
        file_ids = list(Attachment.objects.filter(ticket=ticket).values_list("pk", flat=True))
        TicketEvent.objects.filter(pk__in=event_ids).update(ticket=into)
        Message.objects.filter(pk__in=message_ids).update(ticket=into)
        Attachment.objects.filter(pk__in=file_ids).update(ticket=into)
        # Whom the customer copied but no agent confirmed stays unconfirmed.
        confirmed = dict(
            TicketParticipant.objects.filter(ticket=ticket).values_list("user_id", "confirmed")
        )
        people = {ticket.requester_id: True, **confirmed}
        taking_part = set(
            TicketParticipant.objects.filter(ticket=into).values_list("user_id", flat=True)
        )
        added = []
        for user_id, is_confirmed in people.items():
            if user_id == into.requester_id or user_id in taking_part:
                continue
            TicketParticipant.objects.create(
                ticket=into,
                user_id=user_id,
                added_by=by,
                how=ParticipantSource.MERGE,
                confirmed=is_confirmed,
            )
            added.append(user_id)
        Ticket.objects.filter(merged_into=ticket).update(merged_into=into)
        TicketLink.objects.filter(
            Q(source=ticket, target=into) | Q(source=into, target=ticket)
        ).delete()
        TicketLink.objects.create(
            source=ticket, target=into, kind=LinkKind.MERGED, created_by=by, created_at=now
        )
        old_status, old_closed_at = ticket.status, ticket.closed_at
        ticket.merged_into = into
        ticket.status = Status.CLOSED
        ticket.closed_at = ticket.closed_at or now
        ticket.updated_at = now
        ticket.save(update_fields=["merged_into", "status", "closed_at", "updated_at"])
        record_event(
            ticket,
            EventKind.MERGED_INTO,
            by=by,
            at=now,
            into=into.pk,
            old_status=old_status,
            old_closed_at=old_closed_at.isoformat() if old_closed_at else None,
            moved={
                "events": event_ids,
                "messages": message_ids,
                "attachments": file_ids,
                "participants": added,
            },
        )
        record_event(
            into,
            EventKind.MERGED,
            by=by,
            at=now,
            merged=ticket.pk,
            subject=ticket.subject,
            requester=ticket.requester_id,
            messages=len(message_ids),
            attachments=len(file_ids),
            events=len(event_ids),
            participants=added,
        )
        into.updated_at = now
        into.save(update_fields=["updated_at"])
    return into


def may_undo_merge(link: TicketLink, now: datetime.datetime | None = None) -> bool:
    return link.kind == LinkKind.MERGED and (now or timezone.now()) - link.created_at < (
        UNDO_MERGE_WITHIN
    )


def undo_merge(ticket: Ticket, *, by: User) -> Ticket:
    """Undo the merge of ``ticket`` (the merged one) within ``UNDO_MERGE_WITHIN``:
    the messages, attachments and events that moved go back, the people the
    merge brought in leave the survivor, and ``ticket`` gets its status back.
    What was written on the survivor since stays there. An UNMERGED event on
    each; ``ValidationError`` if it was not merged or the day is over."""
    _require_staff(by)
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        if ticket.merged_into_id is None:
            raise ValidationError(_("This ticket is not merged."))
        into = lock_ticket(ticket.merged_into_id)
        _may_relate(by, ticket, into)
        link = TicketLink.objects.filter(source=ticket, target=into, kind=LinkKind.MERGED).first()
        merge = ticket.events.filter(kind=EventKind.MERGED_INTO).order_by("-created_at").first()
        if link is None or merge is None or not may_undo_merge(link, now):
            raise ValidationError(_("A merge can be undone only within a day."))
        moved = merge.data.get("moved", {})
        TicketEvent.objects.filter(pk__in=moved.get("events", []), ticket=into).update(
            ticket=ticket
        )
        Message.objects.filter(pk__in=moved.get("messages", []), ticket=into).update(ticket=ticket)
        Attachment.objects.filter(pk__in=moved.get("attachments", []), ticket=into).update(
            ticket=ticket
        )
        TicketParticipant.objects.filter(
            ticket=into, user_id__in=moved.get("participants", []), how=ParticipantSource.MERGE
        ).delete()
        link.delete()
        old_closed_at = merge.data.get("old_closed_at")
        ticket.merged_into = None
        ticket.status = merge.data.get("old_status") or Status.OPEN
        ticket.closed_at = datetime.datetime.fromisoformat(old_closed_at) if old_closed_at else None
        ticket.updated_at = now
        ticket.save(update_fields=["merged_into", "status", "closed_at", "updated_at"])
        record_event(ticket, EventKind.UNMERGED, by=by, at=now, other=into.pk)
        record_event(into, EventKind.UNMERGED, by=by, at=now, other=ticket.pk)
        _touch(into, now)
    return ticket


def surviving(ticket: Ticket) -> Ticket:
    """The ticket itself, or the one it was merged into (what a reply to it joins)."""
    if ticket.merged_into_id is None:
        return ticket
    return Ticket.objects.get(pk=ticket.merged_into_id)


def link_tickets(
    ticket: Ticket, *, to: Ticket, kind: str = LinkKind.RELATED, by: User | None
) -> TicketLink:
    """Link ``ticket`` to ``to`` as ``kind`` (read "ticket <kind> to": related
    to, duplicate of, child of). Shown on both tickets; an event on each
    (LINKED). Linking the same pair again changes the kind. A ticket may have
    one parent. ``by=None`` is Frontline (a reply to a long-closed ticket).
    """
    _may_relate(by, ticket, to)
    kind = LinkKind(kind)
    if kind == LinkKind.MERGED:
        raise ValidationError(_("Tickets are merged with the merge, not with a link."))
    if ticket.pk == to.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."))
    now = timezone.now()
    with transaction.atomic():
        pair = Q(source=ticket, target=to) | Q(source=to, target=ticket)
        existing = TicketLink.objects.select_for_update().filter(pair).first()
        if kind == LinkKind.CHILD:
            parent = TicketLink.objects.filter(source=ticket, kind=LinkKind.CHILD)
            if parent.exclude(target=to).exists():
                raise ValidationError(_("This ticket already has a parent."))
            if TicketLink.objects.filter(source=to, target=ticket, kind=LinkKind.CHILD).exists():
                raise ValidationError(_("A ticket cannot be the parent of its own parent."))
        if existing is not None and existing.kind == LinkKind.MERGED:
            raise ValidationError(_("These tickets are merged; undo the merge instead."))
        if existing is not None:
            if existing.source_id == ticket.pk and existing.kind == kind:
                return existing
            existing.delete()
        link = TicketLink.objects.create(
            source=ticket, target=to, kind=kind, created_by=by, created_at=now
        )
        record_event(ticket, EventKind.LINKED, by=by, at=now, other=to.pk, link=kind, side="source")
        record_event(to, EventKind.LINKED, by=by, at=now, other=ticket.pk, link=kind, side="target")
    return link


def unlink_tickets(ticket: Ticket, *, other: Ticket, by: User) -> bool:
    """Remove the link between ``ticket`` and ``other`` (either direction); an
    UNLINKED event on each. False if there was none."""
    _require_staff(by)
    _may_relate(by, ticket, other)
    now = timezone.now()
    with transaction.atomic():
        pair = Q(source=ticket, target=other) | Q(source=other, target=ticket)
        deleted, _rows = TicketLink.objects.filter(pair).exclude(kind=LinkKind.MERGED).delete()
        if deleted:
            record_event(ticket, EventKind.UNLINKED, by=by, at=now, other=other.pk)
            record_event(other, EventKind.UNLINKED, by=by, at=now, other=ticket.pk)
    return bool(deleted)


def split_message(message: Message, *, by: User, subject: str = "") -> Ticket:
    """Move ``message``, a customer's public message that is really another
    request, out of its ticket into a new ticket of its writer, and return the
    new ticket.

    The new ticket keeps the old one's category, form answers (not its
    files), team and priority (the same customer, the same context) and starts when the message
    was written; the message and its files move, and the two tickets are
    linked (related to). CREATED on the new ticket (``split_from``, quiet: no
    second acknowledgement) and SPLIT on the old one, whose reaction tells the
    writer the new number from the new ticket's own reply address, so their
    replies about it land there while the old thread goes on as before.
    ``ValidationError``: the ticket's first message (that is the request
    itself), a message by staff or Frontline, an internal one, a merged ticket.
    """
    _require_staff(by)
    ticket = message.ticket
    _may_relate(by, ticket)
    now = timezone.now()
    with transaction.atomic():
        ticket = lock_ticket(ticket.pk)
        message = Message.objects.select_related("author").get(pk=message.pk, ticket=ticket)
        writer = message.author
        if ticket.merged_into_id is not None:
            raise ValidationError(_("This ticket is merged; split its survivor instead."))
        if message.kind != MessageKind.REPLY or writer is None or writer.is_staff_member:
            raise ValidationError(_("Only a customer's message can become a request of its own."))
        first = Message.objects.filter(ticket=ticket).order_by("created_at", "id").first()
        if first is not None and first.pk == message.pk:
            raise ValidationError(
                _("The first message is the request itself; it cannot be split off.")
            )
        subject = " ".join(subject.split())[:300] or _first_line(message.body) or ticket.subject
        new = Ticket.objects.create(
            subject=subject,
            requester=writer,
            organisation_id=writer.organisation_id,
            channel=message.channel,
            category_id=ticket.category_id,
            # The answers, less files: those are the old ticket's attachments.
            fields={
                k: v
                for k, v in ticket.fields.items()
                if not (isinstance(v, dict) and "attachment" in v)
            },
            priority=ticket.priority,
            team_id=ticket.team_id,
            created_at=message.created_at,
            updated_at=now,
            due_at=now + RESOLUTION_TARGET[Priority(ticket.priority)],
            reply_token=secrets.token_hex(10),
        )
        Message.objects.filter(pk=message.pk).update(ticket=new)
        files = list(Attachment.objects.filter(message=message).values_list("pk", flat=True))
        Attachment.objects.filter(pk__in=files).update(ticket=new)
        TicketLink.objects.create(
            source=new, target=ticket, kind=LinkKind.RELATED, created_by=by, created_at=now
        )
        record_event(
            new,
            EventKind.CREATED,
            by=by,
            at=now,
            channel=message.channel,
            message=message.pk,
            split_from=ticket.pk,
            quiet=True,
        )
        record_event(
            ticket,
            EventKind.SPLIT,
            by=by,
            at=now,
            message=message.pk,
            new=new.pk,
            subject=new.subject,
            attachments=files,
        )
        _touch(ticket, now)
    return new


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:120]
    return ""
