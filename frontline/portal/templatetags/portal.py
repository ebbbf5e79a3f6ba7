"""Small template helpers for the portal, in Python because they run once per row
of the request list (an included template per row cost about a tenth of the page)."""

from __future__ import annotations

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from frontline.tickets.models import Ticket

register = template.Library()


@register.simple_tag
def on_it(ticket: Ticket) -> str:
    """Who is on a request, as the customer sees it: the agent's first name and
    whether a specialist, else whether a team (or a specialist team) has it."""
    specialists = ticket.team is not None and ticket.team.tier > 1
    if ticket.assignee is not None:
        name = ticket.assignee.first_name or ticket.assignee.display_name
        if specialists:
            return _("%(name)s, one of our specialists") % {"name": name}
        return _("%(name)s from our support team") % {"name": name}
    if specialists:
        return _("Passed on to our specialists")
    if ticket.team is not None:
        return _("Our support team is on it")
    return _("Received; someone will pick it up soon")


@register.simple_tag
def moment(when: datetime.datetime) -> SafeString:
    """A ``<time>`` element with the full date and time in the viewer's zone."""
    return format_html(
        '<time datetime="{}">{}</time>',
        timezone.localtime(when).isoformat(),
        date_format(timezone.localtime(when), "DATETIME_FORMAT"),
    )
