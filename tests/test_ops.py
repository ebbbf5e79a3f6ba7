"""Operations: the front door, the health check, the demo, closing quiet tickets, serving."""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone

from frontline.accounts.models import Organisation, Role, Team, User
from frontline.ops.tasks import close_quiet_resolved_tickets
from frontline.tickets import actions
from frontline.tickets.models import (
    Category,
    EventKind,
    FieldType,
    FormField,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketEvent,
)

from .conftest import login

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
CJK = re.compile(r"[\u4e00-\u9fff]")
REAL_NOW = timezone.now


# The front door and the health check


@pytest.mark.django_db
def test_healthz_answers_ok_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]


@pytest.mark.django_db
def test_front_door_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_front_door_sends_customers_to_the_portal(client, people):
    for customer in (people.carol, people.maria, people.dan):
        response = login(client, customer).get("/")
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:requests")
        assert response["Location"].startswith("/portal/")


def test_front_door_sends_staff_to_the_desk(client, people):
    for staff in (people.alice, people.sam, people.ada):
        response = login(client, staff).get("/")
        assert response.status_code == 302
        assert response["Location"] == reverse("desk:queue")
        assert response["Location"].startswith("/desk/")


# The demo


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db) -> str:
    return run_demo()


def test_demo_has_tickets_in_every_status(demo):
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == set(Status.values)
    assert 45 <= Ticket.objects.count() <= 60


def test_demo_is_written_in_english_russian_and_chinese(demo):
    subjects = list(Ticket.objects.values_list("subject", flat=True))
    russian = [s for s in subjects if CYRILLIC.search(s)]
    chinese = [s for s in subjects if CJK.search(s)]
    english = [s for s in subjects if s.isascii()]
    assert len(russian) >= 10
    assert len(chinese) >= 10
    assert len(english) >= 10
    assert len(russian) + len(chinese) + len(english) == len(subjects)


def test_demo_tickets_carry_their_whole_story(demo):
    tickets = Ticket.objects.all()
    created = set(
        TicketEvent.objects.filter(kind=EventKind.CREATED).values_list("ticket_id", flat=True)
    )
    assert created == set(tickets.values_list("pk", flat=True))
    assert Message.objects.filter(kind=MessageKind.NOTE).count() >= 10
    # Customers answer, staff reply, and solved tickets are confirmed or reopened.
    assert Message.objects.filter(author__role=Role.CUSTOMER, kind=MessageKind.REPLY).count() > (
        tickets.count()
    )
    assert TicketEvent.objects.filter(kind=EventKind.CONFIRMED).exists()
    assert TicketEvent.objects.filter(kind=EventKind.REOPENED).exists()
    assert TicketEvent.objects.filter(kind=EventKind.PRIORITY).exists()
    assert TicketEvent.objects.filter(kind=EventKind.TAGS).exists()
    assert Ticket.objects.filter(channel="phone").exists()
    assert Ticket.objects.filter(attachments__isnull=False).exists()


def test_demo_delegates_to_the_second_line_with_a_handoff_note(demo):
    delegated = Ticket.objects.filter(team__tier=Team.Tier.SECOND)
    assert delegated.exists()
    for ticket in delegated:
        assert ticket.handoff_note
        event = ticket.events.filter(kind=EventKind.TEAM).latest("created_at")
        assert event.data["new"] == "Second line"
        assert event.data["note"] == ticket.handoff_note
    assert Ticket.objects.filter(team__tier=Team.Tier.SPECIALISTS).exclude(handoff_note="").exists()


def test_demo_tickets_have_a_believable_past(demo):
    now = timezone.now()
    oldest = Ticket.objects.earliest("created_at").created_at
    assert now - oldest > datetime.timedelta(days=10)
    for ticket in Ticket.objects.prefetch_related("messages", "events"):
        times = [m.created_at for m in ticket.messages.all()] + [
            e.created_at for e in ticket.events.all()
        ]
        assert all(ticket.created_at <= t <= now for t in times), ticket
    # Resolved ones are recent; older ones were closed by the quiet period.
    quiet = datetime.timedelta(days=7)
    for ticket in Ticket.objects.filter(status=Status.RESOLVED):
        assert now - ticket.resolved_at < quiet
    assert TicketEvent.objects.filter(data__reason="quiet period").exists()


def test_demo_puts_the_clock_back(demo):
    assert timezone.now is REAL_NOW
    before = datetime.datetime.now(tz=datetime.UTC)
    assert abs(timezone.now() - before) < datetime.timedelta(seconds=5)


def test_demo_has_the_people_a_help_desk_needs(demo):
    domains = set(
        Organisation.objects.values_list("name", "domains__domain", "domains__subdomains")
    )
    assert domains >= {
        ("Acme", "acme.test", False),
        ("Acme", "acme-rockets.test", False),
        ("Globex", "globex.test", True),
    }
    tiers = dict(Team.objects.values_list("name", "tier"))
    assert tiers == {"First line": 1, "Second line": 2, "Specialists": 3}
    assert Team.objects.get(name="First line").members.count() == 2
    assert Team.objects.get(name="Second line").members.count() == 2
    assert Team.objects.get(name="Specialists").members.count() == 1
    admin = User.objects.get(username="admin")
    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_superuser
    assert admin.check_password("demo")
    assert User.objects.filter(role=Role.SUPERVISOR).exists()
    manager = User.objects.get(is_org_manager=True)
    assert manager.organisation.name == "Acme"
    assert User.objects.filter(role=Role.CUSTOMER, organisation__name="Globex").exists()
    assert User.objects.filter(role=Role.CUSTOMER, organisation__isnull=True).exists()
    agents = User.objects.filter(role=Role.AGENT)
    assert not agents.filter(is_staff=True).exists()


def test_demo_forms_use_every_field_type(demo):
    assert set(FormField.objects.values_list("field_type", flat=True)) == set(FieldType.values)
    assert FormField.objects.filter(required=True).count() >= 4
    names = set(Category.objects.values_list("name", flat=True))
    assert {"Hardware problem", "Billing", "Access and accounts", "Other"} <= names
    answered = Ticket.objects.filter(category__name="Hardware problem").first()
    assert answered.fields["device"] and answered.fields["asset_tag"]


def test_demo_prints_the_logins(demo):
    assert "http://127.0.0.1:8000/" in demo
    assert "password for all: demo" in demo
    for username, role in (("admin", "Administrator"), ("alice", "Agent"), ("carol", "Customer")):
        assert re.search(rf"^\s+{re.escape(username)}\s+{role}\s", demo, re.MULTILINE)


def test_demo_if_empty_on_a_loaded_database_only_prints_the_logins(demo):
    counts = (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count())
    output = run_demo("--if-empty")
    assert (User.objects.count(), Ticket.objects.count(), TicketEvent.objects.count()) == counts
    assert "not loaded" in output
    assert re.search(r"^\s+alice\s+Agent\s", output, re.MULTILINE)
    assert "password for all: demo" in output


@pytest.mark.django_db
def test_demo_if_empty_loads_an_empty_database():
    output = run_demo("--if-empty")
    assert "Loaded the demo" in output
    assert Ticket.objects.count() > 40


def test_demo_without_if_empty_adds_tickets_and_reuses_people(demo):
    users, tickets = User.objects.count(), Ticket.objects.count()
    run_demo()
    assert User.objects.count() == users
    assert Ticket.objects.count() == 2 * tickets


@pytest.mark.django_db
def test_demo_if_empty_leaves_a_real_database_alone():
    User.objects.create_user("someone", role=Role.ADMIN)
    output = run_demo("--if-empty")
    assert Ticket.objects.count() == 0
    assert "No demo users" in output


# Closing resolved tickets the customer left quiet


def resolve(ticket: Ticket, by: User) -> Ticket:
    actions.add_reply(ticket, body="Fixed: the duplicate charge is refunded.", by=by)
    return actions.change_status(ticket, status=Status.RESOLVED, by=by)


def close_resolved() -> str:
    out = StringIO()
    call_command("close_resolved", stdout=out)
    return out.getvalue()


def test_close_resolved_closes_a_ticket_quiet_for_the_period(people, ticket):
    resolve(ticket, people.alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        output = close_resolved()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert "Closed 1 resolved ticket " in output
    assert ticket.events.filter(kind=EventKind.STATUS, data__new=Status.CLOSED).exists()


def test_close_resolved_waits_for_the_whole_quiet_period(people, ticket):
    resolve(ticket, people.alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6)):
        output = close_resolved()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert "Closed 0 resolved tickets" in output


def test_close_resolved_never_closes_an_unresolved_ticket(people, ticket):
    actions.add_reply(ticket, body="Looking into it.", by=people.alice)
    waiting = actions.open_ticket(
        requester=people.dan,
        by=people.dan,
        subject="Printer",
        body="Jammed.",
        category=people.billing,
    )
    actions.request_information(waiting, body="Which printer?", by=people.alice)
    untouched = actions.open_ticket(
        requester=people.erin, by=people.erin, subject="Screen", body="Flickers."
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=90)):
        output = close_resolved()
    assert "Closed 0" in output
    statuses = {
        t.pk: t.status for t in Ticket.objects.filter(pk__in=[ticket.pk, waiting.pk, untouched.pk])
    }
    assert statuses == {
        ticket.pk: Status.OPEN,
        waiting.pk: Status.WAITING_CUSTOMER,
        untouched.pk: Status.NEW,
    }


def test_close_task_through_the_task_backend_closes_it_too(people, ticket):
    resolve(ticket, people.alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        result = close_quiet_resolved_tickets.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


# Serving


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(port: int, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (OSError, ValueError, sqlite3.Error):
            pass
        time.sleep(0.2)
    return False


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def child_pids(log_path: Path) -> list[int]:
    """The pids ``serve`` reports for its worker and web children."""
    return [int(p) for p in re.findall(r"\b(?:worker|web) pid (\d+)", log_path.read_text())]


def close_task_ran(db_path: Path) -> bool:
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = ?",
            ("frontline.ops.tasks.close_quiet_resolved_tickets",),
        ).fetchall()
    return ("SUCCESSFUL",) in rows


def test_serve_runs_web_and_worker_and_stops_both_on_sigterm(tmp_path):
    frontline = str(Path(sys.executable).with_name("frontline"))
    env = {**os.environ, "FRONTLINE_VAR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "REDIS_URL", "TASK_BACKEND", "RUN_WORKER", "RUN_SCHEDULER"):
        env.pop(name, None)
    for name in ("HOST", "PORT", "WEB_CONCURRENCY"):
        env.pop(name, None)
    subprocess.run([frontline, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=60)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                frontline,
                "serve",
                "--port",
                str(port),
                "--workers",
                "1",
                "--close-resolved-every",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for(lambda: get_json(port, "/healthz")[1]["status"] == "ok", 60), (
            log_path.read_text()
        )
        assert len(child_pids(log_path)) == 2
        assert wait_for(lambda: close_task_ran(tmp_path / "frontline.sqlite3"), 15), (
            "the worker never ran the scheduled close task"
        )
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=12)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        children = child_pids(log_path)
        survivors = [pid for pid in children if is_alive(pid)]
        for pid in survivors:
            os.killpg(pid, signal.SIGKILL)
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert not survivors, output
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_a_stop_signal_sent_twice_to_the_group_stops_every_process(tmp_path):
    """Issue 12, finding 7: systemd's KillMode, or make passing on the signal,
    delivers SIGTERM twice; that is one stop, and no web worker outlives it."""
    frontline = str(Path(sys.executable).with_name("frontline"))
    env = {**os.environ, "FRONTLINE_VAR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "REDIS_URL", "TASK_BACKEND", "HOST", "PORT", "WEB_CONCURRENCY"):
        env.pop(name, None)
    subprocess.run([frontline, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=60)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [frontline, "serve", "--port", str(port), "--workers", "2", "--no-scheduler"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as under make or systemd
        )
    web_workers: list[int] = []
    try:
        assert wait_for(lambda: get_json(port, "/healthz")[1]["status"] == "ok", 60), (
            log_path.read_text()
        )
        assert wait_for(lambda: len(booted_workers(log_path)) == 2, 10), log_path.read_text()
        web_workers = booted_workers(log_path)
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(0.5)  # the second comes a moment later (make passing it on)
        with contextlib.suppress(ProcessLookupError):  # unless all had stopped by then
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        everyone = [*child_pids(log_path), *web_workers]
        survivors = [pid for pid in everyone if is_alive(pid)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert "killing the children" not in output
    assert not survivors, output
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


FRONTLINE = str(Path(sys.executable).with_name("frontline"))


def serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``frontline`` command on a fresh SQLite database under
    ``tmp_path`` (migrated here), whatever the test run's own database."""
    env = {**os.environ, "FRONTLINE_VAR": str(tmp_path), "PYTHONUNBUFFERED": "1", **extra}
    for name in ("DATABASE_URL", "REDIS_URL", "TASK_BACKEND", "HOST", "PORT", "WEB_CONCURRENCY"):
        env.pop(name, None)
    subprocess.run([FRONTLINE, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=60)
    return env


def start_serve(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int, Path]:
    """``frontline serve`` (one web worker, no scheduler) in a session of its own:
    (the process, its port, its log)."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [FRONTLINE, "serve", "--port", str(port), "--workers", "1", "--no-scheduler"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, port, log_path


def test_a_graceful_stop_lets_a_request_in_flight_finish(tmp_path):
    """Issue 12: SIGTERM while a request is half received (a sign-in form still
    uploading) stops the server only after that request has its answer, and the
    stop is still a clean exit."""
    env = serve_env(tmp_path)
    proc, port, log_path = start_serve(tmp_path, env)
    try:
        assert wait_for(lambda: get_json(port, "/healthz")[1]["status"] == "ok", 60), (
            log_path.read_text()
        )
        # The form and its CSRF cookie, as a browser would have them.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/login/")
        page = conn.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        conn.close()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token and cookie.startswith("csrftoken="), html
        body = f"csrfmiddlewaretoken={token.group(1)}&username=nobody&password=wrong".encode()
        head = (
            f"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: {cookie}\r\nReferer: http://127.0.0.1:{port}/login/\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(head + body[:10])  # the web worker now waits for the rest
            time.sleep(0.5)
            os.killpg(proc.pid, signal.SIGTERM)
            # gunicorn's master has the stop and passed it to its worker...
            assert wait_for(lambda: "Handling signal: term" in log_path.read_text(), 10), (
                log_path.read_text()
            )
            time.sleep(0.5)
            assert proc.poll() is None  # ...which still waits for the rest of the request
            sock.sendall(body[10:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = log_path.read_text()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:500]
    assert b"didn&#x27;t match" in answer or b"didn't match" in answer
    assert proc.returncode == 0, output


def test_a_graceful_stop_lets_the_running_task_finish(tmp_path):
    """Issue 12: SIGTERM while the worker runs a task stops the server only after
    that task has finished and its result is stored as done."""
    # The worker finds tests.slow_task by its path.
    env = serve_env(tmp_path, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    marks = tmp_path / "marks"
    marks.mkdir()
    enqueue = f"from tests.slow_task import write_slowly; write_slowly.enqueue({str(marks)!r}, 4)"
    subprocess.run([FRONTLINE, "shell", "-c", enqueue], env=env, check=True, timeout=60)
    proc, _port, log_path = start_serve(tmp_path, env)
    try:
        assert wait_for(lambda: (marks / "started").exists(), 60), log_path.read_text()
        os.killpg(proc.pid, signal.SIGTERM)
        time.sleep(1)
        assert not (marks / "finished").exists()  # stopping, but the task still runs
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = log_path.read_text()
    assert (marks / "finished").exists(), output
    assert proc.returncode == 0, output
    with closing(sqlite3.connect(tmp_path / "frontline.sqlite3")) as db:
        statuses = db.execute(
            "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = ?",
            ("tests.slow_task.write_slowly",),
        ).fetchall()
    assert statuses == [("SUCCESSFUL",)], output


def booted_workers(log_path: Path) -> list[int]:
    """The pids of gunicorn's web workers, as it logs them."""
    return [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", log_path.read_text())]


def test_redis_url_switches_the_shared_cache_to_redis(monkeypatch):
    import importlib

    import frontline.settings as s

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/0")
    try:
        reloaded = importlib.reload(s)
        backend = reloaded.CACHES["default"]["BACKEND"]
        assert backend == "django.core.cache.backends.redis.RedisCache"
        importlib.import_module("redis")  # the client it needs is installed
    finally:
        monkeypatch.delenv("REDIS_URL")
        importlib.reload(s)


def test_old_successful_task_records_are_pruned_and_failed_ones_kept(db, settings):
    import datetime

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from frontline.ops.tasks import close_quiet_resolved_tickets, prune_finished_tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for _ in range(4):
        close_quiet_resolved_tickets.enqueue()
    old = timezone.now() - datetime.timedelta(days=8)
    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    DBTaskResult.objects.filter(pk=rows[0].pk).update(status="SUCCESSFUL", finished_at=old)
    DBTaskResult.objects.filter(pk=rows[1].pk).update(status="FAILED", finished_at=old)
    DBTaskResult.objects.filter(pk=rows[2].pk).update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )
    # rows[3] is still waiting to run.
    assert prune_finished_tasks.call() == 1
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {r.pk for r in rows[1:]}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert prune_finished_tasks.call() == 0  # other backends expire their own


def test_demo_has_time_ratings_and_report_figures(demo):
    from frontline.reports.metrics import build_report
    from frontline.reports.models import SurveyResponse, TicketFigures, TimeEntry

    assert TimeEntry.objects.count() >= 20
    assert SurveyResponse.objects.filter(rating__gte=4).exists()
    assert SurveyResponse.objects.filter(rating__lte=2).exists()
    assert TicketFigures.objects.count() == Ticket.objects.count()
    today = timezone.localdate()
    report = build_report(today - datetime.timedelta(days=89), today)
    assert (
        report.total.created
        == Ticket.objects.filter(created_at__date__gte=today - datetime.timedelta(days=89)).count()
    )
    assert report.total.ratings > 5 and report.total.minutes > 0 and report.total.resolved > 5
    assert sum(d.created for d in report.days) == report.total.created


def test_demo_shows_the_team_setup_and_the_phone(demo):
    """Macros in three languages, triage rules, an SLA policy on a business
    calendar, a mailbox, a call logged, a ticket opened by a call and a
    callback request: every feature has something to show."""
    from frontline.knowledge.models import ReplyTemplate
    from frontline.mail.models import Mailbox
    from frontline.routing.models import TriageRule
    from frontline.sla.models import SlaPolicy
    from frontline.tickets.models import CallDetails, Channel, Ticket

    macros = ReplyTemplate.objects.exclude(set_status="", add_tags="", set_team=None, note="")
    assert {m.language for m in macros} >= {"", "ru", "zh-hans"}
    assert TriageRule.objects.filter(conditions__isnull=False, actions__isnull=False).exists()
    assert SlaPolicy.objects.filter(calendar__holiday_country="GB").count() == 1
    assert Mailbox.objects.exists()
    assert CallDetails.objects.filter(direction="out").exists()
    assert Ticket.objects.filter(channel=Channel.PHONE, messages__call__isnull=False).exists()
    assert Ticket.objects.filter(channel=Channel.CALLBACK).exists()
    # Run again: the setup is reused, not copied.
    run_demo()
    assert SlaPolicy.objects.filter(calendar__holiday_country="GB").count() == 1
    assert Mailbox.objects.count() == 1
