"""The REST API over HTTP against ``frontline serve`` (``make bench``).

    python -m bench.api [--tickets N] [--db PATH] [--requests 300] [--seconds 10]

Uses the benchmark database (``bench.generate``; one million tickets unless
``--tickets`` says otherwise), copied to a temporary file first because the
run opens tickets. Makes a personal token for the supervisor and for a
customer, starts ``frontline serve`` (gunicorn, its default two web workers,
no background worker or scheduler, no rate limit) on a free port, and times,
over keep-alive HTTP connections:

- the floor: ``GET /api/v1/me`` (a token checked, one small answer: the
  cheapest request through the same stack), p50 and p95, and every read's
  p50 as a multiple of the floor's;
- getting one ticket (random tickets, as the supervisor): p50 and p95;
- the first page of the ticket list with the default filters, as the
  supervisor and as the customer: p50 and p95 (the reads in rounds, one of
  each kind per round, so load from elsewhere falls on all alike);
- opening tickets (``POST /api/v1/tickets`` as the customer, with a form
  answer) for ``--seconds`` at concurrency 1 and then 4: tickets per second.

Goals (issue 18): get p95 under 20 ms, list p95 under 50 ms, create at least
350/s at concurrency 1 and 700/s at concurrency 4 on SQLite. Prints the
figures and writes them to ``var/bench/api.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import REPO_DIR, add_database_arguments, default_db_path
from bench import generate as gen

FRONTLINE = Path(sys.executable).parent / "frontline"
GOALS = {"get_p95_ms": 20.0, "list_p95_ms": 50.0, "create_1_per_s": 350.0, "create_4_per_s": 700.0}


def log(msg: str) -> None:
    print(f"[bench.api] {msg}", flush=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def copy_database(source: Path, workdir: Path) -> Path:
    """A copy of the benchmark database to write to (its WAL folded in first)."""
    con = sqlite3.connect(source)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    target = workdir / "api.sqlite3"
    shutil.copyfile(source, target)
    return target


SETUP = """
import json
from frontline.accounts.models import Role, User
from frontline.api.actions import create_token
from frontline.tickets.models import Category, Ticket
sup = User.objects.get(username="supervisor")
customer = User.objects.filter(role=Role.CUSTOMER, is_active=True).order_by("id").first()
category = next(c for c in Category.objects.filter(is_active=True)
                if not c.fields.filter(required=True, field_type="file").exists())
answers = {}
for f in category.fields.all():
    if f.required:
        answers[f.key] = f.choice_list[0] if f.choice_list else "bench"
ids = list(Ticket.objects.order_by("?").values_list("id", flat=True)[:2000])
print(json.dumps({
    "staff": create_token(sup, name="bench", scope="read", by=sup)[1],
    "customer": create_token(customer, name="bench", scope="write", by=customer)[1],
    "category": category.pk, "fields": answers, "ids": ids,
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("frontline serve did not answer")


class Caller:
    def __init__(self, port: int, secret: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, float]:
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        self.connection.request(method, path, body=data, headers=self.headers)
        response = self.connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - start) * 1000


def timed(caller: Caller, paths: list[str], errors: dict[str, int]) -> list[float]:
    times = []
    for path in paths:
        status, ms = caller.call("GET", path)
        if status == 200:
            times.append(ms)
        else:
            errors[f"GET {status}"] = errors.get(f"GET {status}", 0) + 1
    return times


def create_rate(port: int, setup: dict, concurrency: int, seconds: float) -> tuple[float, int]:
    """Tickets opened per second by ``concurrency`` clients for ``seconds``."""
    payload = {
        "subject": "Bench printer jam",
        "body": "The printer on floor 3 jams on every page.",
        "category": setup["category"],
        "fields": setup["fields"],
    }
    counts = [0] * concurrency
    failures = [0] * concurrency
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        caller = Caller(port, setup["customer"])
        while time.monotonic() < stop:
            status, _ms = caller.call("POST", "/api/v1/tickets", payload)
            if status == 201:
                counts[i] += 1
            else:
                failures[i] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start), sum(failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    db_path = (args.db or default_db_path(args.tickets)).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    gen.ensure(db_path, args.tickets)
    rng = random.Random(18)
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="frontline-bench-api-") as tmp:
        workdir = Path(tmp)
        log("copying the database")
        db = copy_database(db_path, workdir)
        env = gen.django_env(db) | {
            "API_REQUESTS_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
            "RUN_WORKER": "false",
            "RUN_SCHEDULER": "false",
        }
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "frontline.manage", "shell", "-c", SETUP],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        setup = json.loads(out.strip().splitlines()[-1])
        port = free_port()
        server_log = (workdir / "serve.log").open("w")
        server = subprocess.Popen(  # noqa: S603
            [str(FRONTLINE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(port)
            errors: dict[str, int] = {}
            staff = Caller(port, setup["staff"])
            customer = Caller(port, setup["customer"])
            ids = setup["ids"]
            timed(staff, [f"/api/v1/tickets/{i}" for i in ids[:20]], {})  # warm up
            timed(staff, ["/api/v1/me"] * 5, {})
            timed(customer, ["/api/v1/tickets"] * 5, {})
            # In rounds, one request of each kind, so that load from elsewhere
            # falls on the floor and the figures alike.
            floor: list[float] = []
            get: list[float] = []
            lists: dict[str, list[float]] = {"staff": [], "customer": []}
            for _ in range(args.requests):
                floor += timed(staff, ["/api/v1/me"], errors)
                get += timed(staff, [f"/api/v1/tickets/{rng.choice(ids)}"], errors)
                lists["staff"] += timed(staff, ["/api/v1/tickets"], errors)
                lists["customer"] += timed(customer, ["/api/v1/tickets"], errors)
            log(f"opening tickets for {args.seconds:.0f} s at concurrency 1, then 4")
            one, failed_one = create_rate(port, setup, 1, args.seconds)
            four, failed_four = create_rate(port, setup, 4, args.seconds)
        finally:
            server.terminate()
            server.wait(30)
            server_log.close()
    floor_p50 = percentile(floor, 50)
    results = {
        "tickets": args.tickets,
        "load_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p95_ms": round(percentile(floor, 95), 2),
        "get_p50_ms": round(percentile(get, 50), 2),
        "get_p95_ms": round(percentile(get, 95), 2),
        **{
            f"list_{who}_{p}_ms": round(percentile(t, int(p[1:])), 2)
            for who, t in lists.items()
            for p in ("p50", "p95")
        },
        "list_p95_ms": round(max(percentile(t, 95) for t in lists.values()), 2),
        # Each p50 as a multiple of the floor's p50 (the cheapest request of the run).
        "get_x_floor": round(percentile(get, 50) / floor_p50, 2),
        **{
            f"list_{who}_x_floor": round(percentile(t, 50) / floor_p50, 2)
            for who, t in lists.items()
        },
        "create_1_per_s": round(one, 1),
        "create_4_per_s": round(four, 1),
        "create_failures": failed_one + failed_four,
        "errors": errors,
    }
    for key, value in results.items():
        goal = GOALS.get(key)
        verdict = ""
        if goal is not None:
            met = value <= goal if key.endswith("_ms") else value >= goal
            verdict = f"  (goal {goal:g}: {'met' if met else 'NOT met'})"
        log(f"{key}: {value}{verdict}")
    out_path = REPO_DIR / "var" / "bench" / "api.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
