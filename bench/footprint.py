"""Footprint: the memory of ``frontline serve`` idle, and the database size per 1,000 tickets.

    python -m bench.footprint memory [--seconds 20]
    python -m bench.footprint dbsize [--messages 5000]

``memory`` migrates a fresh SQLite database in a temporary folder, loads the
demo, starts ``frontline serve`` as shipped (the embedded default: web, task
worker, scheduler, IMAP watcher), asks for the login page and the health check
a few times, waits ``--seconds`` and reads every process of the tree from
``/proc``: RSS (resident pages, shared ones counted in every process that maps
them) and PSS (shared pages divided among the processes sharing them, so the
tree's total is what it really holds). Then it stops the server.

``dbsize`` imports ``--messages`` mails of ``bench.mail``'s corpus into a fresh
SQLite database with ``frontline mail import``, and reports the database file
after ``VACUUM``, per 1,000 tickets: as written (raw mail compressed), and
again after rewriting every raw message uncompressed, as the code before
compression stored it.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.common import demo_environment, get, run_frontline, serving
from bench.mail import BOX, MAILBOX, Corpus, write_maildir

MIB = 1024 * 1024


def log(msg: str) -> None:
    print(f"[bench.footprint] {msg}", flush=True)


environment = demo_environment


# ------------------------------------------------------------------ memory


def tree(pid: int) -> list[int]:
    pids = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids += tree(int(child))
    return pids


def memory_of(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1]) * 1024 / MIB
    return values["Rss:"], values["Pss:"]


def describe(pid: int) -> str:
    def words(of: int) -> list[str]:
        return [w.decode() for w in Path(f"/proc/{of}/cmdline").read_bytes().split(b"\0") if w]

    mine = words(pid)
    if "gunicorn" not in mine:
        # `.../frontline serve ...` or `python -m frontline.manage db_worker ...`
        rest = mine[3:] if "frontline.manage" in mine else mine[2:]
        return "frontline " + " ".join(w for w in rest[:2] if not w.startswith("-"))
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return "gunicorn web worker" if "gunicorn" in words(parent) else "gunicorn master"


def memory(seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        env = environment(Path(tmp))
        run_frontline(env, "migrate", "--noinput", "-v", "0")
        run_frontline(env, "demo", "--if-empty")
        with serving(env) as (server, port):
            for _ in range(10):  # each web worker has served something
                get(port, "/login/")
                get(port, "/healthz")
            time.sleep(seconds)
            rows = [
                (describe(pid), len(os.listdir(f"/proc/{pid}/task")), *memory_of(pid))
                for pid in tree(server.pid)
            ]
    print("\n| process | threads | RSS MiB | PSS MiB |\n|---|--:|--:|--:|")
    for what, threads, rss, pss in rows:
        print(f"| {what} | {threads} | {rss:.1f} | {pss:.1f} |")
    total_rss = sum(r[2] for r in rows)
    total_pss = sum(r[3] for r in rows)
    print(f"| **the tree, {len(rows)} processes** | | **{total_rss:.1f}** | **{total_pss:.1f}** |")


# ------------------------------------------------------------------ database size


def dbsize(messages: int) -> None:
    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        work = Path(tmp)
        env = environment(work)
        db = work / "frontline.sqlite3"
        run_frontline(env, "migrate", "--noinput", "-v", "0")
        run_frontline(env, "shell", "-c", MAILBOX)
        corpus = Corpus()
        corpus.mixed(messages)
        write_maildir(corpus.sent, work / "mail")
        log(run_frontline(env, "mail", "import", *BOX, str(work / "mail")).splitlines()[0])
        with closing(sqlite3.connect(db)) as conn:
            tickets = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
            (raw_bytes,) = conn.execute(
                "SELECT sum(length(raw)) FROM mail_inboundmessage"
            ).fetchone()
            conn.execute("VACUUM")
        after = db.stat().st_size
        plain = rewrite_uncompressed(db)
        before = db.stat().st_size
    per = 1000 / tickets
    print(f"\n{messages} messages, {tickets} tickets (SQLite, after VACUUM):\n")
    print("| raw mail stored | raw mail column | database file | per 1,000 tickets |")
    print("|---|--:|--:|--:|")
    print(
        f"| as received (before) | {plain / MIB:.1f} MiB | {before / MIB:.1f} MiB "
        f"| {before * per / MIB:.2f} MiB |"
    )
    print(
        f"| zstandard (now) | {raw_bytes / MIB:.1f} MiB | {after / MIB:.1f} MiB "
        f"| {after * per / MIB:.2f} MiB |"
    )


def rewrite_uncompressed(db: Path) -> int:
    """Every raw message back to its bytes as received (what the code before
    compression wrote); the raw column's new total."""
    import zstandard

    decompressor = zstandard.ZstdDecompressor()
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT id, raw FROM mail_inboundmessage").fetchall()
        conn.executemany(
            "UPDATE mail_inboundmessage SET raw = ? WHERE id = ?",
            [(decompressor.decompress(raw), pk) for pk, raw in rows],
        )
        conn.commit()
        (total,) = conn.execute("SELECT sum(length(raw)) FROM mail_inboundmessage").fetchone()
        conn.execute("VACUUM")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    mem = sub.add_parser("memory")
    mem.add_argument("--seconds", type=float, default=20.0)
    size = sub.add_parser("dbsize")
    size.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.what == "memory":
        memory(args.seconds)
    else:
        dbsize(args.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
