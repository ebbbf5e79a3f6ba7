"""The desk's notifications: the bell's count (polled by htmx), the list, opening one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from frontline.accounts.middleware import not_activity
from frontline.lib.http import AuthedRequest
from frontline.mail.access import (
    LATEST,
    UNREAD_CAP,
    access_notification,
    notifications_for,
    unread_count,
)
from frontline.mail.actions import mark_all_read, mark_read
from frontline.mail.models import Notice

from .views import staff_required


@staff_required
@not_activity
def bell(request: AuthedRequest) -> HttpResponse:
    """The bell with its unread count, for the top bar to poll."""
    count = unread_count(request.user)
    return render(request, "desk/_bell.html", {"unread": count, "cap": UNREAD_CAP})


@staff_required
def notifications(request: AuthedRequest) -> HttpResponse:
    latest = list(notifications_for(request.user)[:LATEST])
    return render(request, "desk/notifications.html", {"notifications": latest})


@staff_required
def open_notification(request: AuthedRequest, notification_id: int) -> HttpResponse:
    """Opening a notification reads it and goes to its ticket (a reply to review:
    to the "To review" queue, where it is decided)."""
    notification = access_notification(request.user, notification_id)
    mark_read(notification, by=request.user)
    if notification.notice == Notice.REPLY_HELD:
        return redirect("desk:review")
    return redirect("desk:ticket", number=notification.ticket_id)


@staff_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    count = mark_all_read(by=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("desk:notifications")
