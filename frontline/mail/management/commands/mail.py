"""`frontline mail import PATH`: bring in .eml files, a folder of them, an mbox or a Maildir."""

from __future__ import annotations

import mailbox as mailboxes
import re
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

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
        box = mailboxes.mbox(path, factory=None, create=False)
        for index, key in enumerate(box.keys(), start=1):
            yield f"{path.name}#{index}", box.get_bytes(key)
        return
    yield path.name, path.read_bytes()


def _delivery_order(key: str) -> list[str | int]:
    """A Maildir key as text and numbers (``1700000000.M99999P1Q9`` before
    ``1700000000.M100000P1Q10``): keys in the order the messages arrived."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


class Command(BaseCommand):
    help = "Inbound mail. `frontline mail import PATH` imports messages from files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import", help="Import an .eml, a folder of .eml, an mbox or a Maildir."
        )
        imp.add_argument("path", type=Path)
        imp.add_argument("--mailbox", help="The address of the mailbox it was sent to.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
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
        self.stdout.write(
            f"read {counts['read']}, new tickets {counts[Outcome.NEW_TICKET]}, "
            f"replies {counts[Outcome.REPLY]}, duplicates skipped {counts[Outcome.DUPLICATE]}, "
            f"skipped {counts[Outcome.SKIPPED]}, quarantined {counts[Outcome.QUARANTINED]}"
        )
        for line in problems:
            self.stdout.write(line)
