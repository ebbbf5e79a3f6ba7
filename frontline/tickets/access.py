"""The one place that decides who may see a ticket or an attachment.

Views fetch objects only through these functions. Each raises ``Http404`` for
what the user may not see, so a stranger cannot even learn that it exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import Http404
from django.shortcuts import get_object_or_404

from frontline.accounts.models import User

from .models import Attachment, Message, Ticket, TicketParticipant, TicketQuerySet


def visible_tickets(user: User) -> TicketQuerySet:
    """Tickets ``user`` may see, in the desk for staff and on the portal for customers."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_staff_member:
        return Ticket.objects.for_agent(user)
    return Ticket.objects.for_requester(user)


def can_see_ticket(user: User, ticket: Ticket) -> bool:
    """Whether ``user`` may see ``ticket`` (in the desk or on the portal); one
    indexed query. For a yes/no question, where a 404 would be wrong (whom to
    mail, where to send someone after a change)."""
    return visible_tickets(user).filter(pk=ticket.pk).exists()


def requester_tickets(user: User, *, organisation: bool) -> TicketQuerySet:
    """The portal's list: the customer's own requests and those they take part
    in, or with ``organisation`` (for a manager) their organisation's, the
    manager's own among them (one index range)."""
    if not user.is_authenticated or not user.is_active or user.is_staff_member:
        return Ticket.objects.none()
    if organisation and user.is_org_manager and user.organisation_id:
        return Ticket.objects.for_requester(user).filter(organisation_id=user.organisation_id)
    return Ticket.objects.for_requester(user, with_organisation=False)


def may_write_by_mail(user: User, ticket: Ticket, *, via_token: bool = False) -> bool:
    """Whether mail from ``user`` may add to ``ticket``: its requester, a
    participant (copied on the ticket's mail, or added by an agent) or the
    requester's organisation's verified manager; staff only through the ticket's
    reply token and only on a ticket they may see, since a From header is easy
    to forge."""
    if user.is_staff_member:
        return via_token and can_see_ticket(user, ticket)
    if not user.is_active:
        return False
    if user.pk == ticket.requester_id:
        return True
    if TicketParticipant.objects.filter(ticket=ticket, user=user).exists():
        return True
    return bool(
        user.is_org_manager
        and user.organisation_id
        and user.organisation_id == ticket.organisation_id
        and user.email_verified_at
    )


def staff_who_may_see(ticket: Ticket, users: Iterable[User]) -> list[User]:
    """Those of ``users`` who are active staff and may see ``ticket`` (whom a
    note about it may be mailed to)."""
    return [u for u in users if u.is_active and u.is_staff_member and can_see_ticket(u, ticket)]


def access_ticket_for_requester(user: User, number: int) -> Ticket:
    """A ticket as its requester, a participant, or the requester's organisation's
    manager sees it on the portal."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    return get_object_or_404(Ticket.objects.for_requester(user).with_list_relations(), pk=number)


def access_ticket_for_agent(user: User, number: int) -> Ticket:
    """A ticket as a staff member sees it in the desk: supervisors see all, agents
    their teams', their own and the not yet routed."""
    if not user.is_authenticated or not user.is_staff_member:
        raise Http404
    return get_object_or_404(
        Ticket.objects.for_agent(user).with_list_relations().select_related("handoff_by"),
        pk=number,
    )


def access_message(user: User, message_id: int) -> Message:
    """A message, only if its ticket is visible to ``user``; internal notes and
    call logs only to staff."""
    message = get_object_or_404(Message.objects.select_related("ticket"), pk=message_id)
    if not visible_tickets(user).filter(pk=message.ticket_id).exists():
        raise Http404
    if message.is_internal and not user.is_staff_member:
        raise Http404
    return message


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """An attachment, only if its ticket is visible to ``user``; files of internal
    notes only to staff."""
    attachment = get_object_or_404(Attachment.objects.select_related("ticket"), pk=attachment_id)
    if not visible_tickets(user).filter(pk=attachment.ticket_id).exists():
        raise Http404
    if attachment.is_internal and not user.is_staff_member:
        raise Http404
    return attachment
