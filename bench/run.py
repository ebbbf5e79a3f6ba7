"""Time the desk and portal pages against the benchmark database (``make bench``).

    python -m bench.run [--tickets N] [--db PATH] [--requests 50] [--only REGEX] [--no-docs]

Makes sure the benchmark database exists (``bench.generate``; reused when it
already holds N tickets), points Django at it, signs in with
``Client.force_login`` and times ``client.get`` in process: the full Django
request/response cycle (middleware, session, view, queries, template), without
HTTP or a WSGI server. As in production (``CONN_MAX_AGE = 60``), the database
connection is kept between requests; ``--reconnect`` closes it after each one.

Pages: the desk ticket page for random tickets, the first page of every desk
queue in each sort order, for the supervisor and for an agent, and the portal's
request list and ticket page for a customer, and the supervisors' report for the
last 90 days and the last year (all teams per team, one team per agent). Only
200 responses are timed; any other status is reported as an error. The SQL
query count per page comes from separate, untimed requests (capturing SQL costs
time on SQLite).

Prints a table of p50/p95/max per page and writes it, with the data size,
machine and generation time, into ``docs/benchmarks.md`` (between the
``bench:results`` markers) and ``var/bench/results.json``. Each page's SQL is
also re-run alone, to split SQL time from Python time, and statements taking
5 ms or more are listed with their ``EXPLAIN QUERY PLAN`` (in full with
``--explain``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import REPO_DIR, add_database_arguments, default_db_path
from bench import generate as gen
from bench.common import DOCS, git_head, machine, percentile, write_block

START = "<!-- bench:results:start (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:results:end -->"
QUEUE_NAMES = ("mine", "team", "unassigned", "open", "due_soon", "waiting", "resolved")
SORTS = ((None, "default"), ("priority", "priority"), ("updated", "updated"))
GOAL_TICKET_MS = 30.0
GOAL_QUEUE_MS = 50.0
GOAL_REPORT_MS = 300.0
SLOW_SQL_MS = 5.0  # statements at least this slow are listed with their plans


def log(msg: str) -> None:
    print(f"[bench.run] {msg}", flush=True)


# ---------------------------------------------------------------- Django set-up


def setup_django(db_path: Path) -> None:
    """Point Django at the benchmark database; refuses if settings are already loaded."""
    if "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured:
            raise RuntimeError("Django settings are already configured; run bench.run alone.")
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["FRONTLINE_VAR"] = str(db_path.parent)
    os.environ["DJANGO_SETTINGS_MODULE"] = "frontline.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # no 404 warnings in the middle of the table
    import django

    django.setup()
    from django.conf import settings

    name = Path(settings.DATABASES["default"]["NAME"]).resolve()
    if name != db_path.resolve():
        raise RuntimeError(f"Django uses {name}, not the benchmark database {db_path}")
    # The test client talks to "testserver"; allow it without setup_test_environment(),
    # which would also instrument template rendering and skew the timings.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def setup_django_postgres(url: str, var: Path) -> None:
    """Point Django at the PostgreSQL benchmark database at ``url``."""
    os.environ["DATABASE_URL"] = url
    os.environ["FRONTLINE_VAR"] = str(var)
    os.environ["DJANGO_SETTINGS_MODULE"] = "frontline.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError(f"--database-url is not PostgreSQL: {url}")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.db import connection

    from bench.common import backend_at_our_niceness

    with connection.cursor() as cursor:
        backend_at_our_niceness(cursor)


def database_bytes(db_path: Path | None) -> int:
    """The SQLite file's size, or (None) the PostgreSQL database's."""
    if db_path is not None:
        return db_path.stat().st_size
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


# ---------------------------------------------------------------- measuring


@dataclass
class Page:
    label: str  # what the table shows
    who: str  # which persona requests it
    urls: list[str]  # cycled through; one per timed request
    group: str  # "ticket", "queue", "portal" or "report": which goal applies
    times_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    queries: list[int] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)  # the statements of one request
    sql_ms: float | None = None  # those statements re-run on a plain connection

    def stats(self) -> dict[str, Any]:
        t = sorted(self.times_ms)
        return {
            "page": self.label,
            "user": self.who,
            "group": self.group,
            "n": len(t),
            "p50_ms": round(percentile(t, 50), 2) if t else None,
            "p95_ms": round(percentile(t, 95), 2) if t else None,
            "max_ms": round(t[-1], 2) if t else None,
            "queries": [min(self.queries), max(self.queries)] if self.queries else None,
            "sql_ms": None if self.sql_ms is None else round(self.sql_ms, 1),
            "errors": self.errors,
        }


class Runner:
    def __init__(self, *, warmup: int, reconnect: bool, budget_s: float) -> None:
        from django.db import connection
        from django.test import Client

        self.connection = connection
        self.client_class = Client
        self.clients: dict[str, Any] = {}
        self.warmup = warmup
        self.reconnect = reconnect
        self.budget_s = budget_s

    def login(self, who: str, user: Any) -> None:
        client = self.client_class(raise_request_exception=True)
        if user is not None:
            client.force_login(user)
        self.clients[who] = client

    def get(self, who: str, url: str) -> tuple[int | str, float]:
        """One request; the status (or exception name) and the wall time in ms."""
        client = self.clients[who]
        t0 = time.perf_counter()
        try:
            status: int | str = client.get(url).status_code
        except Exception as exc:  # a view still being written must not stop the run
            status = type(exc).__name__
        if self.reconnect:
            self.connection.close()  # what request_finished does with CONN_MAX_AGE = 0
        return status, (time.perf_counter() - t0) * 1000

    def count_queries(self, page: Page, samples: int = 5) -> None:
        from django.test.utils import CaptureQueriesContext

        for url in sorted(set(page.urls))[:samples]:
            with CaptureQueriesContext(self.connection) as ctx:
                status, _ms = self.get(page.who, url)
            if status == 200:
                page.queries.append(len(ctx.captured_queries))
                if not page.sql:
                    page.sql = [q["sql"] for q in ctx.captured_queries]

    def measure(self, pages: list[Page], counts: list[int]) -> None:
        """``counts[i]`` timed requests of ``pages[i]``, in rounds: one request of each
        page per round, so a burst of load elsewhere on the machine spreads over all
        pages instead of spoiling one. A page whose requests have used up the time
        budget stops after 10 samples (the n column shows it)."""
        for page in pages:
            for i in range(self.warmup if page.urls else 0):
                self.get(page.who, page.urls[i % len(page.urls)])
        spent = [0.0] * len(pages)
        for i in range(max(counts, default=0)):
            for k, page in enumerate(pages):
                if i >= counts[k] or (i >= 10 and spent[k] > self.budget_s * 1000):
                    continue
                status, ms = self.get(page.who, page.urls[i % len(page.urls)])
                spent[k] += ms
                if status == 200:
                    page.times_ms.append(ms)
                else:
                    page.errors[str(status)] = page.errors.get(str(status), 0) + 1
            if (i + 1) % 25 == 0:
                log(f"round {i + 1} of {max(counts)}")
        for page in pages:
            self.count_queries(page)


# ---------------------------------------------------------------- what to request


@dataclass
class Personas:
    supervisor: Any
    agent: Any
    customer: Any
    manager: Any


def choose_personas() -> Personas:
    """The supervisor; a one-team first-line agent with a median open workload; the
    customer with the median number of tickets; the manager of the biggest organisation."""
    from django.db.models import Count, Q

    from frontline.accounts.models import Role, User

    supervisor = User.objects.get(username="supervisor")
    agents = list(
        User.objects.filter(role=Role.AGENT, teams__name="First line")
        .annotate(
            n_teams=Count("teams", distinct=True),
            n_open=Count("assigned_tickets", filter=Q(assigned_tickets__is_open=True)),
        )
        .filter(n_teams=1)
        .order_by("n_open", "id")
    )
    agent = agents[len(agents) // 2]
    customers = list(
        User.objects.filter(role=Role.CUSTOMER, is_org_manager=False)
        .annotate(n=Count("requested_tickets"))
        .filter(n__gt=0)  # on a small database most customers have none
        .order_by("n", "id")
    )
    customer = customers[len(customers) // 2]
    manager = (
        User.objects.filter(role=Role.CUSTOMER, is_org_manager=True)
        .annotate(n=Count("organisation__tickets"))
        .order_by("-n", "id")
        .first()
    )
    return Personas(supervisor, agent, customer, manager)


def sample_ids(qs: Any, k: int, rng: random.Random, max_id: int) -> list[int]:
    """``k`` random ticket ids from ``qs`` (probing random ids, so no full scan)."""
    found: list[int] = []
    seen: set[int] = set()
    for _ in range(200):
        probe = [rng.randint(1, max_id) for _ in range(k * 4)]
        for pk in qs.filter(pk__in=probe).values_list("pk", flat=True):
            if pk not in seen:
                seen.add(pk)
                found.append(pk)
        if len(found) >= k:
            break
    rng.shuffle(found)
    return found[:k]


def build_pages(p: Personas, n_ticket_pages: int, rng: random.Random) -> list[Page]:
    from frontline.tickets.access import visible_tickets
    from frontline.tickets.models import Ticket

    max_id = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    open_ids = list(Ticket.objects.filter(is_open=True).values_list("pk", flat=True))
    rng.shuffle(open_ids)
    agent_ids = sample_ids(visible_tickets(p.agent), n_ticket_pages, rng, max_id)
    customer_ids = list(Ticket.objects.filter(requester=p.customer).values_list("pk", flat=True))
    rng.shuffle(customer_ids)

    def tickets(ids: list[int], prefix: str) -> list[str]:
        return [f"{prefix}{pk}/" for pk in ids]

    pages = [
        # The cheapest request through the same stack, for scale: each figure is
        # also given as a multiple of it (the "p50 x floor" column).
        Page("floor: the sign-in form", "anonymous", ["/login/"], "floor"),
        Page(
            "desk ticket page, random ticket",
            "supervisor",
            tickets(
                sample_ids(Ticket.objects.all(), n_ticket_pages, rng, max_id), "/desk/tickets/"
            ),
            "ticket",
        ),
        Page(
            "desk ticket page, open ticket",
            "supervisor",
            tickets(open_ids[: n_ticket_pages // 2], "/desk/tickets/"),
            "ticket",
        ),
        Page(
            "desk ticket page, random visible ticket",
            "agent",
            tickets(agent_ids, "/desk/tickets/"),
            "ticket",
        ),
    ]
    for who in ("supervisor", "agent"):
        for name in QUEUE_NAMES:
            for sort, label in SORTS:
                url = f"/desk/q/{name}/" + (f"?sort={sort}" if sort else "")
                pages.append(Page(f"queue `{name}`, sort {label}", who, [url], "queue"))
    pages += report_pages()
    pages += [
        Page("portal request list", "customer", ["/portal/"], "portal"),
        Page("portal request list, organisation", "manager", ["/portal/?scope=org"], "portal"),
        Page(
            "portal ticket page",
            "customer",
            tickets(customer_ids[:n_ticket_pages], "/portal/tickets/"),
            "portal",
        ),
    ]
    return pages


def report_pages() -> list[Page]:
    """The supervisors' report for the last 90 days and the last year of the data,
    for everything per team and for one team per agent, and the year per
    organisation."""
    from frontline.accounts.models import Team
    from frontline.tickets.models import Ticket

    latest = Ticket.objects.order_by("-pk").values_list("created_at", flat=True).first()
    end = (latest or dt.datetime.now(dt.UTC)).date()
    team = Team.objects.filter(name="First line").values_list("pk", flat=True).first()
    pages = []
    for days, label in ((90, "90 days"), (365, "one year")):
        start = end - dt.timedelta(days=days - 1)
        query = f"/desk/reports/?start={start}&end={end}"
        pages.append(
            Page(f"report, {label}, per team", "supervisor", [f"{query}&by=team"], "report")
        )
        if team:
            pages.append(
                Page(
                    f"report, {label}, one team per agent",
                    "supervisor",
                    [f"{query}&by=agent&team={team}"],
                    "report",
                )
            )
    # Every organisation of the year: the most daily rows a page reads (one per
    # day, team and organisation with tickets that day).
    start = end - dt.timedelta(days=364)
    query = f"/desk/reports/?start={start}&end={end}&by=organisation"
    pages.append(Page("report, one year, per organisation", "supervisor", [query], "report"))
    return pages


# ---------------------------------------------------------------- SQL time and plans


def short_sql(sql: str) -> str:
    """The statement without its column list: ``SELECT … FROM ... WHERE ... ORDER BY ...``."""
    match = re.match(r"(?is)\s*SELECT\s+(DISTINCT\s+)?.*?\s(FROM\s.*)", sql)
    if not match:
        return sql
    return f"SELECT {match.group(1) or ''}… {match.group(2)}"


def time_sql(db_path: Path, pages: list[Page], repeat: int = 3) -> list[dict[str, Any]]:
    """Re-run each page's captured SELECTs on a plain read-only connection (best of
    ``repeat``, rows fetched); set ``Page.sql_ms``; return every distinct statement
    with its time and ``EXPLAIN QUERY PLAN``, slowest first.

    The captured SQL has its parameters inlined; with this schema (no partial
    indexes, no LIKE) SQLite plans it as it plans the bound statement.
    """
    from django.db.backends.sqlite3._functions import register

    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    # The functions Django adds to its SQLite connections (date arithmetic in the
    # reports' statements: django_timestamp_diff, ...).
    register(con)
    seen: dict[str, dict[str, Any]] = {}
    for page in pages:
        total = 0.0
        for sql in page.sql:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            if sql not in seen:
                best = float("inf")
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    con.execute(sql).fetchall()
                    best = min(best, (time.perf_counter() - t0) * 1000)
                plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
                seen[sql] = {"ms": best, "sql": sql, "plan": plan, "pages": set()}
            seen[sql]["pages"].add(f"{page.label} ({page.who})")
            total += seen[sql]["ms"]
        if page.sql:
            page.sql_ms = total
    con.close()
    out = sorted(seen.values(), key=lambda v: -v["ms"])
    for item in out:
        item["pages"] = sorted(item["pages"])
        item["ms"] = round(item["ms"], 2)
    return out


def time_sql_postgres(pages: list[Page], repeat: int = 3) -> list[dict[str, Any]]:
    """``time_sql`` on PostgreSQL: each captured SELECT re-run on Django's
    connection (best of ``repeat``), with its ``EXPLAIN`` plan."""
    from django.db import connection

    seen: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for page in pages:
            total = 0.0
            for sql in page.sql:
                if not sql.lstrip().upper().startswith("SELECT"):
                    continue
                if sql not in seen:
                    best = float("inf")
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        cursor.execute(sql)
                        cursor.fetchall()
                        best = min(best, (time.perf_counter() - t0) * 1000)
                    cursor.execute("EXPLAIN " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
                    seen[sql] = {"ms": best, "sql": sql, "plan": plan, "pages": set()}
                seen[sql]["pages"].add(f"{page.label} ({page.who})")
                total += seen[sql]["ms"]
            if page.sql:
                page.sql_ms = total
    out = sorted(seen.values(), key=lambda v: -v["ms"])
    for item in out:
        item["pages"] = sorted(item["pages"])
        item["ms"] = round(item["ms"], 2)
    return out


# ---------------------------------------------------------------- reporting


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = "| page | user | n | p50 ms | p95 ms | max ms | x floor | queries | SQL ms | errors |"
    lines = [head, "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    floor = next((r["p50_ms"] for r in rows if r["group"] == "floor" and r["p50_ms"]), None)
    for r in rows:
        times = "—" if not (floor and r["p50_ms"]) else f"{r['p50_ms'] / floor:.1f}"
        q = r["queries"]
        queries = "—" if not q else (str(q[0]) if q[0] == q[1] else f"{q[0]}-{q[1]}")
        errors = ", ".join(f"{k} x{v}" for k, v in r["errors"].items()) or ""
        if errors:
            errors = "**ERROR** " + errors
        lines.append(
            f"| {r['page']} | {r['user']} | {r['n']} | {fmt_ms(r['p50_ms'])} | "
            f"{fmt_ms(r['p95_ms'])} | {fmt_ms(r['max_ms'])} | {times} | {queries} | "
            f"{fmt_ms(r['sql_ms'])} | {errors} |"
        )
    return "\n".join(lines)


def goals(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for group, goal, what in (
        ("ticket", GOAL_TICKET_MS, "ticket page"),
        ("queue", GOAL_QUEUE_MS, "queue pages"),
        ("report", GOAL_REPORT_MS, "report pages"),
    ):
        mine = [r for r in rows if r["group"] == group]
        timed = [r for r in mine if r["p95_ms"] is not None]
        failed = [r for r in mine if r["errors"]]
        if not mine:
            out.append(f"- {what}: not measured in this run")
            continue
        if not timed:
            out.append(f"- {what}: not measured (errors)")
            continue
        worst = max(timed, key=lambda r: r["p95_ms"])
        verdict = "met" if worst["p95_ms"] < goal and not failed else "**not met**"
        note = f"; {len(failed)} page(s) with errors" if failed else ""
        out.append(
            f"- {what} p95 under {goal:.0f} ms: {verdict} (worst: {worst['page']}, "
            f"{worst['user']}, p95 {worst['p95_ms']:.1f} ms{note})"
        )
    return out


def slow_sql_lines(slow: list[dict[str, Any]], *, full: bool = False) -> list[str]:
    lines = []
    for item in slow:
        where = "; ".join(item["pages"][:3]) + (" ..." if len(item["pages"]) > 3 else "")
        lines += [
            f"-- {item['ms']:.1f} ms, on: {where}",
            item["sql"] if full else short_sql(item["sql"]),
        ]
        lines += [f"     {step}" for step in item["plan"]]
        lines.append("")
    return lines


def results_block(
    meta: dict[str, str],
    rows: list[dict[str, Any]],
    slow: list[dict[str, Any]],
    ctx: dict[str, Any],
    reused: bool,
) -> str:
    gen_s = int(meta["generation_seconds"])
    lines = [
        START,
        "",
        f"Measured {ctx['date']} with `{ctx['command']}`.",
        "",
        f"- Machine: {ctx['machine']}",
        f"- Software: Python {ctx['python']}, Django {ctx['django']}, SQLite {ctx['sqlite']}; "
        f"code at `{ctx['git']}`",
        f"- Load average (1 min) around the measurement: {ctx['load']}",
        f"- Data: {int(meta['tickets']):,} tickets (ANALYZEd), {int(meta['messages']):,} messages, "
        f"{int(meta['events']):,} events, {int(meta['users']):,} users "
        f"({ctx['db_size_gib']:.2f} GiB database file)",
        f"- Generation: {gen_s // 60} min {gen_s % 60} s on this machine "
        f"(generated {meta['generated_at']}" + ("; reused by this run" if reused else "") + ")",
        f"- Requests: {ctx['requests']} per queue page after {ctx['warmup']} warm-ups, "
        "in rounds (one request of every page per round); "
        f"ticket pages: one request for each of up to {ctx['ticket_pages']} different tickets; "
        f"connection {'re-opened every request (as CONN_MAX_AGE=0)' if ctx['reconnect'] else 'kept open'}",  # noqa: E501
        f"- Personas: agent `{ctx['agent']}`, customer `{ctx['customer']}` "
        f"({ctx['customer_tickets']} tickets), manager `{ctx['manager']}` "
        f"({ctx['manager_tickets']} organisation tickets)",
        "",
        "Goals at this size:",
        "",
        *goals(rows),
        "",
        "Server time in milliseconds (wall time of `Client.get`, in process). *queries*: SQL "
        "statements per request; *SQL ms*: those statements re-run alone on a plain "
        "connection (rows fetched, best of 3), so the rest of the time is Python: "
        "middleware, view, ORM, templates.",
        "",
        table(rows),
        "",
    ]
    if slow:
        lines += [
            f"Statements taking {SLOW_SQL_MS:.0f} ms or more, with `EXPLAIN QUERY PLAN` "
            "(column lists elided):",
            "",
            "```",
            *slow_sql_lines(slow),
            "```",
            "",
        ]
    else:
        lines += [f"No statement took {SLOW_SQL_MS:.0f} ms or more.", ""]
    lines.append(END)
    return "\n".join(lines)


DOC_TEMPLATE = """# Benchmarks

How fast the desk and the portal answer on SQLite with a million tickets.

## How to run it

    make bench

(the same as `.venv/bin/python -m bench.run`). The first run generates the
benchmark database under `var/bench/` (`bench.generate`; set `BENCH_TICKETS` or
`BENCH_DB`, or pass `--tickets N` / `--db PATH` to `python -m bench.run`); later
runs reuse it. Nothing it writes is tracked by git.

{results}
"""


def write_docs(block: str) -> None:
    if not DOCS.exists():
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        DOCS.write_text(DOC_TEMPLATE.format(results=block))
        return
    write_block(block, START, END)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_database_arguments(parser)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument(
        "--ticket-pages", type=int, default=200, help="different tickets for the ticket pages"
    )
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="close the database connection after each request (as with CONN_MAX_AGE=0); "
        "by default it is kept, as the settings do (CONN_MAX_AGE=60)",
    )
    parser.add_argument(
        "--page-budget",
        type=float,
        default=30.0,
        help="seconds of timed requests per page before it stops at fewer samples (min. 10)",
    )
    parser.add_argument("--only", help="regular expression: only pages whose label matches")
    parser.add_argument(
        "--explain", action="store_true", help="print the slow statements in full, not elided"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument(
        "--database-url",
        help="time the pages on this PostgreSQL benchmark database (bench.generate "
        "--database-url) instead of a SQLite file; implies --no-docs, no routing rates",
    )
    args = parser.parse_args(argv)
    if args.database_url:
        args.no_docs = True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args_given = sys.argv[1:] if argv is None else argv
    if args.database_url:
        meta, reused = gen.ensure_postgres(args.database_url, args.tickets)
        db_path = REPO_DIR / "var" / "bench" / "postgres" / "results"  # results.json beside it
        db_path.parent.mkdir(parents=True, exist_ok=True)
        setup_django_postgres(args.database_url, db_path.parent)
    else:
        db_path = (args.db or default_db_path(args.tickets)).expanduser().resolve()
        meta, reused = gen.ensure(db_path, args.tickets)
        setup_django(db_path)

    import django

    rng = random.Random(1)
    personas = choose_personas()
    pages = build_pages(personas, args.ticket_pages, rng)
    if args.only:
        pages = [
            p for p in pages if p.group == "floor" or re.search(args.only, f"{p.label} {p.who}")
        ]
    runner = Runner(warmup=args.warmup, reconnect=args.reconnect, budget_s=args.page_budget)
    for who in ("supervisor", "agent", "customer", "manager"):
        runner.login(who, getattr(personas, who))
    runner.login("anonymous", None)
    log(
        f"agent {personas.agent.username}, customer {personas.customer.username}, "
        f"manager {personas.manager.username}; {len(pages)} pages"
    )

    t0 = time.monotonic()
    load_before = os.getloadavg()[0]
    # Pages of many tickets: each ticket once. One URL: ``--requests`` times.
    # A page with no URL (no such ticket in a small database) is not measured: n is 0.
    runner.measure(pages, [len(p.urls) if len(p.urls) != 1 else args.requests for p in pages])
    load_after = os.getloadavg()[0]
    log(
        f"measured in {time.monotonic() - t0:.0f} s (load average {load_before:.2f} before, "
        f"{load_after:.2f} after); re-running the SQL alone"
    )
    statements = time_sql_postgres(pages) if args.database_url else time_sql(db_path, pages)
    slow = [s for s in statements if s["ms"] >= SLOW_SQL_MS]
    rows = [page.stats() for page in pages]

    from frontline.tickets.models import Ticket

    ctx = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m bench.run", *args_given]) if args_given else "make bench",
        "machine": machine(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "db_size_gib": database_bytes(db_path if not args.database_url else None) / 2**30,
        "requests": args.requests,
        "warmup": args.warmup,
        "ticket_pages": args.ticket_pages,
        "reconnect": args.reconnect,
        "load": f"{load_before:.2f} before, {load_after:.2f} after",
        "git": git_head(),
        "agent": personas.agent.username,
        "customer": personas.customer.username,
        "customer_tickets": Ticket.objects.filter(requester=personas.customer).count(),
        "manager": personas.manager.username,
        "manager_tickets": Ticket.objects.filter(
            organisation_id=personas.manager.organisation_id
        ).count(),
    }
    print()
    print(table(rows))
    print()
    print("\n".join(goals(rows)))

    if slow:
        print(f"\nStatements taking {SLOW_SQL_MS:.0f} ms or more:\n")
        print("\n".join(slow_sql_lines(slow, full=args.explain)))

    out = db_path.parent / "results.json"
    out.write_text(
        json.dumps(
            {"meta": meta, "context": ctx, "rows": rows, "statements": statements},
            indent=2,
            default=str,
        )
    )
    if not args.no_docs and not args.only:
        write_docs(results_block(meta, rows, slow, ctx, reused))
        log(f"wrote {DOCS.relative_to(REPO_DIR)} and {out}")
    if not args.only and not args.database_url:
        from bench import routing as routing_bench

        log("routing and SLA rates")
        routing = routing_bench.rates()
        text = routing_bench.block(
            routing, command=ctx["command"], tickets=args.tickets, date=ctx["date"]
        )
        print("\n" + text)
        if not args.no_docs:
            routing_bench.write_docs(text)
    failed = any(r["errors"] for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
