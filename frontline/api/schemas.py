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
import json
from typing import Annotated, Any, Literal

from django.db.models import F, Func, QuerySet, TextField
from ninja import Schema
from pydantic import BaseModel, Field

from frontline.accounts.models import Team, User
from frontline.lib.prepared import Prepared
from frontline.tickets.access import AgentTickets
from frontline.tickets.models import Attachment, Message, Priority, Tag, Ticket

StatusName = Literal["new", "open", "waiting_customer", "waiting_third_party", "resolved", "closed"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ChannelName = Literal["web", "email", "phone", "chat", "api", "callback"]
ClosureReasonName = Literal[
    "solved", "workaround", "duplicate", "no_answer", "not_reproducible", "out_of_scope"
]
# A database id given by a client: SQLite and PostgreSQL keep 64-bit integers, and a
# larger number must be refused (400), not reach the database and fail there (500).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
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
    closure_reason: ClosureReasonName | None = Field(
        description="Why it was resolved (kept for reports); staff only, null for customers "
        "and while the ticket is not resolved or closed."
    )
    handoff_note: str | None = Field(description="Staff only; null for customers.")
    transfers: int | None = Field(
        description="How many times it was handed on from a team or a person to another "
        "(the desk's 'Passed on'); staff only, null for customers."
    )

    @classmethod
    def of(cls, ticket: Ticket, *, for_staff: bool) -> TicketOut:
        requester = _person(ticket.requester)
        assert requester is not None  # every ticket has a requester
        return cls(
            number=ticket.pk,
            subject=ticket.subject,
            status=ticket.status,  # type: ignore[arg-type]
            # The portal shows neither: tags and priority are the team's own words.
            priority=PRIORITY_NAMES[ticket.priority] if for_staff else None,  # type: ignore[arg-type]
            channel=ticket.channel,  # type: ignore[arg-type]
            category=_ref(ticket.category),
            team=_ref(ticket.team),
            stage=ticket.stage,
            assignee=_person(ticket.assignee),
            requester=requester,
            organisation=_ref(ticket.organisation),
            tags=[t.name for t in ticket.tags.all()] if for_staff else [],
            fields=ticket.fields,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            due_at=ticket.due_at,
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            closed_at=ticket.closed_at,
            closure_reason=(ticket.closure_reason or None) if for_staff else None,  # type: ignore[arg-type]
            handoff_note=(ticket.handoff_note or None) if for_staff else None,
            transfers=ticket.transfers if for_staff else None,
        )


# A page's columns, read as plain values: a page of model instances (a ticket
# and five related rows each, every column converted) was half a list's time.
_PAGE_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "fields",
    "created_at",
    "updated_at",
    "due_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "closure_reason",
    "handoff_note",
    "transfers",
    "category_id",
    "category__name",
    "team_id",
    "team__name",
    "team__tier",
    "organisation_id",
    "organisation__name",
    "requester_id",
    "requester__first_name",
    "requester__last_name",
    "requester__username",
    "assignee_id",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


def _named(pk: int | None, name: str | None) -> Ref | None:
    return None if pk is None else Ref.model_construct(id=pk, name=name or "")


def _named_person(pk: int | None, first: str, last: str, username: str) -> Ref | None:
    # User.display_name, from the columns.
    full = f"{first} {last}".strip()
    return None if pk is None else Ref.model_construct(id=pk, name=full or username)


# The answer to every create by a customer reads back their new request:
# compiled once (lib.prepared); building this query of five joins cost a
# quarter of the create's Python (docs/benchmarks.md, stop 14).
_OWN_REQUEST_ROW = Prepared(
    lambda p: Ticket.objects.filter(pk=p.pk, requester_id=p.requester).values_list(*_PAGE_COLUMNS)
)


class _TagNames(Func):
    """A ticket's tag names, as ``ticket.tags.all()`` gives them (by name, in the
    database's collation), in one column of JSON text: read with the ticket's
    row, not by a second statement (on PostgreSQL each is a round trip to the
    server: docs/benchmarks.md, stop 15)."""

    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("pk"))

    def _sql(self, compiler: Any, connection: Any, aggregate: str) -> tuple[str, Any]:
        ticket_sql, params = compiler.compile(self.source_expressions[0])
        q = connection.ops.quote_name
        pairs, tags = q(Ticket.tags.through._meta.db_table), q(Tag._meta.db_table)
        rows = (
            f"FROM {pairs} pair JOIN {tags} tag ON tag.id = pair.tag_id"
            f" WHERE pair.ticket_id = {ticket_sql}"
        )
        return aggregate.format(rows=rows), params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        # No ORDER BY inside an aggregate before SQLite 3.44: the rows come sorted
        # from a subquery, which SQLite does not flatten into an aggregate.
        return self._sql(
            compiler,
            connection,
            "(SELECT json_group_array(name) FROM (SELECT tag.name {rows} ORDER BY tag.name))",
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self._sql(
            compiler,
            connection,
            "(SELECT coalesce(json_agg(tag.name ORDER BY tag.name), '[]')::text {rows})",
        )


def ticket_page_items(
    ids: list[int],
    *,
    for_staff: bool,
    among: QuerySet[Ticket] | None = None,
    requested_by: int | None = None,
) -> list[TicketOut]:
    """The tickets ``ids`` (in this order; only those ``among`` some, if given,
    e.g. ``visible_tickets(user)``, the others left out) as the API sends them,
    the same as :meth:`TicketOut.of` gives one by one (a test holds the two
    together): one query for the rows with their tags (staff only), each
    team's stage worked out once, built without validating again what the
    database typed. ``requested_by``: one ticket, among those this person
    requested (``among`` is not used then)."""
    tickets = Ticket.objects.all() if among is None else among
    # A number past 64 bits names no ticket; given to the database inside IN (...)
    # it fails there (SQLite: OverflowError, a 500), unlike an exact look-up.
    ids = [pk for pk in ids if 0 < pk < 2**63]
    if requested_by is not None and len(ids) == 1 and not for_staff:
        found = _OWN_REQUEST_ROW(pk=ids[0], requester=requested_by)
    elif for_staff:
        found = list(
            tickets.filter(pk__in=ids)
            .annotate(tag_names=_TagNames())
            .values_list(*_PAGE_COLUMNS, "tag_names")
        )
    else:
        found = list(tickets.filter(pk__in=ids).values_list(*_PAGE_COLUMNS))
    return _items(ids, {r[0]: r for r in found}, for_staff=for_staff)


# The API's get of one ticket by staff: the row of ticket_page_items, among the
# tickets the person sees, compiled once per shape of the rule (tickets.access).
_STAFF_ROW = AgentTickets(
    lambda tickets, p: (
        tickets.filter(pk=p.number)
        .annotate(tag_names=_TagNames())
        .values_list(*_PAGE_COLUMNS, "tag_names")
    )
)


def ticket_item_for_staff(user: User, number: int) -> TicketOut | None:
    """One ticket as :func:`ticket_page_items` gives it, if the staff member
    ``user`` sees it (``visible_tickets``'s rule): read by a query compiled once,
    not built for each request (building and compiling it was most of the get's
    Python)."""
    if not 0 < number < 2**63:
        return None
    found = _STAFF_ROW(user, number=number)
    return _items([number], {number: found[0]}, for_staff=True)[0] if found else None


def _items(ids: list[int], rows: dict[int, Any], *, for_staff: bool) -> list[TicketOut]:
    ids = [pk for pk in ids if pk in rows]
    if not ids:
        return []
    stages: dict[int | None, str] = {}
    out = []
    for pk in ids:
        (
            _id, subject, status, priority, channel, fields, created_at, updated_at, due_at,
            first_response_at, resolved_at, closed_at, closure_reason, handoff_note, transfers,
            category_id, category_name, team_id, team_name, team_tier,
            organisation_id, organisation_name,
            requester_id, requester_first, requester_last, requester_username,
            assignee_id, assignee_first, assignee_last, assignee_username,
        ) = rows[pk][:30]  # fmt: skip
        if team_tier not in stages:
            team = Team(tier=team_tier) if team_id is not None else None
            stages[team_tier] = Ticket(team=team).stage
        out.append(
            TicketOut.model_construct(
                number=pk,
                subject=subject,
                status=status,
                priority=PRIORITY_NAMES[priority] if for_staff else None,
                channel=channel,
                category=_named(category_id, category_name),
                team=_named(team_id, team_name),
                stage=stages[team_tier],
                assignee=_named_person(
                    assignee_id, assignee_first, assignee_last, assignee_username
                ),
                requester=_named_person(
                    requester_id, requester_first, requester_last, requester_username
                ),
                organisation=_named(organisation_id, organisation_name),
                tags=json.loads(rows[pk][30]) if for_staff else [],
                fields=fields,
                created_at=created_at,
                updated_at=updated_at,
                due_at=due_at,
                first_response_at=first_response_at,
                resolved_at=resolved_at,
                closed_at=closed_at,
                closure_reason=(closure_reason or None) if for_staff else None,
                handoff_note=(handoff_note or None) if for_staff else None,
                transfers=transfers if for_staff else None,
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
    category: Id = Field(
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
    assignee: Id | None = Field(default=None, description="A staff member's id; null for nobody.")
    team: Id | None = Field(default=None, description="A team's id; null keeps the team.")
    note: str = Field(default="", description="The handoff note; required when delegating.")


class StatusIn(Schema):
    status: StatusName
    reason: str = ""
    # Why it is resolved (one of the closure reasons); kept for reports.
    closure_reason: str = Field(default="", max_length=20)


class PriorityIn(Schema):
    priority: PriorityName
    reason: str = Field(default="", max_length=300)


class CategoryIn(Schema):
    category: Id | None


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
