"""Count the SQLite VM steps of each statement of the supervisors' report.

    python -m bench.report_steps [--tickets N] [--db PATH]

Load-independent evidence for the report pages that ``bench.run`` times:
requests the same four pages (90 days and one year; all teams per team, one
team per agent) as the supervisor, with a progress handler on the SQLite
connection counting virtual machine instructions, and prints, per page, the
steps of each statement (fetching its rows included) with its rows returned,
biggest first, and the total. Instructions do not depend on the machine's
load; a statement whose steps grow with the tickets of the period is one the
page cannot keep bounded as the data grows. Builds the database if missing
(``bench.generate``), then only reads it (and writes the session's row).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from bench import add_database_arguments, default_db_path
from bench import generate as gen
from bench.run import choose_personas, report_pages, setup_django, short_sql

TICK = 100  # the handler runs every TICK instructions


def count_steps(client: Any, url: str) -> tuple[int, list[dict[str, Any]]]:
    """Request ``url``; the response status and, per statement in order, its
    steps (rounded to TICK) and SQL."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    statements: list[dict[str, Any]] = []

    def tick() -> int:
        if statements:
            statements[-1]["steps"] += TICK
        return 0  # go on

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append({"sql": sql, "steps": 0})
        return execute(sql, params, many, context)

    raw.set_progress_handler(tick, TICK)
    try:
        with connection.execute_wrapper(wrapper):
            status = client.get(url).status_code
    finally:
        raw.set_progress_handler(None, TICK)
    return status, statements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser)
    parser.add_argument("--top", type=int, default=8, help="statements listed per page")
    args = parser.parse_args(argv)
    db_path = (args.db or default_db_path(args.tickets)).expanduser().resolve()
    gen.ensure(db_path, args.tickets)  # built if missing, as bench.run does
    setup_django(db_path)
    from django.test import Client

    client = Client(raise_request_exception=True)
    client.force_login(choose_personas().supervisor)
    for page in report_pages():
        url = page.urls[0]
        count_steps(client, url)  # warm the caches (session, user, templates)
        status, statements = count_steps(client, url)
        total = sum(s["steps"] for s in statements)
        print(f"\n## {page.label} ({url}): status {status}, {len(statements)} statements")
        print(f"   total {total:,} steps")
        for s in sorted(statements, key=lambda s: -s["steps"])[: args.top]:
            sql = re.sub(r"\s+", " ", short_sql(s["sql"]))
            print(f"   {s['steps']:>12,}  {sql[:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
