"""Who sees which in-app notification: each person their own, and only about
tickets they may still see (``tickets.access.visible_tickets``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from frontline.accounts.models import User
from frontline.tickets.access import visible_tickets

from .models import Notification

LATEST = 30  # the list shows this many, newest first
UNREAD_CAP = 99  # the bell counts no further ("99+")


def notifications_for(user: User) -> QuerySet[Notification]:
    """``user``'s notifications about tickets they may see, newest first."""
    if not user.is_authenticated or not user.is_staff_member:
        return Notification.objects.none()
    return (
        Notification.objects.filter(user=user, ticket__in=visible_tickets(user))
        .select_related("ticket", "actor")
        .order_by("-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    """How many are unread, counted up to ``UNREAD_CAP + 1`` (one indexed query)."""
    if not user.is_authenticated or not user.is_staff_member:
        return 0
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    return unread.values("pk")[: UNREAD_CAP + 1].count()


def access_notification(user: User, notification_id: int) -> Notification:
    """One of ``user``'s own notifications, about a ticket they may see; else 404."""
    if not user.is_authenticated or not user.is_staff_member:
        raise Http404
    return get_object_or_404(notifications_for(user), pk=notification_id)
