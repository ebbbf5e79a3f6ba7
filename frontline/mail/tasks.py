"""Background work of mail. Tasks take ids and call one function."""

from __future__ import annotations

from django.tasks import task

from . import outbound


@task
def notify(
    notice: str,
    ticket_id: int,
    message_id: int | None = None,
    actor_id: int | None = None,
    user_ids: list[int] | None = None,
) -> list[int]:
    """Write the notices of a ticket event; each is then sent on its own."""
    sent = outbound.notify(
        notice, ticket_id, message_id=message_id, actor_id=actor_id, user_ids=user_ids or ()
    )
    return [m.pk for m in sent]


@task
def deliver(outbound_id: int) -> str | None:
    """Send one outgoing message (retried by :func:`retry_due_mail` on failure)."""
    message = outbound.deliver(outbound_id)
    return message.status if message else None


@task
def retry_due_mail() -> int:
    """Queue the sends that are due again; enqueued every minute by ``frontline serve``."""
    return outbound.retry_due()
