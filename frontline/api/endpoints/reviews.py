"""A trainee's replies held for their mentor (``knowledge.reviews``), as the desk's
"To review" page has them: a trainee sends a reply for review; the mentor (or a
supervisor) lists what waits, approves (perhaps edited) or sends back with a
comment; the trainee lists their own with the outcome. The same actions and
access checks as the desk: nothing here reaches the customer before approval.
"""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Router, Schema, Status
from pydantic import BaseModel, Field

from frontline.knowledge import reviews
from frontline.knowledge.access import (
    REVIEW_PAGE,
    access_held_reply_for_review,
    own_held_replies,
    replies_to_review,
)
from frontline.knowledge.models import HeldReply
from frontline.lib.http import AuthedRequest
from frontline.tickets.access import access_ticket_for_agent

from ..auth import write_auth
from ..schemas import Ref, _person
from .tickets import ACT_ERRORS, ERRORS, _staff_only

router = Router(tags=["reviews"])

HeldState = Literal["held", "approved", "returned"]


class HeldReplyOut(BaseModel):
    id: int
    ticket: int = Field(description="The ticket's number.")
    trainee: Ref
    body: str = Field(description="The reply as it waits, or as it was sent once approved.")
    state: HeldState
    comment: str = Field(description="The mentor's comment when sent back.")
    edited: bool = Field(description="Whether the mentor changed the text before sending.")
    decided_by: Ref | None
    decided_at: datetime.datetime | None
    message: int | None = Field(description="The public reply's id once approved.")
    created_at: datetime.datetime

    @classmethod
    def of(cls, held: HeldReply) -> HeldReplyOut:
        return cls(
            id=held.pk,
            ticket=held.ticket_id,
            trainee=_person(held.trainee),  # type: ignore[arg-type]
            body=held.body,
            state=held.state,  # type: ignore[arg-type]
            comment=held.comment,
            edited=held.edited,
            decided_by=_person(held.decided_by),
            decided_at=held.decided_at,
            message=held.message_id,
            created_at=held.created_at,
        )


class HoldIn(Schema):
    body: str = Field(min_length=1, description="The reply to send once the mentor approves.")


class ApproveIn(Schema):
    body: str = Field(default="", description="The mentor's edited text; empty sends it as is.")


class ReturnIn(Schema):
    comment: str = Field(min_length=1, description="What the trainee should change.")


@router.post(
    "/tickets/{int:number}/held-replies",
    response={201: HeldReplyOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Send a reply for review (trainees)",
)
def hold(request: AuthedRequest, number: int, payload: HoldIn) -> Status[HeldReplyOut]:
    """A trainee's public reply, kept for their mentor: nothing is sent."""
    _staff_only(request)
    ticket = access_ticket_for_agent(request.user, number)
    held = reviews.hold_reply(ticket, body=payload.body, by=request.user)
    return Status(201, HeldReplyOut.of(held))


@router.get(
    "/reviews",
    response={200: list[HeldReplyOut], **ERRORS},
    summary="Replies waiting for my review",
)
def to_review(request: AuthedRequest) -> list[HeldReplyOut]:
    """Trainees' replies the caller may approve or send back, oldest first."""
    _staff_only(request)
    held = replies_to_review(request.user).select_related("decided_by")[:REVIEW_PAGE]
    return [HeldReplyOut.of(h) for h in held]


@router.get(
    "/reviews/mine",
    response={200: list[HeldReplyOut], **ERRORS},
    summary="My replies sent for review",
)
def mine(request: AuthedRequest) -> list[HeldReplyOut]:
    """The caller's own replies sent for review, newest first, with the outcome."""
    _staff_only(request)
    held = own_held_replies(request.user).select_related("trainee")[:REVIEW_PAGE]
    return [HeldReplyOut.of(h) for h in held]


def _decidable(request: AuthedRequest, pk: int) -> HeldReply:
    _staff_only(request)
    return access_held_reply_for_review(request.user, pk)


@router.post(
    "/reviews/{int:pk}/approve",
    response={200: HeldReplyOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Approve a trainee's reply (perhaps edited)",
)
def approve(request: AuthedRequest, pk: int, payload: ApproveIn) -> HeldReplyOut:
    """Sends it to the customer as the trainee's reply, with ``body`` if given."""
    held = _decidable(request, pk)
    reviews.approve_held_reply(held, by=request.user, body=payload.body)
    return HeldReplyOut.of(_reloaded(held))


@router.post(
    "/reviews/{int:pk}/send-back",
    response={200: HeldReplyOut, **ACT_ERRORS},
    auth=write_auth,
    summary="Send a trainee's reply back with a comment",
)
def send_back(request: AuthedRequest, pk: int, payload: ReturnIn) -> HeldReplyOut:
    """Nothing is sent; the trainee reads the comment and writes again."""
    held = _decidable(request, pk)
    reviews.return_held_reply(held, by=request.user, comment=payload.comment)
    return HeldReplyOut.of(_reloaded(held))


def _reloaded(held: HeldReply) -> HeldReply:
    return HeldReply.objects.select_related("trainee", "decided_by").get(pk=held.pk)
