"""`frontline retention`: what the retention rules would delete now; `--apply` deletes it.

``frontline serve`` applies the rules every six hours; this shows them first.
"""

from typing import Any

from django.core.management.base import BaseCommand

from frontline.ops.models import RetentionDelete
from frontline.ops.retention import apply_rules, preview


class Command(BaseCommand):
    help = "Preview (or, with --apply, carry out) the retention rules."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--apply", action="store_true", help="delete what is due now")

    def handle(self, *args: Any, apply: bool, **options: Any) -> None:
        if apply:
            runs = apply_rules()
            for run in runs:
                self.stdout.write(
                    f"{run.rule}: deleted {run.tickets} tickets, {run.attachments} attachments "
                    f"({run.bytes} bytes)."
                )
            self.stdout.write(f"{len(runs)} rules deleted something.")
            return
        due = preview()
        if not due:
            self.stdout.write("No active retention rules.")
        for item in due:
            what = (
                f"{item.tickets} closed tickets with {item.attachments} attachments"
                if item.rule.what == RetentionDelete.TICKETS
                else f"{item.attachments} attachments"
            )
            self.stdout.write(
                f"{item.rule} (after {item.rule.after_days} days): would delete {what} "
                f"({item.bytes} bytes)."
            )
        self.stdout.write("Nothing deleted (preview). Run with --apply to delete.")
