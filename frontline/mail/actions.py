"""Changes to in-app notifications: read when opened, or all at once."""

from __future__ import annotations

from django.utils import timezone

from frontline.accounts.models import User

from .models import Notification


def mark_read(notification: Notification, *, by: User) -> None:
    """``by`` opened their notification: it is read (once; opening again changes nothing)."""
    if notification.user_id != by.pk:
        raise PermissionError("Only its reader marks a notification read.")
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(*, by: User) -> int:
    """Every unread notification of ``by`` is read. Returns how many were unread."""
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())
