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
    """Mail the people an SLA warning or breach event names; the ids of the mails."""
    return actions.mail_recipients(event_id)
