"""What the API sends and accepts: typed, so the OpenAPI document says it too.

Times are ISO 8601 in UTC. A ticket's ``number`` is its id and never changes.
Customers get what the portal shows them: never an internal note, a call log,
an internal file or a handoff note.

What is sent is plain pydantic models, built by hand from rows already loaded:
ninja's ``Schema`` reads attributes through a wrapper on every field, which
took half the time of a list page.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import BaseModel, Field

from frontline.accounts.models import User
from frontline.tickets.models import Attachment, Message, Priority, Ticket

StatusName = Literal["new", "open", "waiting_customer", "waiting_third_party", "resolved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ChannelName = Literal["web", "email", "phone", "chat", "api", "callback"]
Answer = str | int | float | bool | None

PRIORITY_NAMES: dict[int, str] = {p.value: p.name.lower() for p in Priority}
PRIORITY_VALUES: dict[str, int] = {name: value for value, name in PRIORITY_NAMES.items()}


class Ref(BaseModel):
    id: int
    name: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: dict[str, list[str]] | None = Field(
        default=None, description="Messages per field of the request."
    )


def _ref(obj: Any) -> Ref | None:
    return Ref(id=obj.pk, name=str(obj)) if obj is not None else None


def _person(user: User | None) -> Ref | None:
    return Ref(id=user.pk, name=user.display_name) if user is not None else None


class TicketOut(BaseModel):
    number: int
    subject: str
    status: StatusName
    priority: PriorityName | None = Field(description="Staff only; null for customers.")
    channel: ChannelName
    category: Ref | None
    team: Ref | None
    stage: str = Field(description="Where the ticket is in the support line, as customers see it.")
    assignee: Ref | None
    requester: Ref
    organisation: Ref | None
    tags: list[str] = Field(description="Staff only; empty for customers.")
    fields: dict[str, Any] = Field(description="The answers to the category's form, by key.")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    due_at: datetime.datetime
    first_response_at: datetime.datetime | None
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    handoff_note: str | None = Field(description="Staff only; null for customers.")

    @classmethod
    def of(
        cls,
        ticket: Ticket,
        *,
        for_staff: bool,
        tags: list[str] | None = None,
        stage: str | None = None,
    ) -> TicketOut:
        """``tags`` and ``stage`` when the caller has them already (a page
        reads the tags of all its tickets in one query)."""
        requester = _person(ticket.requester)
        assert requester is not None  # every ticket has a requester
        if for_staff and tags is None:
            tags = [t.name for t in ticket.tags.all()]
        return cls(
            number=ticket.pk,
            subject=ticket.subject,
            status=ticket.status,  # type: ignore[arg-type]
            # The portal shows neither: tags and priority are the team's own words.
            priority=PRIORITY_NAMES[ticket.priority] if for_staff else None,  # type: ignore[arg-type]
            channel=ticket.channel,  # type: ignore[arg-type]
            category=_ref(ticket.category),
            team=_ref(ticket.team),
            stage=ticket.stage if stage is None else stage,
            assignee=_person(ticket.assignee),
            requester=requester,
            organisation=_ref(ticket.organisation),
            tags=(tags or []) if for_staff else [],
            fields=ticket.fields,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            due_at=ticket.due_at,
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            closed_at=ticket.closed_at,
            handoff_note=(ticket.handoff_note or None) if for_staff else None,
        )


def ticket_outs(tickets: list[Ticket], *, for_staff: bool) -> list[TicketOut]:
    """A page of tickets as the API sends them: their tags (staff only) in one
    query, each team's stage worked out once."""
    tags: dict[int, list[str]] = {}
    if for_staff:
        rows = Ticket.tags.through.objects.filter(
            ticket_id__in=[t.pk for t in tickets]
        ).values_list("ticket_id", "tag__name")
        for ticket_id, name in sorted(rows, key=lambda row: row[1]):
            tags.setdefault(ticket_id, []).append(name)
    stages: dict[int | None, str] = {}
    out = []
    for ticket in tickets:
        if ticket.team_id not in stages:
            stages[ticket.team_id] = ticket.stage
        out.append(
            TicketOut.of(
                ticket,
                for_staff=for_staff,
                tags=tags.get(ticket.pk, []),
                stage=stages[ticket.team_id],
            )
        )
    return out


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last page."
    )


class AttachmentOut(BaseModel):
    id: int
    filename: str
    size: int
    content_type: str
    internal: bool

    @classmethod
    def of(cls, attachment: Attachment) -> AttachmentOut:
        return cls(
            id=attachment.pk,
            filename=attachment.filename,
            size=attachment.size,
            content_type=attachment.content_type,
            internal=attachment.is_internal,
        )


class MessageOut(BaseModel):
    id: int
    kind: Literal["reply", "note", "call", "system"]
    author: Ref | None
    channel: ChannelName
    body: str
    created_at: datetime.datetime
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls(
            id=message.pk,
            kind=message.kind,  # type: ignore[arg-type]
            author=_person(message.author),
            channel=message.channel,  # type: ignore[arg-type]
            body=message.body,
            created_at=message.created_at,
            attachments=[AttachmentOut.of(a) for a in message.attachments.all()],
        )


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_after: int | None = Field(
        description="Pass as ``after`` for the next page; null on the last page."
    )


class RequesterIn(Schema):
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)


class TicketIn(Schema):
    subject: str
    body: str
    category: int = Field(
        description="An active category's id; its form's answers go in ``fields``."
    )
    fields: dict[str, Answer] = Field(default_factory=dict)
    requester: RequesterIn | None = Field(
        default=None,
        description="Staff only: who asked (found by address, or a new contact). "
        "Customers open tickets as themselves.",
    )


class BodyIn(Schema):
    body: str


class AssignIn(Schema):
    assignee: int | None = Field(default=None, description="A staff member's id; null for nobody.")
    team: int | None = Field(default=None, description="A team's id; null keeps the team.")
    note: str = Field(default="", description="The handoff note; required when delegating.")


class StatusIn(Schema):
    status: StatusName
    reason: str = ""


class PriorityIn(Schema):
    priority: PriorityName
    reason: str = Field(default="", max_length=300)


class CategoryIn(Schema):
    category: int | None


class TagsIn(Schema):
    tags: list[str] = Field(max_length=50)


class EscalateIn(Schema):
    note: str


class TimelineEntryOut(BaseModel):
    at: datetime.datetime
    kind: str = Field(description="``message``, or the kind of change (``status``, ``team``…).")
    text: str = Field(description="One line saying what changed (empty for messages).")
    actor: Ref | None
    message: MessageOut | None


class FieldsIn(Schema):
    fields: dict[str, Answer] = Field(description="New answers by key (file questions excluded).")
