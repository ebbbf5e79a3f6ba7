"""Tickets: the list (the desk's queues and filters, cursor pages), one ticket,
opening one, and one endpoint per act, each calling the action the desk or
portal calls. Every read goes through ``frontline.tickets.access``."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from pydantic import BaseModel, Field

from frontline.accounts.actions import contact_for
from frontline.accounts.models import Team, User
from frontline.lib.http import AuthedRequest
from frontline.lib.prepared import Prepared, prefetched
from frontline.routing.actions import escalate_ticket
from frontline.tickets import actions
from frontline.tickets.access import (
    access_ticket,
    visible_attachments,
    visible_messages,
    visible_tickets,
    visible_tickets_by_branch,
)
from frontline.tickets.forms import CategoryFieldsForm, ReplyForm, RequestForm
from frontline.tickets.models import Category, Channel, FormField, Ticket
from frontline.tickets.queues import QUEUES, apply_filters, queue_tickets
from frontline.tickets.timeline import ticket_timeline

from .. import actions as api_actions
from ..auth import write_auth
from ..pagination import Ordering, decode_cursor, keyset_page
from ..schemas import (
    PRIORITY_VALUES,
    AssignIn,
    BodyIn,
    CategoryIn,
    ChannelName,
    EscalateIn,
    FieldsIn,
    Id,
    MessageOut,
    MessagePage,
    PriorityIn,
    PriorityName,
    Problem,
    Ref,
    StatusIn,
    StatusName,
    TagsIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TimelineEntryOut,
    ticket_item_for_staff,
    ticket_page_items,
)

router = Router(tags=["tickets"])

ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem}
ACT_ERRORS = {**ERRORS, 412: Problem}

# Each ends with the id: a unique key for the cursor. The first columns are the
# desk's sorts, served by the same indexes.
ORDERINGS: dict[str, Ordering] = {
    "due": (("due_at", False), ("id", False)),
    "priority": (("priority", True), ("due_at", False), ("id", False)),
    "updated": (("updated_at", True), ("id", True)),
    "created": (("created_at", True), ("id", True)),
}
KINDS = {
    "due_at": datetime.datetime,
    "updated_at": datetime.datetime,
    "created_at": datetime.datetime,
    "priority": int,
    "id": int,
}
QueueName = Literal[
    "mine", "team", "unassigned", "due_soon", "open", "callbacks", "waiting", "resolved"
]
assert set(QueueName.__args__) == set(QUEUES)  # type: ignore[attr-defined]


class TicketFilters(Schema):
    queue: QueueName | None = Field(default=None, description="A desk queue (staff only).")
    # priority, tag and sort=priority are for staff only, as the queue is.
    status: StatusName | None = None
    priority: PriorityName | None = None
    team: Id | None = None
    assignee: Id | None = None
    category: Id | None = None
    organisation: Id | None = None
    channel: ChannelName | None = None
    tag: str | None = Field(default=None, max_length=50)
    sort: Literal["due", "priority", "updated", "created"] | None = Field(
        default=None, description="Default: due for staff, updated for customers."
    )
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=100)


def etag(ticket: Ticket | TicketOut) -> str:
    """Changes with every change to the ticket: each action moves ``updated_at``."""
    number = ticket.pk if isinstance(ticket, Ticket) else ticket.number
    return f'"{number}-{ticket.updated_at.timestamp():.6f}"'


def _check_if_match(request: AuthedRequest, ticket: Ticket) -> None:
    """With ``If-Match``, an act on a ticket changed since the client read it is
    refused (412) rather than made over a change the client has not seen."""
    wanted = request.headers.get("If-Match")
    if wanted is None or wanted.strip() == "*":
        return
    if etag(ticket) not in [tag.strip() for tag in wanted.split(",")]:
        raise HttpError(412, _("The ticket changed since you read it; read it again."))


def _acted_on(request: AuthedRequest, number: int) -> Ticket:
    """The ticket an act is about, as the caller sees it, unchanged since they read
    it if they say which version they read (``If-Match``)."""
    ticket = access_ticket(request.user, number)
    _check_if_match(request, ticket)
    return ticket


def json_response(body: BaseModel, *, status: int = 200) -> HttpResponse:
    """``body`` as JSON, written by pydantic itself: the hot reads skip ninja's
    second pass over a model already validated when it was built (a dump to
    Python objects, then the standard library's encoder)."""
    return HttpResponse(
        body.model_dump_json(), status=status, content_type="application/json; charset=utf-8"
    )


def _out(request: AuthedRequest, ticket: Ticket) -> TicketOut:
    return TicketOut.of(ticket, for_staff=request.user.is_staff_member)


def _staff_only(request: AuthedRequest) -> None:
    # The desk's acts are the desk's: a customer may see the ticket, not do these.
    if not request.user.is_staff_member:
        raise PermissionDenied(_("Only staff may do this."))


@router.get("", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(request: AuthedRequest, filters: Query[TicketFilters]) -> HttpResponse:
    """The tickets the caller sees (the desk's for staff, the portal's for
    customers), narrowed by a queue and the desk's filters, one page at a time."""
    user = request.user
    qs, branches = visible_tickets_by_branch(user)
    # Customers see neither queues, tags nor priorities: no filtering or sorting by
    # them either (it would tell a tag or a priority by which tickets come back).
    if filters.queue or filters.tag or filters.priority or filters.sort == "priority":
        _staff_only(request)
    if filters.queue is not None:
        qs = queue_tickets(user, filters.queue, base=qs)
    qs = apply_filters(
        qs,
        {
            "status": filters.status,
            "priority": PRIORITY_VALUES[filters.priority] if filters.priority else None,
            "team": filters.team,
            "assignee": filters.assignee,
            "category": filters.category,
            "organisation": [filters.organisation] if filters.organisation else None,
            "channel": filters.channel,
            "tag": filters.tag,
        },
    )
    sort = filters.sort or ("due" if user.is_staff_member else "updated")
    ordering = ORDERINGS[sort]
    start = decode_cursor(filters.cursor, ordering, KINDS) if filters.cursor else None
    # Staff see a great many tickets, and the sorts' indexes lead with is_open
    # (after a scope: team, assignee, channel): open and closed pages read apart,
    # each a bounded walk of an index, then merged. As one query, every ticket
    # the caller sees was sorted for each page (0.8 s of SQL for a supervisor at
    # a million). A queue or a status names one side already; a tag or an
    # organisation narrows through its own index to few enough tickets that two
    # reads would only read them twice.
    parts: tuple[Q, ...] = ()
    if user.is_staff_member and not (
        filters.queue or filters.status or filters.tag or filters.organisation
    ):
        parts = (Q(is_open=True), Q(is_open=False))
    elif len(branches) > 1:
        # A customer's own tickets and their organisation's: each walks its own
        # index in order (their union sorted whole was ~45 ms for 12,000 tickets
        # of one organisation at a million, on PostgreSQL).
        parts = branches
    ids, next_cursor = keyset_page(qs, ordering, start, filters.limit, parts=parts)
    items = ticket_page_items(ids, for_staff=user.is_staff_member)
    return json_response(TicketPage.model_construct(items=items, next_cursor=next_cursor))


@router.get("/{int:number}", response={200: TicketOut, **ERRORS}, summary="One ticket")
def get_ticket(request: AuthedRequest, number: int) -> HttpResponse:
    """One ticket; its ``ETag`` goes in ``If-Match`` on an act to refuse a stale one."""
    # Read and checked in one query: only among the tickets the caller may see
    # (the rule of access_ticket), as plain values like a page of the list.
    user = request.user
    if user.is_staff_member:
        found = ticket_item_for_staff(user, number)
    else:
        items = ticket_page_items([number], for_staff=False, among=visible_tickets(user))
        found = items[0] if items else None
    if found is None:
        raise Http404
    response = json_response(found)
    response["ETag"] = etag(found)
    return response


def _requester(request: AuthedRequest, payload: TicketIn) -> User:
    if payload.requester is None:
        return request.user
    _staff_only(request)
    try:
        validate_email(payload.requester.email)
    except ValidationError:
        raise ValidationError({"requester.email": _("Enter a valid email address.")}) from None
    person = contact_for(payload.requester.email, payload.requester.name)
    if person.is_staff_member or not person.is_active:
        raise ValidationError({"requester.email": _("Tickets are opened for active customers.")})
    return person


@router.post("", response={201: TicketOut, **ERRORS}, auth=write_auth, summary="Open a ticket")
def create_ticket(
    request: AuthedRequest,
    payload: TicketIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=200
    ),
) -> HttpResponse:
    """Open a ticket in a category, its form's answers validated as on the portal.

    With an ``Idempotency-Key`` header, a retry of the same request returns the
    ticket the first one opened instead of opening another.
    """
    category = _category_with_questions(payload.category)
    if category is None:
        raise ValidationError({"category": _("Choose an active category.")})
    form = RequestForm(
        {
            "subject": payload.subject,
            "body": payload.body,
            **{f"f_{key}": value for key, value in payload.fields.items()},
        },
        {},
        category=category,
    )
    unknown = sorted(set(payload.fields) - {spec.key for spec in form.specs})
    if unknown:
        raise ValidationError(
            {f"fields.{key}": [_("This category's form has no such question.")] for key in unknown}
        )
    if not form.is_valid():
        raise ValidationError(
            {
                (f"fields.{name[2:]}" if name.startswith("f_") else name): errors
                for name, errors in form.errors.items()
            }
        )
    requester = _requester(request, payload)

    def open_ticket() -> Ticket:
        return actions.open_ticket(
            requester=requester,
            by=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            category=category,
            fields=form.field_values(),
            channel=Channel.API,
        )

    number = open_idempotently(request, idempotency_key, open_ticket)
    return json_response(_opened(request, number, requester=requester), status=201)


# An active category's questions, each with the category and its team: one
# statement where the category has questions (on PostgreSQL each statement is a
# round trip), compiled once (lib.prepared).
_QUESTIONS = Prepared(
    lambda p: (
        FormField.objects.filter(category_id=p.pk, category__is_active=True)
        .select_related("category__default_team")
        .order_by("position", "id")
    )  # FormField's own order, as category.fields.all()
)
_CATEGORY = Prepared(
    lambda p: Category.objects.filter(pk=p.pk, is_active=True).select_related("default_team")
)


def _category_with_questions(pk: int) -> Category | None:
    """The active category ``pk`` with its team and its form's questions (as
    ``category.fields.all()``), read once for the form and for ``open_ticket``,
    not inside the write transaction; None if there is no such category."""
    questions = _QUESTIONS(pk=pk)
    if questions:
        category = questions[0].category
        for question in questions:
            question.category = category
    else:
        found = _CATEGORY(pk=pk)
        if not found:
            return None
        category = found[0]
    prefetched(category, "fields", questions)
    return category


def _opened(request: AuthedRequest, number: int, *, requester: User) -> TicketOut:
    """The ticket just opened (or opened before with the same key), as the caller
    sees it: read among the tickets they may see, as plain values. A customer's
    own request is among them by the first rule of ``for_requester``: read among
    their own requests, without first asking which tickets they take part in."""
    user = request.user
    if requester.pk == user.pk and not user.is_staff_member and user.is_active:
        found = ticket_page_items([number], for_staff=False, requested_by=user.pk)
    else:
        among = visible_tickets(user)  # (for a customer, a query: their participations)
        found = ticket_page_items([number], for_staff=user.is_staff_member, among=among)
    return found[0] if found else _out(request, access_ticket(user, number))


def open_idempotently(
    request: AuthedRequest, key: str | None, open_ticket: Callable[[], Ticket]
) -> int:
    """The number of the ticket ``open_ticket`` opens, or with an
    ``Idempotency-Key`` used before for the same request, of the ticket that
    request opened (a 422 if the key came with another request)."""
    if key is None:
        return open_ticket().pk
    # The path too: the same key and body sent to another endpoint is another request.
    request_hash = hashlib.sha256(request.path.encode() + b"\0" + request.body).hexdigest()
    try:
        return api_actions.ticket_for_idempotency_key(
            request.user, key, request_hash
        ) or api_actions.open_once(
            request.user, key=key, request_hash=request_hash, open_ticket=open_ticket
        )
    except api_actions.KeyReused:
        raise HttpError(422, _("This Idempotency-Key was used with another request.")) from None


def _after(request: AuthedRequest, ticket: Ticket) -> TicketOut:
    """The ticket after an act, as the caller now sees it (an agent who handed it
    to another team still gets this answer about what they just did)."""
    try:
        return _out(request, access_ticket(request.user, ticket.pk))
    except Http404:
        return _out(request, ticket)


@router.get("/{int:number}/messages", response={200: MessagePage, **ERRORS}, summary="Its messages")
def list_messages(
    request: AuthedRequest,
    number: int,
    after: int | None = Query(None, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=200),
) -> MessagePage:
    """The conversation, oldest first. Customers never get internal notes, call
    logs or internal files."""
    user = request.user
    ticket = access_ticket(user, number)
    files = visible_attachments(user, of=[ticket.pk])
    qs = (
        visible_messages(user, of=[ticket.pk])
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=files))
    )
    if after is not None:
        qs = qs.filter(pk__gt=after)
    rows = list(qs.order_by("id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        items=[MessageOut.of(m) for m in rows], next_after=rows[-1].pk if more else None
    )


@router.get(
    "/{int:number}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    summary="Its story: messages and changes",
)
def timeline(request: AuthedRequest, number: int) -> list[TimelineEntryOut]:
    """Messages and changes in time order (the newest 200), as the desk or the
    portal shows them: customers see neither internal notes nor internal changes."""
    user = request.user
    ticket = access_ticket(user, number)
    entries = ticket_timeline(ticket, for_customer=not user.is_staff_member)
    out = []
    for entry in entries:
        if entry.message is not None:
            m = entry.message
            out.append(
                TimelineEntryOut(
                    at=entry.at,
                    kind="message",
                    text="",
                    actor=Ref(id=m.author.pk, name=m.author.display_name) if m.author else None,
                    message=MessageOut.of(m),
                )
            )
        elif entry.event is not None:
            e = entry.event
            out.append(
                TimelineEntryOut(
                    at=entry.at,
                    kind=e.kind,
                    text=entry.text,
                    actor=Ref(id=e.actor.pk, name=e.actor.display_name) if e.actor else None,
                    message=None,
                )
            )
    return out


@router.post(
    "/{int:number}/replies",
    response={201: MessageOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Reply (public)",
)
def reply(request: AuthedRequest, number: int, payload: BodyIn) -> Status[MessageOut]:
    """A public reply: from staff to the customer, or from the customer."""
    ticket = _acted_on(request, number)
    message = actions.add_reply(ticket, body=payload.body, by=request.user, channel=Channel.API)
    return Status(201, MessageOut.of(message))


def _with_files(request: AuthedRequest) -> tuple[str, list[Any]]:
    """The body and files of a multipart post, checked by the desk's and portal's
    reply form (file count and size limits included)."""
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
    return form.cleaned_data["body"], form.cleaned_data["attachments"]


@router.post(
    "/{int:number}/replies/with-files",
    response={201: MessageOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Reply (public) with files",
)
def reply_with_files(
    request: AuthedRequest,
    number: int,
    body: Form[str],
    attachments: File[list[UploadedFile]] | None = None,
) -> Status[MessageOut]:
    """A public reply as ``multipart/form-data``: ``body`` and ``attachments``."""
    ticket = _acted_on(request, number)
    text, files = _with_files(request)
    message = actions.add_reply(
        ticket, body=text, by=request.user, files=files, channel=Channel.API
    )
    return Status(201, MessageOut.of(message))


@router.post(
    "/{int:number}/notes/with-files",
    response={201: MessageOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Add an internal note with files (staff)",
)
def note_with_files(
    request: AuthedRequest,
    number: int,
    body: Form[str],
    attachments: File[list[UploadedFile]] | None = None,
) -> Status[MessageOut]:
    _staff_only(request)
    ticket = _acted_on(request, number)
    text, files = _with_files(request)
    message = actions.add_note(ticket, body=text, by=request.user, files=files)
    return Status(201, MessageOut.of(message))


@router.post(
    "/{int:number}/notes",
    response={201: MessageOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Add an internal note (staff)",
)
def note(request: AuthedRequest, number: int, payload: BodyIn) -> Status[MessageOut]:
    _staff_only(request)
    ticket = _acted_on(request, number)
    message = actions.add_note(ticket, body=payload.body, by=request.user)
    return Status(201, MessageOut.of(message))


@router.post(
    "/{int:number}/request-info",
    response={201: MessageOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Ask the customer for information (staff)",
)
def request_info(request: AuthedRequest, number: int, payload: BodyIn) -> Status[MessageOut]:
    _staff_only(request)
    ticket = _acted_on(request, number)
    message = actions.request_information(ticket, body=payload.body, by=request.user)
    return Status(201, MessageOut.of(message))


@router.post(
    "/{int:number}/assign",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Assign to a person and/or a team (staff)",
)
def assign(request: AuthedRequest, number: int, payload: AssignIn) -> TicketOut:
    _staff_only(request)
    ticket = _acted_on(request, number)
    assignee = team = None
    if payload.assignee is not None:
        assignee = User.objects.agents().filter(pk=payload.assignee).first()
        if assignee is None:
            raise ValidationError({"assignee": _("Tickets go to active staff only.")})
    if payload.team is not None:
        team = Team.objects.filter(pk=payload.team, is_active=True).first()
        if team is None:
            raise ValidationError({"team": _("Choose an active team.")})
    ticket = actions.assign_ticket(
        ticket, by=request.user, assignee=assignee, team=team, note=payload.note
    )
    return _after(request, ticket)


@router.post(
    "/{int:number}/escalate",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Escalate to the next line with a handoff note (staff)",
)
def escalate(request: AuthedRequest, number: int, payload: EscalateIn) -> TicketOut:
    _staff_only(request)
    ticket = _acted_on(request, number)
    if not payload.note.strip():
        raise ValidationError({"note": _("Write a handoff note for the next person.")})
    return _after(request, escalate_ticket(ticket, by=request.user, note=payload.note))


@router.post(
    "/{int:number}/status",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Change the status (staff)",
)
def status(request: AuthedRequest, number: int, payload: StatusIn) -> TicketOut:
    _staff_only(request)
    ticket = _acted_on(request, number)
    ticket = actions.change_status(
        ticket,
        status=payload.status,
        by=request.user,
        reason=payload.reason,
        closure_reason=payload.closure_reason,
    )
    return _after(request, ticket)


@router.post(
    "/{int:number}/priority",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Change the priority, with a reason (staff)",
)
def priority(request: AuthedRequest, number: int, payload: PriorityIn) -> TicketOut:
    _staff_only(request)
    ticket = _acted_on(request, number)
    ticket = actions.change_priority(
        ticket, priority=PRIORITY_VALUES[payload.priority], by=request.user, reason=payload.reason
    )
    return _after(request, ticket)


@router.post(
    "/{int:number}/category",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Change the category (staff)",
)
def category(request: AuthedRequest, number: int, payload: CategoryIn) -> TicketOut:
    _staff_only(request)
    ticket = _acted_on(request, number)
    new = None
    if payload.category is not None:
        new = Category.objects.filter(pk=payload.category).first()
        if new is None:
            raise ValidationError({"category": _("No such category.")})
    return _after(request, actions.change_category(ticket, category=new, by=request.user))


@router.post(
    "/{int:number}/tags",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Set the tags (staff)",
)
def tags(request: AuthedRequest, number: int, payload: TagsIn) -> TicketOut:
    _staff_only(request)
    ticket = _acted_on(request, number)
    return _after(request, actions.set_tags(ticket, names=payload.tags, by=request.user))


@router.post(
    "/{int:number}/fields",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Correct the form's answers (staff)",
)
def fields(request: AuthedRequest, number: int, payload: FieldsIn) -> TicketOut:
    """Validated by the category's form as in the desk; required questions stay required."""
    _staff_only(request)
    ticket = _acted_on(request, number)
    if ticket.category is None:
        raise ValidationError(_("This ticket has no category, so no form to edit."))
    form = CategoryFieldsForm(
        {f"f_{key}": value for key, value in payload.fields.items()},
        category=ticket.category,
        include_files=False,
    )
    unknown = sorted(set(payload.fields) - {spec.key for spec in form.specs})
    if unknown:
        raise ValidationError(
            {f"fields.{key}": [_("This category's form has no such question.")] for key in unknown}
        )
    if not form.is_valid():
        raise ValidationError(
            {f"fields.{name[2:]}": errors for name, errors in form.errors.items()}
        )
    ticket = actions.update_field_values(ticket, values=form.field_values(), by=request.user)
    return _after(request, ticket)


@router.post(
    "/{int:number}/solved",
    response={200: TicketOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Confirm the solution worked (the requester)",
)
def solved(request: AuthedRequest, number: int) -> TicketOut:
    ticket = _acted_on(request, number)
    return _after(request, actions.confirm_solved(ticket, by=request.user))
