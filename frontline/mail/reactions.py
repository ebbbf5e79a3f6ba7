"""Who hears of a ticket event by mail (listed in ``frontline/reactions.py``).

Each reaction picks the notice for the event and hands it to
:func:`frontline.mail.outbound.notify`, which chooses the recipients, never
mails an internal note to a customer, and writes every mail in one transaction
(a reaction that fails wrote none, so trying it again sends each mail once).
"""

from __future__ import annotations

from frontline.accounts.actions import learn_language
from frontline.accounts.models import User
from frontline.tickets.access import staff_who_may_see
from frontline.tickets.events import event_with_ticket
from frontline.tickets.models import Channel, Message, Status, TicketEvent

from . import outbound
from .models import InboundMessage, Notice


def writer_without_language(event: TicketEvent) -> bool:
    """A customer who never chose a language wrote (the language is learnt then)."""
    actor = event.actor
    return actor is not None and not actor.is_staff_member and not actor.language


def learn_writers_language(event_id: int) -> None:
    """A customer who never chose a language wrote by mail: their language is
    learnt from what they wrote, if it can be told surely, so that what we mail
    them (starting with the acknowledgement, the next reaction) is in it."""
    event = event_with_ticket(event_id)
    if event is None or event.actor is None or not writer_without_language(event):
        return
    message = Message.objects.filter(pk=event.data.get("message"), ticket=event.ticket_id).first()
    if message is not None and message.channel == Channel.EMAIL:
        learn_language(event.actor, text=message.body)


def may_acknowledge(event: TicketEvent) -> bool:
    """Not a ticket opened quietly (mail that may come from a forged address)."""
    return not event.data.get("quiet")


def tell_request_received(event_id: int) -> None:
    """A new ticket: the customer hears that it was received."""
    event = event_with_ticket(event_id)
    if event is not None and may_acknowledge(event):
        outbound.notify(Notice.RECEIVED, event.ticket_id, message_id=event.data.get("message"))


def ends_the_work(event: TicketEvent) -> bool:
    return event.data.get("new") in (Status.RESOLVED, Status.CLOSED)


def tell_resolved_or_closed(event_id: int) -> None:
    """A ticket was resolved or closed: the customers hear of it."""
    event = event_with_ticket(event_id)
    if event is not None and ends_the_work(event):
        outbound.notify(event.data["new"], event.ticket_id, actor_id=event.actor_id)


def tell_reply(event_id: int) -> None:
    """A public reply: from staff or Frontline the customers get it (as a request
    for information when it asks for one); from a customer the assignee hears."""
    event = event_with_ticket(event_id)
    if event is None:
        return
    by = event.actor
    if by is None or by.is_staff_member:
        notice = Notice.INFO_REQUESTED if event.data.get("asks") else Notice.REPLY
    else:
        notice = Notice.CUSTOMER_REPLIED
    outbound.notify(
        notice, event.ticket_id, message_id=event.data["message"], actor_id=event.actor_id
    )


def may_mention(event: TicketEvent) -> bool:
    return bool(event.data.get("mentions", True))


def tell_mentioned(event_id: int) -> None:
    """An internal note: the agents it names as ``@username`` (and who may see the
    ticket) hear of it, unless the note carries words from outside."""
    event = event_with_ticket(event_id)
    if event is None or not may_mention(event):
        return
    message = Message.objects.filter(pk=event.data["message"], ticket=event.ticket_id).first()
    if message is None:
        return
    named = outbound.mentioned_staff(message.body, event.ticket)
    if named:
        outbound.notify(
            Notice.MENTIONED,
            event.ticket_id,
            message_id=message.pk,
            actor_id=event.actor_id,
            user_ids=[u.pk for u in named],
        )


def tell_mentor(event_id: int) -> None:
    """A trainee's reply waits for review (``knowledge.reviews.hold_reply``): the
    mentor the event names hears of it, in the desk and by mail, if they may see
    the ticket (the "To review" queue shows them only those). The notice carries
    no text of the reply: it is read on the queue, where it is decided."""
    event = event_with_ticket(event_id)
    if event is None or not event.data.get("mentor"):
        return
    mentor = User.objects.filter(pk=event.data["mentor"]).first()
    if mentor is None or not staff_who_may_see(event.ticket, [mentor]):
        return
    outbound.notify(
        Notice.REPLY_HELD,
        event.ticket_id,
        actor_id=event.actor_id,
        user_ids=[mentor.pk],
    )


def names_an_assignee(event: TicketEvent) -> bool:
    return event.data.get("assignee_id") is not None


def tell_assignee(event_id: int) -> None:
    """A ticket was given to someone: they hear of it."""
    event = event_with_ticket(event_id)
    if event is not None and names_an_assignee(event):
        outbound.notify(
            Notice.ASSIGNED,
            event.ticket_id,
            actor_id=event.actor_id,
            user_ids=[event.data["assignee_id"]],
        )


def follow_split(event_id: int) -> None:
    """A message was split off into a new ticket: the mail it came in as
    belongs to the new ticket now (its mailbox is the one the new ticket's
    mail goes out from; a reply to that mail threads there)."""
    event = event_with_ticket(event_id)
    if event is not None and event.data.get("new"):
        InboundMessage.objects.filter(message_id=event.data["message"]).update(
            ticket_id=event.data["new"]
        )


def tell_split(event_id: int) -> None:
    """A message was split off into a new ticket: its writer (the new ticket's
    requester) hears the new number, by mail from the new ticket's own reply
    address, so that what they write about it lands there."""
    event = event_with_ticket(event_id)
    if event is not None and event.data.get("new"):
        outbound.notify(
            Notice.SPLIT,
            event.data["new"],
            actor_id=event.actor_id,
            extra={
                "old_reference": event.ticket.reference,
                "old_subject": event.ticket.subject,
            },
        )


def tell_merged(event_id: int) -> None:
    """Another ticket was merged into this one: the customers of both (its
    requester and participants now take part here) hear where the
    conversation goes on, each in their language."""
    event = event_with_ticket(event_id)
    if event is not None:
        outbound.notify(
            Notice.MERGED,
            event.ticket_id,
            actor_id=event.actor_id,
            extra={
                "merged_reference": f"#{event.data['merged']}",
                "merged_subject": event.data.get("subject", ""),
            },
        )
