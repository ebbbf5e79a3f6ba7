"""Changes the API app owns: personal tokens, webhook subscriptions and deliveries.

Same contract as ``tickets/actions.py``: main object positional, the rest
keyword-only, an explicit actor, one transaction.
"""

from __future__ import annotations

import base64
import datetime
import logging
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from frontline.accounts.models import User
from frontline.lib.db import try_briefly
from frontline.lib.tasks import enqueue_after_commit
from frontline.tickets.access import visible_tickets
from frontline.tickets.models import INTERNAL_KINDS, EventKind, Message, Ticket, TicketEvent

from . import tasks, webhooks
from .access import TOKEN_PREFIX, hash_secret
from .models import (
    ApiToken,
    DeliveryStatus,
    IdempotencyKey,
    Scope,
    WebhookDelivery,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

# Used-at is written at most this often per token: not one UPDATE per request.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


def create_token(
    user: User,
    *,
    name: str,
    scope: str,
    by: User,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``, made by ``user`` themselves. Returns the token
    and its secret; the secret is not stored and cannot be read again."""
    if by.pk != user.pk or not user.is_active:
        raise PermissionDenied("People make their own tokens.")
    name = " ".join(name.split())[:100]
    if not name:
        raise ValidationError({"name": _("Name the token, e.g. after the system that uses it.")})
    if scope not in Scope.values:
        raise ValidationError({"scope": _("Choose read only or read and write.")})
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:10],
            key_hash=hash_secret(secret),
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
    return token, secret


def revoke_token(token: ApiToken, *, by: User) -> bool:
    """The owner revokes a token: it stops working at once. False if it already was."""
    if by.pk != token.user_id:
        raise PermissionDenied("Only the owner revokes a token.")
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        token.revoked_at = now
    return bool(revoked)


def mark_used(token: ApiToken, *, now: datetime.datetime | None = None) -> None:
    """Remember when the token was last used, to the minute: a conditional UPDATE
    that writes nothing when it was used less than ``LAST_USED_EVERY`` ago.

    Bookkeeping, never the reason a request fails: it runs in a short
    transaction of its own, waits a moment at most for the write lock, and is
    skipped when the database is busy (a later use writes it)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    written = try_briefly(
        lambda: (
            ApiToken.objects.filter(pk=token.pk)
            .exclude(last_used_at__gt=now - LAST_USED_EVERY)
            .update(last_used_at=now)
        ),
        what="a token's last use",
    )
    if written:
        token.last_used_at = now


# Idempotent creates.


class KeyReused(Exception):
    """The Idempotency-Key was used before for a different request."""


def ticket_for_idempotency_key(user: User, key: str, request_hash: str) -> int | None:
    """The number of the ticket a request with this key made before, if any;
    ``KeyReused`` if the key came with another request then."""
    found = IdempotencyKey.objects.filter(user=user, key=key).first()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise KeyReused
    return found.ticket_id


def open_once(user: User, *, key: str, request_hash: str, open_ticket: Callable[[], Ticket]) -> int:
    """Run ``open_ticket`` and remember the key, in one transaction; if a request
    with the same key got there first (the key's unique constraint), this one's
    ticket is rolled back and the first one's number returned."""
    try:
        with transaction.atomic():
            ticket = open_ticket()
            IdempotencyKey.objects.create(
                user=user, key=key, request_hash=request_hash, ticket=ticket
            )
            return ticket.pk
    except IntegrityError:
        number = ticket_for_idempotency_key(user, key, request_hash)
        if number is None:
            raise
        return number


# Webhooks.

# Events whose only content is internal: sent only to subscriptions marked internal.
INTERNAL_EVENT_KINDS = frozenset({EventKind.NOTE, EventKind.CALL})
# A worker that claimed a delivery and vanished (a crash) gives it back after this.
CLAIM_EXPIRES = datetime.timedelta(minutes=5)
MAX_WAIT = datetime.timedelta(hours=6)
SUBSCRIBED_KINDS_KEY = "api:webhook-kinds"


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_staff_owner(owner: User, by: User) -> None:
    if not (by.is_active and by.sees_all_tickets):
        raise PermissionDenied("Admins and supervisors manage webhooks.")
    if not owner.is_staff_member:
        raise ValidationError({"owner": _("Webhooks belong to staff.")})


def subscribe_webhook(
    *,
    owner: User,
    name: str,
    url: str,
    event_kinds: list[str],
    by: User,
    include_internal: bool = False,
) -> WebhookSubscription:
    """A new subscription with its own secret. Admins and supervisors subscribe."""
    _check_staff_owner(owner, by)
    try:
        webhooks.check_url(url)
    except webhooks.Refused as exc:
        raise ValidationError({"url": str(exc)}) from None
    unknown = set(event_kinds) - set(EventKind.values)
    if unknown or not event_kinds:
        raise ValidationError({"event_kinds": _("Choose event kinds from the list.")})
    subscription = WebhookSubscription.objects.create(
        owner=owner,
        name=name,
        url=url,
        event_kinds=sorted(set(event_kinds)),
        include_internal=include_internal,
        secret=new_webhook_secret(),
    )
    subscriptions_changed()
    return subscription


def rotate_webhook_secret(subscription: WebhookSubscription, *, by: User) -> str:
    """A new secret for the subscription; deliveries from now on are signed with it."""
    _check_staff_owner(subscription.owner, by)
    subscription.secret = new_webhook_secret()
    subscription.save(update_fields=["secret"])
    return subscription.secret


def subscriptions_changed() -> None:
    """Forget the cached event kinds (call after a subscription changes)."""
    cache.delete(SUBSCRIBED_KINDS_KEY)


def subscribed_kinds() -> frozenset[str]:
    """The event kinds some active subscription wants, cached for a minute:
    asked for every ticket event, so it must cost nothing when nobody listens."""
    kinds = cache.get(SUBSCRIBED_KINDS_KEY)
    if kinds is None:
        kinds = sorted(
            {
                kind
                for row in WebhookSubscription.objects.filter(is_active=True).values_list(
                    "event_kinds", flat=True
                )
                for kind in row
            }
        )
        cache.set(SUBSCRIBED_KINDS_KEY, kinds, 60)
    return frozenset(kinds)


def _payload(event: TicketEvent, subscription: WebhookSubscription) -> dict[str, Any] | None:
    """What a subscription is sent for an event: the event and the ticket as its
    owner sees it through the API. None if the owner may not see the ticket or
    the event is internal and the subscription is not."""
    owner = subscription.owner
    internal = subscription.include_internal and owner.is_staff_member
    if event.kind in INTERNAL_EVENT_KINDS and not internal:
        return None
    ticket = (
        visible_tickets(owner)
        .with_list_relations()
        .prefetch_related("tags")
        .filter(pk=event.ticket_id)
        .first()
    )
    if ticket is None:
        return None
    data = dict(event.data)
    if not internal:
        data.pop("note", None)  # a handoff note is internal
    body: dict[str, Any] = {
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "actor": {"id": event.actor.pk, "name": event.actor.display_name}
            if event.actor
            else None,
            "data": data,
            "created_at": event.created_at.isoformat(),
        },
        "ticket": _ticket_for(ticket, owner, internal=internal),
    }
    message_id = event.data.get("message")
    if message_id:
        messages = Message.objects.filter(pk=message_id, ticket=ticket)
        if not internal:
            messages = messages.exclude(kind__in=INTERNAL_KINDS)
        message = messages.select_related("author").prefetch_related("attachments").first()
        if message is not None:
            from .schemas import MessageOut  # see _ticket_for

            out = MessageOut.of(message)
            if not internal:
                out.attachments = [a for a in out.attachments if not a.internal]
            body["message"] = out.model_dump(mode="json")
    return {"type": f"ticket.{event.kind}", "timestamp": event.created_at.isoformat(), "data": body}


def _ticket_for(ticket: Ticket, owner: User, *, internal: bool) -> dict[str, Any]:
    # The API's schemas (django-ninja and pydantic, 0.1 s to import) are loaded
    # when a webhook is built, not by every process that records a ticket event
    # (this module is imported by the reactions: the mail import, the workers).
    from .schemas import TicketOut

    out = TicketOut.of(ticket, for_staff=owner.is_staff_member)
    if not internal:
        out.handoff_note = None  # a handoff note is internal
    return out.model_dump(mode="json")


def queue_webhooks(event: TicketEvent) -> list[int]:
    """Store one delivery per active subscription to the event's kind and queue
    each to be sent. Safe to run twice: a subscription gets an event once."""
    queued = []
    subscriptions = WebhookSubscription.objects.filter(is_active=True).select_related("owner")
    for subscription in subscriptions:
        if event.kind not in subscription.event_kinds or not subscription.owner.is_active:
            continue
        payload = _payload(event, subscription)
        if payload is None:
            continue
        with transaction.atomic():
            delivery, created = WebhookDelivery.objects.get_or_create(
                subscription=subscription,
                event=event,
                defaults={
                    "message_id": f"msg_{uuid.uuid4().hex}",
                    "kind": payload["type"],
                    "payload": payload,
                },
            )
            if created:
                enqueue_after_commit(tasks.deliver_webhook, delivery.pk)
                queued.append(delivery.pk)
    return queued


def _wait(attempts: int) -> datetime.timedelta:
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_WAIT)


def deliver(delivery_id: int, *, now: datetime.datetime | None = None) -> str | None:
    """Send one delivery if it is due, claimed with a conditional UPDATE so two
    workers never send it twice at once. Returns its status afterwards, or None
    if there was nothing to do (not due, taken, or done).

    A 2xx answer delivers it. Anything else (another status, a timeout, an
    address refused) is written to the log and tried again after a growing
    wait, for ``WEBHOOK_RETRY_HOURS``; a subscription failing for
    ``WEBHOOK_DISABLE_AFTER_HOURS`` is disabled.
    """
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        _finish(delivery, DeliveryStatus.FAILED, error="The subscription is disabled.")
        return DeliveryStatus.FAILED
    body = webhooks.dumps(delivery.payload)
    headers = webhooks.signed_headers(subscription.secret, delivery.message_id, now, body)
    try:
        answer = webhooks.post(subscription.url, body, headers)
    except webhooks.Refused as exc:
        return _failed(delivery, now, error=str(exc))
    except OSError as exc:
        return _failed(delivery, now, error=f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= answer.status < 300:
        _finish(delivery, DeliveryStatus.DELIVERED, code=answer.status, response=answer.body)
        WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)
        return DeliveryStatus.DELIVERED
    return _failed(delivery, now, code=answer.status, response=answer.body)


def _finish(
    delivery: WebhookDelivery,
    status: str,
    *,
    code: int | None = None,
    response: str = "",
    error: str = "",
    next_attempt_at: datetime.datetime | None = None,
) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=status,
        last_status_code=code,
        last_response=response,
        last_error=error,
        delivered_at=timezone.now() if status == DeliveryStatus.DELIVERED else None,
        next_attempt_at=next_attempt_at or delivery.next_attempt_at,
        claimed_at=None,
    )


def _failed(
    delivery: WebhookDelivery,
    now: datetime.datetime,
    *,
    code: int | None = None,
    response: str = "",
    error: str = "",
) -> str:
    config = settings.FRONTLINE
    subscription = delivery.subscription
    WebhookSubscription.objects.filter(pk=subscription.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    failing_since = WebhookSubscription.objects.values_list("failing_since", flat=True).get(
        pk=subscription.pk
    )
    if failing_since and now - failing_since >= datetime.timedelta(
        hours=config["WEBHOOK_DISABLE_AFTER_HOURS"]
    ):
        disabled = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
            is_active=False, disabled_at=now
        )
        if disabled:
            subscriptions_changed()
            # TODO(notice): tell the owner by mail once the mail app has a notice for it.
            logger.warning(
                "Webhook subscription %s disabled after a day of failures.", subscription
            )
    retry_at = now + _wait(delivery.attempts)
    give_up = retry_at - delivery.created_at > datetime.timedelta(
        hours=config["WEBHOOK_RETRY_HOURS"]
    )
    active = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).exists()
    status = DeliveryStatus.FAILED if give_up or not active else DeliveryStatus.PENDING
    _finish(delivery, status, code=code, response=response, error=error, next_attempt_at=retry_at)
    if status == DeliveryStatus.PENDING and tasks.deliver_webhook.get_backend().supports_defer:
        tasks.deliver_webhook.using(run_after=retry_at).enqueue(delivery.pk)
    return status


def send_again(delivery: WebhookDelivery, *, by: User) -> None:
    """An admin asks for a delivery to be sent again now (its subscription must be active)."""
    _check_staff_owner(delivery.subscription.owner, by)
    if not delivery.subscription.is_active:
        raise ValidationError(_("The subscription is disabled; enable it first."))
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
            status=DeliveryStatus.SENDING
        ).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
        enqueue_after_commit(tasks.deliver_webhook, delivery.pk)


def due_deliveries(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries due for a try, after giving back the claims of vanished workers."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_EXPIRES
    ).update(status=DeliveryStatus.PENDING, claimed_at=None)
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
