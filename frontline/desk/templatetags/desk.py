"""Small template helpers for the desk, in Python because they run once per row."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from frontline.tickets.models import Ticket

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
    if overdue:
        text = _("%(ago)s overdue") % {"ago": timesince(moment, now)}
        return format_html('<time class="overdue" datetime="{}">{}</time>', stamp, text)
    text = _("in %(left)s") % {"left": timeuntil(moment, now)}
    return format_html('<time datetime="{}">{}</time>', stamp, text)
