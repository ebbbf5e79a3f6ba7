"""Inbound mail from the command line.

- ``frontline mail import PATH``: .eml files, a folder of them, an mbox or a Maildir;
- ``frontline mail poll [--mailbox NAME] [--once]``: fetch the IMAP mailboxes;
- ``frontline mail listen [--host H] [--port P] [--lmtp]``: accept mail by SMTP or LMTP.
"""

from __future__ import annotations

import mailbox as mailboxes
import re
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from frontline.mail import imap
from frontline.mail.inbound import receive_many
from frontline.mail.models import Mailbox, Outcome


def messages_at(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for every message at ``path``, whatever its format."""
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailboxes.Maildir(path, factory=None, create=False)
            for key in sorted(box.keys(), key=_delivery_order):
                yield f"{path.name}/{key}", box.get_bytes(key)
            return
        for item in sorted(path.iterdir()):
            if item.is_file() and item.suffix.lower() == ".eml":
                yield item.name, item.read_bytes()
        return
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        mbox = mailboxes.mbox(path, factory=None, create=False)
        for index, key in enumerate(mbox.keys(), start=1):
            yield f"{path.name}#{index}", mbox.get_bytes(key)
        return
    yield path.name, path.read_bytes()


def summary(counts: Counter[str]) -> str:
    return (
        f"read {counts['read']}, new tickets {counts[Outcome.NEW_TICKET]}, "
        f"replies {counts[Outcome.REPLY]}, duplicates skipped {counts[Outcome.DUPLICATE]}, "
        f"skipped {counts[Outcome.SKIPPED]}, quarantined {counts[Outcome.QUARANTINED]}"
    )


def _delivery_order(key: str) -> list[str | int]:
    """A Maildir key as text and numbers (``1700000000.M99999P1Q9`` before
    ``1700000000.M100000P1Q10``): keys in the order the messages arrived."""
    return [int(part) if part.isdecimal() else part for part in re.split(r"(\d+)", key)]


class Command(BaseCommand):
    help = (
        "Inbound mail: `import PATH` reads files, `poll` fetches IMAP mailboxes, "
        "`watch` waits for their news (IDLE), `listen` accepts mail by SMTP or LMTP."
    )
    # The system checks load every URL (the API's schemas among them) and cost a
    # tenth of a second at each start: this command runs often (from cron, or
    # the mail-watch child of `frontline serve`); `serve` and `migrate` check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="Import an .eml, a folder of .eml, an mbox or a Maildir."
        )
        imp.add_argument("path", type=Path)
        imp.add_argument("--mailbox", help="The address of the mailbox it was sent to.")
        poll = sub.add_parser(
            "poll", help="Fetch new mail from the IMAP mailboxes, each at its poll interval."
        )
        poll.add_argument("--mailbox", help="Only this mailbox (its name or address).")
        poll.add_argument(
            "--once", action="store_true", help="Poll once now, whatever the interval, and exit."
        )
        sub.add_parser(
            "watch",
            help=(
                "Keep a connection to each IMAP mailbox whose server offers IDLE and "
                "fetch new mail the moment it arrives (frontline serve runs this)."
            ),
        )
        listen = sub.add_parser("listen", help="Accept mail for the mailboxes by SMTP or LMTP.")
        listen.add_argument("--host", default="127.0.0.1")
        listen.add_argument("--port", type=int, default=2525)
        listen.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "poll":
            return self.poll(options.get("mailbox"), once=options["once"])
        if action == "watch":
            return self.watch()
        if action == "listen":
            return self.listen(options["host"], options["port"], lmtp=options["lmtp"])
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        box = None
        if options.get("mailbox"):
            box = Mailbox.objects.filter(address__iexact=options["mailbox"]).first()
            if box is None:
                raise CommandError(f"No mailbox with the address {options['mailbox']}.")
        counts: Counter[str] = Counter()
        problems: list[str] = []
        labels: deque[str] = deque()

        def raws() -> Iterator[bytes]:
            for label, raw in messages_at(path):
                labels.append(label)
                yield raw

        for result in receive_many(raws(), mailbox=box, source="import"):
            label = labels.popleft()
            counts["read"] += 1
            inbound = result.inbound
            outcome = Outcome.DUPLICATE if result.duplicate else inbound.outcome
            counts[outcome] += 1
            if outcome in (Outcome.SKIPPED, Outcome.QUARANTINED):
                problems.append(f"  {label}: {Outcome(outcome).label.lower()}: {inbound.reason}")
        self.stdout.write(summary(counts))
        for line in problems:
            self.stdout.write(line)

    def poll(self, name: str | None, *, once: bool) -> None:
        boxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("name")
        if name:
            boxes = boxes.filter(name=name) | boxes.filter(address__iexact=name)
            if not boxes.exists():
                raise CommandError(f"No active IMAP mailbox named {name}.")
        if once:
            failed = [box.name for box in boxes if not self._poll_one(box)]
            if failed:
                raise CommandError(f"Polling failed for: {', '.join(failed)}.")
            return
        self.stdout.write("Polling the IMAP mailboxes; press Ctrl+C to stop.")
        ids = list(boxes.values_list("pk", flat=True))
        while True:
            close_old_connections()
            for box_id in imap.claim_due(timezone.now(), among=ids):
                box = boxes.filter(pk=box_id).first()
                if box is not None:
                    self._poll_one(box)
            time.sleep(1 if ids else 10)

    def _poll_one(self, box: Mailbox) -> bool:
        result = imap.poll(box)
        if result.busy:
            self.stdout.write(f"{box.name}: skipped, another poller holds it: {result.busy}")
            return True
        if result.error and not result.counts:
            self.stderr.write(f"{box.name}: {result.error}")
            return False
        self.stdout.write(f"{box.name}: {summary(result.counts)}")
        for line in result.problems:
            self.stdout.write(f"  {line}")
        if result.error:
            self.stderr.write(f"{box.name}: {result.error}")
        return not result.error

    def watch(self) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("Watching the IMAP mailboxes that offer IDLE; press Ctrl+C to stop.")
        self.stdout.flush()
        imap.watch_all(stop)

    def listen(self, host: str, port: int, *, lmtp: bool) -> None:
        from frontline.mail.listener import serve

        limit = settings.FRONTLINE["MAX_MESSAGE_BYTES"]
        kind = "LMTP" if lmtp else "SMTP"
        self.stdout.write(
            f"Accepting mail by {kind} on {host}:{port} (at most {limit} bytes a message); "
            "press Ctrl+C to stop."
        )
        self.stdout.flush()
        serve(host, port, lmtp=lmtp)
