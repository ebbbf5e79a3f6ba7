"""Phone calls and callbacks: a ticket's call logs (staff; internal, like
notes), logging a call on a ticket or one that opens a ticket, and a customer
asking to be called back. Each calls the desk's or portal's action."""

from __future__ import annotations

import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Header, Router, Schema, Status
from pydantic import BaseModel, Field

from frontline.lib.http import AuthedRequest
from frontline.lib.phones import normalise_phone
from frontline.routing.actions import open_ticket_by_call, request_callback
from frontline.tickets import actions
from frontline.tickets.access import access_ticket, visible_messages
from frontline.tickets.models import CallDetails, Message, MessageKind, Ticket

from ..auth import write_auth
from ..schemas import Problem, Ref, TicketOut, _person
from .tickets import ACT_ERRORS, ERRORS, _acted_on, _out, _staff_only, open_idempotently

router = Router(tags=["calls"])

Direction = Literal["in", "out"]
# As the desk's call form: up to ten hours.
MAX_CALL_SECONDS = 600 * 60
CALLS_SHOWN = 100


class CallOut(BaseModel):
    id: int = Field(description="The call log's message id.")
    direction: Direction
    phone: str
    duration_seconds: int
    summary: str
    author: Ref | None
    created_at: datetime.datetime

    @classmethod
    def of(cls, message: Message, details: CallDetails) -> CallOut:
        return cls(
            id=message.pk,
            direction=details.direction,  # type: ignore[arg-type]
            phone=details.phone,
            duration_seconds=details.duration_seconds,
            summary=message.body,
            author=_person(message.author),
            created_at=message.created_at,
        )


class CallIn(Schema):
    direction: Direction
    phone: str = Field(default="", max_length=40, description="Any format with a country code.")
    duration_seconds: int = Field(default=0, ge=0, le=MAX_CALL_SECONDS)
    summary: str = Field(description="What was said (internal, like a note).")


class NewCallIn(Schema):
    name: str = Field(default="", max_length=150, description="The caller's name.")
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    direction: Direction = "in"
    duration_seconds: int = Field(default=0, ge=0, le=MAX_CALL_SECONDS)
    subject: str = Field(max_length=300)
    body: str = Field(description="The request as the caller put it: the customer sees it.")
    summary: str = Field(default="", description="Call notes (internal); empty: the request.")


class CallbackIn(Schema):
    phone: str = Field(max_length=40)
    preferred_time: str = Field(default="", max_length=100)
    reason: str = Field(max_length=2000)


def _phone(value: str, *, required: bool = False) -> str:
    if not value.strip() and not required:
        return ""
    try:
        return normalise_phone(value)
    except ValueError:
        raise ValidationError(
            {"phone": _("Enter a phone number with its country code, e.g. +44 20 7946 0958.")}
        ) from None


@router.get(
    "/tickets/{int:number}/calls",
    response={200: list[CallOut], **ERRORS},
    summary="Its calls (staff)",
)
def list_calls(request: AuthedRequest, number: int) -> list[CallOut]:
    """The calls logged on the ticket, oldest first (the first 100)."""
    _staff_only(request)
    ticket = access_ticket(request.user, number)
    rows = (
        visible_messages(request.user, of=[ticket.pk])
        .filter(kind=MessageKind.CALL, call__isnull=False)
        .select_related("author", "call")
        .order_by("id")[:CALLS_SHOWN]
    )
    return [CallOut.of(m, m.call) for m in rows]


@router.post(
    "/tickets/{int:number}/calls",
    response={201: CallOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Log a call (staff)",
)
def log_call(request: AuthedRequest, number: int, payload: CallIn) -> Status[CallOut]:
    """A call on the ticket: internal, like a note; it counts as a response."""
    _staff_only(request)
    ticket = _acted_on(request, number)
    message = actions.log_call(
        ticket,
        by=request.user,
        direction=payload.direction,
        phone=_phone(payload.phone),
        duration_seconds=payload.duration_seconds,
        summary=payload.summary,
    )
    return Status(201, CallOut.of(message, message.call))


@router.post(
    "/calls",
    response={201: TicketOut, 422: Problem, **ERRORS},
    auth=write_auth,
    summary="Log a call that opens a ticket (staff)",
)
def new_call(
    request: AuthedRequest,
    payload: NewCallIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=200
    ),
) -> Status[TicketOut]:
    """A call from someone with no ticket yet: the caller is found by address or
    number (or becomes a new contact), and a phone ticket opens with the call
    logged on it. Takes an ``Idempotency-Key`` as opening a ticket does."""
    _staff_only(request)
    email = payload.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid email address.")}) from None
    phone = _phone(payload.phone)
    if not email and not phone:
        raise ValidationError(
            _("Give the caller's number or address: a known customer is found by them.")
        )

    def open_ticket() -> Ticket:
        return open_ticket_by_call(
            by=request.user,
            name=payload.name,
            email=email,
            phone=phone,
            subject=payload.subject,
            body=payload.body,
            direction=payload.direction,
            duration_seconds=payload.duration_seconds,
            summary=payload.summary,
        )

    number = open_idempotently(request, idempotency_key, open_ticket)
    return Status(201, _out(request, access_ticket(request.user, number)))


@router.post(
    "/callbacks",
    response={201: TicketOut, 422: Problem, **ERRORS},
    auth=write_auth,
    summary="Ask to be called back (customers)",
)
def callback(
    request: AuthedRequest,
    payload: CallbackIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=200
    ),
) -> Status[TicketOut]:
    """As the portal's "call me back": a high-priority ticket in the callback queue."""
    if request.user.is_staff_member:
        raise PermissionDenied(_("Only customers ask to be called back."))
    phone = _phone(payload.phone, required=True)
    if not payload.reason.strip():
        raise ValidationError({"reason": _("This field is required.")})

    def open_ticket() -> Ticket:
        return request_callback(
            requester=request.user,
            phone=phone,
            preferred_time=payload.preferred_time,
            reason=payload.reason,
        )

    number = open_idempotently(request, idempotency_key, open_ticket)
    return Status(201, _out(request, access_ticket(request.user, number)))
