"""Fetching mail from IMAP mailboxes: a transport, no business rules.

For each new message in the mailbox's folder, in UID order and in bounded
batches::

    fetch BODY.PEEK[] ─► receive() (raw stored, committed; then processed, committed)
                     └► only then: flag it, move it or delete it on the server

A crash anywhere loses nothing: a message is marked on the server only after its
row is committed, and a message fetched again after a crash between the two steps
is a duplicate to :func:`receive` (same bytes, same Message-ID), which only marks it
this time.

"New" means without our ``$FrontlineFetched`` keyword (so a person reading the
mailbox in a mail client does not hide messages from us), or unseen on a server
that does not allow keywords. Messages over ``FRONTLINE["MAX_MESSAGE_BYTES"]`` are
not downloaded: they get the ``$FrontlineTooLarge`` keyword (or are marked seen),
stay on the server, and the poll reports them.

One poller at a time per mailbox: a poll, or the IDLE watcher for as long as it
watches, first takes the mailbox's lease (:class:`Lease`); a poll that finds it
held skips the mailbox without connecting. Servers are always reached over TLS
with certificate and host name checks (plain text only on loopback); the CA
certificates in ``MAIL_CA_FILE`` are trusted besides the system's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import socket
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from .inbound import receive
from .models import ImapAfter, ImapSecurity, Mailbox, Outcome, is_loopback

logger = logging.getLogger(__name__)

FETCHED = "$FrontlineFetched"
TOO_LARGE = "$FrontlineTooLarge"
SEEN = r"\Seen"
BATCH = 25  # messages downloaded per FETCH
PER_POLL = 500  # messages handled per poll; the rest wait for the next one
TIMEOUT = 60.0  # seconds for connecting and for each command
IDLE_SECONDS = 25 * 60.0  # an IDLE is renewed before servers' 30-minute limit
NAME_MISMATCH = (62, 64)  # OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH
# A poller's lease on its mailbox: five command timeouts, renewed whenever a third
# of it has passed (between messages, and while the watcher waits in IDLE), so
# only a poller that is stuck or dead lets it run out; then another takes over.
LEASE_SECONDS = 5 * TIMEOUT
LEASE_RENEW_SECONDS = LEASE_SECONDS / 3


class ImapSetupError(Exception):
    """The mailbox's IMAP settings cannot be used as they are."""


class LeaseLost(Exception):
    """This poller's lease ran out and another poller has taken the mailbox."""


class Lease:
    """One poller's hold on one mailbox (``Mailbox.imap_lease_owner``/``_until``).

    :meth:`take` is one conditional UPDATE (free or expired, then it is ours), so of
    two pollers on any machines only one gets it. :meth:`keep` renews it when a
    third of it has passed and raises :class:`LeaseLost` if someone else holds it
    now; :meth:`release` clears it only if it is still ours.
    """

    def __init__(self, mailbox: Mailbox, role: str) -> None:
        self.mailbox_id = mailbox.pk
        token = f" (pid {os.getpid()}, {secrets.token_hex(4)})"
        self.owner = f"{role} on {socket.gethostname()}"[: 200 - len(token)] + token
        self._renewed = 0.0

    def take(self) -> bool:
        now = timezone.now()
        free = Q(imap_lease_until__isnull=True) | Q(imap_lease_until__lte=now)
        taken = Mailbox.objects.filter(free, pk=self.mailbox_id).update(
            imap_lease_owner=self.owner, imap_lease_until=now + timedelta(seconds=LEASE_SECONDS)
        )
        self._renewed = time.monotonic()
        return bool(taken)

    def due(self) -> bool:
        return time.monotonic() - self._renewed >= LEASE_RENEW_SECONDS

    def keep(self) -> None:
        if not self.due():
            return
        until = timezone.now() + timedelta(seconds=LEASE_SECONDS)
        mine = Mailbox.objects.filter(pk=self.mailbox_id, imap_lease_owner=self.owner)
        if not mine.update(imap_lease_until=until):
            raise LeaseLost("the poll lease ran out and another poller took the mailbox over")
        self._renewed = time.monotonic()

    def release(self) -> None:
        Mailbox.objects.filter(pk=self.mailbox_id, imap_lease_owner=self.owner).update(
            imap_lease_owner="", imap_lease_until=None
        )

    def holder(self) -> str:
        """Who holds the mailbox instead of us, for the log and the command."""
        held = Mailbox.objects.filter(pk=self.mailbox_id).values_list(
            "imap_lease_owner", "imap_lease_until"
        )
        for owner, until in held:
            if until is not None:
                return f"{owner} until {until:%Y-%m-%d %H:%M:%S %Z}"
        return "another poller"  # released meanwhile


@dataclass
class WatchResult:
    """What a watcher did: whether the server offers IDLE, fetch rounds, how many
    of them the server's news started, what they read, and the error that ended it."""

    offered: bool = False
    busy: str = ""  # who held the mailbox, if another poller did: nothing was done
    rounds: int = 0
    wakeups: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    error: str = ""


@dataclass
class PollResult:
    """What one poll did, in the words of ``frontline mail import``'s summary."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    left_on_server: list[str] = field(default_factory=list)
    error: str = ""
    busy: str = ""  # who held the mailbox, if another poller did: nothing was done


def poll(mailbox: Mailbox, *, limit: int = PER_POLL) -> PollResult:
    """Fetch the new messages of ``mailbox`` and mark each on the server once received.

    Must run outside a transaction: every message is committed by :func:`receive`
    before the server is told. Never raises for a server or login problem: the
    error is returned and recorded on the mailbox (``imap_last_error``) with the
    time of the poll and the folder's UIDVALIDITY. If another poll or the IDLE
    watcher holds the mailbox, nothing is done and ``busy`` says who holds it.
    """
    _outside_transactions()
    result = PollResult()
    lease = Lease(mailbox, "poll")
    if not lease.take():
        result.busy = lease.holder()
        logger.info("IMAP poll of mailbox %s skipped: held by %s", mailbox.name, result.busy)
        return result
    try:
        uidvalidity = mailbox.imap_uidvalidity
        try:
            with connect(mailbox) as client:
                uidvalidity = _poll_folder(client, mailbox, result, limit, lease)
        except Exception as exc:
            _failed(mailbox, result, exc)
        _record(mailbox, result, uidvalidity)
    finally:
        lease.release()
    return result


def watch(
    mailbox: Mailbox,
    *,
    stop: threading.Event,
    rounds: int | None = None,
    idle_seconds: float = IDLE_SECONDS,
    idling: threading.Event | None = None,
) -> WatchResult:
    """Keep one connection to ``mailbox`` and fetch as soon as the server says new
    mail arrived (IMAP IDLE, RFC 2177), until ``stop`` is set, ``rounds`` fetches
    are done, or the connection fails. Each fetch is a :func:`poll` round on the
    open connection, recorded the same way. A server without IDLE is left to
    the scheduler's polling (``offered`` is false). ``idling`` is set each time
    the watcher waits in IDLE. The watcher holds the mailbox's lease all along, so
    interval polls leave it alone; if another poller holds it, the watcher does
    nothing and ``busy`` says who."""
    _outside_transactions()
    outcome = WatchResult()
    lease = Lease(mailbox, "IDLE watcher")
    if not lease.take():
        outcome.busy = lease.holder()
        logger.info("Watching IMAP mailbox %s waits: held by %s", mailbox.name, outcome.busy)
        return outcome
    try:
        with connect(mailbox) as client:
            if not client.has_capability("IDLE"):
                return outcome
            outcome.offered = True
            _keep_alive(client.socket())
            while not stop.is_set() and (rounds is None or outcome.rounds < rounds):
                close_old_connections()  # a long IDLE may outlive the database connection
                result = PollResult()
                uidvalidity = mailbox.imap_uidvalidity
                try:
                    uidvalidity = _poll_folder(client, mailbox, result, PER_POLL, lease)
                finally:
                    _record(mailbox, result, uidvalidity)
                outcome.rounds += 1
                outcome.counts.update(result.counts)
                if rounds is not None and outcome.rounds >= rounds:
                    break
                if _wait_for_news(client, stop, idle_seconds, idling, lease):
                    outcome.wakeups += 1
    except Exception as exc:
        result = PollResult()
        _failed(mailbox, result, exc)
        _record(mailbox, result, mailbox.imap_uidvalidity)
        outcome.error = result.error
    finally:
        lease.release()
    return outcome


def _keep_alive(sock: socket.socket) -> None:
    """Let the system notice within about two minutes a connection that died
    silently (a NAT or firewall forgot it) while the watcher waits in IDLE: the
    watcher holds the lease meanwhile, so no interval poll would step in."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
        if hasattr(socket, option):  # Linux; elsewhere the system's defaults
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


def _wait_for_news(
    client: IMAPClient,
    stop: threading.Event,
    seconds: float,
    idling: threading.Event | None,
    lease: Lease,
) -> bool:
    """Wait in IDLE until the server reports a change, ``stop`` is set, or
    ``seconds`` pass (servers drop an IDLE after 30 minutes), keeping the lease.
    True if the server reported something."""
    client.idle()
    if idling is not None:
        idling.set()
    news = False
    waited = 0.0
    try:
        while not stop.is_set() and waited < seconds:
            if lease.due():
                close_old_connections()  # the database may have dropped an idle connection
                lease.keep()
            # Short checks, so that ``stop`` is noticed within a second.
            if client.idle_check(timeout=1):
                news = True
                break
            waited += 1
    finally:
        if idling is not None:
            idling.clear()
        client.idle_done()
    return news


def _outside_transactions() -> None:
    if connection.in_atomic_block:
        raise RuntimeError("IMAP fetching commits message by message: not inside a transaction.")


def _failed(mailbox: Mailbox, result: PollResult, exc: Exception) -> None:
    result.error = _describe(exc)
    if isinstance(exc, IMAPClientError | OSError | ImapSetupError | LeaseLost):
        logger.warning("IMAP fetch of mailbox %s failed: %s", mailbox.name, result.error)
    else:  # a bug or a lost database: record it, keep the scheduler alive
        logger.exception("IMAP fetch of mailbox %s failed", mailbox.name)


def _record(mailbox: Mailbox, result: PollResult, uidvalidity: int | None) -> None:
    """The mailbox's last poll, error and UIDVALIDITY, for admins to see."""
    if not result.error and result.left_on_server:
        result.error = "; ".join(result.left_on_server)[:2000]
    mailbox.imap_last_polled_at = timezone.now()
    mailbox.imap_last_error = result.error
    mailbox.imap_uidvalidity = uidvalidity
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_last_polled_at=mailbox.imap_last_polled_at,
        imap_last_error=mailbox.imap_last_error,
        imap_uidvalidity=mailbox.imap_uidvalidity,
    )


def claim_due(now: datetime, *, among: list[int] | None = None) -> list[int]:
    """Ids of active IMAP mailboxes (of ``among``, if given) whose poll interval has
    passed, claimed for this caller by a conditional update of their last poll time
    (a second scheduler running beside this one gets none of them). Mailboxes whose
    lease another poller holds (the IDLE watcher, a slow poll) are left out."""
    claimed = []
    free = Q(imap_lease_until__isnull=True) | Q(imap_lease_until__lte=now)
    candidates = Mailbox.objects.filter(free, is_active=True).exclude(imap_host="")
    if among is not None:
        candidates = candidates.filter(pk__in=among)
    for box in candidates.only("pk", "imap_last_polled_at", "imap_poll_seconds"):
        if not box.imap_due(now):
            continue
        if box.imap_last_polled_at is None:
            unchanged = Q(imap_last_polled_at__isnull=True)
        else:
            unchanged = Q(imap_last_polled_at=box.imap_last_polled_at)
        if Mailbox.objects.filter(unchanged, pk=box.pk).update(imap_last_polled_at=now):
            claimed.append(box.pk)
    return claimed


def tls_context() -> ssl.SSLContext:
    """How IMAP servers' certificates are checked: against the system's trusted CAs
    (``SSL_CERT_FILE``/``SSL_CERT_DIR`` replace them, as everywhere OpenSSL is used)
    and the CA certificates in the PEM file ``MAIL_CA_FILE``, if set, e.g. a
    company's private CA; the host name must match. Never switched off."""
    context = ssl.create_default_context()
    ca_file = settings.MAIL_CA_FILE
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ValueError) as exc:
            raise ImapSetupError(f"MAIL_CA_FILE {ca_file} cannot be used: {exc}") from exc
    return context


def connect(mailbox: Mailbox) -> IMAPClient:
    """A logged-in client for ``mailbox`` (TLS as configured; plain text on loopback only)."""
    host, security = mailbox.imap_host, mailbox.imap_security
    if not host:
        raise ImapSetupError("no IMAP host configured")
    if security == ImapSecurity.NONE and not is_loopback(host):
        raise ImapSetupError(f"refusing IMAP without TLS to {host}, which is not loopback")
    port = mailbox.imap_port or (993 if security == ImapSecurity.SSL else 143)
    context = tls_context() if security != ImapSecurity.NONE else None
    client = IMAPClient(
        host,
        port=port,
        ssl=security == ImapSecurity.SSL,
        ssl_context=context if security == ImapSecurity.SSL else None,
        timeout=TIMEOUT,
    )
    try:
        if security == ImapSecurity.STARTTLS:
            # Never log in without it: a server (or someone in between) that does
            # not offer STARTTLS is an error, not a reason to go on in plain text.
            if not client.has_capability("STARTTLS"):
                raise ImapSetupError(
                    f"{host}:{port} does not offer STARTTLS; not logging in without TLS"
                )
            client.starttls(context)
        client.login(mailbox.imap_username, mailbox.imap_password)
    except BaseException:
        # A failed TLS handshake has closed the socket already: the first error counts.
        with contextlib.suppress(OSError):
            client.shutdown()
        raise
    return client


def _poll_folder(
    client: IMAPClient, mailbox: Mailbox, result: PollResult, limit: int, lease: Lease
) -> int:
    """Handle up to ``limit`` new messages of the folder, keeping the lease between
    messages; returns its UIDVALIDITY."""
    info = client.select_folder(mailbox.imap_folder)
    uidvalidity = int(info[b"UIDVALIDITY"])
    keywords = b"\\*" in info.get(b"PERMANENTFLAGS", ())
    if keywords:
        criteria = ["NOT", "DELETED", "UNKEYWORD", FETCHED, "UNKEYWORD", TOO_LARGE]
    else:
        criteria = ["NOT", "DELETED", "UNSEEN"]
    if mailbox.imap_uidvalidity and mailbox.imap_uidvalidity != uidvalidity:
        # UIDs were reset; nothing depends on them (flags and content hashes do).
        logger.info("UIDVALIDITY of mailbox %s changed to %s", mailbox.name, uidvalidity)
    uids = sorted(client.search(criteria))[:limit]
    moving = uids and mailbox.imap_after == ImapAfter.MOVE
    if moving and not client.folder_exists(mailbox.imap_move_to):
        client.create_folder(mailbox.imap_move_to)
    max_bytes = settings.FRONTLINE["MAX_MESSAGE_BYTES"]
    for start in range(0, len(uids), BATCH):
        chunk = uids[start : start + BATCH]
        lease.keep()
        wanted = []
        for uid, data in sorted(client.fetch(chunk, ["RFC822.SIZE"]).items()):
            size = int(data.get(b"RFC822.SIZE", 0))
            if size > max_bytes:
                client.add_flags([uid], [TOO_LARGE] if keywords else [SEEN], silent=True)
                result.counts["rejected"] += 1
                note = f"UID {uid}: {size} bytes, over the limit of {max_bytes}; left on the server"
                result.problems.append(note)
                result.left_on_server.append(note)
            else:
                wanted.append(uid)
        if not wanted:
            continue
        bodies = client.fetch(wanted, ["BODY.PEEK[]"])
        for uid in wanted:
            raw = bodies.get(uid, {}).get(b"BODY[]")
            if raw is None:  # expunged by someone else meanwhile
                continue
            lease.keep()  # before receiving: a poller that lost the lease stops here
            received = receive(bytes(raw), mailbox=mailbox, source="imap")
            result.counts["read"] += 1
            outcome = Outcome.DUPLICATE if received.duplicate else received.inbound.outcome
            result.counts[outcome] += 1
            if outcome in (Outcome.SKIPPED, Outcome.QUARANTINED):
                label = Outcome(outcome).label.lower()
                result.problems.append(f"UID {uid}: {label}: {received.inbound.reason}")
            mark_done(client, mailbox, uid, keywords=keywords)
    return uidvalidity


def mark_done(client: IMAPClient, mailbox: Mailbox, uid: int, *, keywords: bool) -> None:
    """Tell the server a committed message is ours: flag, move or delete it."""
    if mailbox.imap_after == ImapAfter.MOVE:
        target = mailbox.imap_move_to
        if client.has_capability("MOVE"):
            client.move([uid], target)
            return
        client.copy([uid], target)
        _delete(client, uid)
    elif mailbox.imap_after == ImapAfter.DELETE:
        _delete(client, uid)
    else:
        client.add_flags([uid], [SEEN, FETCHED] if keywords else [SEEN], silent=True)


def _delete(client: IMAPClient, uid: int) -> None:
    client.delete_messages([uid], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:  # plain EXPUNGE also removes what others marked deleted in this folder
        client.expunge()


def _describe(exc: BaseException) -> str:
    text = str(exc)
    # imaplib and imapclient carry the server's words as bytes, or as their repr
    quoted = re.fullmatch(r"b'(.*)'|b\"(.*)\"", text, re.DOTALL)
    if quoted:
        text = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_code not in NAME_MISMATCH:
        text += " (if the server's certificate comes from a private CA, trust it with MAIL_CA_FILE)"
    return f"{exc.__class__.__name__}: {text}"[:2000]


def watch_all(stop: threading.Event, *, rescan_seconds: float = 60.0) -> None:
    """Watch every active IMAP mailbox whose server offers IDLE, one thread each,
    until ``stop`` is set; mailboxes added later are picked up within
    ``rescan_seconds``. A mailbox whose server has no IDLE is left to the
    scheduler's polling and asked again only hourly. A failing database or
    server never ends the watching: it is logged and tried again."""
    threads: dict[int, threading.Thread] = {}
    no_idle: dict[int, float] = {}  # mailbox id -> when to ask its server again
    while not stop.is_set():
        try:
            close_old_connections()
            now = time.monotonic()
            for box_id in (
                Mailbox.objects.filter(is_active=True)
                .exclude(imap_host="")
                .values_list("pk", flat=True)
            ):
                if no_idle.get(box_id, 0.0) > now:
                    continue
                if box_id not in threads or not threads[box_id].is_alive():
                    thread = threading.Thread(
                        target=_keep_watching,
                        args=(box_id, stop, rescan_seconds, no_idle),
                        name=f"frontline-imap-idle-{box_id}",
                        daemon=True,
                    )
                    threads[box_id] = thread
                    thread.start()
        except Exception:  # a lost database: try again at the next rescan
            logger.exception("Looking for IMAP mailboxes to watch failed")
        stop.wait(rescan_seconds)
    for thread in threads.values():
        thread.join(timeout=5)


def _keep_watching(
    mailbox_id: int, stop: threading.Event, pause: float, no_idle: dict[int, float]
) -> None:
    try:
        while not stop.is_set():
            try:
                close_old_connections()
                box = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
                if box is None or not box.imap_host:
                    return
                outcome = watch(box, stop=stop)
                # (if a poll holds the mailbox now, the watcher tries again after the pause)
                if not outcome.offered and not outcome.error and not outcome.busy:
                    no_idle[mailbox_id] = time.monotonic() + 3600  # the scheduler polls it
                    return
            except Exception:  # e.g. the database went away mid-round
                logger.exception("Watching IMAP mailbox %s failed", mailbox_id)
            stop.wait(pause)
    finally:
        connection.close()
