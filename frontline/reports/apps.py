import sys
import time
from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "frontline.reports"
    label = "reports"
    verbose_name = _("Time, cost and satisfaction")

    def ready(self) -> None:
        post_migrate.connect(fill_daily_rollup, sender=self)


def fill_daily_rollup(**kwargs: Any) -> None:
    """After ``frontline migrate``: an install upgraded from before the daily
    rollup has tickets' figures but no daily rows, and its dashboard would show
    nothing; write them once (what ``frontline reports rebuild --daily-only``
    does), with the code and schema as they are after every migration. A
    database with daily rows, or with no figures, costs two small reads."""
    from .models import DailyFigures, TicketFigures
    from .rollup import rebuild_daily

    # A partial migrate (``migrate contenttypes``) may not have made the tables
    # yet; ``flush`` sends no ``apps`` (its tables are all there).
    try:
        kwargs.get("apps", global_apps).get_model("reports", "DailyFigures")
    except LookupError:
        return
    if DailyFigures.objects.exists() or not TicketFigures.objects.exists():
        return
    # On a large install this takes minutes (about 8 at 1,000,000 tickets):
    # say how far it is, on standard error, as ``frontline reports rebuild``.
    talk = kwargs.get("verbosity", 1) > 0
    if talk:
        sys.stderr.write("Writing the reports' daily rows from the tickets' figures...\n")
    started, rows = time.monotonic(), 0
    for day, count in rebuild_daily():
        rows += count
        if talk:
            sys.stderr.write(f"\rdaily rows: {rows} (up to {day})")
            sys.stderr.flush()
    if talk:
        seconds = time.monotonic() - started
        sys.stderr.write(f"\rdaily rows: {rows} written in {seconds:.1f} s\n")
