"""Every change to a ticket, one function per act.

Views, the API, mail handlers and commands call these and nothing else to change
a ticket. Each runs in a transaction, takes an explicit actor (``by``), writes
the change and a :class:`TicketEvent` row, and returns what it changed.

One module per kind of act; every action is importable from here.
"""

from __future__ import annotations

from ..models import OPEN_STATUSES
from ._base import RESOLUTION_TARGET, ReplyNeedsReview, TicketClosed
from .assignment import assign_ticket
from .changes import (
    NothingMissing,
    answer_missing_fields,
    change_category,
    change_priority,
    change_status,
    close_quiet_resolved,
    confirm_solved,
    set_tags,
    update_field_values,
    update_ticket,
)
from .drafts import DraftConflict, discard_draft, save_draft
from .incidents import (
    attach_to_incident,
    incident_children,
    mark_incident,
    post_incident_update,
    resolve_attached,
    unseen_message,
    unseen_reached,
)
from .messages import (
    add_note,
    add_reply,
    log_call,
    reply_and_resolve,
    reply_and_wait,
    request_information,
)
from .opening import open_ticket
from .people import (
    add_participant,
    confirm_participant,
    follow_ticket,
    remove_participant,
    take_over_requests,
    unfollow_ticket,
)
from .relations import (
    UNDO_MERGE_WITHIN,
    link_tickets,
    may_undo_merge,
    merge_tickets,
    same_customer,
    split_message,
    surviving,
    undo_merge,
    unlink_tickets,
)

__all__ = [
    "OPEN_STATUSES",
    "RESOLUTION_TARGET",
    "UNDO_MERGE_WITHIN",
    "DraftConflict",
    "NothingMissing",
    "ReplyNeedsReview",
    "TicketClosed",
    "add_note",
    "add_participant",
    "add_reply",
    "answer_missing_fields",
    "assign_ticket",
    "attach_to_incident",
    "change_category",
    "change_priority",
    "change_status",
    "close_quiet_resolved",
    "confirm_participant",
    "confirm_solved",
    "discard_draft",
    "follow_ticket",
    "incident_children",
    "link_tickets",
    "log_call",
    "mark_incident",
    "may_undo_merge",
    "merge_tickets",
    "open_ticket",
    "post_incident_update",
    "remove_participant",
    "reply_and_resolve",
    "reply_and_wait",
    "request_information",
    "resolve_attached",
    "same_customer",
    "save_draft",
    "set_tags",
    "split_message",
    "surviving",
    "take_over_requests",
    "undo_merge",
    "unfollow_ticket",
    "unlink_tickets",
    "unseen_message",
    "unseen_reached",
    "update_field_values",
    "update_ticket",
]
