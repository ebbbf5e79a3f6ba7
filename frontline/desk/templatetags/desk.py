"""Small template helpers for the desk, in Python because they run once per row."""

from __future__ import annotations

import datetime
import functools

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from frontline.lib.email_html import (
    clean_message_html,
    has_remote_images,
    split_quoted_html,
    split_quoted_text,
    with_remote_images,
)
from frontline.tickets.models import Message, Ticket

register = template.Library()


# Which deadline the tag shows: the resolution one, or a response one.
DEADLINES = {
    "resolution": "due_at",
    "first_response": "first_response_due_at",
    "next_response": "next_response_due_at",
}


@register.simple_tag
def due(ticket: Ticket, which: str = "resolution") -> SafeString | str:
    """A deadline as the desk shows it: "in 3 hours", "2 days overdue" (red), or a
    dash (closed ticket, or no such deadline running)."""
    moment = getattr(ticket, DEADLINES[which])
    if not ticket.is_open or moment is None:
        return "—"
    now = timezone.now()
    stamp = moment.isoformat()
    overdue = ticket.is_overdue if which == "resolution" else moment < now
    title = date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if overdue:
        text = _("%(ago)s overdue") % {"ago": short_span(now - moment)}
        return format_html(
            '<time class="overdue" datetime="{}" title="{}">{}</time>', stamp, title, text
        )
    text = _("in %(left)s") % {"left": short_span(moment - now)}
    return format_html('<time datetime="{}" title="{}">{}</time>', stamp, title, text)


def short_span(delta: datetime.timedelta) -> str:
    """A length of time in one short unit, for narrow columns: "5 min", "3 h", "2 d"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(n)d h") % {"n": minutes // 60}
    return _("%(n)d d") % {"n": minutes // (24 * 60)}


@register.simple_tag
def ago(moment: datetime.datetime | None) -> SafeString | str:
    """When something happened, short ("3 h ago"), the full date in ``title``."""
    if moment is None:
        return "—"
    delta = timezone.now() - moment
    text = (
        _("just now")
        if delta < datetime.timedelta(minutes=1)
        else (_("%(span)s ago") % {"span": short_span(delta)})
    )
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        moment.isoformat(),
        date_format(timezone.localtime(moment), "DATETIME_FORMAT"),
        text,
    )


@register.simple_tag
def message_parts(message: Message, images: bool = False) -> dict[str, object]:
    """A message's body for the desk: the sender's HTML if there is some (sanitised
    again here; remote images only if ``images``), and the quoted history or
    signature apart, to be folded."""
    if message.body_html:
        body = message.body_html
        # Remembered only while small: a cache of huge mails would cost gigabytes.
        parts = _html_parts if len(body) <= CACHED_HTML_CHARS else _html_parts.__wrapped__
        main, folded, remote = parts(body, images)
        return {
            "html": True,
            # Sanitised by nh3 in _html_parts: nothing executable is left in them.
            "main": mark_safe(main),  # noqa: S308
            "folded": mark_safe(folded),  # noqa: S308
            "remote": remote,
        }
    main, folded = split_quoted_text(message.body)
    return {"html": False, "main": main, "folded": folded, "remote": False}


CACHED_HTML_CHARS = 64 * 1024


@functools.lru_cache(maxsize=256)
def _html_parts(body_html: str, images: bool) -> tuple[str, str, bool]:
    """A stored mail's HTML sanitised again and split (main part, quoted part,
    whether remote images were held back), remembered per process by content: a
    ticket page shows the same messages again and again."""
    shown = with_remote_images(body_html) if images else clean_message_html(body_html)
    main, folded = split_quoted_html(shown)
    return main, folded, not images and has_remote_images(body_html)
