"""Background work of the reports app: reactions to ticket events. Tasks take
ids and are idempotent (a retry does nothing twice)."""

from __future__ import annotations

from django.tasks import task

from frontline.tickets.models import TicketEvent

from . import actions, surveys


@task
def invite_to_survey(event_id: int) -> int | None:
    """Reaction to a STATUS event: a ticket just resolved asks its customer how the
    help was (see :func:`frontline.reports.actions.invite_to_survey`). Returns
    the invitation's id, or None if nobody is asked."""
    event = TicketEvent.objects.filter(pk=event_id).first()
    if event is None:
        return None
    invitation = actions.invite_to_survey(event)
    return invitation.pk if invitation else None


@task
def mail_survey(invitation_id: int) -> int | None:
    """Write the survey mail of one invitation, once."""
    return surveys.mail_invitation(invitation_id)
