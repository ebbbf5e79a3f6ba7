"""Performance benchmark for Frontline on SQLite (``make bench``).

``bench.generate`` builds a large, separate SQLite database (``var/bench/`` by
default) with the real schema, made by ``frontline migrate``, and bulk-loads it
with the plain ``sqlite3`` module. ``bench.run`` makes sure that database exists,
then times the desk and portal pages in process with Django's test client and
writes the figures into ``docs/benchmarks.md``.
"""

from __future__ import annotations

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
