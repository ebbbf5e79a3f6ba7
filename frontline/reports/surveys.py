"""Survey links: signed, needing no sign-in, good for one ticket's resolution
and for ``SURVEY_DAYS`` after it; and the mail that carries them.

A link names the invitation and its ticket and is signed with the secret key
(``django.core.signing``): changing a digit breaks the signature. Within the
window the customer may answer and change the answer; after it, or for
another ticket, the link is refused with a reason the page can say.
"""

from __future__ import annotations

import datetime
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.models import Role, User
from frontline.mail.models import Notice, OutboundMessage
from frontline.mail.outbound import compose
from frontline.tickets.models import Status, Ticket

from .models import SurveyInvitation, SurveyResponse

_SALT = "frontline.reports.survey"
# What the mail app calls this notice (its templates are this app's
# templates/mail/notices/survey.*).
NOTICE = Notice.SURVEY


class Refusal(StrEnum):
    TAMPERED = "tampered"  # not a link we made, or cut short
    OTHER_TICKET = "other_ticket"
    EXPIRED = "expired"


class LinkRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason = reason


def survey_token(invitation: SurveyInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "t": invitation.ticket_id}, salt=_SALT)


def survey_path(invitation: SurveyInvitation) -> str:
    return reverse("portal:survey", args=[invitation.ticket_id, survey_token(invitation)])


def closes_at(invitation: SurveyInvitation) -> datetime.datetime:
    return invitation.created_at + datetime.timedelta(days=settings.FRONTLINE["SURVEY_DAYS"])


def invitation_for_link(
    number: int, token: str, *, now: datetime.datetime | None = None
) -> SurveyInvitation:
    """The invitation a survey link on ticket ``number`` stands for; ``LinkRefused``
    with the reason if it is not genuine, is for another ticket, or its window
    has closed."""
    try:
        data = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise LinkRefused(Refusal.TAMPERED) from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise LinkRefused(Refusal.TAMPERED)
    if data.get("t") != number:
        raise LinkRefused(Refusal.OTHER_TICKET)
    invitation = (
        SurveyInvitation.objects.select_related("ticket", "response")
        .filter(pk=data["i"], ticket_id=number)
        .first()
    )
    if invitation is None:
        raise LinkRefused(Refusal.TAMPERED)
    if (now or timezone.now()) >= closes_at(invitation):
        raise LinkRefused(Refusal.EXPIRED)
    return invitation


def mail_invitation(invitation: SurveyInvitation) -> OutboundMessage:
    """Write the survey mail to the invitation's customer (sent after commit by
    the mail app): one click per rating, each opening the survey page."""
    link = settings.SITE_URL.rstrip("/") + survey_path(invitation)
    return compose(
        NOTICE,
        invitation.customer,
        ticket=invitation.ticket,
        extra={
            "survey_url": link,
            "rating_urls": [(n, f"{link}?rating={n}") for n in range(5, 0, -1)],
            "survey_days": str(settings.FRONTLINE["SURVEY_DAYS"]),
        },
    )


def open_survey_path(user: User, ticket: Ticket) -> str | None:
    """The survey page of ``ticket``'s latest resolution, for its customer on the
    portal while the survey is open; None otherwise (no query unless resolved
    within the survey's window: the latest invitation is as old as the latest
    resolution, ``resolved_at``)."""
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or user.pk != ticket.requester_id:
        return None
    window = datetime.timedelta(days=settings.FRONTLINE["SURVEY_DAYS"])
    if ticket.resolved_at is not None and timezone.now() >= ticket.resolved_at + window:
        return None
    invitation = SurveyInvitation.objects.filter(ticket=ticket, customer=user).first()
    if invitation is None or timezone.now() >= closes_at(invitation):
        return None
    return survey_path(invitation)


# Ratings at or below this are told to the team's supervisors.
BAD_RATING = 2
NOTICE_BAD = Notice.BAD_RATING


def supervisors_of(invitation: SurveyInvitation) -> list[User]:
    """The supervisors in the team that had the ticket, or every active
    supervisor when that team has none (the same rule as for SLA breaches)."""
    supervisors = User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id")
    if invitation.team_id is not None:
        in_team = list(supervisors.filter(teams=invitation.team_id))
        if in_team:
            return in_team
    return list(supervisors)


def mail_bad_rating(response: SurveyResponse) -> list[OutboundMessage]:
    """Tell the supervisors of a bad rating, with the comment, so someone can act."""
    invitation = response.invitation
    ticket = Ticket.objects.select_related("requester", "assignee", "team").get(
        pk=invitation.ticket_id
    )
    return [
        compose(
            NOTICE_BAD,
            supervisor,
            ticket=ticket,
            extra={"rating": str(response.rating), "comment": response.comment},
        )
        for supervisor in supervisors_of(invitation)
    ]
