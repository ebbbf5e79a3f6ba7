"""Footprint: the memory of ``frontline serve`` idle, and the database size per 1,000 tickets.

    python -m bench.footprint memory [--seconds 20] [--load-seconds 20]
    python -m bench.footprint dbsize [--messages 5000]

``memory`` makes a fresh SQLite database in a temporary folder (the migrated
schema ``bench.generate`` keeps, then ``migrate``), loads the demo, starts
``frontline serve`` as shipped (the embedded default: web, task worker,
scheduler, IMAP watcher), asks for the login page and the health check a few
times, waits ``--seconds`` and reads every process of the tree from ``/proc``:
RSS (resident pages, shared ones counted in every process that maps them) and
PSS (shared pages divided among the processes sharing them, so the tree's total
is what it really holds): **idle**. Then for ``--load-seconds`` it signs in as
the demo's supervisor and a customer and asks, round after round, for the desk's
queues and ticket pages, the portal's list and ticket pages, the API's ticket
list and the sign-in page, sampling every process every 0.1 s: **peak** (each
process's own highest, and the highest sum over the tree at one moment). Last,
``--seconds`` of quiet and the tree read again: **idle after use**. Then it
stops the server.

``dbsize`` imports ``--messages`` mails of ``bench.mail``'s corpus into a fresh
SQLite database with ``frontline mail import``, and reports the database file
after ``VACUUM``, per 1,000 tickets: as written (raw mail compressed), and
again after rewriting every raw message uncompressed, as the code before
compression stored it.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

from bench.common import Client, demo_environment, get, manage_shell, run_frontline, serving
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


# Sessions and a token for the load: the demo's supervisor and its customer with
# the most requests, and the ids of their tickets.
SIGN_IN = """
import json
from django.db.models import Count
from django.test import Client
from frontline.accounts.models import Role, User
from frontline.api.actions import create_token
from frontline.tickets.models import Ticket

def session(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value

staff = User.objects.get(role=Role.SUPERVISOR, username="sam")
customer = (User.objects.filter(role=Role.CUSTOMER, is_active=True)
            .annotate(n=Count("requested_tickets")).order_by("-n", "pk").first())
print(json.dumps({
    "staff": session(staff), "customer": session(customer),
    "token": create_token(staff, name="footprint", scope="read", by=staff)[1],
    "desk": list(Ticket.objects.order_by("pk").values_list("pk", flat=True)),
    "portal": list(Ticket.objects.filter(requester=customer).values_list("pk", flat=True)),
}))
"""
QUEUES = ("mine", "team", "unassigned", "open", "due_soon", "waiting", "resolved")


def read_tree(root: int) -> dict[int, tuple[str, int, float, float]]:
    """Every process of the tree: pid → (what, threads, RSS MiB, PSS MiB)."""
    found = {}
    for pid in tree(root):
        try:
            found[pid] = (describe(pid), len(os.listdir(f"/proc/{pid}/task")), *memory_of(pid))
        except (OSError, KeyError):
            continue  # ended between the listing and the reading
    return found


class Peaks(threading.Thread):
    """Each process's highest RSS and PSS, and the tree's highest sums, every 0.1 s."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.each: dict[int, list[float]] = {}
        self.tree_rss = self.tree_pss = 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            now = read_tree(self.root)
            for pid, (_what, _threads, rss, pss) in now.items():
                rss0, pss0 = self.each.get(pid, [0.0, 0.0])
                self.each[pid] = [max(rss0, rss), max(pss0, pss)]
            self.tree_rss = max(self.tree_rss, sum(v[2] for v in now.values()))
            self.tree_pss = max(self.tree_pss, sum(v[3] for v in now.values()))


def load(port: int, who: dict, seconds: float) -> dict[str, int]:
    """Pages for ``seconds``, round after round; the count of answers by status."""
    desk = Client(port, session=who["staff"])
    portal = Client(port, session=who["customer"])
    api = Client(port, token=who["token"])
    anonymous = Client(port)
    statuses: dict[str, int] = {}
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        calls = [
            (anonymous, "/login/"),
            (desk, f"/desk/q/{QUEUES[i % len(QUEUES)]}/"),
            (desk, f"/desk/tickets/{who['desk'][i % len(who['desk'])]}/"),
            (portal, "/portal/"),
            (api, "/api/v1/tickets"),
        ]
        if who["portal"]:
            calls.append((portal, f"/portal/tickets/{who['portal'][i % len(who['portal'])]}/"))
        for client, path in calls:
            status, _ms, _body = client.call("GET", path)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        i += 1
    return statuses


def memory(seconds: float, load_seconds: float) -> None:
    from bench import generate as gen

    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        # The API's rate limit off, as in bench.http: the load asks for its list often.
        env = environment(Path(tmp)) | {"API_REQUESTS_PER_MINUTE": "0"}
        gen.migrated_copy(Path(tmp) / "frontline.sqlite3")
        run_frontline(env, "migrate", "--noinput", "-v", "0")
        run_frontline(env, "demo", "--if-empty")
        who = json.loads(manage_shell(env, SIGN_IN))
        with serving(env) as (server, port):
            for _ in range(10):  # each web worker has served something
                get(port, "/login/")
                get(port, "/healthz")
            time.sleep(seconds)
            idle = read_tree(server.pid)
            peaks = Peaks(server.pid)
            peaks.start()
            try:
                statuses = load(port, who, load_seconds)
            finally:
                peaks.stopped.set()
                peaks.join()
            time.sleep(seconds)
            after = read_tree(server.pid)
    print(f"\nAnswers during the load ({load_seconds:.0f} s): {statuses}")
    print(
        "\n| process | threads | idle RSS MiB | idle PSS MiB | peak RSS MiB | peak PSS MiB "
        "| idle after use RSS MiB | PSS MiB |\n|---|--:|--:|--:|--:|--:|--:|--:|"
    )
    for pid, (what, threads, rss, pss) in idle.items():
        peak_rss, peak_pss = peaks.each.get(pid, [0.0, 0.0])
        _w, _t, rss2, pss2 = after.get(pid, ("", 0, 0.0, 0.0))
        print(
            f"| {what} | {threads} | {rss:.1f} | {pss:.1f} | {peak_rss:.1f} | {peak_pss:.1f} "
            f"| {rss2:.1f} | {pss2:.1f} |"
        )

    def total(rows: dict, i: int) -> float:
        return sum(v[i] for v in rows.values())

    print(
        f"| **the tree, {len(idle)} processes** | | **{total(idle, 2):.1f}** | "
        f"**{total(idle, 3):.1f}** | **{peaks.tree_rss:.1f}** | **{peaks.tree_pss:.1f}** | "
        f"**{total(after, 2):.1f}** | **{total(after, 3):.1f}** |"
    )
    print("\n(peak of the tree: the highest sum at one moment, not the sum of the peaks)")


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
    mem.add_argument("--seconds", type=float, default=20.0, help="quiet before each reading")
    mem.add_argument("--load-seconds", type=float, default=20.0, help="pages for the peak")
    size = sub.add_parser("dbsize")
    size.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.what == "memory":
        memory(args.seconds, args.load_seconds)
    else:
        dbsize(args.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
