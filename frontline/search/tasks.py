"""The search index's background check (enqueued by ``frontline serve``'s scheduler)."""

from __future__ import annotations

import datetime

from django.tasks import task
from django.utils import timezone

from .drift import check

WINDOW = datetime.timedelta(hours=2)
# Changes younger than this may still have their reaction on its way.
SETTLE = datetime.timedelta(minutes=10)


@task
def check_recent_drift() -> int:
    """Compare the index rows of tickets and articles changed in the last two hours
    (up to ten minutes ago) with what they say now, log a warning for any that
    drifted, and write them right. Idempotent; returns how many were wrong."""
    now = timezone.now()
    found = 0
    for kind in ("tickets", "articles"):
        drift = check(kind, changed_since=now - WINDOW, changed_before=now - SETTLE, repair=True)
        found += drift.found
    return found
