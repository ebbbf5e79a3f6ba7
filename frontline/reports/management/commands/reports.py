"""The reports' rollup from the command line.

- ``frontline reports rebuild [--after ID] [--batch N]``: write every ticket's
  figures again (``frontline.reports.rollup``), a batch per transaction,
  printing progress. Safe while the site runs (each row is rewritten whole, as
  the reaction does); needed after a restore, a bulk load, or on a database
  that had tickets before the rollup existed. Interrupted, it says the last
  id done, and ``--after`` that id resumes.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.reports.rollup import BATCH, rebuild
from frontline.tickets.models import Ticket


class Command(BaseCommand):
    help = "Rebuild the reports' rollup."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser("rebuild", help="Write every ticket's figures again.")
        again.add_argument("--after", type=int, default=0, help="Resume after this ticket id.")
        again.add_argument("--batch", type=int, default=BATCH, help="Tickets per transaction.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        total = Ticket.objects.filter(pk__gt=options["after"]).count()
        done, last = 0, options["after"]
        started = time.monotonic()
        try:
            for last, count in rebuild(after=options["after"], batch=options["batch"]):
                done += count
                self.stdout.write(f"\rtickets: {done}/{total} (last id {last})", ending="")
                self.stdout.flush()
        except KeyboardInterrupt:
            self.stdout.write("")
            raise CommandError(
                f"Interrupted. Resume with: frontline reports rebuild --after {last}"
            ) from None
        seconds = time.monotonic() - started
        rate = done / seconds if seconds else 0.0
        self.stdout.write(f"\rtickets: {done} figures written in {seconds:.1f} s ({rate:.0f}/s)")
