"""`frontline worker`: only the background worker, for machines that run no web server.

Runs the configured task backend's worker in this process: ``db_worker`` with
the database backend, ``rqworker`` with Redis (``REDIS_URL``). Start as many as
you like, on as many machines as you like. ``--scheduler`` also enqueues the
periodic tasks from this process, for a site whose web processes run with
``--no-scheduler``; one scheduler is enough, and a second is harmless.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from frontline.ops.workers import (
    add_schedule_arguments,
    periodic_tasks,
    start_scheduler,
    worker_arguments,
)


class Command(BaseCommand):
    help = "Run the background worker of the configured task backend (no web server)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--scheduler",
            action="store_true",
            help="Also enqueue the periodic tasks (SLA sweep, mail retries, IMAP poll, ...).",
        )
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Run the tasks waiting now, then exit.",
        )
        add_schedule_arguments(parser)

    def handle(
        self,
        *args: Any,
        scheduler: bool,
        burst: bool,
        close_resolved_every: float,
        sla_sweep_every: float,
        mail_poll_every: float,
        **options: Any,
    ) -> None:
        arguments = worker_arguments()
        if arguments is None:
            raise CommandError("Frontline cannot start a worker for this task backend.")
        name, *rest = arguments
        if burst:
            rest.append("--batch" if name == "db_worker" else "--burst")
        stop = threading.Event()
        if scheduler:
            start_scheduler(
                periodic_tasks(
                    close_resolved_every=close_resolved_every,
                    sla_sweep_every=sla_sweep_every,
                    mail_poll_every=mail_poll_every,
                ),
                stop,
            )
        try:
            call_command(name, *rest, verbosity=options["verbosity"])
        finally:
            stop.set()
