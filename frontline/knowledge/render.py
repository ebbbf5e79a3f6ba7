"""Filling in reply templates: pure text substitution, no template language.

Only the known ``{placeholder}`` names are replaced, once, with plain text;
anything else in braces stays as written. A value is never read as a template
itself, so a customer named "{agent_name}" or "{{ settings }}" stays that.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse

if TYPE_CHECKING:
    from frontline.accounts.models import User
    from frontline.tickets.models import Ticket

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
NAMES = (
    "customer_first_name",
    "customer_name",
    "ticket_number",
    "subject",
    "agent_name",
    "team",
    "organisation",
    "portal_link",
)


def render(body: str, values: Mapping[str, str]) -> str:
    """``body`` with each known ``{name}`` replaced by ``values[name]``."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)


def values_for(ticket: Ticket, *, agent: User | None) -> dict[str, str]:
    """The placeholders' values for a ticket. ``agent`` is who writes (None: the
    system, and then the assignee, if any, is named)."""
    requester = ticket.requester
    agent = agent or ticket.assignee
    return {
        "customer_first_name": requester.first_name or requester.display_name,
        "customer_name": requester.display_name,
        "ticket_number": ticket.reference,
        "subject": ticket.subject,
        "agent_name": agent.display_name if agent else "",
        "team": ticket.team.name if ticket.team else "",
        "organisation": ticket.organisation.name if ticket.organisation else "",
        "portal_link": settings.SITE_URL.rstrip("/") + reverse("portal:ticket", args=[ticket.pk]),
    }
