"""Estimate links and mail: the customer approves or declines an estimate on the
portal, or by a signed link in the mail without signing in.

The link names the estimate and its ticket and is signed with the secret key;
it works while the estimate waits for an answer (a later page shows the
answer given), and is refused, with the reason, when tampered with or used
on another ticket.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from frontline.accounts.models import User
from frontline.mail.models import OutboundMessage
from frontline.mail.outbound import compose

from .models import Estimate
from .surveys import LinkRefused, Refusal

_SALT = "frontline.reports.estimate"
# The mail app's names for these notices (templates in templates/mail/notices/).
NOTICE_SENT = "estimate"
NOTICE_DECIDED = "estimate_decided"


def estimate_token(estimate: Estimate) -> str:
    return signing.dumps({"e": estimate.pk, "t": estimate.ticket_id}, salt=_SALT)


def estimate_path(estimate: Estimate) -> str:
    return reverse("portal:estimate_link", args=[estimate.ticket_id, estimate_token(estimate)])


def estimate_for_link(number: int, token: str) -> Estimate:
    """The estimate a link on ticket ``number`` stands for; ``LinkRefused`` if the
    link is not genuine or is for another ticket."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise LinkRefused(Refusal.TAMPERED) from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), int):
        raise LinkRefused(Refusal.TAMPERED)
    if data.get("t") != number:
        raise LinkRefused(Refusal.OTHER_TICKET)
    estimate = (
        Estimate.objects.with_minutes_used()
        .select_related("ticket", "sent_by")
        .filter(pk=data["e"], ticket_id=number)
        .first()
    )
    if estimate is None:
        raise LinkRefused(Refusal.TAMPERED)
    return estimate


def mail_estimate(estimate: Estimate) -> OutboundMessage:
    """The estimate, to the ticket's requester, with the link to answer it."""
    ticket = estimate.ticket
    return compose(
        NOTICE_SENT,
        ticket.requester,
        ticket=ticket,
        actor=estimate.sent_by,
        extra={
            "estimate": estimate,
            "estimate_url": settings.SITE_URL.rstrip("/") + estimate_path(estimate),
        },
    )


def mail_decision(estimate: Estimate) -> OutboundMessage | None:
    """The agent who sent the estimate hears the customer's answer."""
    agent: User = estimate.sent_by
    if not agent.is_active:
        return None
    return compose(
        NOTICE_DECIDED,
        agent,
        ticket=estimate.ticket,
        extra={"estimate": estimate},
    )
