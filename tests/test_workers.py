"""Background tasks on Redis workers (django-tasks-rq), against a real throwaway Redis.

``redis-server`` comes from Debian (``scripts/system-deps``); without it these
tests fail rather than skip, as the Dovecot ones do.
"""

from __future__ import annotations

import datetime
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone

from frontline.ops import workers
from frontline.ops.management.commands import serve
from frontline.ops.tasks import close_quiet_resolved_tickets
from frontline.sla import tasks as sla_tasks
from frontline.sla.models import BusinessCalendar, SlaPolicy
from frontline.tickets import actions
from frontline.tickets.models import Status, Ticket

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of our own on a free loopback port, nothing kept on disk."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(binary, os.X_OK):
        pytest.fail("redis-server is missing: run scripts/system-deps (Debian's redis-server).")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            *(binary, "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(folder)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):  # until it answers; waits at most ~10 s
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    pytest.fail(f"redis-server exited with status {proc.returncode}")
                time.sleep(0.1)
        else:
            pytest.fail("redis-server did not answer")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def rq_settings(settings: Any, redis_url: str) -> str:
    """Tasks go to the throwaway Redis through django-tasks-rq, on an empty database."""
    redis.Redis.from_url(redis_url).flushdb()
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    settings.TASKS = RQ_TASKS
    return redis_url


def default_queue() -> Any:
    import django_rq
    from django_tasks_rq import Job

    return django_rq.get_queue("default", job_class=Job)


def work_burst() -> None:
    """Run what is queued now in this thread (rq's SimpleWorker: no fork), so the
    tasks see the test's database transaction, on SQLite and PostgreSQL alike."""
    import django_rq
    from rq import SimpleWorker

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = django_rq.get_worker(
            "default", worker_class=SimpleWorker, job_class=workers.RQ_JOB_CLASS
        )
        worker.work(burst=True)
    finally:
        for sig, handler in handlers.items():  # the worker installs its own
            signal.signal(sig, handler)


def quiet_resolved(ticket: Ticket, by: Any) -> Ticket:
    """``ticket`` resolved long enough ago to be closed by the housekeeping task."""
    actions.add_reply(ticket, body="Fixed: the duplicate charge is refunded.", by=by)
    actions.change_status(ticket, status=Status.RESOLVED, by=by)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=timezone.now() - datetime.timedelta(days=30)
    )
    return ticket


# The backend on Redis


def test_enqueue_puts_the_job_in_redis_and_a_worker_runs_it(people, ticket, rq_settings):
    quiet_resolved(ticket, people.alice)
    assert type(task_backends["default"]).__name__ == "RQBackend"

    result = close_quiet_resolved_tickets.enqueue()

    queue = default_queue()
    assert queue.job_ids == [result.id]
    assert result.status == TaskResultStatus.READY
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED  # nothing runs until a worker takes it

    work_burst()

    assert queue.count == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    done = close_quiet_resolved_tickets.get_result(result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.return_value == 1
    assert done.worker_ids  # the RQ worker's name


def test_a_task_with_arguments_runs_on_the_worker(people, ticket, rq_settings):
    """The SLA recompute takes a ticket id: the argument goes through Redis."""
    always = BusinessCalendar.objects.create(
        name="Always", time_zone="UTC", **{day: "00:00-24:00" for day in WEEK}
    )
    SlaPolicy.objects.create(
        name="Any", calendar=always, first_response_minutes=60, resolution_minutes=240
    )
    due = ticket.created_at + datetime.timedelta(minutes=240)
    assert Ticket.objects.get(pk=ticket.pk).due_at != due  # opened before the policy

    result = sla_tasks.recompute.enqueue(ticket.pk)
    assert default_queue().job_ids == [result.id]
    work_burst()

    assert sla_tasks.recompute.get_result(result.id).status == TaskResultStatus.SUCCESSFUL
    ticket.refresh_from_db()
    assert ticket.due_at == due


def test_a_failing_task_is_reported_failed(rq_settings):
    result = sla_tasks.notify.enqueue(987654321)  # no such event
    work_burst()
    failed = sla_tasks.notify.get_result(result.id)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.errors


def test_a_deferred_task_waits_in_the_scheduled_registry(rq_settings):
    from rq.registry import ScheduledJobRegistry

    later = timezone.now() + datetime.timedelta(hours=1)
    result = close_quiet_resolved_tickets.using(run_after=later).enqueue()
    queue = default_queue()
    assert queue.job_ids == []
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [result.id]


def test_the_worker_command_runs_queued_tasks_in_a_process_of_its_own(tmp_path, rq_settings):
    """`frontline worker --burst` with REDIS_URL: rqworker with django-tasks-rq's job
    class, forking a process per job, against its own (SQLite) database."""
    frontline = str(Path(sys.executable).with_name("frontline"))
    env = {**os.environ, "FRONTLINE_VAR": str(tmp_path), "REDIS_URL": rq_settings}
    for name in ("DATABASE_URL", "TASK_BACKEND"):
        env.pop(name, None)
    subprocess.run([frontline, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=120)
    result = close_quiet_resolved_tickets.enqueue()

    subprocess.run([frontline, "worker", "--burst", "-v", "0"], env=env, check=True, timeout=120)

    done = close_quiet_resolved_tickets.get_result(result.id)
    assert done.status == TaskResultStatus.SUCCESSFUL, done.errors
    assert done.return_value == 0
    assert default_queue().count == 0


# Settings


@pytest.fixture
def reload_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Reload frontline.settings under a changed environment, and restore it after."""
    import frontline.settings as module

    for name in ("REDIS_URL", "TASK_BACKEND"):
        monkeypatch.delenv(name, raising=False)

    def reload(**env: str) -> Any:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(module)

    yield reload
    monkeypatch.undo()
    importlib.reload(module)


def test_without_redis_tasks_stay_on_the_database(reload_settings):
    s = reload_settings()
    assert s.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert "django_rq" not in s.INSTALLED_APPS


def test_redis_url_sends_tasks_to_redis_workers(reload_settings):
    s = reload_settings(REDIS_URL="redis://cache.internal:6379/2")
    assert s.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert s.RQ_QUEUES["default"]["URL"] == "redis://cache.internal:6379/2"
    assert set(s.TASKS["default"]["QUEUES"]) == set(s.RQ_QUEUES)
    assert "django_rq" in s.INSTALLED_APPS


def test_task_backend_db_keeps_tasks_on_the_database_with_redis(reload_settings):
    s = reload_settings(REDIS_URL="redis://cache.internal:6379/2", TASK_BACKEND="db")
    assert s.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert s.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize("env", [{"TASK_BACKEND": "rq"}, {"TASK_BACKEND": "celery"}])
def test_task_backend_must_be_known_and_rq_needs_redis(reload_settings, env):
    with pytest.raises(ImproperlyConfigured):
        reload_settings(**env)


# Which worker `frontline serve` and `frontline worker` run


def test_the_worker_is_rqworker_with_the_rq_backend(rq_settings):
    command = serve.Command()._worker_command()
    assert command is not None
    assert command[:3] == [sys.executable, "-m", "frontline.manage"]
    assert command[3:] == [
        "rqworker",
        "--job-class",
        "django_tasks_rq.Job",
        "--with-scheduler",
        "default",
    ]


def test_the_worker_is_db_worker_with_the_database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    command = serve.Command()._worker_command()
    assert command is not None
    assert command[3] == "db_worker"
    assert command[command.index("--queue-name") + 1] == "*"


def test_no_worker_is_known_for_other_backends():
    # The test settings run tasks immediately, in the caller.
    assert serve.Command()._worker_command() is None
    with pytest.raises(CommandError):
        call_command("worker", "--burst")


class FakeServe(serve.Command):
    """`serve` without children: records what it would spawn and returns at once."""

    def _spawn(self, name: str, command: list[str]) -> None:
        self.spawned[name] = command

    def _wait_for_stop_or_exit(self) -> None:
        return None

    def _stop_children(self) -> None:
        pass

    def _start_mail_watch(self, stop: threading.Event) -> threading.Thread:
        self.spawned["mail-watch thread"] = []
        return threading.Thread(target=lambda: None)


@pytest.fixture
def fake_serve(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeServe, list[list[str]]]:
    """A FakeServe and the names of the tasks each scheduler start would enqueue."""
    started: list[list[str]] = []

    def start_scheduler(schedule: list[workers.Periodic], stop: threading.Event) -> list:
        started.append([p.task.name for p in schedule])
        return []

    monkeypatch.setattr(serve, "start_scheduler", start_scheduler)
    command = FakeServe()
    command.spawned = {}
    return command, started


@pytest.mark.django_db
def test_serve_spawns_the_rq_worker_and_starts_the_scheduler(fake_serve, rq_settings):
    command, started = fake_serve
    call_command(command, "--port", "8123")
    # RQ runs each task in a process of its own: its worker is a child; the IMAP
    # watcher is a thread of serve's, like the scheduler.
    assert set(command.spawned) == {"worker", "web", "mail-watch thread"}
    assert command.spawned["worker"][3] == "rqworker"
    assert started == [
        [
            "close_quiet_resolved_tickets",
            "sweep",
            "retry_due_mail",
            "retry_due_webhooks",
            "poll_due_mailboxes",
            "prune_finished_tasks",
            "check_recent_drift",
            "apply_retention_rules",
        ]
    ]


@pytest.mark.django_db(transaction=True)
def test_serve_runs_the_database_worker_in_a_thread_of_its_own_process(fake_serve, settings):
    """On the embedded default the worker is no interpreter of its own: a thread of
    serve's that runs what is queued, and stops when serve stops."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    command, started = fake_serve
    call_command(command, "--port", "8123")
    assert set(command.spawned) == {"web", "mail-watch thread"}
    assert command.worker_thread is not None
    command.worker_thread.join(timeout=10)  # serve returned: its worker stopped too
    assert not command.worker_thread.is_alive()
    assert len(started) == 1


@pytest.mark.django_db
def test_serve_no_scheduler_enqueues_nothing(fake_serve, rq_settings):
    command, started = fake_serve
    call_command(command, "--no-scheduler", "--no-worker")
    assert set(command.spawned) == {"web"}
    assert started == []


@pytest.mark.django_db
def test_run_scheduler_false_in_the_environment_is_no_scheduler(
    fake_serve, rq_settings, monkeypatch
):
    monkeypatch.setenv("RUN_SCHEDULER", "false")
    monkeypatch.setenv("RUN_WORKER", "no")
    command, started = fake_serve
    call_command(command)
    assert set(command.spawned) == {"web"}
    assert started == []


def test_scheduler_threads_enqueue_each_task_and_stop(settings):
    """The real scheduler: each periodic task is enqueued (ImmediateBackend runs it
    here), and setting the stop event ends every thread."""
    calls: list[str] = []
    enqueued = {"a": threading.Event(), "b": threading.Event()}

    class Recorder:
        def __init__(self, name: str) -> None:
            self.name = name

        def enqueue(self) -> None:
            calls.append(self.name)
            enqueued[self.name].set()

    stop = threading.Event()
    threads = workers.start_scheduler(
        [workers.Periodic(Recorder("a"), 3600), workers.Periodic(Recorder("b"), 3600)], stop
    )
    assert all(thread.daemon for thread in threads)
    assert all(event.wait(timeout=10) for event in enqueued.values())
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(calls) == ["a", "b"]


def test_intervals_of_zero_leave_tasks_out():
    schedule = workers.periodic_tasks(close_resolved_every=0, sla_sweep_every=60, mail_poll_every=0)
    assert [p.task.name for p in schedule] == [
        "sweep",
        "retry_due_mail",
        "retry_due_webhooks",
        "prune_finished_tasks",
        "check_recent_drift",
        "apply_retention_rules",
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own priority: Linux")
def test_the_database_worker_thread_runs_below_the_web():
    """``frontline serve`` runs the worker's thread nicer than the web, so that
    requests are answered first and the reactions catch up after."""
    seen: dict[str, int] = {}

    def worker() -> None:
        tid = threading.get_native_id()
        try:  # room to be nicer, even when the tests themselves run at nice 19
            os.setpriority(os.PRIO_PROCESS, tid, 0)
        except PermissionError:
            return
        seen["before"] = os.getpriority(os.PRIO_PROCESS, tid)
        workers.lower_this_threads_priority()  # what serve's worker thread does first
        seen["after"] = os.getpriority(os.PRIO_PROCESS, tid)

    here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if not seen:
        pytest.skip("may not make a thread less nice here")
    assert seen["after"] == seen["before"] + workers.WORKER_NICENESS
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == here  # only that thread


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_logs_a_failed_task_and_not_every_task(settings, tmp_path, caplog):
    """`make run` prints the demo logins, then serves: a line per task started and
    finished buried them within a second. At the default level only a failure
    is logged."""
    from tests.slow_task import fail, write_slowly

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    done = write_slowly.enqueue(str(tmp_path), 0)
    failed = fail.enqueue("on purpose")
    worker = workers.database_worker()
    assert worker is not None
    worker.batch = True  # stop when the queue is empty
    worker.run()
    assert write_slowly.get_result(done.id).status == TaskResultStatus.SUCCESSFUL
    assert fail.get_result(failed.id).status == TaskResultStatus.FAILED
    lines = [r for r in caplog.records if r.name in ("django.tasks", "django_tasks")]
    assert [(r.levelname, str(failed.id) in r.getMessage()) for r in lines] == [("ERROR", True)]
