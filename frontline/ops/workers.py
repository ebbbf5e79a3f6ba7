"""The background worker and the scheduler, shared by ``frontline serve`` and
``frontline worker``.

The worker is the task backend's own command: ``db_worker`` (django-tasks-db)
with the database backend, ``rqworker`` (django-rq, with django-tasks-rq's job
class) with the Redis one. Any number of workers may run, on any machines.

The scheduler is a few threads that enqueue the periodic tasks (SLA sweep,
closing quiet resolved tickets, mail retries, the IMAP poll). One process
running it is enough. Two are harmless: the SLA sweep, the quiet close and the
IMAP poll claim their rows with a conditional update before acting
(``UPDATE ... WHERE <not yet claimed>``); the mail retry only enqueues sends,
and each send claims its attempt the same way. So a task enqueued twice does
its work once and the second run finds nothing to do.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)

# Django-tasks-rq's job class: RQ jobs that call a Django task.
RQ_JOB_CLASS = "django_tasks_rq.Job"


def worker_arguments() -> list[str] | None:
    """The management command (name and options) that runs a worker for the
    default task backend; None when Frontline does not know how to run one."""
    backend = task_backends["default"]
    if isinstance(backend, DatabaseBackend):
        return ["db_worker", "--no-reload", "--queue-name", "*", "--interval", "1"]
    # Imported by the backend itself when it is the RQ one; not imported otherwise.
    tasks_rq = sys.modules.get("django_tasks_rq")
    if tasks_rq is not None and isinstance(backend, tasks_rq.RQBackend):
        # --with-scheduler moves deferred tasks (run_after) onto the queue when due;
        # RQ lets one worker per queue do it at a time, so every worker may ask.
        return [
            "rqworker",
            "--job-class",
            RQ_JOB_CLASS,
            "--with-scheduler",
            *sorted(backend.queues),
        ]
    return None


# How much lower the database worker's thread runs than the web (``nice``
# steps): a burst of requests is answered first and the reactions it queued
# catch up after, rather than taking half of the CPU from the requests
# (docs/benchmarks.md, stop 14: at a million tickets a new ticket's reactions
# cost several times its create).
WORKER_NICENESS = 10


def lower_this_threads_priority(by: int = WORKER_NICENESS) -> None:
    """Make the calling thread ``by`` steps nicer than it is (Linux sets the
    priority of one thread by its id; elsewhere, or if refused, nothing)."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + by)
    except (AttributeError, OSError):
        logger.info("The worker runs at the web's priority (could not lower it).")


def database_worker() -> Any | None:
    """A django-tasks-db worker to run in a thread of this process (``Worker.run``;
    set ``running`` to False to stop it after its current task), or None when the
    default backend is not the database one."""
    if not isinstance(task_backends["default"], DatabaseBackend):
        return None
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def start_mail_watch(stop: threading.Event) -> threading.Thread:
    """The IMAP IDLE watcher (``frontline mail watch``) as a daemon thread, until ``stop``."""
    from frontline.mail import imap

    thread = threading.Thread(
        target=imap.watch_all, args=(stop,), name="frontline-mail-watch", daemon=True
    )
    thread.start()
    return thread


@dataclass(frozen=True)
class Periodic:
    task: Any
    every: float


def run_periodically(task: Any, every: float, stop: threading.Event) -> None:
    """Enqueue ``task`` now and then every ``every`` seconds until ``stop``."""
    while not stop.is_set():
        try:
            task.enqueue()
        except Exception:  # a locked database or an unreachable Redis must not end the loop
            logger.exception("Could not enqueue %s; will try again.", task.name)
        finally:
            connection.close()  # this thread's own connection
        stop.wait(every)


def periodic_tasks(
    *, close_resolved_every: float, sla_sweep_every: float, mail_poll_every: float
) -> list[Periodic]:
    """The periodic tasks with their intervals; those at 0 are left out."""
    from frontline.api import tasks as api_tasks
    from frontline.mail import tasks as mail_tasks
    from frontline.ops.tasks import (
        apply_retention_rules,
        close_quiet_resolved_tickets,
        prune_finished_tasks,
    )
    from frontline.search import tasks as search_tasks
    from frontline.sla import tasks as sla_tasks

    schedule = [
        Periodic(close_quiet_resolved_tickets, close_resolved_every),
        Periodic(sla_tasks.sweep, sla_sweep_every),
        Periodic(mail_tasks.retry_due_mail, 60.0),
        Periodic(api_tasks.retry_due_webhooks, 60.0),
        Periodic(mail_tasks.poll_due_mailboxes, mail_poll_every),
        Periodic(prune_finished_tasks, 6 * 3600.0),
        Periodic(search_tasks.check_recent_drift, 3600.0),
        Periodic(apply_retention_rules, 6 * 3600.0),
    ]
    return [p for p in schedule if p.every > 0]


def start_scheduler(schedule: list[Periodic], stop: threading.Event) -> list[threading.Thread]:
    """One daemon thread per periodic task, until ``stop`` is set."""
    threads = []
    for periodic in schedule:
        thread = threading.Thread(
            target=run_periodically,
            args=(periodic.task, periodic.every, stop),
            name=f"frontline-scheduler-{periodic.task.name}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def add_schedule_arguments(parser: Any) -> None:
    """The interval options of the scheduler (``serve`` and ``worker --scheduler``)."""
    parser.add_argument(
        "--close-resolved-every",
        type=float,
        default=float(env_int("CLOSE_RESOLVED_EVERY", 600)),
        help=(
            "Seconds between runs of the task that closes quiet resolved tickets "
            "(default: $CLOSE_RESOLVED_EVERY or 600; 0 turns it off)."
        ),
    )
    parser.add_argument(
        "--sla-sweep-every",
        type=float,
        default=float(env_int("SLA_SWEEP_EVERY", 60)),
        help=(
            "Seconds between SLA sweeps for warnings and breaches "
            "(default: $SLA_SWEEP_EVERY or 60; 0 turns it off)."
        ),
    )
    parser.add_argument(
        "--mail-poll-every",
        type=float,
        default=float(env_int("MAIL_POLL_EVERY", 15)),
        help=(
            "Seconds between checks for IMAP mailboxes due a poll; each mailbox is "
            "then fetched at its own interval (default: $MAIL_POLL_EVERY or 15; "
            "0 turns IMAP polling off)."
        ),
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
