"""Outbound mail: who is told what, in their language, threaded, sent with retries.

    ticket action ─► enqueue_after_commit(notify, notice, ticket)
                     └► notify(): recipients, render, OutboundMessage rows (stored first)
                        └► enqueue_after_commit(deliver, pk) ─► SMTP, retried with backoff

Every message is a row before it is sent, so a crash loses nothing: the retry
sweep sends what is still queued. Internal notes are never mailed to
customers: customer notices carry only public replies.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterable
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from frontline.accounts.branding import current_brand
from frontline.accounts.models import User
from frontline.lib.prepared import Prepared
from frontline.lib.tasks import enqueue_after_commit
from frontline.tickets.access import answers_token, staff_following, staff_who_may_see
from frontline.tickets.events import record_event
from frontline.tickets.models import EventKind, Message, MessageKind, Ticket

from .models import (
    ACCOUNT_NOTICES,
    AUTOMATIC_NOTICES,
    IN_APP_NOTICES,
    Delivery,
    InboundMessage,
    Mailbox,
    Notice,
    Notification,
    NotificationTemplate,
    OutboundMessage,
    Outcome,
)

logger = logging.getLogger(__name__)

CUSTOMER_NOTICES = frozenset(
    {
        Notice.RECEIVED,
        Notice.REPLY,
        Notice.INFO_REQUESTED,
        Notice.RESOLVED,
        Notice.CLOSED,
        Notice.MERGED,
        Notice.SPLIT,
    }
)
# Minutes to wait before each retry: 1 min, 5 min, 30 min, 2 h, 6 h.
BACKOFF_MINUTES = (1, 5, 30, 120, 360)
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]{1,150})")
THREAD_IDS_KEPT = 10


def header_text(value: str, limit: int = 250) -> str:
    """A header value from user input: one line, no CR/LF or other control characters."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(cleaned.split())[:limit]


def bracketed(message_id: str) -> str:
    """A Message-ID as it goes in a header: ``<id@host>`` (we store received ones bare)."""
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def mentioned_staff(body: str, ticket: Ticket) -> list[User]:
    """Active staff named as ``@username`` in a note who may see ``ticket`` (a
    note is not mailed to someone the desk would not show it to)."""
    names = {m.rstrip(".") for m in MENTION.findall(body)}
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return staff_who_may_see(ticket, User.objects.agents().filter(query))


# -- recipients --------------------------------------------------------------


def recipients(
    notice: str, ticket: Ticket | None, *, actor: User | None, users: Iterable[User] = ()
) -> list[User]:
    """Who hears of ``notice``: the customers of the ticket for customer notices
    (the requester and the people taking part), the named people otherwise;
    never the person who acted, never anyone without an address, deactivated,
    or one of our own mailboxes (that would loop)."""
    chosen: list[User] = list(users)
    if ticket is not None and notice == Notice.RECEIVED:
        # Only whoever wrote: copying many people must not fan out automatic mail.
        chosen = [ticket.requester, *chosen]
    elif ticket is not None and notice in CUSTOMER_NOTICES:
        # Only confirmed participants: people a customer copied in wait for an agent.
        copied = User.objects.filter(
            participations__ticket=ticket, participations__confirmed=True, is_active=True
        ).order_by("pk")
        chosen = [ticket.requester, *copied, *chosen]
    elif ticket is not None and notice == Notice.CUSTOMER_REPLIED:
        # The assignee, and the staff who follow the ticket (after a handoff
        # too: they read it in the desk, read-only).
        followers = staff_following(ticket)
        chosen = [*([ticket.assignee] if ticket.assignee else []), *followers, *chosen]
    ours = {address.lower() for address in _OUR_ADDRESSES()}
    seen: set[int] = set()
    result = []
    for user in chosen:
        if user.pk in seen or (actor is not None and user.pk == actor.pk):
            continue
        seen.add(user.pk)
        if user.is_active and user.email and user.email.lower() not in ours:
            result.append(user)
    return result


# -- rendering ---------------------------------------------------------------


_CAME_IN = Prepared(
    lambda p: (
        InboundMessage.objects.filter(
            ticket_id=p.ticket, mailbox__isnull=False, message__kind=MessageKind.REPLY
        )
        .order_by("received_at")
        .values_list("mailbox_id", flat=True)[:1]
    )
)
_MAILBOX = Prepared(lambda p: Mailbox.objects.filter(pk=p.pk))
_FIRST_MAILBOX = Prepared(lambda p: Mailbox.objects.filter(is_active=True).order_by("pk")[:1])
_OUR_ADDRESSES = Prepared(lambda p: Mailbox.objects.values_list("address", flat=True))


def mailbox_for(ticket: Ticket | None) -> Mailbox | None:
    """The mailbox a ticket's mail goes out from: the one its customers' mail came
    in through (not a bounce or a stranger's note: anyone can send those to any
    mailbox), else the first."""
    if ticket is not None:
        came_in = next(iter(_CAME_IN(ticket=ticket.pk)), None)
        if came_in is not None:
            return next(iter(_MAILBOX(pk=came_in)), None)
    return next(iter(_FIRST_MAILBOX()), None)


def _addresses(ticket: Ticket | None, sender_name: str) -> tuple[str, str]:
    """(From, Reply-To): the mailbox's address, and for a ticket its unguessable
    ``local+t-<token>@domain`` reply address."""
    mailbox = mailbox_for(ticket)
    address = mailbox.address if mailbox else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    service = mailbox.name if mailbox else current_brand().name
    name = header_text(f"{sender_name} | {service}" if sender_name else service, 120)
    reply_to = ""
    if ticket is not None and ticket.reply_token and "@" in address:
        local, _at, domain = address.rpartition("@")
        reply_to = f"{local}+t-{ticket.reply_token}@{domain}"
    return formataddr((name, address)), reply_to


def _site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _context(
    notice: str,
    ticket: Ticket | None,
    recipient: User,
    *,
    actor: User | None,
    message: Message | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "notice": notice,
        "recipient": recipient,
        "recipient_name": recipient.first_name or recipient.display_name,
        "agent_name": actor.display_name if actor else "",
        "site_name": current_brand().name,
        "body": message.body if message is not None else "",
        **extra,
    }
    if ticket is not None:
        context |= {
            "ticket": ticket,
            "customer_name": ticket.requester.first_name or ticket.requester.display_name,
            "assignee_name": ticket.assignee.display_name if ticket.assignee else "",
            "team_name": ticket.team.name if ticket.team else "",
            "portal_url": _site_link(reverse("portal:ticket", args=[ticket.pk])),
            "desk_url": _site_link(reverse("desk:ticket", args=[ticket.pk])),
        }
        if notice == Notice.REPLY_HELD:  # decided on the mentor's queue, not the ticket
            context["review_url"] = _site_link(reverse("desk:review"))
        if notice == Notice.RECEIVED and recipient.pk == ticket.requester_id:
            context |= _missing_answers(ticket, recipient.language)
    return context


def _missing_answers(ticket: Ticket, language: str) -> dict[str, Any]:
    """What the acknowledgement of a mail asks for: the required questions of
    the ticket's form it left open, and the signed link to answer them."""
    missing = ticket.missing_answers()
    if not missing:
        return {}
    token = answers_token(ticket)
    return {
        "missing_labels": [spec.label_in(language or "en") for spec in missing],
        "answers_url": _site_link(reverse("portal:answers", args=[token])),
    }


_OWN_TEMPLATE = Prepared(
    lambda p: NotificationTemplate.objects.filter(
        notice=p.notice, is_active=True, language__in=p.languages
    ).order_by("-language")[:1]
)


def render(notice: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """Subject and body of a notice in ``language``: an admin's template if there is
    an active one for the language (or for every language), else the built-in one."""
    with translation.override(language or settings.LANGUAGE_CODE):
        own = next(iter(_OWN_TEMPLATE(notice=str(notice), languages=[language or "", ""])), None)
        rendered = _render_own(own, context) if own is not None else None
        if rendered is None:
            rendered = (
                render_to_string(f"mail/notices/{notice}.subject.txt", context),
                render_to_string(f"mail/notices/{notice}.txt", context),
            )
    subject, body = rendered
    return header_text(subject), body.strip() + "\n"


def _render_own(own: NotificationTemplate, context: dict[str, Any]) -> tuple[str, str] | None:
    """An admin's template, rendered with plain values only (no model objects, so
    no way to reach notes, passwords or settings from a template); ``None`` if it
    fails, and the built-in wording is used instead."""
    ticket = context.get("ticket")
    plain: dict[str, Any] = {k: v for k, v in context.items() if isinstance(v, str)}
    if ticket is not None:
        plain["ticket"] = {
            "reference": ticket.reference,
            "subject": ticket.subject,
            "status": ticket.get_status_display(),
            "priority": ticket.get_priority_display(),
            "due_at": ticket.due_at,
        }
    try:
        values = Context(plain, autoescape=False)
        return Template(own.subject).render(values), Template(own.body).render(values)
    except Exception:  # a broken template must not stop the mail
        logger.exception("Notification template %s failed; using the built-in one", own.pk)
        return None


# The reads of every notice (each new ticket's acknowledgement): compiled once (lib.prepared).
_RECEIVED_IDS = Prepared(
    lambda p: (
        InboundMessage.objects.filter(
            ticket_id=p.ticket,
            outcome__in=(Outcome.NEW_TICKET, Outcome.REPLY),
            message__kind=MessageKind.REPLY,  # not bounces or auto-replies kept as notes
        )
        .exclude(message_id_header="")
        .order_by("-received_at")
        .values_list("received_at", "message_id_header")[:THREAD_IDS_KEPT]
    )
)


def _sent(p: Any) -> Any:
    return OutboundMessage.objects.filter(ticket_id=p.ticket, to_address=p.address).exclude(
        status=Delivery.SUPPRESSED
    )


_SENT_LATEST = Prepared(
    lambda p: (
        _sent(p)
        .order_by("-created_at")
        .values_list("created_at", "message_id_header")[:THREAD_IDS_KEPT]
    )
)
_SENT_FIRST = Prepared(
    lambda p: _sent(p).order_by("created_at").values_list("created_at", "message_id_header")[:1]
)


def _thread_ids(ticket: Ticket, to_address: str) -> tuple[list[str], str]:
    """Message-IDs of the ticket's conversation with this address, oldest first:
    what the customer sent us (the latest ten) and what we sent them (first one
    and the latest); and the customer's latest one ("" if they sent none)."""
    latest_received = _RECEIVED_IDS(ticket=ticket.pk)
    latest_sent = _SENT_LATEST(ticket=ticket.pk, address=to_address)
    # Fewer than kept: the first one we sent is among them (a new ticket: none).
    first_sent = (
        _SENT_FIRST(ticket=ticket.pk, address=to_address)
        if len(latest_sent) == THREAD_IDS_KEPT
        else []
    )
    ids: list[str] = []
    for _when, mid in sorted([*latest_received, *first_sent, *latest_sent]):
        mid = bracketed(mid)
        if mid not in ids:
            ids.append(mid)
    theirs = latest_received[0][1] if latest_received else ""
    return ids[:1] + ids[1:][-(THREAD_IDS_KEPT - 1) :], theirs


def _threading(ticket: Ticket | None, to_address: str) -> tuple[str, str]:
    """(In-Reply-To, References): we answer the customer's latest message if they
    wrote one, else our own latest; References carry the thread's first and latest."""
    if ticket is None:
        return "", ""
    thread, theirs = _thread_ids(ticket, to_address)
    return (bracketed(theirs) if theirs else (thread[-1] if thread else "")), " ".join(thread)


def _over_rate_limit(address: str, now: datetime.datetime, *, account: bool) -> bool:
    """Whether ``address`` had its hourly share of automatic mail (or of account
    links): a flood of mail or of sign-up forms must not make us a mail cannon."""
    recent = OutboundMessage.objects.filter(
        to_address=address, created_at__gte=now - datetime.timedelta(hours=1)
    ).exclude(status=Delivery.SUPPRESSED)
    if account:
        recent = recent.filter(notice__in=ACCOUNT_NOTICES)
        limit = settings.FRONTLINE["ACCOUNT_MAILS_PER_HOUR"]
    else:
        recent = recent.filter(automatic=True)
        limit = settings.FRONTLINE["AUTO_REPLIES_PER_HOUR"]
    return recent.count() >= limit


def compose(
    notice: str,
    recipient: User,
    *,
    ticket: Ticket | None = None,
    actor: User | None = None,
    message: Message | None = None,
    extra: dict[str, Any] | None = None,
) -> OutboundMessage:
    """Write one outgoing message (not sent yet) and queue it after commit."""
    now = timezone.now()
    context = _context(notice, ticket, recipient, actor=actor, message=message, extra=extra or {})
    subject, body = render(notice, context, recipient.language)
    if ticket is not None and ticket.reference not in subject:
        subject = f"[{ticket.reference}] {subject}"
    from_header, reply_to = _addresses(ticket, actor.display_name if actor else "")
    domain = parseaddr(from_header)[1].rpartition("@")[2] or "frontline.invalid"
    in_reply_to, references = _threading(ticket, recipient.email)
    # A reply no person wrote (a rule's template reply) is as automatic as an acknowledgement.
    automatic = notice in AUTOMATIC_NOTICES or (notice == Notice.REPLY and actor is None)
    status, reason = Delivery.QUEUED, ""
    if automatic and _over_rate_limit(recipient.email, now, account=False):
        status, reason = Delivery.SUPPRESSED, "automatic replies to this address over the limit"
    elif notice in ACCOUNT_NOTICES and _over_rate_limit(recipient.email, now, account=True):
        status, reason = Delivery.SUPPRESSED, "account mails to this address over the limit"
    outbound = OutboundMessage.objects.create(
        notice=notice,
        ticket=ticket,
        message=message,
        recipient=recipient,
        to_address=recipient.email,
        from_header=from_header,
        reply_to=reply_to,
        subject=subject,
        body=body,
        message_id_header=make_msgid(
            idstring=f"t{ticket.pk}" if ticket is not None else notice, domain=domain
        ),
        in_reply_to=in_reply_to,
        references=references,
        status=status,
        reason=reason,
        automatic=automatic,
        created_at=now,
        next_attempt_at=now,
    )
    if status == Delivery.QUEUED:
        from .tasks import deliver

        enqueue_after_commit(deliver, outbound.pk)
    return outbound


# Read for every notice (each new ticket's acknowledgement): compiled once (lib.prepared).
_TICKET_WITH_PEOPLE = Prepared(
    lambda p: Ticket.objects.select_related("requester", "assignee", "team").filter(pk=p.pk)
)


_MESSAGE = Prepared(lambda p: Message.objects.filter(pk=p.pk, ticket_id=p.ticket))


def notify(
    notice: str,
    ticket_id: int,
    *,
    message_id: int | None = None,
    actor_id: int | None = None,
    user_ids: Iterable[int] = (),
    extra: dict[str, Any] | None = None,
) -> list[OutboundMessage]:
    """Tell everyone who should hear of ``notice`` on a ticket. Runs on the worker.
    ``extra``: plain values the notice's wording needs besides the ticket's."""
    ticket = next(iter(_TICKET_WITH_PEOPLE(pk=ticket_id)), None)
    if ticket is None:
        return []
    message = next(iter(_MESSAGE(pk=message_id, ticket=ticket.pk)), None) if message_id else None
    if message is not None and message.is_internal and notice in CUSTOMER_NOTICES:
        raise ValueError("internal messages are never mailed to customers")
    if notice == Notice.TEAM_ASSIGNED and ticket.assignee_id is not None:
        return []  # the team's strategy gave it to someone, who hears of it instead
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    named = list(User.objects.filter(pk__in=list(user_ids))) if user_ids else []
    people = recipients(notice, ticket, actor=actor, users=named)
    with transaction.atomic():
        if notice in IN_APP_NOTICES:
            Notification.objects.bulk_create(
                Notification(user=user, ticket=ticket, notice=notice, actor=actor)
                for user in people
                if user.is_staff_member
            )
        return [
            compose(notice, user, ticket=ticket, actor=actor, message=message, extra=extra)
            for user in people
        ]


# -- sending -----------------------------------------------------------------


# Stands for the link in a stored account mail; replaced by a fresh one on sending.
ONE_TIME_LINK = "[one-time link, not kept]"


def _account_link(outbound: OutboundMessage) -> str | None:
    """The working link an account mail carries, made now for its recipient."""
    from frontline.accounts.actions import password_link, verification_link

    if outbound.notice not in ACCOUNT_NOTICES or outbound.recipient is None:
        return None
    if outbound.notice == Notice.PASSWORD_RESET:
        return password_link(outbound.recipient)
    return verification_link(outbound.recipient)


def _email(outbound: OutboundMessage) -> EmailMessage:
    headers = {
        "Message-ID": outbound.message_id_header,
        "X-Frontline-Ticket": str(outbound.ticket_id or ""),
    }
    if outbound.in_reply_to:
        headers["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        headers["References"] = outbound.references
    if outbound.automatic:
        headers["Auto-Submitted"] = "auto-replied"
    elif outbound.notice not in (Notice.REPLY, Notice.INFO_REQUESTED):
        headers["Auto-Submitted"] = "auto-generated"
    body = outbound.body
    link = _account_link(outbound)
    if link is not None:
        body = body.replace(ONE_TIME_LINK, link)
    email = EmailMessage(
        subject=outbound.subject,
        body=body,
        from_email=outbound.from_header,
        to=[outbound.to_address],
        reply_to=[outbound.reply_to] if outbound.reply_to else None,
        headers=headers,
    )
    # For the file outbox, which writes a copy without it (mail/filebox.py).
    email.one_time_link = link  # type: ignore[attr-defined]
    return email


def deliver(outbound_id: int, *, now: datetime.datetime | None = None) -> OutboundMessage | None:
    """Send one queued message. The attempt is claimed first with a conditional
    update (so two workers never send it twice at once, and a crash mid-send
    retries later); a failure waits for the next backoff step, and after the
    last attempt the message fails and its ticket records why."""
    now = now or timezone.now()
    attempts = settings.FRONTLINE["MAIL_MAX_ATTEMPTS"]
    row = OutboundMessage.objects.filter(pk=outbound_id).values_list("attempts", flat=True).first()
    if row is None:
        return None
    wait = BACKOFF_MINUTES[min(row, len(BACKOFF_MINUTES) - 1)]
    claimed = (
        OutboundMessage.objects.filter(
            pk=outbound_id, status=Delivery.QUEUED, attempts=row, attempts__lt=attempts
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=F("attempts") + 1, next_attempt_at=now + datetime.timedelta(minutes=wait))
    )
    outbound = OutboundMessage.objects.get(pk=outbound_id)
    if not claimed:
        return outbound
    try:
        _email(outbound).send()
    except Exception as exc:  # any transport failure: keep it and say why
        logger.warning("Sending mail %s failed: %r", outbound.pk, exc)
        outbound.reason = f"attempt {outbound.attempts}: {exc!r}"[:2000]
        if outbound.attempts >= attempts:
            _fail(outbound, now)
        else:
            outbound.save(update_fields=["reason"])
        return outbound
    outbound.status = Delivery.SENT
    outbound.sent_at = timezone.now()
    outbound.next_attempt_at = None
    outbound.save(update_fields=["status", "sent_at", "next_attempt_at"])
    return outbound


def _fail(outbound: OutboundMessage, now: datetime.datetime) -> None:
    """The last attempt failed: the message is failed, and its ticket says so."""
    outbound.status = Delivery.FAILED
    outbound.next_attempt_at = None
    with transaction.atomic():
        outbound.save(update_fields=["status", "reason", "next_attempt_at"])
        if outbound.ticket_id:
            record_event(
                Ticket(pk=outbound.ticket_id),
                EventKind.MAIL_FAILED,
                by=None,
                at=now,
                to=outbound.to_address,
                subject=outbound.subject,
            )


def retry_due(*, now: datetime.datetime | None = None) -> int:
    """Queue a send for every message whose next attempt is due (retries, and
    anything whose first send was lost in a crash). A message whose last attempt
    never reported back (the worker died mid-send) fails instead of being sent
    again. Returns how many were queued."""
    from .tasks import deliver as deliver_task

    now = now or timezone.now()
    due = OutboundMessage.objects.filter(status=Delivery.QUEUED, next_attempt_at__lte=now)
    limit = settings.FRONTLINE["MAIL_MAX_ATTEMPTS"]
    for outbound in due.filter(attempts__gte=limit)[:500]:
        outbound.reason = f"attempt {outbound.attempts} never finished"
        _fail(outbound, now)
    queued = list(
        due.filter(attempts__lt=limit)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in queued:
        deliver_task.enqueue(pk)
    return len(queued)


def send_again(outbound: OutboundMessage) -> OutboundMessage:
    """An admin sends a failed message again: it starts over with fresh attempts."""
    OutboundMessage.objects.filter(pk=outbound.pk, status=Delivery.FAILED).update(
        status=Delivery.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    from .tasks import deliver as deliver_task

    enqueue_after_commit(deliver_task, outbound.pk)
    outbound.refresh_from_db()
    return outbound


def send_account_mail(notice: str, user: User) -> OutboundMessage:
    """A mail about the account itself (address confirmation, password), same queue.

    The row holds ``ONE_TIME_LINK`` where the link goes: the working link is made
    only as the mail is sent (:func:`_email`), so no row, queued, suppressed,
    sent or failed, nor a backup of them, holds a way into the account."""
    with transaction.atomic():
        return compose(notice, user, extra={"link": ONE_TIME_LINK})
