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


@register.simple_tag
def due(ticket: Ticket) -> SafeString | str:
    """The deadline as the desk shows it: "in 3 hours", "2 days overdue" (red), or a dash."""
    if not ticket.is_open:
        return "—"
    now = timezone.now()
    stamp = ticket.due_at.isoformat()
    if ticket.is_overdue:
        text = _("%(ago)s overdue") % {"ago": timesince(ticket.due_at, now)}
        return format_html('<time class="overdue" datetime="{}">{}</time>', stamp, text)
    text = _("in %(left)s") % {"left": timeuntil(ticket.due_at, now)}
    return format_html('<time datetime="{}">{}</time>', stamp, text)
