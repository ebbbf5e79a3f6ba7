"""The reports' rollup from the command line.

- ``frontline reports rebuild [--after ID] [--batch N]``: write every ticket's
  figures again (``frontline.reports.rollup``), a batch per transaction,
  printing progress. Safe while the site runs (each row is rewritten whole, as
  the reaction does); needed after a restore, a bulk load, or on a database
  that had tickets before the rollup existed. Interrupted, it says the last
  id done, and ``--after`` that id resumes. Then the daily rows, all of
  them, from the tickets' figures (``rollup.rebuild_daily``); ``--daily-only``
  writes only those (after a bulk load that wrote the tickets' figures itself).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontline.reports.rollup import BATCH, rebuild, rebuild_daily
from frontline.tickets.models import Ticket


class Command(BaseCommand):
    help = "Rebuild the reports' rollup."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser("rebuild", help="Write every ticket's figures again.")
        again.add_argument("--after", type=int, default=0, help="Resume after this ticket id.")
        again.add_argument("--batch", type=int, default=BATCH, help="Tickets per transaction.")
        again.add_argument(
            "--daily-only",
            action="store_true",
            help="Write only the daily rows again, from the tickets' figures.",
        )
        again.add_argument(
            "--since",
            type=datetime.date.fromisoformat,
            help="Write the daily rows from this day (YYYY-MM-DD) on: resume.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        if not options["daily_only"]:
            self._tickets(options)
        started = time.monotonic()
        rows = 0
        for day, count in rebuild_daily(since=options["since"]):
            rows += count
            self.stdout.write(f"\rdaily rows: {rows} (up to {day})", ending="")
            self.stdout.flush()
        seconds = time.monotonic() - started
        self.stdout.write(f"\rdaily rows: {rows} written in {seconds:.1f} s")

    def _tickets(self, options: dict[str, Any]) -> None:
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
