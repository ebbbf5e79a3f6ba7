"""Background tasks for site-wide housekeeping.

Tasks take ids (or nothing), call one action and are idempotent: running one
twice, or on two machines at once, does no harm.
"""

from __future__ import annotations

from django.tasks import task

from frontline.tickets import actions


@task
def close_quiet_resolved_tickets() -> int:
    """Close resolved tickets the customer left quiet for the configured period.

    Enqueued every few minutes by ``frontline serve``; returns how many closed.
    """
    return actions.close_quiet_resolved()
