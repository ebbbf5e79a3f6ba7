"""Inbound mail: store the raw bytes, parse, find the thread, call the ticket actions.

    receive(raw) ─► InboundMessage (raw, content hash)   stored first, committed
                 └► process() ─► parse() ─► thread ─► open_ticket / add_reply / add_note

Transports (file import today; IMAP and SMTP next) call :func:`receive` and
nothing else. Whatever goes wrong after the raw bytes are stored leaves the row
quarantined with its reason, to be processed again after a fix.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from itertools import islice

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from frontline.accounts.actions import contact_for
from frontline.accounts.models import User
from frontline.lib.tasks import enqueued_together
from frontline.tickets import actions
from frontline.tickets.models import Channel, ParticipantSource, Ticket, TicketParticipant

from .models import Delivery, InboundMessage, Mailbox, OutboundMessage, Outcome
from .parse import MailRejected, ParsedEmail, parse

logger = logging.getLogger(__name__)

SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
REPLY_TOKEN = re.compile(r"\+t-([0-9a-f]{20})@", re.IGNORECASE)
FINAL = (Outcome.NEW_TICKET, Outcome.REPLY, Outcome.DUPLICATE, Outcome.SKIPPED)
ORIGINAL = tuple(o for o in FINAL if o != Outcome.DUPLICATE)  # what a duplicate points to
# Addresses copied on one message that become participants; the rest are named
# in the reason (a message copied to a thousand addresses adds twenty people).
MAX_NEW_PARTICIPANTS = 20
# Messages per transaction in receive_many (the SQLite write lock is held that long).
IMPORT_BATCH = 20


@dataclass(frozen=True)
class Received:
    inbound: InboundMessage
    duplicate: bool  # the very same bytes were received before


def receive(raw: bytes, *, mailbox: Mailbox | None = None, source: str = "import") -> Received:
    """Store a message and process it. Safe to call twice with the same bytes."""
    inbound, done = _store(raw, mailbox, source)
    if done:
        return Received(inbound, duplicate=True)
    process(inbound)
    return Received(inbound, duplicate=False)


def receive_many(
    raws: Iterable[bytes],
    *,
    mailbox: Mailbox | None = None,
    source: str = "import",
    batch: int = IMPORT_BATCH,
) -> Iterator[Received]:
    """:func:`receive` for each message, in order, with fewer transactions (bulk import).

    ``batch`` messages at a time: their raw bytes are stored and committed
    together, then they are processed in one transaction, each in its own
    savepoint, so a failure still quarantines just that message. Results come
    once their batch is committed. A crash loses nothing: stored messages not
    yet processed are processed when they are received (imported) again.
    """
    pending = iter(raws)
    while chunk := list(islice(pending, batch)):
        try:
            stored = _store_batch(chunk, mailbox, source)
        except IntegrityError:  # another process stored one of them just now
            stored = _store_each(chunk, mailbox, source)
        todo = [inbound for inbound, done in stored if not done]
        # Parsed before the transaction (SQLite's write lock is not held meanwhile);
        # the batch's Message-IDs received before, in one query (process adds the
        # batch's own as it goes).
        parsed = {inbound.pk: _parse(inbound) for inbound in todo}
        originals = _originals(
            (p.message_id or "")[:998] for p in parsed.values() if isinstance(p, ParsedEmail)
        )
        # The batch's background tasks (triage, notices) go into the queue in one write.
        with transaction.atomic(), enqueued_together():
            for inbound in todo:
                process(inbound, parsed=parsed[inbound.pk], originals=originals)
        yield from (Received(inbound, duplicate=done) for inbound, done in stored)


def _store_batch(
    chunk: list[bytes], mailbox: Mailbox | None, source: str
) -> list[tuple[InboundMessage, bool]]:
    """Store a batch's raw bytes in one transaction: one look-up for the bytes seen
    before, one insert for the rest. Each message with whether it needs no more work
    (seen and processed before, or the same bytes earlier in this batch)."""
    digests = [hashlib.sha256(raw).hexdigest() for raw in chunk]
    with transaction.atomic():
        seen = {
            row.content_hash: row for row in InboundMessage.objects.filter(content_hash__in=digests)
        }
        new = {
            digest: InboundMessage(raw=raw, content_hash=digest, mailbox=mailbox, source=source)
            for raw, digest in zip(chunk, digests, strict=True)
            if digest not in seen
        }
        InboundMessage.objects.bulk_create(new.values())
    stored, first = [], set()
    for digest in digests:
        if digest in new:
            stored.append((new[digest], digest in first))
            first.add(digest)
        else:
            row = seen[digest]
            stored.append((row, row.outcome in FINAL or digest in first))
            first.add(digest)
    return stored


def _store_each(
    chunk: list[bytes], mailbox: Mailbox | None, source: str
) -> list[tuple[InboundMessage, bool]]:
    rows: dict[int, InboundMessage] = {}
    stored: list[tuple[InboundMessage, bool]] = []
    with transaction.atomic():
        for raw in chunk:
            inbound, done = _store(raw, mailbox, source)
            if inbound.pk in rows:  # the same bytes twice in this batch
                inbound, done = rows[inbound.pk], True
            rows[inbound.pk] = inbound
            stored.append((inbound, done))
    return stored


def _store(raw: bytes, mailbox: Mailbox | None, source: str) -> tuple[InboundMessage, bool]:
    """The stored row for ``raw`` (new, or the earlier one with the same bytes) and
    whether that earlier one is already processed."""
    digest = hashlib.sha256(raw).hexdigest()
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                raw=raw, content_hash=digest, mailbox=mailbox, source=source
            )
    except IntegrityError:
        inbound = InboundMessage.objects.get(content_hash=digest)
        return inbound, inbound.outcome in FINAL
    return inbound, False


# A Message-ID received before: (the message's pk, its ticket's).
Originals = dict[str, tuple[int, int | None]]


def process(
    inbound: InboundMessage,
    *,
    parsed: ParsedEmail | MailRejected | None = None,
    originals: Originals | None = None,
) -> InboundMessage:
    """Interpret a stored message. Never raises: failures quarantine it with the reason.

    A bulk caller may pass the message ``parsed`` already, and ``originals``: the
    Message-IDs received before among the batch's (:func:`_originals`), which
    ``process`` keeps up to date.
    """
    if parsed is None:
        parsed = _parse(inbound)
    if isinstance(parsed, MailRejected):
        return _finish(inbound, Outcome.QUARANTINED, f"{parsed.reason}: {parsed.message}")
    inbound.message_id_header = (parsed.message_id or "")[:998]
    inbound.sender = (parsed.from_address or "")[:320]
    inbound.subject = parsed.subject[:300]
    key = inbound.message_id_header
    if key:
        if originals is None:
            originals = _originals([key])
        if key in originals and originals[key][0] != inbound.pk:
            seen_pk, inbound.ticket_id = originals[key]
            return _finish(inbound, Outcome.DUPLICATE, f"same Message-ID as #{seen_pk}")
    try:
        with transaction.atomic():
            outcome, reason = _act(inbound, parsed)
            if not _finish_first(inbound, outcome, reason):
                raise _ProcessedMeanwhile
    except _ProcessedMeanwhile:
        # Another process (a poll and an IDLE fetch of the same message) finished
        # it first: what this one did is rolled back, theirs stands.
        inbound.refresh_from_db()
        return inbound
    except Exception as exc:  # anything at all: keep the message, say why
        logger.exception("Inbound message %s could not be processed", inbound.pk)
        inbound.ticket = inbound.message = None
        return _finish(inbound, Outcome.QUARANTINED, f"processing failed: {exc!r}"[:2000])
    if key and originals is not None and outcome in ORIGINAL:
        originals.setdefault(key, (inbound.pk, inbound.ticket_id))
    return inbound


def _parse(inbound: InboundMessage) -> ParsedEmail | MailRejected:
    try:
        return parse(bytes(inbound.raw))
    except MailRejected as exc:
        return exc


def _originals(message_ids: Iterable[str]) -> Originals:
    """Which of ``message_ids`` (already cut to the stored length) were received
    before as an original (not a duplicate, not quarantined)."""
    wanted = {m for m in message_ids if m}
    if not wanted:
        return {}
    found: Originals = {}
    # The outcome is checked here, not in SQL: given both, SQLite's planner may
    # pick the outcome index and read every processed message.
    rows = InboundMessage.objects.filter(message_id_header__in=wanted)
    for key, pk, ticket_id, outcome in rows.order_by("-received_at").values_list(
        "message_id_header", "pk", "ticket_id", "outcome"
    ):
        if outcome in ORIGINAL:
            found.setdefault(key, (pk, ticket_id))
    return found


def reprocess(inbound: InboundMessage) -> InboundMessage:
    """Try a quarantined (or unprocessed) message again, e.g. after a fix."""
    if inbound.outcome in FINAL:
        return inbound
    return process(inbound)


# What processing changes on the stored row (never the raw bytes, written once).
PROCESSED_FIELDS = (
    "message_id_header",
    "sender",
    "subject",
    "outcome",
    "reason",
    "ticket",
    "message",
    "processed_at",
)


class _ProcessedMeanwhile(Exception):
    pass


def _finish_first(inbound: InboundMessage, outcome: str, reason: str) -> bool:
    """Record the outcome unless another process recorded one first (a conditional
    update: on PostgreSQL it waits for that process's commit, then sees it)."""
    inbound.outcome, inbound.reason, inbound.processed_at = outcome, reason, timezone.now()
    unfinished = InboundMessage.objects.filter(pk=inbound.pk).exclude(outcome__in=FINAL)
    return (
        unfinished.update(
            message_id_header=inbound.message_id_header,
            sender=inbound.sender,
            subject=inbound.subject,
            outcome=outcome,
            reason=reason,
            ticket_id=inbound.ticket_id,
            message_id=inbound.message_id,
            processed_at=inbound.processed_at,
        )
        == 1
    )


def _finish(inbound: InboundMessage, outcome: str, reason: str = "") -> InboundMessage:
    inbound.outcome = outcome
    inbound.reason = reason
    inbound.processed_at = timezone.now()
    inbound.save(update_fields=PROCESSED_FIELDS)
    return inbound


def _act(inbound: InboundMessage, parsed: ParsedEmail) -> tuple[str, str]:
    if not parsed.from_address:
        return Outcome.QUARANTINED, "no sender address"
    ticket, via_token = find_thread(parsed)
    if parsed.auto.bounce:
        return _bounce(inbound, parsed)
    if parsed.auto.is_automatic and ticket is None:
        return _skip_automatic(parsed)
    sender = contact_for(parsed.from_address, parsed.from_name)
    notes: list[str] = []
    if ticket is not None and not is_participant(ticket, sender, via_token=via_token):
        notes.append(f"cites {ticket.reference} but {sender.email} is not on it: new ticket")
        ticket = None
    files, dropped = _attachments(parsed)
    if dropped:
        notes.append("attachments over the limits, kept in the raw message: " + ", ".join(dropped))
    body = parsed.text.strip() or "(This message has no text.)"
    if parsed.auto.is_automatic:
        if ticket is None:
            return _skip_automatic(parsed)
        note = actions.add_note(
            ticket, body=f"Automatic message from {sender.email}:\n\n{body}", by=None
        )
        inbound.ticket, inbound.message = ticket, note
        return Outcome.REPLY, "automatic message, added as a note"
    if ticket is not None:
        try:
            message = actions.add_reply(
                ticket,
                body=body,
                body_html=parsed.html or "",
                by=sender,
                files=files,
                channel=Channel.EMAIL,
            )
        except actions.TicketClosed:
            notes.append(f"{ticket.reference} is closed: new ticket")
        else:
            inbound.ticket, inbound.message = ticket, message
            if via_token:
                notes += _add_copied(ticket, parsed, sender, inbound.mailbox)
            elif copied := _copied(parsed, sender, _our_addresses(_ours(inbound.mailbox))):
                # Without the token the From header proves nothing: copying
                # someone in must not let a forger give them the ticket.
                notes.append("copied, not added (no reply token): " + ", ".join(copied.values()))
            return Outcome.REPLY, "; ".join(notes)
    mailbox = inbound.mailbox
    ticket = actions.open_ticket(
        requester=sender,
        by=sender,
        subject=parsed.subject or "(no subject)",
        body=body,
        body_html=parsed.html or "",
        category=mailbox.default_category if mailbox else None,
        team=mailbox.default_team if mailbox else None,
        channel=Channel.EMAIL,
        files=files,
    )
    inbound.ticket, inbound.message = ticket, ticket.opening_message
    notes += _add_copied(ticket, parsed, sender, inbound.mailbox)
    return Outcome.NEW_TICKET, "; ".join(notes)


def _skip_automatic(parsed: ParsedEmail) -> tuple[str, str]:
    """An automatic message that answers no ticket of ours: kept, nothing else
    (not even a contact for its sender)."""
    return Outcome.SKIPPED, "automatic message: " + ", ".join(parsed.auto.reasons)


def _add_copied(
    ticket: Ticket, parsed: ParsedEmail, sender: User, mailbox: Mailbox | None = None
) -> list[str]:
    """The people in To/Cc of a message accepted on ``ticket`` become its
    participants, except our own addresses, staff, the sender and the requester.
    Called for a new ticket, or a reply through the ticket's reply token only: a
    From header alone proves nothing. Returns notes for the reason (who was
    left out). ``mailbox``, the one the message came in by, spares reading the
    mailboxes when no one else is copied."""
    if mailbox is not None and not _copied(parsed, sender, _our_addresses({mailbox.address})):
        return []
    mailboxes = _mailbox_addresses()
    # With no mailbox configured we cannot tell our address in To from a
    # customer's: only Cc counts then.
    wanted = _copied(parsed, sender, _our_addresses(mailboxes), to=bool(mailboxes))
    if not wanted:
        return []
    addresses = list(wanted.values())
    skipped = addresses[MAX_NEW_PARTICIPANTS:]
    for address in addresses[:MAX_NEW_PARTICIPANTS]:
        person = contact_for(address, parsed.recipient_names.get(address, ""))
        if person.is_staff_member or not person.is_active or person.pk == ticket.requester_id:
            continue
        actions.add_participant(ticket, user=person, by=sender, how=ParticipantSource.EMAIL)
    if skipped:
        return [f"{len(skipped)} more copied addresses not added: " + ", ".join(skipped)[:500]]
    return []


def _mailbox_addresses() -> set[str]:
    return {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}


def _ours(mailbox: Mailbox | None) -> set[str]:
    """Our addresses as far as a note needs them: the mailbox the mail came by, if known."""
    return {mailbox.address} if mailbox is not None else _mailbox_addresses()


def _copied(
    parsed: ParsedEmail, sender: User, ours: frozenset[str], *, to: bool = True
) -> dict[str, str]:
    """The addresses copied on the message (To too if ``to``), by their lower-case
    form, less the sender's and those in ``ours``."""
    wanted: dict[str, str] = {}
    for address in (*parsed.to, *parsed.cc) if to else parsed.cc:
        key = address.strip().lower()
        if not key or key == sender.email.lower() or key in wanted or _is_ours(key, ours):
            continue
        wanted[key] = address.strip()
    return wanted


def _our_addresses(mailboxes: set[str]) -> frozenset[str]:
    """Every address that is Frontline itself: mailboxes and the configured senders."""
    ours = {a.lower() for a in mailboxes}
    for name in ("DEFAULT_FROM_EMAIL", "SERVER_EMAIL"):
        for _name, address in getaddresses([str(getattr(settings, name, "") or "")]):
            if address:
                ours.add(address.lower())
    return frozenset(ours)


def _is_ours(address: str, ours: frozenset[str]) -> bool:
    """Ours, also with a +tag (``support+t-<token>@…`` is the support mailbox)."""
    if address in ours or REPLY_TOKEN.search(address):
        return True
    local, _at, domain = address.rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" in ours


def _bounce(inbound: InboundMessage, parsed: ParsedEmail) -> tuple[str, str]:
    """A delivery failure: a note on the ticket it bounced for, if we know it."""
    original = parsed.auto.original_message_id
    known: InboundMessage | OutboundMessage | None = (
        InboundMessage.objects.filter(message_id_header=original, ticket__isnull=False).first()
        if original
        else None
    )
    ours = sent_for([original]) if original else None
    if ours is not None:
        OutboundMessage.objects.filter(pk=ours.pk).update(
            status=Delivery.FAILED, reason=f"bounced: {parsed.subject}"[:2000]
        )
        known = ours
    if known is None or known.ticket is None:
        return Outcome.SKIPPED, "delivery status notification for a message we do not know"
    note = actions.add_note(
        known.ticket,
        body=f"Delivery failure reported by {parsed.from_address}:\n\n{parsed.text[:4000]}",
        by=None,
    )
    inbound.ticket, inbound.message = known.ticket, note
    return Outcome.REPLY, "delivery failure, added as a note"


def find_thread(parsed: ParsedEmail) -> tuple[Ticket | None, bool]:
    """The ticket a message answers, and whether the unguessable reply token found
    it: first the token in the address it was sent to (``support+t-<token>@…``),
    then In-Reply-To/References to a message we received for it, else a
    ``[#1042]`` tag in the subject (both of which anyone can forge)."""
    for address in (*parsed.to, *parsed.cc):
        token = REPLY_TOKEN.search(address)
        if token:
            ticket = Ticket.objects.filter(reply_token=token.group(1).lower()).first()
            if ticket is not None:
                return ticket, True
    cited = [m for m in (parsed.in_reply_to, *parsed.references) if m]
    if cited:
        # The ticket of the latest message received among those cited, in one
        # query that reads no message (the stored raw bytes can be large).
        latest = (
            InboundMessage.objects.filter(message_id_header__in=cited, ticket__isnull=False)
            .order_by("-received_at")
            .values("ticket_id")[:1]
        )
        known = Ticket.objects.filter(pk=Subquery(latest)).first()
        if known is not None:
            return known, False
        ours = sent_for(cited)
        if ours is not None:
            return ours.ticket, False
    tag = SUBJECT_TAG.search(parsed.subject)
    if tag:
        return Ticket.objects.filter(pk=int(tag.group(1))).first(), False
    return None, False


def sent_for(message_ids: list[str]) -> OutboundMessage | None:
    """The latest message we sent for a ticket among ``message_ids``, if any."""
    forms = [m if m.startswith("<") else f"<{m}>" for m in message_ids]
    return (
        OutboundMessage.objects.filter(message_id_header__in=forms, ticket__isnull=False)
        .select_related("ticket")
        .order_by("-created_at")
        .first()
    )


def is_participant(ticket: Ticket, user: User, *, via_token: bool = False) -> bool:
    """Whether ``user`` may add to ``ticket`` by mail: its requester, a participant
    (copied on the ticket's mail, or added by an agent) or the requester's
    organisation's (verified) manager; staff only through the ticket's reply
    token and only on a ticket they may see, since a From header is easy to forge."""
    if user.is_staff_member:
        return via_token and Ticket.objects.for_agent(user).filter(pk=ticket.pk).exists()
    if not user.is_active:
        return False
    if user.pk == ticket.requester_id:
        return True
    if TicketParticipant.objects.filter(ticket=ticket, user=user).exists():
        return True
    return bool(
        user.is_org_manager
        and user.organisation_id
        and user.organisation_id == ticket.organisation_id
        and user.email_verified_at
    )


def _attachments(parsed: ParsedEmail) -> tuple[list[SimpleUploadedFile], list[str]]:
    limit = settings.FRONTLINE["MAX_UPLOAD_BYTES"]
    most = settings.FRONTLINE["MAX_FILES_PER_MESSAGE"]
    files: list[SimpleUploadedFile] = []
    dropped: list[str] = []
    for item in parsed.attachments:
        if len(item.content) > limit or len(files) >= most:
            dropped.append(item.filename)
            continue
        files.append(SimpleUploadedFile(item.filename, item.content, item.content_type))
    return files, dropped
