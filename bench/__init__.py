"""Performance benchmark for Frontline on SQLite (``make bench``).

``bench.generate`` builds a large, separate SQLite database (``var/bench/`` by
default) with the real schema, made by ``frontline migrate``, and bulk-loads it
with the plain ``sqlite3`` module. ``bench.run`` makes sure that database exists,
then times the desk and portal pages in process with Django's test client and
writes the figures into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TICKETS = 1_000_000


def default_db_path(tickets: int = DEFAULT_TICKETS) -> Path:
    """``BENCH_DB`` if set, else ``var/bench/bench.sqlite3`` in the repository; other
    sizes than the default get their own file (``bench-20000.sqlite3``), so a quick
    small run does not replace the big database."""
    if path := os.environ.get("BENCH_DB"):
        return Path(path).expanduser().resolve()
    name = "bench.sqlite3" if tickets == DEFAULT_TICKETS else f"bench-{tickets}.sqlite3"
    return REPO_DIR / "var" / "bench" / name


def default_tickets() -> int:
    """``BENCH_TICKETS`` if set, else one million."""
    value = os.environ.get("BENCH_TICKETS", "").replace("_", "")
    return int(value) if value else DEFAULT_TICKETS


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    """``--tickets`` and ``--db``, shared by ``bench.generate`` and ``bench.run``."""
    parser.add_argument(
        "--tickets",
        type=int,
        default=default_tickets(),
        help="size of the database (default: $BENCH_TICKETS or 1,000,000)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $BENCH_DB, else var/bench/bench.sqlite3 for 1,000,000 "
        "tickets and var/bench/bench-N.sqlite3 for other sizes)",
    )
