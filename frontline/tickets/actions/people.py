"""Who takes part in a ticket: participants, and contacts that turn out to be an account."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User

from ..access import can_see_ticket
from ..events import record_event
from ..models import (
    EventKind,
    ParticipantSource,
    Ticket,
    TicketFollower,
    TicketParticipant,
)
from ._base import (
    _require_staff,
    _touch,
)


def add_participant(
    ticket: Ticket,
    *,
    user: User,
    by: User | None,
    how: str = ParticipantSource.DESK,
) -> bool:
    """Bring ``user`` (a customer) into the ticket: they see it on the portal, may
    reply by mail and are notified. Staff add people; so do the system (``by=None``)
    and a customer who sees the ticket (the people they copy on mail). Someone a
    customer brings in is *proposed*, not confirmed: they get no mail from the
    desk until an agent confirms them (:func:`confirm_participant`), so an agent's
    reply never goes to addresses a sender chose. Staff adding a proposed person
    confirm them. Staff members and the requester are refused (they see it
    already): ``ValidationError``. Returns False if they already take part (and
    nothing changed). Writes a PARTICIPANT_ADDED (or PARTICIPANT_CONFIRMED) event.
    """
    if by is not None and not by.is_staff_member and not can_see_ticket(by, ticket):
        raise PermissionDenied("Only people on the ticket may bring others in.")
    if user.is_staff_member or not user.is_active:
        raise ValidationError({"user": _("Only active customers can be added to a ticket.")})
    if user.pk == ticket.requester_id:
        raise ValidationError({"user": _("The requester already takes part.")})
    confirmed = by is None or by.is_staff_member
    now = timezone.now()
    with transaction.atomic():
        participant, created = TicketParticipant.objects.get_or_create(
            ticket=ticket,
            user=user,
            defaults={"added_by": by, "how": how, "created_at": now, "confirmed": confirmed},
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
                confirmed=confirmed,
            )
        elif confirmed and by is not None and not participant.confirmed:
            return _confirm(ticket, participant, by=by, at=now)
    return created


def confirm_participant(ticket: Ticket, *, user: User, by: User) -> bool:
    """Staff confirm someone a customer copied in: from now on they hear the
    ticket's public replies. Returns False if they were confirmed already;
    ``TicketParticipant.DoesNotExist`` if they do not take part. Writes a
    PARTICIPANT_CONFIRMED event."""
    _require_staff(by)
    with transaction.atomic():
        participant = TicketParticipant.objects.select_for_update().get(ticket=ticket, user=user)
        if participant.confirmed:
            return False
        return _confirm(ticket, participant, by=by, at=timezone.now())


def _confirm(
    ticket: Ticket, participant: TicketParticipant, *, by: User, at: datetime.datetime
) -> bool:
    updated = TicketParticipant.objects.filter(pk=participant.pk, confirmed=False).update(
        confirmed=True
    )
    if updated:
        record_event(
            ticket,
            EventKind.PARTICIPANT_CONFIRMED,
            by=by,
            at=at,
            user=participant.user_id,
            name=participant.user.display_name,
        )
    return bool(updated)


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


def take_over_requests(
    user: User,
    *,
    contacts: Sequence[User],
    by: User | None = None,
    reason: str = "address confirmed",
) -> int:
    """``contacts`` (made from mail before ``user`` proved the address) are
    ``user``: their requests become ``user``'s (and their organisation's, where
    they had none), and ``user`` takes their place on the tickets they were
    copied on, except where ``user`` takes part already or asked. Each ticket
    changed gets an event saying who it moved from, so nobody wonders why the
    requester changed (``reason``: the address was confirmed, or ``by``, staff,
    merged the contacts). Called inside the caller's transaction; returns how
    many tickets moved."""
    ids = [c.pk for c in contacts]
    names = {c.pk: c.display_name for c in contacts}
    now = timezone.now()
    moved = 0
    with transaction.atomic():
        for ticket in Ticket.objects.select_for_update().filter(requester__in=ids):
            record_event(
                ticket,
                EventKind.REQUESTER,
                by=by,
                at=now,
                old=names[ticket.requester_id],
                new=user.display_name,
                reason=reason,
            )
            ticket.requester = user
            changed = ["requester"]
            if ticket.organisation_id is None and user.organisation_id:
                ticket.organisation_id = user.organisation_id
                changed.append("organisation")
            _touch(ticket, now, *changed)
            moved += 1
        taking_part = set(
            TicketParticipant.objects.filter(user=user).values_list("ticket_id", flat=True)
        )
        rows = TicketParticipant.objects.filter(user__in=ids).select_related("ticket")
        for row in rows:
            ticket = row.ticket
            record_event(
                ticket,
                EventKind.PARTICIPANT_REMOVED,
                by=by,
                at=now,
                user=row.user_id,
                name=names[row.user_id],
            )
            if row.ticket_id in taking_part or ticket.requester_id == user.pk:
                row.delete()
                continue
            row.user = user
            row.save(update_fields=["user"])
            taking_part.add(row.ticket_id)
            record_event(
                ticket,
                EventKind.PARTICIPANT_ADDED,
                by=by,
                at=now,
                user=user.pk,
                name=user.display_name,
                how=row.how,
            )
    return moved


def follow_ticket(ticket: Ticket, *, by: User) -> bool:
    """``by`` (staff who may see the ticket) follows it: the customer's replies
    reach them as they reach the assignee. Returns False if they already did.
    Not a change to the ticket: no event."""
    _require_staff(by)
    if not can_see_ticket(by, ticket):
        raise PermissionDenied("Only someone who may see a ticket can follow it.")
    _follower, created = TicketFollower.objects.get_or_create(ticket=ticket, user=by)
    return created


def unfollow_ticket(ticket: Ticket, *, by: User) -> bool:
    """``by`` stops following the ticket. Returns False if they did not follow it."""
    deleted, _rows = TicketFollower.objects.filter(ticket=ticket, user=by).delete()
    return bool(deleted)
