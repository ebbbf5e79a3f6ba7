"""Background work of the API app: sending webhooks. Tasks take ids and call actions."""

from __future__ import annotations

from django.tasks import task

from . import actions


@task
def deliver_webhook(delivery_id: int) -> str | None:
    """Send one webhook delivery if it is due (claimed first: safe to run twice)."""
    return actions.deliver(delivery_id)


@task
def retry_due_webhooks() -> int:
    """Queue the deliveries due for another try; enqueued every minute by the scheduler."""
    due = actions.due_deliveries()
    for delivery_id in due:
        deliver_webhook.enqueue(delivery_id)
    return len(due)
