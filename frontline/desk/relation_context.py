"""What the ticket page shows about splitting messages off and incidents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frontline.accounts.models import User
from frontline.tickets.access import visible_tickets
from frontline.tickets.actions import incident_children, unseen_message, unseen_reached
from frontline.tickets.models import MessageKind, Ticket
from frontline.tickets.timeline import Entry

from .relation_forms import AttachForm, IncidentUpdateForm, SplitForm

# Attached tickets listed on an incident's page (the count says how many in all).
CHILDREN_SHOWN = 50


def relations_context(
    user: User, ticket: Ticket, entries: Sequence[Entry], forms: dict[str, Any]
) -> dict[str, Any]:
    """Split buttons for the customers' messages after the first (no query:
    the timeline has their authors), and an incident's attached tickets and
    whether ``user`` may post its update (three queries, on an incident only)."""
    messages = [e.message for e in entries if e.message is not None]
    first = min(messages, key=lambda m: (m.created_at, m.pk)) if messages else None
    split_ids = {
        m.pk
        for m in messages
        if m is not first
        and m.kind == MessageKind.REPLY
        and m.author is not None
        and not m.author.is_staff_member
    }
    context: dict[str, Any] = {"split_ids": split_ids, "split_form": SplitForm()}
    if ticket.is_incident:
        children = incident_children(ticket)
        unseen = unseen_reached(ticket, by=user)
        context |= {
            "incident_unseen": unseen_message(unseen) if unseen else "",
            "incident_count": children.count(),
            "incident_children": list(
                visible_tickets(user)
                .filter(pk__in=children.values("pk"))
                .select_related("requester")
                .only(
                    "id",
                    "subject",
                    "status",
                    "requester__first_name",
                    "requester__last_name",
                    "requester__username",
                )
                .order_by("-id")[:CHILDREN_SHOWN]
            ),
            "attach_form": forms.get("attach_form") or AttachForm(),
            "incident_form": forms.get("incident_form") or IncidentUpdateForm(),
        }
    return context
