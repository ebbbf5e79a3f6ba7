"""The REST API over HTTP against ``frontline serve`` (``make bench``).

    python -m bench.api [--tickets N] [--db PATH] [--in-place] [--requests 300] [--seconds 10]
    python -m bench.api --database-url postgres://... [--requests 300] [--seconds 10]

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
  answer) for ``--seconds`` at concurrency 1 and then 4: tickets per second;
  and, beside them, the floor's own rate (``GET /api/v1/me`` back to back for
  as long, at concurrency 1 and 4): what no request through this stack, on
  this machine, with this client, can beat.

``--in-place`` times on ``--db`` itself (it writes tickets to it) instead of a
fresh copy (the creates' reactions stay queued there, as no worker runs: a
later ``frontline serve`` on it, e.g. ``bench.http --in-place``, drains them
first, beside what it times); ``--database-url`` on a PostgreSQL database built (and migrated)
by ``bench.generate --database-url``, used as it is (tickets and two tokens
are written to it).

Goals (issue 18): get p95 under 20 ms, list p95 under 50 ms, create at least
350/s at concurrency 1 and 700/s at concurrency 4 on SQLite. Prints the
figures and writes them to ``var/bench/api.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
from pathlib import Path

from bench import REPO_DIR, add_database_arguments, default_db_path
from bench import generate as gen
from bench.common import (
    Client,
    api_create,
    api_floor,
    create_rate,
    manage_shell,
    percentile,
    serving,
    working_database,
)

GOALS = {"get_p95_ms": 20.0, "list_p95_ms": 50.0, "create_1_per_s": 350.0, "create_4_per_s": 700.0}


def log(msg: str) -> None:
    print(f"[bench.api] {msg}", flush=True)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--in-place", action="store_true", help="time on --db itself (written to), not a copy"
    )
    parser.add_argument("--database-url", help="time on this PostgreSQL database instead")
    args = parser.parse_args(argv)
    if args.database_url:
        # Never built or migrated from here: another's database, used as it is.
        load = gen.CopyLoad(args.database_url)
        meta = gen.read_meta_pg(load)
        load.close()
        if not meta:
            raise SystemExit("bench.api: no benchmark data at --database-url")
    else:
        db_path = (args.db or default_db_path(args.tickets)).resolve()
        db_path.parent.mkdir(parents=True, exist_ok=True)
        meta, _reused = gen.ensure(db_path, args.tickets)
    rng = random.Random(18)
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="frontline-bench-api-") as tmp:
        workdir = Path(tmp)
        if args.database_url:
            env = dict(os.environ, DATABASE_URL=args.database_url, FRONTLINE_VAR=str(workdir))
            env.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
        else:
            log("copying the database" if not args.in_place else "on the database in place")
            env = gen.django_env(working_database(db_path, workdir, in_place=args.in_place))
        env |= {
            "API_REQUESTS_PER_MINUTE": "0",
            "LOG_LEVEL": "WARNING",
            "RUN_WORKER": "false",
            "RUN_SCHEDULER": "false",
        }
        setup = json.loads(manage_shell(env, SETUP))
        with serving(env, cwd=workdir, log_to=workdir / "serve.log") as (_server, port):
            errors: dict[str, int] = {}
            staff = Client(port, token=setup["staff"])
            customer = Client(port, token=setup["customer"])
            ids = setup["ids"]
            staff.times([f"/api/v1/tickets/{i}" for i in ids[:20]], {})  # warm up
            staff.times(["/api/v1/me"] * 5, {})
            customer.times(["/api/v1/tickets"] * 5, {})
            # In rounds, one request of each kind, so that load from elsewhere
            # falls on the floor and the figures alike.
            floor: list[float] = []
            get: list[float] = []
            lists: dict[str, list[float]] = {"staff": [], "customer": []}
            for _ in range(args.requests):
                floor += staff.times(["/api/v1/me"], errors)
                get += staff.times([f"/api/v1/tickets/{rng.choice(ids)}"], errors)
                lists["staff"] += staff.times(["/api/v1/tickets"], errors)
                lists["customer"] += customer.times(["/api/v1/tickets"], errors)
            log(f"opening tickets for {args.seconds:.0f} s at concurrency 1, then 4")
            one, _t, failed_one = create_rate(api_create, port, setup, 1, args.seconds)
            four, _t, failed_four = create_rate(api_create, port, setup, 4, args.seconds)
            log(f"the floor back to back for {args.seconds:.0f} s at concurrency 1, then 4")
            floor_one, _t, failed_floor = create_rate(api_floor, port, setup, 1, args.seconds)
            floor_four, _t, failed_floor4 = create_rate(api_floor, port, setup, 4, args.seconds)
    floor_p50 = percentile(floor, 50)
    results = {
        "tickets": int(meta["tickets"]),
        "database": "postgresql" if args.database_url else "sqlite",
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
        # The cheapest request's own rate: the ceiling of any rate through the stack.
        "floor_1_per_s": round(floor_one, 1),
        "floor_4_per_s": round(floor_four, 1),
        "create_1_x_floor_rate": round(one / floor_one, 2) if floor_one else None,
        "create_4_x_floor_rate": round(four / floor_four, 2) if floor_four else None,
        "floor_failures": failed_floor + failed_floor4,
        "errors": errors,
    }
    for key, value in results.items():
        goal = GOALS.get(key)
        verdict = ""
        if goal is not None:
            met = value <= goal if key.endswith("_ms") else value >= goal
            verdict = f"  (goal {goal:g}: {'met' if met else 'NOT met'})"
        log(f"{key}: {value}{verdict}")
    out_path = (
        REPO_DIR / "var" / "bench" / ("api-postgres.json" if args.database_url else "api.json")
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
