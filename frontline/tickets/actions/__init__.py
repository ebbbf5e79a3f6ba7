"""Every change to a ticket, one function per act.

Views, the API, mail handlers and commands call these and nothing else to change
a ticket. Each runs in a transaction, takes an explicit actor (``by``), writes
the change and a :class:`TicketEvent` row, and returns what it changed.

One module per kind of act; every action is importable from here.
"""

from __future__ import annotations

from ..models import OPEN_STATUSES
from ._base import RESOLUTION_TARGET, TicketClosed
from .assignment import assign_ticket
from .changes import (
    change_category,
    change_priority,
    change_status,
    close_quiet_resolved,
    confirm_solved,
    set_tags,
    update_field_values,
)
from .messages import add_note, add_reply, log_call, request_information
from .opening import open_ticket
from .people import add_participant, remove_participant, take_over_requests

__all__ = [
    "OPEN_STATUSES",
    "RESOLUTION_TARGET",
    "TicketClosed",
    "add_note",
    "add_participant",
    "add_reply",
    "assign_ticket",
    "change_category",
    "change_priority",
    "change_status",
    "close_quiet_resolved",
    "confirm_solved",
    "log_call",
    "open_ticket",
    "remove_participant",
    "request_information",
    "set_tags",
    "take_over_requests",
    "update_field_values",
]
