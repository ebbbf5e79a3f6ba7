"""Background tasks for site-wide housekeeping.

Tasks take ids (or nothing), call one action and are idempotent: running one
twice, or on two machines at once, does no harm.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from frontline.tickets import actions


@task
def close_quiet_resolved_tickets() -> int:
    """Close resolved tickets the customer left quiet for the configured period.

    Enqueued every few minutes by ``frontline serve``; returns how many closed.
    """
    return actions.close_quiet_resolved()


@task
def prune_finished_tasks() -> int:
    """Delete the records of tasks that succeeded more than ``TASK_RESULTS_DAYS``
    ago (the periodic tasks alone leave thousands a day); failed ones are kept
    for a person to look at. Only for the database backend: RQ expires its own.
    Returns how many were deleted."""
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends["default"], DatabaseBackend):
        return 0
    cutoff = timezone.now() - timedelta(days=settings.FRONTLINE["TASK_RESULTS_DAYS"])
    old = DBTaskResult.objects.successful().filter(finished_at__lt=cutoff)
    deleted = 0
    # In chunks: a first run on a large table must not hold SQLite's lock for long.
    while ids := list(old.values_list("pk", flat=True)[:1000]):
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted


@task
def apply_retention_rules() -> int:
    """Delete what the retention rules say is due (``ops.retention``); enqueued
    every few hours by ``frontline serve``. Returns how many rules deleted anything."""
    from frontline.ops.retention import apply_rules

    return len(apply_rules())
