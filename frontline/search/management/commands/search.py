"""The search index from the command line.

- ``frontline search reindex [--kind K] [--after ID] [--batch N]``:
  index everything again, a batch per transaction, with a progress bar per
  kind (done/total, rate, time left, last id). Safe while the site runs (each
  row is rebuilt whole, as the reactions do); interrupted, it says the last id
  done and the command that resumes after it. ``rebuild`` is the old name.

- ``frontline search check [--kind K] [--since DAYS] [--repair]``: compare the
  index with the database (objects with no row, rows of objects gone, rows
  whose words differ from the object's now), say what drifted, and with
  ``--repair`` write it right. Exits with status 1 when drift is found and not
  repaired, so a monitor can run it.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from frontline.search.drift import check
from frontline.search.indexing import BATCH, KINDS, indexed_model, rebuild

BAR_WIDTH = 30
BAR_LINE = 100  # a finished line covers the bar it replaces


def progress_bar(kind: str, done: int, total: int, seconds: float, last: int) -> str:
    """One line: ``tickets [#######-------] 45% 45,000/100,000 1,562/s 35 s left
    (last id 45000)``. Rows of objects created meanwhile may take ``done`` past
    ``total``; the bar stops full."""
    share = min(done / total, 1.0) if total else 1.0
    filled = round(share * BAR_WIDTH)
    rate = done / seconds if seconds else 0.0
    left = f"{(total - done) / rate:,.0f} s left" if rate and done < total else ""
    return (
        f"{kind} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {share:4.0%} "
        f"{done:,}/{total:,} {rate:,.0f}/s {left} (last id {last})"
    ).ljust(BAR_LINE)


class Command(BaseCommand):
    help = "Index everything again (reindex), or check the index for drift (check)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser(
            "reindex",
            aliases=["rebuild"],
            help="Index every ticket, contact, organisation and article.",
        )
        again.add_argument("--kind", choices=list(KINDS), help="Only this kind.")
        again.add_argument(
            "--after", type=int, default=0, help="Resume after this id (with --kind)."
        )
        again.add_argument("--batch", type=int, default=BATCH, help="Rows per transaction.")
        drift = sub.add_parser("check", help="Find (and repair) index rows out of date.")
        drift.add_argument("--kind", choices=list(KINDS), help="Only this kind.")
        drift.add_argument(
            "--since",
            type=float,
            default=None,
            help="Compare only tickets and articles updated in the last DAYS days.",
        )
        drift.add_argument("--repair", action="store_true", help="Write the wrong rows again.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "check":
            self.check_drift(**options)
            return
        kinds = [options["kind"]] if options["kind"] else list(KINDS)
        if options["after"] and not options["kind"]:
            raise CommandError("--after resumes one kind: give --kind too.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        for kind in kinds:
            model = indexed_model(kind)
            total = model.objects.filter(pk__gt=options["after"]).count()
            done = 0
            started = time.monotonic()
            last = options["after"]
            self.stdout.write(progress_bar(kind, 0, total, 0.0, last), ending="")
            try:
                for last, count in rebuild(kind, after=options["after"], batch=options["batch"]):
                    done += count
                    seconds = time.monotonic() - started
                    bar = progress_bar(kind, done, total, seconds, last)
                    self.stdout.write("\r" + bar, ending="")
                    self.stdout.flush()
            except KeyboardInterrupt:
                self.stdout.write("")
                raise CommandError(
                    f"Interrupted. Resume with: frontline search reindex --kind {kind} "
                    f"--after {last}"
                ) from None
            seconds = time.monotonic() - started
            rate = done / seconds if seconds else 0.0
            self.stdout.write(
                f"\r{kind}: {done:,} indexed in {seconds:.1f} s ({rate:,.0f}/s)".ljust(BAR_LINE)
            )

    def check_drift(self, *, kind: str | None, since: float | None, repair: bool, **_: Any) -> None:
        if since is not None and since <= 0:
            raise CommandError("--since must be a number of days above 0.")
        changed_since = timezone.now() - datetime.timedelta(days=since) if since else None
        unrepaired = 0
        for name in [kind] if kind else list(KINDS):
            drift = check(name, changed_since=changed_since, repair=repair)
            line = (
                f"{name}: {drift.checked} checked, {drift.missing} missing, "
                f"{drift.stale} stale, {drift.orphans} orphans"
            )
            if drift.found:
                line += " (repaired)" if repair else f" (e.g. ids {drift.examples[:10]})"
                unrepaired += 0 if repair else drift.found
            self.stdout.write(line)
        if unrepaired:
            raise CommandError(
                f"{unrepaired} index rows out of date; run again with --repair to fix them."
            )
