"""`frontline serve`: the web server and the background work as one process tree.

The production way to run Frontline on one machine (``runserver`` is for
development only). On the embedded default (the database task backend) the
tree is this process and gunicorn:

- this process runs the task worker (django-tasks-db's, in a thread), the
  scheduler (threads that enqueue the periodic tasks: the SLA sweep every
  minute, the housekeeping that closes quiet resolved tickets every few
  minutes, mail retries, and the IMAP poll, which fetches each mailbox whose
  own poll interval has passed) and the IMAP IDLE watcher (threads, one per
  mailbox); one interpreter for all the background work instead of one each
  (docs/benchmarks.md, "Footprint", says what each process costs);
- ``gunicorn frontline.wsgi:application``, a child, with a few worker processes.

With Redis (``REDIS_URL``) the worker is ``frontline rqworker`` (django-tasks-rq),
a second child, since RQ runs each task in a process of its own.
``--no-worker`` leaves the worker out (workers run elsewhere, e.g. ``frontline
worker`` on other machines); ``--no-scheduler`` leaves out the scheduler and the
watcher, for the extra machines of a site where one process schedules (two
would be harmless: see :mod:`frontline.ops.workers`). SIGINT, SIGTERM and
SIGHUP are a graceful stop: gunicorn gets SIGTERM (requests in progress
finish), the worker finishes its running task; a second signal kills the
children. When a child exits or the worker fails, the rest is stopped too and
the command fails, so a supervisor (systemd, a container runtime) sees one
process to restart.
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

from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from frontline.ops.workers import (
    add_schedule_arguments,
    database_worker,
    env_bool,
    env_int,
    lower_this_threads_priority,
    periodic_tasks,
    run_periodically,
    start_mail_watch,
    start_scheduler,
    worker_arguments,
)

__all__ = ["Command", "bind_address", "run_periodically"]

logger = logging.getLogger(__name__)

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
    # Every system check but the URL configuration's, which would import every
    # view, the API and the admin into this process, where no page is served
    # (gunicorn imports them; `frontline migrate` and `frontline check` check them).
    requires_system_checks = [
        tag for name, tag in vars(Tags).items() if not name.startswith("_") and tag != Tags.urls
    ]

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
        self.worker: Any = None  # the in-process task worker, if it runs here
        self.worker_thread: threading.Thread | None = None
        self.worker_failed = False
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        scheduler_stop = threading.Event()
        failed: tuple[str, int] | None = None
        try:
            if not no_worker:
                self._start_worker()
            self._spawn("web", self._web_command(host, port, workers))
            url = f"http://{bind_address(host, port)}/"
            pids = [f"{name} pid {p.pid}" for name, p in self.children.items()]
            if self.worker_thread is not None:
                pids.append(f"worker pid {os.getpid()}, this process")
            self.stdout.write(
                f"Frontline is serving on {url} ({', '.join(pids)}). Press Ctrl+C to stop."
            )
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
                # The scheduling machine also keeps the IMAP IDLE connections.
                self.scheduler_threads.append(self._start_mail_watch(scheduler_stop))
            failed = self._wait_for_stop_or_exit()
        finally:
            scheduler_stop.set()
            if self.worker is not None:
                self.worker.running = False  # ends after its running task
            self._stop_children()
            if self.worker_thread is not None:
                self.worker_thread.join(timeout=STOP_TIMEOUT)
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

    def _start_worker(self) -> None:
        """The database backend's worker in a thread of this process; any other
        known backend's (RQ) as a child process."""
        self.worker = database_worker()
        if self.worker is not None:
            self.worker_thread = threading.Thread(
                target=self._run_worker, name="frontline-task-worker", daemon=True
            )
            self.worker_thread.start()
            return
        worker = self._worker_command()
        if worker is None:
            raise CommandError(
                "Frontline cannot start a worker for this task backend; "
                "run its workers separately and pass --no-worker."
            )
        self._spawn("worker", worker)

    def _run_worker(self) -> None:
        lower_this_threads_priority()  # the web's requests first
        try:
            self.worker.run()
        except BaseException:
            self.worker_failed = True
            logger.exception("The task worker stopped on an error")
        finally:
            connection.close()

    def _start_mail_watch(self, stop: threading.Event) -> threading.Thread:
        return start_mail_watch(stop)

    def _worker_command(self) -> list[str] | None:
        """The worker child for the configured task backend; None for an unknown one."""
        arguments = worker_arguments()
        if arguments is None:
            return None
        return [sys.executable, "-m", "frontline.manage", *arguments]

    def _web_command(self, host: str, port: int, workers: int) -> list[str]:
        # Extra gunicorn options can come from GUNICORN_CMD_ARGS, which gunicorn reads itself.
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "frontline.wsgi:application",
            "--config",
            "python:frontline.ops.gunicorn_config",
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
            if self.worker_thread is not None and not self.worker_thread.is_alive():
                return "worker", 1
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
