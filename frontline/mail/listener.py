"""Accepting mail by SMTP or LMTP (aiosmtpd): a transport, no business rules.

For operators who pipe mail in from their mail server (Postfix ``lmtp:`` or
``smtp:`` transport, a relay)::

    RCPT TO  ─► a mailbox's address (``support+t-<token>@…`` counts as ``support@…``),
                else 550
    DATA     ─► receive(): raw bytes stored and committed, then processed
             └► only then 250; 451 (try again later) if the bytes could not be stored

A message over ``FRONTLINE["MAX_MESSAGE_BYTES"]`` is refused with 552 by aiosmtpd
(at MAIL FROM when the client declares its SIZE, else after the data). The
database work runs in one worker thread, outside the event loop, one message at a
time.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from .inbound import receive
from .models import Mailbox

logger = logging.getLogger(__name__)


def mailbox_for(address: str) -> Mailbox | None:
    """The active mailbox an envelope recipient belongs to, if any: its own address,
    or the address without a ``+tag`` in the local part."""
    address = address.strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    boxes = Mailbox.objects.filter(is_active=True)
    found = boxes.filter(address__iexact=address).first()
    if found is None and "+" in local:
        base = local.split("+", 1)[0]
        found = boxes.filter(address__iexact=f"{base}@{domain}").first()
    return found


class MailHandler:
    """aiosmtpd handler: recipients checked against the mailboxes, data stored before 250."""

    def __init__(self, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        # One thread holds the database connection; the event loop never touches it.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontline-mail-in")

    async def _in_worker(self, function: Any, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _with_fresh_connection, function, *args)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            mailbox = await self._in_worker(mailbox_for, address)
        except Exception:
            logger.exception("Could not look up the recipient %s", address)
            return "451 4.3.0 Temporary failure, try again later"
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            inbound_id = await self._in_worker(
                _deliver, raw or b"", list(envelope.rcpt_tos), "lmtp" if self.lmtp else "smtp"
            )
        except Exception:
            logger.exception("Could not store a message from %s", envelope.mail_from)
            status = "451 4.3.0 Could not store the message, try again later"
        else:
            status = f"250 2.0.0 OK, stored as {inbound_id}"
        if self.lmtp:  # LMTP answers DATA once per accepted recipient
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status


def _with_fresh_connection(function: Any, *args: Any) -> Any:
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def _deliver(raw: bytes, recipients: list[str], source: str) -> int:
    """Store (and then process) one message for the first mailbox among its recipients."""
    mailbox = next((box for box in map(mailbox_for, recipients) if box is not None), None)
    return receive(raw, mailbox=mailbox, source=source).inbound.pk


class MailController(Controller):
    """aiosmtpd's controller, speaking LMTP when asked, with our size limit."""

    def __init__(self, host: str, port: int, *, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        super().__init__(
            MailHandler(lmtp=lmtp),
            hostname=host,
            port=port,
            data_size_limit=settings.FRONTLINE["MAX_MESSAGE_BYTES"],
            ident="Frontline",
        )

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.handler.executor.shutdown(wait=True)


def serve(host: str, port: int, *, lmtp: bool = False) -> None:
    """Listen until SIGINT or SIGTERM; a message being stored is finished first."""
    controller = MailController(host, port, lmtp=lmtp)
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_args: stop.set()) for sig in signals}
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
