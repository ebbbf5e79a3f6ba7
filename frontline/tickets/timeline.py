"""A ticket's story in time order: messages and events, as staff or as the customer sees it.

A constant number of queries whatever the length of the story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.utils.translation import gettext as _

from frontline.lib.prepared import Prepared, prefetched

from .models import (
    PUBLIC_EVENT_KINDS,
    Attachment,
    EventKind,
    FormField,
    LinkKind,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)

# The newest entries shown on one page; older ones behind "show all".
TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class Entry:
    at: datetime
    message: Message | None = None
    event: TicketEvent | None = None
    text: str = ""  # for events: one line saying what changed


def describe_event(event: TicketEvent, *, for_customer: bool) -> str:
    """One line for the timeline. Handoff notes are internal: never shown to customers."""
    d: dict[str, Any] = event.data
    match event.kind:
        case EventKind.CREATED:
            if d.get("split_from"):
                return _("Request registered from a message on #%(number)s") % {
                    "number": d["split_from"]
                }
            return _("Request registered")
        case EventKind.STATUS:
            return _("Status: %(old)s → %(new)s") % {
                "old": Status(d["old"]).label,
                "new": Status(d["new"]).label,
            }
        case EventKind.PRIORITY:
            return _("Priority: %(old)s → %(new)s") % {
                "old": Priority(d["old"]).label,
                "new": Priority(d["new"]).label,
            }
        case EventKind.TEAM:
            if for_customer:  # team names are our jargon, not the customer's
                return _("Passed on to colleagues who can help further")
            return _("Team: %(new)s") % {"new": d.get("new") or "—"}
        case EventKind.ASSIGNEE:
            return _("Assigned to %(new)s") % {"new": d.get("new") or "—"}
        case EventKind.CATEGORY:
            return _("Category: %(new)s") % {"new": d.get("new") or "—"}
        case EventKind.FIELDS:
            return _("Form answers changed: %(keys)s") % {"keys": ", ".join(d.get("changes", {}))}
        case EventKind.TAGS:
            return _("Tags: %(new)s") % {"new": ", ".join(d.get("new", [])) or "—"}
        case EventKind.RULE:
            return _("Triage rule “%(name)s” applied") % {"name": d.get("rule", "")}
        case EventKind.SLA_WARNING:
            return _("The deadline is near (%(percent)s%% of the time used)") % {
                "percent": d.get("percent", "")
            }
        case EventKind.SLA_BREACH:
            return _("The deadline was missed")
        case EventKind.MAIL_FAILED:
            return _("Mail to %(to)s could not be sent: “%(subject)s”") % {
                "to": d.get("to", ""),
                "subject": d.get("subject", ""),
            }
        case EventKind.CONFIRMED:
            return _("The customer confirmed the solution")
        case EventKind.REOPENED:
            return _("Reopened")
        case EventKind.PARTICIPANT_ADDED:
            if d.get("confirmed") is False:
                return _("%(name)s was copied in (not confirmed: hears no replies)") % {
                    "name": d.get("name", "")
                }
            return _("%(name)s now takes part") % {"name": d.get("name", "")}
        case EventKind.PARTICIPANT_CONFIRMED:
            return _("%(name)s confirmed: hears public replies") % {"name": d.get("name", "")}
        case EventKind.PARTICIPANT_REMOVED:
            return _("%(name)s no longer takes part") % {"name": d.get("name", "")}
        case EventKind.REQUESTER:
            return _("Requester: %(old)s → %(new)s") % {
                "old": d.get("old", ""),
                "new": d.get("new", ""),
            }
        case EventKind.MERGED:
            return _("Request #%(number)s was merged into this one") % {"number": d.get("merged")}
        case EventKind.MERGED_INTO:
            return _("Merged into request #%(number)s") % {"number": d.get("into")}
        case EventKind.LINKED:
            kind = LinkKind(d.get("link", LinkKind.RELATED))
            if d.get("side") == "target":
                return _("#%(number)s linked as %(kind)s this ticket") % {
                    "number": d.get("other"),
                    "kind": kind.label,
                }
            return _("Linked as %(kind)s #%(number)s") % {
                "kind": kind.label,
                "number": d.get("other"),
            }
        case EventKind.UNMERGED:
            return _("Merge with #%(number)s undone") % {"number": d.get("other")}
        case EventKind.SPLIT:
            return _("A message became request #%(number)s of its own") % {"number": d.get("new")}
        case EventKind.INCIDENT:
            if d.get("on"):
                return _("Marked as an incident")
            return _("No longer an incident")
        case EventKind.INCIDENT_UPDATE:
            return _("Update sent to %(count)s attached tickets") % {"count": d.get("reached", 0)}
        case EventKind.UNLINKED:
            return _("Link to #%(number)s removed") % {"number": d.get("other")}
        case EventKind.MACRO:
            return _("Macro “%(name)s” applied") % {"name": d.get("name", "")}
    return event.get_kind_display()


def _messages(p: Any, *, for_customer: bool) -> Any:
    messages = (
        Message.objects.filter(ticket_id=p.ticket)
        .select_related("author", "call")
        .order_by("-created_at", "-id")
    )
    return (messages.public() if for_customer else messages)[:TIMELINE_LIMIT]


def _events(p: Any, *, for_customer: bool) -> Any:
    events = (
        TicketEvent.objects.filter(ticket_id=p.ticket)
        .exclude(kind__in=(EventKind.REPLY, EventKind.NOTE, EventKind.CALL))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    return (events.filter(kind__in=PUBLIC_EVENT_KINDS) if for_customer else events)[:TIMELINE_LIMIT]


def _attachments(p: Any, *, for_customer: bool) -> Any:
    files = Attachment.objects.filter(message_id__in=p.messages)
    return files.filter(is_internal=False) if for_customer else files


# Every ticket page reads these: compiled once (lib.prepared), for staff and for customers.
_MESSAGES: dict[bool, Prepared[Message]] = {
    c: Prepared(partial(_messages, for_customer=c)) for c in (False, True)
}
_EVENTS: dict[bool, Prepared[TicketEvent]] = {
    c: Prepared(partial(_events, for_customer=c)) for c in (False, True)
}
_ATTACHMENTS: dict[bool, Prepared[Attachment]] = {
    c: Prepared(partial(_attachments, for_customer=c)) for c in (False, True)
}


def ticket_timeline(ticket: Ticket, *, for_customer: bool) -> list[Entry]:
    """Messages and change events merged by time; internal notes and internal events
    left out for the customer. Each message's files are in ``message.attachments.all()``
    (read with the messages, in three queries in all)."""
    messages = _MESSAGES[for_customer](ticket=ticket.pk)
    if messages:
        files: dict[int, list[Attachment]] = {m.pk: [] for m in messages}
        for attachment in _ATTACHMENTS[for_customer](messages=[m.pk for m in messages]):
            files[attachment.message_id].append(attachment)  # type: ignore[index]
        for m in messages:
            prefetched(m, "attachments", files[m.pk])
    entries = [Entry(at=m.created_at, message=m) for m in messages]
    entries += [
        Entry(at=e.created_at, event=e, text=describe_event(e, for_customer=for_customer))
        for e in _EVENTS[for_customer](ticket=ticket.pk)
    ]
    entries.sort(key=lambda e: (e.at, 0 if e.event else 1))
    return entries[-TIMELINE_LIMIT:]


_CATEGORY_FIELDS = Prepared(lambda p: FormField.objects.filter(category_id=p.category))


def category_fields(category_id: int | None) -> list[FormField]:
    """The questions of a category's form, in form order (none without a category)."""
    return _CATEGORY_FIELDS(category=category_id) if category_id is not None else []


def form_answers(
    ticket: Ticket, specs: list[FormField] | None = None
) -> list[tuple[str, Any, bool]]:
    """(label, value, is_file) for each answer on the ticket, in form order
    (``specs``: the category's questions, if the caller has them).

    File answers are ``{"attachment": id, "name": ...}``. Answers to questions
    an admin has since removed are still shown, under their key.
    """
    if not ticket.fields:
        return []
    if specs is None:
        specs = category_fields(ticket.category_id)
    labels = {spec.key: spec.label_in() for spec in specs}
    # A choice answer is kept in English; shown in the reader's language.
    choices = {spec.key: dict(spec.choice_labels()) for spec in specs if spec.choice_list}
    keys = [s.key for s in specs if s.key in ticket.fields]
    keys += [k for k in ticket.fields if k not in labels]
    return [
        (
            labels.get(key, key),
            _shown(ticket.fields[key], choices.get(key)),
            _is_file(ticket.fields[key]),
        )
        for key in keys
    ]


def _shown(value: Any, choices: dict[str, str] | None) -> Any:
    if choices and isinstance(value, str):
        return choices.get(value, value)
    return value


def _is_file(value: Any) -> bool:
    return isinstance(value, dict) and "attachment" in value
