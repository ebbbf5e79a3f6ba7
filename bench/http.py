"""Pages, forms and the API over real HTTP against ``frontline serve`` (``make bench``).

    python -m bench.http [--tickets N] [--db PATH] [--in-place] [--requests 100]
                         [--seconds 10] [--runs 3] [--pages-only]

``--in-place`` times on ``--db`` itself (it writes tickets to it), not a copy.

``bench.run`` times pages in process; this times them as a browser or a client
gets them: through gunicorn (``frontline serve`` as shipped, its two web
workers with the task worker, scheduler and mail watcher as threads beside
them; only the API's rate limit is off), HTTP/1.1 keep-alive on loopback.
The benchmark database (``bench.generate``) is copied first, because the run
opens tickets.

Each run, in rounds (one request of every kind per round, so load from
elsewhere falls on all alike), ``--requests`` rounds of:

- **the floor**: the login page, anonymous (the cheapest request through the
  same stack); every other p50 and p95 is also shown as a multiple of the
  floor's p50 of the same run;
- the desk ticket page (a random ticket, supervisor), the ``open`` queue
  (supervisor), the portal's request list (a customer with many tickets), and
  one ticket from the API (``GET /api/v1/tickets/N``, supervisor's token);

then, for ``--seconds`` each, tickets opened through the portal's web form and
through the API (``POST /api/v1/tickets``) at concurrency 1 and 4: tickets/s,
and at concurrency 1 the p50 of one create as a multiple of the floor.

Around it: the server's resident memory (RSS and PSS summed over the process
tree) once idle after start-up and the peak seen while the runs go (sampled
every 0.2 s), and the database size per 1,000 tickets. ``--runs`` (3) repeats
the timed part against the same server. Figures go to ``var/bench/http.json``
and, unless ``--no-docs``, into ``docs/benchmarks.md`` between the
``bench:http`` markers.

Goals (issue 19, over HTTP on SQLite): a web-form create at most twice the
floor and at least 100/s at one client and 150/s at four; the ticket page p50
at most twice the floor and p95 at most three times.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench import REPO_DIR, add_database_arguments, default_db_path
from bench import generate as gen
from bench.common import (
    Client,
    api_create,
    create_rate,
    git_head,
    manage_shell,
    now_utc,
    percentile,
    serving,
    working_database,
    write_block,
)
from bench.footprint import memory_of, tree

START, END = "<!-- bench:http:start -->", "<!-- bench:http:end -->"

SETUP = """
import json
from django.db.models import Count
from django.test import Client
from frontline.accounts.models import Role, User
from frontline.api.actions import create_token
from frontline.tickets.models import Category, Ticket

def session(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value

sup = User.objects.get(username="supervisor")
customer = (User.objects.filter(role=Role.CUSTOMER, is_active=True)
            .annotate(n=Count("requested_tickets")).order_by("-n").first())
category = next(c for c in Category.objects.filter(is_active=True).order_by("id")
                if c.fields.filter(required=True).exists()
                and not c.fields.filter(field_type="file").exists())
answers = {}
for f in category.fields.all():
    if f.required:
        answers[f.key] = f.choice_list[0] if f.choice_list else "bench"
ids = list(Ticket.objects.order_by("?").values_list("id", flat=True)[:2000])
print(json.dumps({
    "sessions": {"supervisor": session(sup), "customer": session(customer)},
    "customer_tickets": customer.n,
    "staff": create_token(sup, name="bench", scope="read", by=sup)[1],
    "customer": create_token(customer, name="bench", scope="write", by=customer)[1],
    "category": category.pk, "fields": answers, "ids": ids,
}))
"""


def log(msg: str) -> None:
    print(f"[bench.http] {msg}", flush=True)


class Sampler(threading.Thread):
    """The peak of the server tree's RSS and PSS, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_rss, self.peak_pss = pid, 0.0, 0.0
        self.stopped = threading.Event()

    def measure(self) -> tuple[float, float]:
        rss = pss = 0.0
        for pid in tree(self.pid):
            try:
                r, p = memory_of(pid)
            except (OSError, KeyError):
                continue
            rss, pss = rss + r, pss + p
        return rss, pss

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            rss, pss = self.measure()
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)


def form_create(port: int, setup: dict[str, Any]) -> Any:
    """A function that opens one ticket through the portal's form; returns (ok, ms)."""
    browser = Client(port, session=setup["sessions"]["customer"])
    path = f"/portal/new/{setup['category']}/"
    status, _ms, _page = browser.call("GET", path)  # the form, and its CSRF cookie
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}")
    fields = {f"f_{key}": value for key, value in setup["fields"].items()}

    def create() -> tuple[bool, float]:
        data = {
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
            "subject": "Bench printer jam",
            "body": "The printer on floor 3 jams on every page.",
            **fields,
        }
        body = urllib.parse.urlencode(data).encode()
        status, ms, _ = browser.call("POST", path, body, "application/x-www-form-urlencoded")
        return status == 302, ms

    return create


def one_run(port: int, setup: dict[str, Any], args: argparse.Namespace, rng: random.Random) -> dict:
    anonymous = Client(port)
    desk = Client(port, session=setup["sessions"]["supervisor"])
    portal = Client(port, session=setup["sessions"]["customer"])
    api = Client(port, token=setup["staff"])
    ids = setup["ids"]
    kinds = {
        "floor: login page": lambda: anonymous.call("GET", "/login/"),
        "desk ticket page": lambda: desk.call("GET", f"/desk/tickets/{rng.choice(ids)}/"),
        "queue `open`": lambda: desk.call("GET", "/desk/q/open/"),
        "portal request list": lambda: portal.call("GET", "/portal/"),
        "API get one ticket": lambda: api.call("GET", f"/api/v1/tickets/{rng.choice(ids)}"),
    }
    for call in kinds.values():  # warm up every worker's caches
        for _ in range(3):
            call()
    times: dict[str, list[float]] = {k: [] for k in kinds}
    errors: dict[str, int] = {}
    for _ in range(args.requests):
        for kind, call in kinds.items():
            status, ms, _ = call()
            if status == 200:
                times[kind].append(ms)
            else:
                errors[f"{kind}: {status}"] = errors.get(f"{kind}: {status}", 0) + 1
    floor = percentile(times["floor: login page"], 50)
    rows = [
        {
            "what": kind,
            "n": len(t),
            "p50": percentile(t, 50),
            "p95": percentile(t, 95),
            "x50": percentile(t, 50) / floor,
            "x95": percentile(t, 95) / floor,
        }
        for kind, t in times.items()
        if t
    ]
    for label, make in (("web form", form_create), ("API", api_create)):
        for concurrency in (1, 4) if not args.pages_only else ():
            rate, done, failed = create_rate(make, port, setup, concurrency, args.seconds)
            row: dict[str, Any] = {"what": f"create through the {label}, {concurrency} client"}
            row["what"] += "s" if concurrency > 1 else ""
            row |= {"n": len(done), "per_s": rate, "failures": failed}
            if done:
                row |= {"p50": percentile(done, 50), "p95": percentile(done, 95)}
                row |= {"x50": row["p50"] / floor, "x95": row["p95"] / floor}
            rows.append(row)
    return {"floor_ms": floor, "rows": rows, "errors": errors}


def fmt(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.1f}{unit}"


def report(results: dict[str, Any]) -> str:
    runs = results["runs"]
    lines = [
        f"Measured {results['when']} with `python -m bench.http --tickets {results['tickets']}` "
        f"(code at `{results['code']}`), {results['tickets']:,} tickets, "
        f"{results['db_mib']:,.0f} MiB database ({results['mib_per_1000']:.2f} MiB per 1,000 "
        f"tickets); load average {results['load'][0]} before, {results['load'][1]} after.",
        "",
        f"Server tree (`frontline serve`, {results['processes']} processes): idle "
        f"{results['idle_rss']:.0f} MiB RSS / {results['idle_pss']:.0f} MiB PSS; peak during "
        f"the runs {results['peak_rss']:.0f} MiB RSS / {results['peak_pss']:.0f} MiB PSS.",
        "",
        "Each cell: run 1 / run 2 / run 3. x floor is p50 ÷ the login page's p50 of the same run.",
        "",
        "| request | p50 ms | p95 ms | p50 x floor | p95 x floor | tickets/s |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for i, row in enumerate(runs[0]["rows"]):
        cells = [r["rows"][i] for r in runs]

        def join(key: str, cells: list[dict] = cells) -> str:
            values = [c.get(key) for c in cells]
            return " / ".join(fmt(v) for v in values) if any(v is not None for v in values) else ""

        lines.append(
            f"| {row['what']} | {join('p50')} | {join('p95')} | {join('x50')} | "
            f"{join('x95')} | {join('per_s')} |"
        )
    errors = [r["errors"] for r in runs if r["errors"]]
    failures = sum(r.get("failures", 0) for run in runs for r in run["rows"])
    lines += ["", f"Errors: {errors or 'none'}; failed creates: {failures}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--requests", type=int, default=100, help="rounds per run")
    parser.add_argument("--seconds", type=float, default=10.0, help="per create figure")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    parser.add_argument(
        "--pages-only", action="store_true", help="time the pages, not the creates (shorter)"
    )
    parser.add_argument(
        "--in-place", action="store_true", help="time on --db itself (written to), not a copy"
    )
    args = parser.parse_args(argv)
    db_path = (args.db or default_db_path(args.tickets)).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    meta, _reused = gen.ensure(db_path, args.tickets)
    rng = random.Random(19)
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="frontline-bench-http-") as tmp:
        workdir = Path(tmp)
        log("copying the database" if not args.in_place else "on the database in place")
        db = working_database(db_path, workdir, in_place=args.in_place)
        db_mib = db.stat().st_size / 2**20
        env = gen.django_env(db) | {"API_REQUESTS_PER_MINUTE": "0", "LOG_LEVEL": "WARNING"}
        env.pop("WEB_CONCURRENCY", None)
        setup = json.loads(manage_shell(env, SETUP))
        with serving(env, cwd=workdir, log_to=workdir / "serve.log") as (server, port):
            sampler = Sampler(server.pid)
            try:
                time.sleep(5)
                idle_rss, idle_pss = sampler.measure()
                processes = len(tree(server.pid))
                sampler.start()
                runs = []
                for i in range(args.runs):
                    log(f"run {i + 1} of {args.runs}")
                    runs.append(one_run(port, setup, args, rng))
            finally:
                sampler.stopped.set()
    results = {
        "when": now_utc(),
        "code": git_head(),
        "tickets": int(meta["tickets"]),
        "db_mib": db_mib,
        "mib_per_1000": db_mib / int(meta["tickets"]) * 1000,
        "load": [load_before, round(os.getloadavg()[0], 2)],
        "processes": processes,
        "idle_rss": idle_rss,
        "idle_pss": idle_pss,
        "peak_rss": sampler.peak_rss,
        "peak_pss": sampler.peak_pss,
        "customer_tickets": setup["customer_tickets"],
        "runs": runs,
        "floor_spread_ms": [min(r["floor_ms"] for r in runs), max(r["floor_ms"] for r in runs)],
        "floor_median_ms": statistics.median(r["floor_ms"] for r in runs),
    }
    text = report(results)
    print(text, flush=True)
    out_path = REPO_DIR / "var" / "bench" / "http.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(results, indent=2) + "\n")
    if not args.no_docs:
        write_block(f"{START}\n\n{text}\n\n{END}", START, END, heading="Over HTTP (`bench.http`)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
