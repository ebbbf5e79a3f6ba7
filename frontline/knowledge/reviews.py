"""A trainee's public replies wait for their mentor.

An agent with a ``Traineeship`` writes replies that the ticket core refuses to
send on their own (``tickets.actions.ReplyNeedsReview``, asked of
``needs_review`` through ``REPLY_REVIEWERS`` in ``frontline/reactions.py``).
They are kept here as ``HeldReply`` rows, apart from the ticket's messages, so
nothing that shows or mails messages can reach the customer with one. The
mentor (or a supervisor) approves, with or without editing, and only then is
the reply sent, as the trainee's, through ``add_reply``; or sends it back with
a comment. Internal notes are never held.

The actions follow the ticket actions' contract: main object positional, the
rest keyword-only, the actor as ``by``, one transaction, one event.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.lib.prepared import Prepared
from frontline.tickets import actions as ticket_actions
from frontline.tickets.events import record_event
from frontline.tickets.models import EventKind, Message, Ticket
from frontline.tickets.uploads import check_length

from .models import HeldReply, HeldReplyState, Traineeship

# Asked on every desk ticket page: compiled once (lib.prepared).
_IN_TRAINING = Prepared(
    lambda p: Traineeship.objects.filter(trainee_id=p.user).values_list("pk", flat=True)[:1]
)


def needs_review(user: User) -> bool:
    """Whether ``user``'s public replies wait for a mentor: a trainee's do."""
    return bool(_IN_TRAINING(user=user.pk))


def mentor_of(user: User) -> User | None:
    """The mentor who approves ``user``'s public replies; None for anyone not in
    training (the demo plays a trainee's past replies as approved by them)."""
    found = Traineeship.objects.filter(trainee=user).select_related("mentor").first()
    return found.mentor if found else None


def hold_reply(ticket: Ticket, *, body: str, by: User) -> HeldReply:
    """Keep a trainee's public reply for their mentor. Nothing is sent, the ticket
    does not change; a ``REPLY_HELD`` event (with ids only, never the text) marks
    it in the staff timeline. Raises ``ValidationError`` for an empty or too long
    text, or when ``by`` is not a trainee (they send replies themselves)."""
    if not (by.is_active and by.is_staff_member):
        raise PermissionDenied("Only staff may do this.")
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    check_length(body)
    mentorship = Traineeship.objects.filter(trainee=by).first()
    if mentorship is None:
        raise ValidationError(_("Your replies are not reviewed: send it yourself."))
    if ticket.merged_into_id is not None:  # a merged ticket lives on in its survivor
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    with transaction.atomic():
        held = HeldReply.objects.create(ticket=ticket, trainee=by, body=body)
        record_event(ticket, EventKind.REPLY_HELD, by=by, held=held.pk, mentor=mentorship.mentor_id)
    return held


def _decide(held: HeldReply, *, by: User, state: str) -> HeldReply:
    """Lock the held reply, check it still waits and that ``by`` may decide."""
    locked = (
        HeldReply.objects.select_for_update().select_related("ticket", "trainee").get(pk=held.pk)
    )
    if locked.state != HeldReplyState.HELD:
        raise ValidationError(_("This reply was already decided on."))
    if by.pk == locked.trainee_id or not (by.is_active and by.is_staff_member):
        raise PermissionDenied("A trainee's reply is decided by someone else.")
    if (
        not by.sees_all_tickets
        and not Traineeship.objects.filter(trainee_id=locked.trainee_id, mentor=by).exists()
    ):
        raise PermissionDenied("Only the trainee's mentor or a supervisor decides.")
    locked.state = state
    locked.decided_by = by
    locked.decided_at = timezone.now()
    return locked


def approve_held_reply(held: HeldReply, *, by: User, body: str = "") -> Message:
    """The mentor lets the reply go: ``body`` (when given) is their edited text.
    It is sent as the trainee's public reply (``add_reply`` with ``approved_by``:
    the customer is mailed, the SLA clock stops now, the ``REPLY`` event names the
    mentor). Raises ``ValidationError`` when already decided on, ``PermissionDenied``
    for anyone but the trainee's mentor or a supervisor."""
    text = body if body.strip() else held.body
    check_length(text)
    with transaction.atomic():
        locked = _decide(held, by=by, state=HeldReplyState.APPROVED)
        message = ticket_actions.add_reply(
            locked.ticket, body=text, by=locked.trainee, approved_by=by
        )
        locked.edited = text != locked.body
        locked.body = text
        locked.message = message
        locked.save(
            update_fields=["state", "decided_by", "decided_at", "edited", "body", "message"]
        )
    return message


def return_held_reply(held: HeldReply, *, by: User, comment: str) -> HeldReply:
    """The mentor sends the reply back with ``comment`` (required): nothing is sent,
    the trainee sees the comment and writes again. A ``REPLY_RETURNED`` event."""
    if not comment.strip():
        raise ValidationError({"comment": _("Say what to change.")})
    check_length(comment, field="comment")
    with transaction.atomic():
        locked = _decide(held, by=by, state=HeldReplyState.RETURNED)
        locked.comment = comment
        locked.save(update_fields=["state", "decided_by", "decided_at", "comment"])
        record_event(
            locked.ticket,
            EventKind.REPLY_RETURNED,
            by=by,
            held=locked.pk,
            trainee=locked.trainee_id,
        )
    return locked
