"""`frontline serve`: the web server and the background worker as one process tree.

The production way to run Frontline on one machine (``runserver`` is for
development only). Starts two children with this interpreter:

- ``gunicorn frontline.wsgi:application`` with a few worker processes;
- ``frontline db_worker`` (django-tasks-db), when the task backend is the
  database one. With another backend (Redis workers) run those workers apart.

Threads in this process enqueue the periodic tasks: the SLA sweep every
minute, the housekeeping that closes quiet resolved tickets every few
minutes, and the IMAP poll, which fetches each mailbox whose own poll interval
has passed. SIGINT, SIGTERM and SIGHUP are forwarded to
both children as SIGTERM (a graceful stop: requests and the running task
finish); a second signal kills them. When either child exits, the other is
stopped too and the command fails, so a supervisor (systemd, a container
runtime) sees one process to restart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

from frontline.mail import tasks as mail_tasks
from frontline.ops.tasks import close_quiet_resolved_tickets
from frontline.sla import tasks as sla_tasks

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Seconds the children get to finish after SIGTERM before they are killed.
STOP_TIMEOUT = 20
GRACEFUL_TIMEOUT = 10


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def bind_address(host: str, port: int) -> str:
    """``host:port`` as gunicorn and browsers want it, with IPv6 hosts in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def run_periodically(task: Any, every: float, stop: threading.Event) -> None:
    """Enqueue ``task`` now and then every ``every`` seconds until ``stop``.

    Runs in a thread of the serve process. Several machines running ``serve``
    each enqueue it; the actions claim tickets with conditional updates, so
    that is harmless.
    """
    while not stop.is_set():
        try:
            task.enqueue()
        except Exception:  # a locked or unreachable database must not end the loop
            logger.exception("Could not enqueue %s; will try again.", task.name)
        finally:
            connection.close()  # this thread's own connection
        stop.wait(every)


class Command(BaseCommand):
    help = "Serve Frontline with gunicorn and run the background worker beside it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST") or "127.0.0.1",
            help="Address to listen on (default: $HOST or 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=_env_int("PORT", 8000),
            help="Port to listen on (default: $PORT or 8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=_env_int("WEB_CONCURRENCY", 2),
            help="Web worker processes (default: $WEB_CONCURRENCY or 2).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the background worker (it runs elsewhere).",
        )
        parser.add_argument(
            "--close-resolved-every",
            type=float,
            default=float(_env_int("CLOSE_RESOLVED_EVERY", 600)),
            help=(
                "Seconds between runs of the task that closes quiet resolved tickets "
                "(default: $CLOSE_RESOLVED_EVERY or 600; 0 turns it off)."
            ),
        )
        parser.add_argument(
            "--sla-sweep-every",
            type=float,
            default=float(_env_int("SLA_SWEEP_EVERY", 60)),
            help=(
                "Seconds between SLA sweeps for warnings and breaches "
                "(default: $SLA_SWEEP_EVERY or 60; 0 turns it off)."
            ),
        )
        parser.add_argument(
            "--mail-poll-every",
            type=float,
            default=float(_env_int("MAIL_POLL_EVERY", 15)),
            help=(
                "Seconds between checks for IMAP mailboxes due a poll; each mailbox is "
                "then fetched at its own interval (default: $MAIL_POLL_EVERY or 15; "
                "0 turns IMAP polling off)."
            ),
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int,
        no_worker: bool,
        close_resolved_every: float,
        sla_sweep_every: float,
        mail_poll_every: float,
        **options: Any,
    ) -> None:
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        self.check_migrations()
        connection.close()  # the children open their own; keep none idle here

        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        scheduler_stop = threading.Event()
        failed: tuple[str, int] | None = None
        try:
            if no_worker:
                pass
            elif isinstance(task_backends["default"], DatabaseBackend):
                self._spawn("worker", self._worker_command())
            else:
                self.stdout.write(
                    "The task backend is not the database one: run its workers separately."
                )
            self._spawn("web", self._web_command(host, port, workers))
            url = f"http://{bind_address(host, port)}/"
            pids = ", ".join(f"{name} pid {p.pid}" for name, p in self.children.items())
            self.stdout.write(f"Frontline is serving on {url} ({pids}). Press Ctrl+C to stop.")
            self.stdout.flush()
            for task, every in (
                (close_quiet_resolved_tickets, close_resolved_every),
                (sla_tasks.sweep, sla_sweep_every),
                (mail_tasks.retry_due_mail, 60.0),
                (mail_tasks.poll_due_mailboxes, mail_poll_every),
            ):
                if every > 0:
                    threading.Thread(
                        target=run_periodically,
                        args=(task, every, scheduler_stop),
                        name=f"frontline-scheduler-{task.name}",
                        daemon=True,
                    ).start()
            failed = self._wait_for_stop_or_exit()
        finally:
            scheduler_stop.set()
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            name, code = failed
            raise CommandError(f"The {name} process exited with status {code}; stopped the rest.")
        self.stdout.write("Stopped.")

    def _worker_command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "frontline.manage",
            "db_worker",
            "--no-reload",
            "--queue-name",
            "*",
            "--interval",
            "1",
        ]

    def _web_command(self, host: str, port: int, workers: int) -> list[str]:
        # Extra gunicorn options can come from GUNICORN_CMD_ARGS, which gunicorn reads itself.
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "frontline.wsgi:application",
            "--bind",
            bind_address(host, port),
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--timeout",
            "60",
            "--graceful-timeout",
            str(GRACEFUL_TIMEOUT),
            "--max-requests",
            "2000",
            "--max-requests-jitter",
            "200",
            # Gunicorn's control socket has one default path per user: two
            # instances on a machine would fight over it, and we do not use it.
            "--no-control-socket",
        ]

    def _spawn(self, name: str, command: list[str]) -> None:
        # Own process group: a Ctrl+C in the terminal reaches only this process,
        # which forwards exactly one signal, so a running task is not cut short.
        self.children[name] = subprocess.Popen(command, process_group=0)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            self.stderr.write("Second signal: killing the children.")
            self._signal_children(signal.SIGKILL)
        self.stopping = True

    def _signal_children(self, sig: int) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(sig)

    def _wait_for_stop_or_exit(self) -> tuple[str, int] | None:
        """Block until a stop signal (None) or until a child exits (its name and status)."""
        while not self.stopping:
            for name, proc in self.children.items():
                code = proc.poll()
                if code is not None:
                    return name, code
            time.sleep(0.2)
        return None

    def _stop_children(self) -> None:
        self.stopping = True
        self._signal_children(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in self.children.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
