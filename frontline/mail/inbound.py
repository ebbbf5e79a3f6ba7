"""Inbound mail: store the raw bytes, parse, find the thread, call the ticket actions.

    receive(raw) ─► InboundMessage (raw, content hash)   stored first, committed
                 └► process() ─► parse() ─► thread ─► open_ticket / add_reply / add_note

Transports (file import, IMAP polling, the SMTP/LMTP listener) call
:func:`receive` and nothing else. Whatever goes wrong after the raw bytes are stored leaves the row
quarantined with its reason, to be processed again after a fix.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from functools import lru_cache
from itertools import islice
from typing import Any, cast

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Field, Subquery
from django.utils import timezone
from django.utils.module_loading import import_string

from frontline.accounts.actions import address_key, contact_for
from frontline.accounts.models import User
from frontline.lib.prepared import Prepared
from frontline.tickets import actions
from frontline.tickets.access import may_write_by_mail
from frontline.tickets.events import reactions_queued_together
from frontline.tickets.models import (
    Channel,
    LinkKind,
    Message,
    ParticipantSource,
    Ticket,
)

from .models import (
    Delivery,
    InboundMessage,
    Mailbox,
    OutboundMessage,
    Outcome,
    StrangerReplies,
    SuspectMail,
)
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
    together, then they are processed in one transaction (:func:`_process_batch`),
    each in its own savepoint, so a failure still quarantines just that message.
    Results come once their batch is committed. A crash loses nothing: stored
    messages not yet processed are processed when they are received (imported)
    again.
    """
    pending = iter(raws)
    while chunk := list(islice(pending, batch)):
        try:
            stored = _store_batch(chunk, mailbox, source)
        except IntegrityError:  # another process stored one of them just now
            stored = _store_each(chunk, mailbox, source)
        _process_batch([inbound for inbound, done in stored if not done])
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


# A Message-ID received before from a sender (its address_key): (the message's
# pk, its ticket's). Keyed on both, so a stranger who sends first with someone
# else's Message-ID cannot make their real request a hidden duplicate.
Originals = dict[tuple[str, str], tuple[int, int | None]]
# The Message-IDs of a batch's messages processed so far onto a ticket: (pk,
# ticket). Their rows are written at the end of the batch, so threading and
# bounces look here before the database.
Recent = dict[str, tuple[int, int]]

# A Message-ID good enough to thread and deduplicate on: a local part and a
# domain (RFC 5322 id-left "@" id-right). "<yes>" or "<1>" is not: two unrelated
# mails from one sender would share it.
_WELL_FORMED_ID = re.compile(r"<?[^<>@\s]+@[^<>@\s]+>?")


def threading_key(message_id: str | None) -> str:
    """``message_id`` if it is well-formed enough to thread on, else ""."""
    return message_id if message_id and _WELL_FORMED_ID.fullmatch(message_id) else ""


def process(
    inbound: InboundMessage, *, parsed: ParsedEmail | MailRejected | None = None
) -> InboundMessage:
    """Interpret a stored message. Never raises: failures quarantine it with the reason.

    A message another process has finished meanwhile (an IDLE fetch and an
    interval poll of the same message) is left as that process finished it.
    """
    _process_batch([inbound], {inbound.pk: parsed} if parsed is not None else None)
    return inbound


def _process_batch(
    todo: list[InboundMessage], parsed: dict[int, ParsedEmail | MailRejected] | None = None
) -> None:
    """Process stored messages in one transaction, each in its own savepoint, and
    record their outcomes at the end.

    First the messages are claimed: those still unfinished are locked (on SQLite
    the transaction holds the write lock from its start), so two processes that
    fetched the same message never both act on it; the loser only reads the
    winner's outcome. Then their Message-IDs are locked too (PostgreSQL), so the
    same message arriving through two mailboxes at once makes one ticket: the
    second waits for the first to commit, then sees it as received before.
    Messages are parsed before the transaction, so SQLite's write lock is not
    held meanwhile.
    """
    if not todo:
        return
    parsed = {inbound.pk: (parsed or {}).get(inbound.pk) or _parse(inbound) for inbound in todo}
    keys = {
        pk: threading_key((p.message_id or "")[:998])
        for pk, p in parsed.items()
        if isinstance(p, ParsedEmail)
    }
    with transaction.atomic(), reactions_queued_together():
        claimed = _claim([inbound.pk for inbound in todo], keys.values())
        originals = _originals(keys[pk] for pk in claimed if pk in keys)
        recent: Recent = {}
        for inbound in todo:
            if inbound.pk in claimed:
                _interpret(inbound, parsed[inbound.pk], originals, recent)
        _write_outcomes([inbound for inbound in todo if inbound.pk in claimed])
    for inbound in todo:
        if inbound.pk not in claimed:
            inbound.refresh_from_db()


def _claim(pks: list[int], message_ids: Iterable[str]) -> set[int]:
    """Lock the messages among ``pks`` still unfinished, and ``message_ids``; the
    pks locked. On PostgreSQL a row another transaction is finishing is waited
    for and then left out; the Message-IDs take advisory locks, in one order so
    that two batches never deadlock."""
    claimed = set(
        InboundMessage.objects.select_for_update()
        .filter(pk__in=pks)
        .exclude(outcome__in=FINAL)
        .values_list("pk", flat=True)
    )
    wanted = sorted({m for m in message_ids if m})
    if wanted and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT"
                " hashtextextended(m, 0) AS k FROM unnest(%s::text[]) AS m ORDER BY k) AS keys",
                [wanted],
            )
    return claimed


def _interpret(
    inbound: InboundMessage,
    parsed: ParsedEmail | MailRejected,
    originals: Originals,
    recent: Recent,
) -> None:
    """Act on one claimed message and set its outcome (written by the caller).
    ``originals``: the Message-IDs received before (:func:`_originals`);
    ``recent``: the batch's so far. Both are kept up to date here."""
    if isinstance(parsed, MailRejected):
        _set_outcome(inbound, Outcome.QUARANTINED, f"{parsed.reason}: {parsed.message}")
        return
    inbound.message_id_header = (parsed.message_id or "")[:998]
    inbound.sender = (parsed.from_address or "")[:320]
    inbound.subject = parsed.subject[:300]
    key = threading_key(inbound.message_id_header)
    seen = originals.get((key, address_key(inbound.sender))) if key else None
    if seen is not None and seen[0] != inbound.pk:
        seen_pk, inbound.ticket_id = seen
        _set_outcome(inbound, Outcome.DUPLICATE, f"same Message-ID and sender as #{seen_pk}")
        return
    try:
        with transaction.atomic():
            outcome, reason = _act(inbound, parsed, recent)
    except Exception as exc:  # anything at all: keep the message, say why
        logger.exception("Inbound message %s could not be processed", inbound.pk)
        inbound.ticket = inbound.message = None
        _set_outcome(inbound, Outcome.QUARANTINED, f"processing failed: {exc!r}"[:2000])
        return
    _set_outcome(inbound, outcome, reason)
    if key and outcome in ORIGINAL:
        originals.setdefault((key, address_key(inbound.sender)), (inbound.pk, inbound.ticket_id))
        if inbound.ticket_id is not None:
            recent.setdefault(key, (inbound.pk, inbound.ticket_id))


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
    for key, sender, pk, ticket_id, outcome in rows.order_by("-received_at").values_list(
        "message_id_header", "sender", "pk", "ticket_id", "outcome"
    ):
        if outcome in ORIGINAL:
            found.setdefault((key, address_key(sender)), (pk, ticket_id))
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


def _write_outcomes(rows: list[InboundMessage]) -> None:
    """Write the processed fields of claimed ``rows``: one UPDATE sent with
    ``executemany``, compiled once for the batch. (A ``save()`` per row cost the
    import 8% of its time; ``bulk_update``, whose CASE per field and row is built
    in Python, six times that.) The values go through each field's
    ``get_db_prep_save``, as ``save()`` sends them."""
    if not rows:
        return
    meta = InboundMessage._meta
    fields = [cast("Field[Any, Any]", meta.get_field(name)) for name in PROCESSED_FIELDS]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (names from the model)
        quote(meta.db_table),
        ", ".join(f"{quote(field.column or '')} = %s" for field in fields),
        quote(meta.pk.column or ""),
    )
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _set_outcome(inbound: InboundMessage, outcome: str, reason: str = "") -> None:
    inbound.outcome = outcome
    inbound.reason = reason
    inbound.processed_at = timezone.now()


def _act(inbound: InboundMessage, parsed: ParsedEmail, recent: Recent) -> tuple[str, str]:
    if not parsed.from_address:
        if "from_ambiguous" in parsed.defects:
            # Mailsploit-shaped or several mailboxes: never guess from the display name.
            return Outcome.QUARANTINED, "sender address ambiguous (From holds several addresses)"
        return Outcome.QUARANTINED, "no sender address"
    ticket, via_token = find_thread(parsed, recent)
    if ticket is not None:  # a merged ticket's mail joins the ticket it was merged into
        ticket = actions.surviving(ticket)
    if parsed.auto.bounce:
        return _bounce(inbound, parsed, recent)
    if parsed.auto.is_automatic and ticket is None:
        return _skip_automatic(parsed)
    if _is_ours(address_key(parsed.from_address), _our_addresses(_ours(inbound.mailbox))):
        return Outcome.QUARANTINED, "from one of our own addresses: a loop or a forgery"
    sender = contact_for(parsed.from_address, parsed.from_name)
    if sender.is_staff_member and not via_token:
        # A From header is easy to forge: an agent's word reaches a ticket only
        # through its reply address, or in the desk.
        return Outcome.QUARANTINED, (
            f"from a staff address ({sender.email}) without a ticket's reply address"
        )
    notes: list[str] = []
    files, dropped = _attachments(parsed)
    if dropped:
        notes.append("attachments over the limits, kept in the raw message: " + ", ".join(dropped))
    body = parsed.text.strip() or "(This message has no text.)"
    body, whole = _within_length(body)
    if whole is not None:
        fits = (whole.size or 0) <= settings.FRONTLINE["MAX_UPLOAD_BYTES"]
        if fits and len(files) < settings.FRONTLINE["MAX_FILES_PER_MESSAGE"]:
            files.append(whole)
            notes.append("text over the length limit: shortened, the whole text attached")
        else:
            notes.append("text over the length limit: shortened, the whole text in the raw message")
    if ticket is not None and not may_write_by_mail(sender, ticket, via_token=via_token):
        mailbox = inbound.mailbox
        if mailbox is not None and mailbox.stranger_replies == StrangerReplies.NOTE:
            inbound.ticket, inbound.message = ticket, _flagged_note(ticket, sender, body, files)
            notes.insert(0, f"cites {ticket.reference} but {sender.email} is not on it: note")
            return Outcome.REPLY, "; ".join(notes)
        notes.insert(0, f"cites {ticket.reference} but {sender.email} is not on it: new ticket")
        ticket = None
    if parsed.auto.is_automatic:
        if ticket is None:
            return _skip_automatic(parsed)
        note = actions.add_note(
            ticket,
            body=f"Automatic message from {sender.email}:\n\n{body}",
            by=None,
            mentions=False,
        )
        inbound.ticket, inbound.message = ticket, note
        return Outcome.REPLY, "automatic message, added as a note"
    closed: Ticket | None = None  # the long-closed ticket a new one is linked to
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
            notes.append(f"{ticket.reference} is closed: new ticket, linked to it")
            closed = ticket
        except actions.ReplyNeedsReview:
            return _hold_for_review(inbound, parsed, ticket, sender, body, files, notes)
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
    suspect = parsed.auto.suspect
    if suspect:
        if mailbox is not None and mailbox.suspect_mail == SuspectMail.QUARANTINE:
            return Outcome.QUARANTINED, "suspect: " + ", ".join(parsed.auto.reasons)
        notes.append("suspect, not acknowledged: " + ", ".join(parsed.auto.reasons))
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
        # Mail cannot fill in a form: a missing required answer is asked for
        # in the acknowledgement, never a reason to lose the letter.
        ask_missing=True,
        acknowledge=not suspect,
    )
    inbound.ticket, inbound.message = ticket, ticket.opening_message
    notes += _add_copied(ticket, parsed, sender, inbound.mailbox)
    if closed is not None:
        actions.link_tickets(ticket, to=closed, kind=LinkKind.RELATED, by=None)
    return Outcome.NEW_TICKET, "; ".join(notes)


def _hold_for_review(
    inbound: InboundMessage,
    parsed: ParsedEmail,
    ticket: Ticket,
    sender: User,
    body: str,
    files: list[SimpleUploadedFile],
    notes: list[str],
) -> tuple[str, str]:
    """A trainee answered a notice by mail: their reply waits for their mentor,
    as "Send for review" does in the desk (the action found through
    ``settings.FRONTLINE_HOLD_FOR_REVIEW``: mail and knowledge are sibling
    layers). Nothing is sent and nobody copied is added; like the desk, a held
    reply keeps only its words (the files stay in the raw message)."""
    held = import_string(settings.FRONTLINE_HOLD_FOR_REVIEW)(ticket, body=body, by=sender)
    inbound.ticket, inbound.message = ticket, None
    notes.insert(0, f"a trainee's reply: held for their mentor's review (held reply {held.pk})")
    if files:
        notes.append(
            "files not held with the reply, kept in the raw message: "
            + ", ".join(f.name or "" for f in files)
        )
    if copied := _copied(parsed, sender, _our_addresses(_ours(inbound.mailbox))):
        notes.append(
            "copied, not added (the reply waits for review): " + ", ".join(copied.values())
        )
    return Outcome.REPLY, "; ".join(notes)


def _flagged_note(
    ticket: Ticket, sender: User, body: str, files: list[SimpleUploadedFile]
) -> Message:
    """Mail that cites ``ticket`` from someone not on it, for agents only: who
    sent it stands first, since the ticket number proves nothing."""
    who = f"{sender.display_name} <{sender.email}>"
    warning = (
        f"⚑ Mail from {who}, who is not on this ticket, cites it. The ticket number "
        "or reply headers are easy to forge: check who this is before acting on it. "
        "They cannot see this ticket and were not answered."
    )
    return actions.add_note(
        ticket, body=f"{warning}\n\n{body}", by=None, files=files, mentions=False
    )


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
    mailboxes = Mailbox.objects.addresses()
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


def _ours(mailbox: Mailbox | None) -> set[str]:
    """Our addresses as far as a note needs them: the mailbox the mail came by, if known."""
    return {mailbox.address} if mailbox is not None else Mailbox.objects.addresses()


def _copied(
    parsed: ParsedEmail, sender: User, ours: frozenset[str], *, to: bool = True
) -> dict[str, str]:
    """The addresses copied on the message (To too if ``to``), by their
    :func:`address_key`, less the sender's and those in ``ours``."""
    wanted: dict[str, str] = {}
    for address in (*parsed.to, *parsed.cc) if to else parsed.cc:
        key = address_key(address)
        if not key or key == address_key(sender.email) or key in wanted or _is_ours(key, ours):
            continue
        wanted[key] = address.strip()
    return wanted


def _our_addresses(mailboxes: set[str]) -> frozenset[str]:
    """Every address that is Frontline itself: mailboxes and the configured senders."""
    senders = (
        str(getattr(settings, name, "") or "") for name in ("DEFAULT_FROM_EMAIL", "SERVER_EMAIL")
    )
    return _addresses_of(frozenset(a.lower() for a in mailboxes), *senders)


@lru_cache(maxsize=64)
def _addresses_of(mailboxes: frozenset[str], *senders: str) -> frozenset[str]:
    ours = set(mailboxes)
    for _name, address in getaddresses(list(senders)):
        if address:
            ours.add(address.lower())
    return frozenset(ours)


def _is_ours(address: str, ours: frozenset[str]) -> bool:
    """Ours, also with a +tag (``support+t-<token>@…`` is the support mailbox)."""
    if address in ours or REPLY_TOKEN.search(address):
        return True
    local, _at, domain = address.rpartition("@")
    return f"{local.partition('+')[0]}@{domain}" in ours


def _bounce(inbound: InboundMessage, parsed: ParsedEmail, recent: Recent) -> tuple[str, str]:
    """A delivery failure: a note on the ticket it bounced for, if we know it."""
    original = parsed.auto.original_message_id
    ticket: Ticket | None = None
    if original:
        ticket = _received_for([original], recent)
        ours = sent_for([original])
        if ours is not None:
            OutboundMessage.objects.filter(pk=ours.pk).update(
                status=Delivery.FAILED, reason=f"bounced: {parsed.subject}"[:2000]
            )
            ticket = ours.ticket
    if ticket is None:
        return Outcome.SKIPPED, "delivery status notification for a message we do not know"
    note = actions.add_note(
        ticket,
        body=f"Delivery failure reported by {parsed.from_address}:\n\n{parsed.text[:4000]}",
        by=None,
        mentions=False,
    )
    inbound.ticket, inbound.message = ticket, note
    return Outcome.REPLY, "delivery failure, added as a note"


def find_thread(parsed: ParsedEmail, recent: Recent | None = None) -> tuple[Ticket | None, bool]:
    """The ticket a message answers, and whether the unguessable reply token found
    it: first the token in the address it was sent to (``support+t-<token>@…``),
    then In-Reply-To/References to a message we received for it, else a
    ``[#1042]`` tag in the subject (both of which anyone can forge). ``recent``:
    the messages of the current batch processed so far (:data:`Recent`)."""
    for address in (*parsed.to, *parsed.cc):
        token = REPLY_TOKEN.search(address)
        if token:
            ticket = next(iter(_TICKET_BY_TOKEN(token=token.group(1).lower())), None)
            if ticket is not None:
                return ticket, True
    cited = [key for m in (parsed.in_reply_to, *parsed.references) if (key := threading_key(m))]
    if cited:
        known = _received_for(cited, recent or {})
        if known is not None:
            return known, False
        ours = sent_for(cited)
        if ours is not None:
            return ours.ticket, False
    tag = SUBJECT_TAG.search(parsed.subject)
    if tag:
        return next(iter(_TICKET(pk=int(tag.group(1)))), None), False
    return None, False


def _received_for(message_ids: list[str], recent: Recent) -> Ticket | None:
    """The ticket of the latest message we received among ``message_ids``: one
    of the batch's so far, else from the database, in one query that reads no
    message (the stored raw bytes can be large)."""
    in_batch = [recent[m] for m in message_ids if m in recent]
    if in_batch:
        return next(iter(_TICKET(pk=max(in_batch)[1])), None)
    return next(iter(_TICKET_OF_LATEST_RECEIVED(ids=message_ids)), None)


# The look-ups threading makes for every message, compiled once (lib.prepared).
_TICKET = Prepared(lambda p: Ticket.objects.filter(pk=p.pk))
_TICKET_BY_TOKEN = Prepared(lambda p: Ticket.objects.filter(reply_token=p.token))
_TICKET_OF_LATEST_RECEIVED = Prepared(
    lambda p: Ticket.objects.filter(
        pk=Subquery(
            InboundMessage.objects.filter(message_id_header__in=p.ids, ticket__isnull=False)
            .order_by("-received_at")
            .values("ticket_id")[:1]
        )
    )
)


def sent_for(message_ids: list[str]) -> OutboundMessage | None:
    """The latest message we sent for a ticket among ``message_ids``, if any."""
    forms = [m if m.startswith("<") else f"<{m}>" for m in message_ids]
    return (
        OutboundMessage.objects.filter(message_id_header__in=forms, ticket__isnull=False)
        .select_related("ticket")
        .order_by("-created_at")
        .first()
    )


def _within_length(body: str) -> tuple[str, SimpleUploadedFile | None]:
    """A text over ``MAX_BODY_CHARS`` is cut to fit, with a line saying so, and
    comes back whole as ``message.txt`` to attach: nothing of it is lost (the raw
    mail is kept as well)."""
    limit = settings.FRONTLINE["MAX_BODY_CHARS"]
    if len(body) <= limit:
        return body, None
    note = (
        f"\n\n[Shortened: the message has {len(body)} characters and the limit is "
        f"{limit}. The whole text is attached as message.txt, or kept with the mail as received.]"
    )
    whole = SimpleUploadedFile("message.txt", body.encode(), "text/plain; charset=utf-8")
    return body[: limit - len(note)] + note, whole


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
