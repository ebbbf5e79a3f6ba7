"""The one place that decides who may see a ticket or an attachment.

Views fetch objects only through these functions. Each raises ``Http404`` for
what the user may not see, so a stranger cannot even learn that it exists.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from frontline.accounts.models import User

from .models import Attachment, Message, MessageQuerySet, Ticket, TicketQuerySet


def visible_tickets(user: User) -> TicketQuerySet:
    """Tickets ``user`` may see, in the desk for staff and on the portal for customers."""
    if not user.is_authenticated or not user.is_active:
        return Ticket.objects.none()
    if user.is_staff_member:
        return Ticket.objects.for_agent(user)
    return Ticket.objects.for_requester(user)


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


def access_ticket(user: User, number: int) -> Ticket:
    """A ticket as ``user`` sees it on their side: in the desk for staff, on the
    portal for customers (for a caller that serves both, e.g. the API)."""
    if user.is_authenticated and user.is_staff_member:
        return access_ticket_for_agent(user, number)
    return access_ticket_for_requester(user, number)


def visible_messages(user: User, ticket: Ticket) -> MessageQuerySet:
    """The messages of a ticket already fetched through an ``access_*`` function:
    all of them for staff, never an internal note or call log for a customer."""
    messages = Message.objects.filter(ticket=ticket)
    if user.is_authenticated and user.is_active and user.is_staff_member:
        return messages
    return messages.public()


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
