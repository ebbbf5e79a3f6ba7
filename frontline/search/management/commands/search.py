"""The search index from the command line.

- ``frontline search rebuild [--kind tickets|contacts|organisations] [--after ID]``:
  index everything again, a batch per transaction, printing progress. Safe
  while the site runs (each row is rebuilt whole, as the reactions do);
  interrupted, it says the last id done, and ``--after`` that id resumes.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.search.indexing import BATCH, KINDS, rebuild


class Command(BaseCommand):
    help = "Rebuild the search index."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser("rebuild", help="Index every ticket, contact and organisation.")
        again.add_argument("--kind", choices=list(KINDS), help="Only this kind.")
        again.add_argument(
            "--after", type=int, default=0, help="Resume after this id (with --kind)."
        )
        again.add_argument("--batch", type=int, default=BATCH, help="Rows per transaction.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        kinds = [options["kind"]] if options["kind"] else list(KINDS)
        if options["after"] and not options["kind"]:
            raise CommandError("--after resumes one kind: give --kind too.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        for kind in kinds:
            model = KINDS[kind][0]
            total = model.objects.filter(pk__gt=options["after"]).count()
            done = 0
            started = time.monotonic()
            last = options["after"]
            try:
                for last, count in rebuild(kind, after=options["after"], batch=options["batch"]):
                    done += count
                    self.stdout.write(f"\r{kind}: {done}/{total} (last id {last})", ending="")
                    self.stdout.flush()
            except KeyboardInterrupt:
                self.stdout.write("")
                raise CommandError(
                    f"Interrupted. Resume with: frontline search rebuild --kind {kind} "
                    f"--after {last}"
                ) from None
            seconds = time.monotonic() - started
            rate = done / seconds if seconds else 0.0
            self.stdout.write(f"\r{kind}: {done} indexed in {seconds:.1f} s ({rate:.0f}/s)")
