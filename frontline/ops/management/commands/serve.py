"""`frontline serve`: the web server and the background worker as one process tree.

The production way to run Frontline on one machine (``runserver`` is for
development only). Starts two children with this interpreter:

- ``gunicorn frontline.wsgi:application`` with a few worker processes;
- the task backend's worker: ``frontline db_worker`` (django-tasks-db) with the
  database backend, ``frontline rqworker`` (django-tasks-rq) with Redis
  (``REDIS_URL``). ``--no-worker`` leaves it out (workers run elsewhere, e.g.
  ``frontline worker`` on other machines).

Threads in this process (the scheduler) enqueue the periodic tasks: the SLA
sweep every minute, the housekeeping that closes quiet resolved tickets every
few minutes, mail retries, and the IMAP poll, which fetches each mailbox whose
own poll interval has passed. ``--no-scheduler`` leaves them out, for the
extra machines of a site where one process schedules (two would be harmless:
see :mod:`frontline.ops.workers`). SIGINT, SIGTERM and SIGHUP are forwarded to
both children as SIGTERM (a graceful stop: requests and the running task
finish); a second signal kills them. When either child exits, the other is
stopped too and the command fails, so a supervisor (systemd, a container
runtime) sees one process to restart.
"""

from __future__ import annotations

import contextlib
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

from frontline.ops.workers import (
    add_schedule_arguments,
    env_bool,
    env_int,
    periodic_tasks,
    run_periodically,
    start_scheduler,
    worker_arguments,
)

__all__ = ["Command", "bind_address", "run_periodically"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Seconds the children get to finish after SIGTERM before they are killed.
STOP_TIMEOUT = 20
# A stop signal repeated within this many seconds is the same stop arriving
# twice (make passes on the SIGTERM that a process-group kill also delivered),
# not someone asking to hurry.
REPEAT_SECONDS = 2.0
GRACEFUL_TIMEOUT = 10


def bind_address(host: str, port: int) -> str:
    """``host:port`` as gunicorn and browsers want it, with IPv6 hosts in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


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
            default=env_int("PORT", 8000),
            help="Port to listen on (default: $PORT or 8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("WEB_CONCURRENCY", 2),
            help="Web worker processes (default: $WEB_CONCURRENCY or 2).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            default=not env_bool("RUN_WORKER", True),
            help="Do not start the background worker: it runs elsewhere (or set RUN_WORKER=false).",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            default=not env_bool("RUN_SCHEDULER", True),
            help=(
                "Do not enqueue the periodic tasks: another process does "
                "(or set RUN_SCHEDULER=false)."
            ),
        )
        add_schedule_arguments(parser)

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int,
        no_worker: bool,
        no_scheduler: bool,
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
        self.stop_asked_at = 0.0
        self.scheduler_threads: list[threading.Thread] = []
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        scheduler_stop = threading.Event()
        failed: tuple[str, int] | None = None
        try:
            if not no_worker:
                worker = self._worker_command()
                if worker is None:
                    raise CommandError(
                        "Frontline cannot start a worker for this task backend; "
                        "run its workers separately and pass --no-worker."
                    )
                self._spawn("worker", worker)
            self._spawn("web", self._web_command(host, port, workers))
            if not no_scheduler:  # the scheduling machine also keeps the IMAP IDLE connections
                self._spawn("mail-watch", self._mail_watch_command())
            url = f"http://{bind_address(host, port)}/"
            pids = ", ".join(f"{name} pid {p.pid}" for name, p in self.children.items())
            self.stdout.write(f"Frontline is serving on {url} ({pids}). Press Ctrl+C to stop.")
            self.stdout.flush()
            if not no_scheduler:
                self.scheduler_threads = start_scheduler(
                    periodic_tasks(
                        close_resolved_every=close_resolved_every,
                        sla_sweep_every=sla_sweep_every,
                        mail_poll_every=mail_poll_every,
                    ),
                    scheduler_stop,
                )
            failed = self._wait_for_stop_or_exit()
        finally:
            scheduler_stop.set()
            self._stop_children()
            for sig, handler in previous.items():
                # Stopped by a signal, the children are gone: the same stop arriving
                # again (make passes it on) must not kill the process on its way
                # out. Ignored, not handled: at exit Python puts the default action
                # back on signals it handles, but leaves ignored ones ignored.
                signal.signal(sig, signal.SIG_IGN if self.stop_asked_at else handler)
        if failed is not None:
            name, code = failed
            raise CommandError(f"The {name} process exited with status {code}; stopped the rest.")
        self.stdout.write("Stopped.")

    def _worker_command(self) -> list[str] | None:
        """The worker child for the configured task backend; None for an unknown one."""
        arguments = worker_arguments()
        if arguments is None:
            return None
        return [sys.executable, "-m", "frontline.manage", *arguments]

    def _mail_watch_command(self) -> list[str]:
        return [sys.executable, "-m", "frontline.manage", "mail", "watch"]

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
        now = time.monotonic()
        if self.stopping:
            if now - self.stop_asked_at < REPEAT_SECONDS:
                return  # the same stop, delivered twice: let the children finish
            self.stderr.write("Second signal: killing the children.")
            self._signal_children(signal.SIGKILL)
            return
        self.stopping = True
        self.stop_asked_at = now

    def _signal_children(self, sig: int) -> None:
        """SIGTERM to each child (gunicorn's master then stops its workers
        gracefully); SIGKILL to each child's whole process group, so that no web
        worker outlives its master."""
        for proc in self.children.values():
            if proc.poll() is None or sig == signal.SIGKILL:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if sig == signal.SIGKILL:
                        os.killpg(proc.pid, sig)  # each child leads its own group
                    else:
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
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
