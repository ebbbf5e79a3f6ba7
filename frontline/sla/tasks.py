"""Background work of the SLA clock. Tasks take ids and call one action."""

from __future__ import annotations

from django.tasks import task

from . import actions


@task
def recompute(ticket_id: int) -> None:
    actions.recompute_deadlines(ticket_id)


@task
def sweep() -> list[int]:
    """Warnings and breaches due by now; enqueued every minute by ``frontline serve``."""
    return list(actions.sweep())


@task
def notify(event_id: int) -> list[int]:
    """Tell people about an SLA warning or breach event. For now this reads who
    should be told; outbound mail renders and sends to them here."""
    return [user.pk for user in actions.recipients_of(event_id)]
