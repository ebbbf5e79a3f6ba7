"""`frontline close_resolved`: close resolved tickets left quiet for the configured period.

``frontline serve`` runs the same action every few minutes through the task
queue; this command is for cron, or to run it by hand.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from frontline.tickets import actions


class Command(BaseCommand):
    help = "Close resolved tickets the customer left quiet for RESOLVED_QUIET_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        closed = actions.close_quiet_resolved()
        days = settings.FRONTLINE["RESOLVED_QUIET_DAYS"]
        self.stdout.write(
            f"Closed {closed} resolved ticket{'s' if closed != 1 else ''} "
            f"quiet for more than {days} days."
        )
