"""Build the benchmark database: the real schema, bulk-loaded with plausible data.

    python -m bench.generate [--tickets 1000000] [--db var/bench/bench.sqlite3] [--force]

The schema comes from ``frontline migrate`` run against a fresh file; the rows
are then written with the plain ``sqlite3`` module (``executemany``, one big
transaction, no journal) in primary-key order. Secondary indexes of the big
tables are dropped for the load and created again from their original SQL
afterwards, which is many times faster than maintaining 20 indexes row by row.

What gets made, for N tickets (default one million):

- 1 supervisor, 40 agents in 4 teams (a few agents sit in two teams),
  200 organisations with 2,000 customers (one manager per organisation);
- 12 categories (two with form fields), 12 tags;
- N tickets created over three years, ids in creation order: about 90% closed,
  4% resolved and 6% new/open/waiting (recent tickets are more often still
  open), random priorities, a team for nearly all, an assignee for most;
- about 5 messages per ticket (customer replies, agent replies, internal
  notes; bodies of a few hundred characters) and about 3 events per ticket.
  Messages and events get ids in global time order, as in a live system,
  so one ticket's messages are spread over the table rather than adjacent.

The database is built under a temporary name and renamed when complete; a
``bench_meta`` table records its size and generation time, so a second run with
the same size reuses it. ``ANALYZE`` runs at the end; the file is left in WAL
mode, as the application uses it.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import heapq
import itertools
import json
import os
import queue
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import REPO_DIR, add_database_arguments, default_db_path

# Bump when the shape of the generated data changes: older databases are rebuilt.
DATA_VERSION = 1
SEED = 20_260_101
YEARS = 3

N_ORGS = 200
N_CUSTOMERS = 2_000
TEAMS = [  # name, tier, agents
    ("First line", 1, 16),
    ("Billing", 1, 8),
    ("Second line", 2, 10),
    ("Specialists", 3, 6),
]
CATEGORIES = [  # name, default team index, default priority
    ("Hardware", 0, 2),
    ("Software", 0, 2),
    ("Access and accounts", 0, 2),
    ("Network", 2, 3),
    ("Email", 0, 2),
    ("Printing", 0, 1),
    ("Invoices", 1, 2),
    ("Payments", 1, 3),
    ("Contracts", 1, 2),
    ("Security incident", 3, 4),
    ("Data request", 3, 2),
    ("Other", None, 2),
]
TAGS = [
    "vip",
    "outage",
    "follow-up",
    "refund",
    "bug",
    "feature-request",
    "onboarding",
    "hardware-swap",
    "escalated",
    "duplicate",
    "security",
    "training",
]
STATUS_OPEN = ("new", "open", "waiting_customer", "waiting_third_party")
# Resolution targets by priority, as in frontline.tickets.actions.RESOLUTION_TARGET.
TARGET_SECONDS = {4: 4 * 3600, 3: 86400, 2: 3 * 86400, 1: 7 * 86400}

BIG_TABLES = ("tickets_ticket", "tickets_message", "tickets_ticketevent", "tickets_ticket_tags")


def words(text: str) -> list[str]:
    return text.split()


# Never ``is_open``: it is a generated column.
TICKET_COLUMNS = tuple(
    words(
        "id subject channel fields status priority handoff_note handoff_at created_at "
        "updated_at first_response_at resolved_at closed_at due_at assignee_id category_id "
        "handoff_by_id organisation_id requester_id team_id"
    )
)
MESSAGE_COLUMNS = tuple(words("id kind channel body body_html created_at author_id ticket_id"))
EVENT_COLUMNS = tuple(words("id kind data created_at actor_id ticket_id"))
# Every table the generator loads, with the columns it fills. ``check_columns``
# compares them with the migrated schema before loading, so a new NOT NULL
# column without a database default stops the build at once, by name.
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts_organisation": tuple(words("id name notes created_at")),
    "accounts_organisationdomain": tuple(words("id domain subdomains created_at organisation_id")),
    "accounts_user": tuple(
        words(
            "id password last_login is_superuser username first_name last_name email "
            "is_staff is_active date_joined role is_org_manager phone language "
            "email_verified_at organisation_id session_generation"
        )
    ),
    "accounts_team": tuple(words("id name tier is_active")),
    "accounts_team_members": tuple(words("team_id user_id")),
    # The Russian and Chinese columns are left empty: English is shown.
    "tickets_category": tuple(
        words(
            "id name description default_priority is_active position default_team_id "
            "name_ru name_zh_hans description_ru description_zh_hans"
        )
    ),
    "tickets_formfield": tuple(
        words(
            "category_id key label field_type required help_text choices position "
            "label_ru label_zh_hans help_text_ru help_text_zh_hans choices_ru choices_zh_hans"
        )
    ),
    "tickets_tag": tuple(words("id name")),
    "tickets_ticket": TICKET_COLUMNS,
    "tickets_message": MESSAGE_COLUMNS,
    "tickets_ticketevent": EVENT_COLUMNS,
    "tickets_ticket_tags": tuple(words("ticket_id tag_id")),
}
BATCH_TICKETS = 20_000


# Naive UTC, as Django stores datetimes in SQLite.
EPOCH = dt.datetime.fromtimestamp(0, dt.UTC).replace(tzinfo=None)

FIRST_NAMES = words(
    "Ada Alan Alice Amir Ana Anders Anna Aylin Ben Bianca Boris Carla Chen Chloe Dan "
    "Daria David Elena Emil Emma Erik Eva Farah Felix Grace Hana Hugo Ines Ivan Jan Jana "
    "Jonas Julia Kai Karim Kate Lars Lea Leo Lina Luca Maria Mark Marta Max Mei Mia Nadia "
    "Nina Noah Olga Omar Paul Petra Priya Rafael Rosa Sam Sara Sofia Tom Uma Vera Wei "
    "Yara Yusuf Zoe"
)
LAST_NAMES = words(
    "Adams Bauer Becker Brown Costa Dubois Evans Fischer Garcia Gomez Hansen Ivanova "
    "Jansen Kim Kowalski Larsen Lee Lopez Martin Meyer Moreau Nakamura Novak Olsen Petrov "
    "Rossi Santos Schmidt Silva Smith Tanaka Wagner Wang Weber Wilson Wong Yilmaz Zhang"
)
ORG_WORDS = words(
    "Acme Globex Initech Umbrella Stark Wayne Tyrell Cyberdyne Soylent Hooli Vandelay "
    "Wonka Oscorp Aperture Massive Dynamic Northwind Contoso Fabrikam Tailspin Litware "
    "Adatum Proseware Wingtip Lucerne Margie Fourth Coffee Alpine Blue Yonder"
)
ORG_SUFFIXES = ["Ltd", "GmbH", "Inc", "SA", "BV", "AB", "Group", "Labs", "Partners", "Trading"]

SUBJECT_PROBLEMS = [
    "cannot log in to",
    "error when opening",
    "slow response from",
    "no access to",
    "question about",
    "request for",
    "problem with",
    "crash in",
    "wrong totals in",
    "cannot print from",
    "password reset for",
    "update needed for",
    "missing data in",
    "timeout on",
    "duplicate charge on",
    "how do I configure",
    "licence renewal for",
]
SUBJECT_OBJECTS = [
    "the VPN",
    "my laptop",
    "the invoice portal",
    "Outlook",
    "the shared drive",
    "the CRM",
    "the printer on floor 3",
    "payroll export",
    "my mailbox",
    "the Wi-Fi",
    "the mobile app",
    "the March invoice",
    "our contract",
    "the API token",
    "Teams",
    "the monitoring dashboard",
    "the docking station",
    "the backup job",
    "SSO",
]
SENTENCES = [
    "Since this morning the page only shows a spinner and never finishes loading.",
    "I have already restarted the computer twice and cleared the browser cache.",
    "The error message says that the session has expired, although I just signed in.",
    "Could you please check whether anything changed on your side last night?",
    "Several colleagues in our office see exactly the same behaviour.",
    "This blocks the month-end closing, so an answer today would help a lot.",
    "Attached you will find the screenshot and the exact time it happened.",
    "We were charged twice for the same period according to the statement.",
    "The device was delivered last week and has not worked properly since then.",
    "Thanks for the quick answer, the workaround does the job for now.",
    "I tried the steps from the knowledge base article but nothing changed.",
    "Please let me know if you need the serial number or the order reference.",
    "The report shows different totals from the ones in the export file.",
    "We need access for a new team member who starts on Monday.",
    "It happens only on the second floor; on the first floor the connection is fine.",
    "I reset the password as described, but the new one is not accepted either.",
    "Thank you for looking into this, we appreciate the help.",
    "I have checked the logs and see repeated authentication failures from your host.",
    "The vendor confirmed the fault and will ship a replacement unit.",
    "I have escalated this to the second line with the details collected so far.",
    "Could you confirm whether the problem is solved after the update?",
    "The configuration has been corrected and the service restarted.",
    "We have applied the credit note; it will appear on the next invoice.",
    "Please try again now and tell us whether the issue persists.",
    "I am waiting for the supplier to answer and will update this ticket then.",
    "The account was locked after too many attempts; it is unlocked again.",
    "Our records show the licence expired on the first of the month.",
    "I have scheduled a technician visit for Thursday morning.",
    "The change was rolled out to all users in your organisation.",
    "Note: the customer called again, very unhappy about the delay.",
    "Internal: do not promise a date before the supplier confirms the shipment.",
    "Checked with the network team, the firewall rule was missing.",
    "Reproduced on a test machine; it looks like a regression in the last release.",
    "The customer asked for a call back before noon.",
    "Everything works again, many thanks for your help!",
    "Unfortunately the problem came back after a few hours.",
    "We would also like to know whether this affects the other sites.",
    "For reference, the order number is 48213 and the contract ends in June.",
    "Our accounting team needs the corrected invoice for the audit.",
    "Kind regards, and have a nice day.",
]


def ts_str(seconds: float) -> str:
    """Seconds since the epoch as Django's SQLite datetime text (naive UTC)."""
    return (EPOCH + dt.timedelta(seconds=seconds)).isoformat(" ", "microseconds")


@dataclass
class People:
    supervisor: int
    agents_by_team: list[list[int]]
    agent_names: dict[int, str]
    customer_ids: list[int]
    customer_weights: list[float]
    customer_org: dict[int, int | None]
    team_names: list[str]
    team_ids: list[int]
    category_ids: list[int]
    tag_ids: list[int]
    cum_customer_weights: list[float] = field(default_factory=list)


def log(msg: str) -> None:
    print(f"[bench.generate] {msg}", flush=True)


# ---------------------------------------------------------------- schema


def django_env(db_path: Path) -> dict[str, str]:
    """Environment that points ``frontline`` at ``db_path`` (never at the real database)."""
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{db_path}"
    env["FRONTLINE_VAR"] = str(db_path.parent)
    env.setdefault("DJANGO_SETTINGS_MODULE", "frontline.settings")
    return env


def migrate(db_path: Path) -> None:
    """Create or update the schema with the project's own migrations."""
    cmd = [sys.executable, "-m", "frontline.manage", "migrate", "--noinput", "-v", "0"]
    subprocess.run(cmd, env=django_env(db_path), check=True, cwd=db_path.parent)  # noqa: S603


def fill_daily_rollup(db_path: Path) -> None:
    """The reports' daily rollup (``reports_dailyfigures``) from the per-ticket
    one, by ``frontline reports rebuild --daily-only``, when it is empty and the
    per-ticket one is not (a database generated or reused before it existed)."""
    con = sqlite3.connect(db_path)
    empty = con.execute("SELECT NOT EXISTS (SELECT 1 FROM reports_dailyfigures)").fetchone()[0]
    tickets = con.execute("SELECT EXISTS (SELECT 1 FROM reports_ticketfigures)").fetchone()[0]
    con.close()
    if empty and tickets:
        t0 = time.monotonic()
        cmd = [sys.executable, "-m", "frontline.manage", "reports", "rebuild", "--daily-only"]
        subprocess.run(cmd, env=django_env(db_path), check=True, cwd=db_path.parent)  # noqa: S603
        log(f"daily report rollup filled in {time.monotonic() - t0:.0f} s")


def schema_key() -> str:
    """A digest of everything ``migrate`` reads: the migration files, Python's and
    Django's versions."""
    import hashlib

    import django

    digest = hashlib.sha256(f"{sys.version}|{django.__version__}".encode())
    package = REPO_DIR / "frontline"
    for path in sorted(package.glob("**/migrations/*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_copy(target: Path) -> None:
    """Write a freshly migrated, empty database to ``target``. Migrating takes
    minutes on a busy machine (79 migrations), so the result is kept under
    ``$FRONTLINE_VAR/bench/schema/`` by the digest of the migrations and copied
    while they stay the same."""
    folder = Path(os.environ.get("FRONTLINE_VAR", REPO_DIR / "var")) / "bench" / "schema"
    cached = folder / f"schema-{schema_key()}.sqlite3"
    if not cached.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fresh = folder / f"{cached.name}.{os.getpid()}.building"
        fresh.unlink(missing_ok=True)
        migrate(fresh)
        con = sqlite3.connect(fresh)
        con.execute("PRAGMA journal_mode=DELETE")  # one file, nothing left in a WAL
        con.close()
        fresh.rename(cached)
    else:
        log(f"schema unchanged since {cached.name}: copying it")
    shutil.copyfile(cached, target)


def applied_migrations(db_path: Path) -> int:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    finally:
        con.close()


def read_meta(db_path: Path) -> dict[str, str] | None:
    """The ``bench_meta`` row of a complete benchmark database, or None."""
    if not db_path.exists():
        return None
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT key, value FROM bench_meta").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return dict(rows)


def insert_sql(table: str) -> str:
    """``INSERT INTO table (its COLUMNS) VALUES (?, ...)``."""
    cols = COLUMNS[table]
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})"  # noqa: S608


def table_columns(con: Any, table: str) -> list[tuple[str, bool, Any, bool, bool]]:
    """(name, NOT NULL, default, primary key, generated) of each column of ``table``."""
    if isinstance(con, CopyLoad):
        return [
            (name, nullable == "NO", default, identity == "YES", generated == "ALWAYS")
            for name, nullable, default, identity, generated in con.execute(
                "SELECT column_name, is_nullable, column_default, is_identity, is_generated "
                "FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (table,),
            ).fetchall()
        ]
    return [
        (name, bool(notnull), default, bool(pk), bool(hidden))
        for name, notnull, default, pk, hidden in con.execute(
            'SELECT name, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)', (table,)
        ).fetchall()
    ]


def check_columns(con: Any) -> None:
    """Stop, naming them, at columns the rows would miss: a NOT NULL column without
    a default that ``COLUMNS`` leaves out (Django sets defaults in Python, not in
    the schema), or a column in ``COLUMNS`` the schema no longer has."""
    problems = []
    for table, cols in COLUMNS.items():
        info = table_columns(con, table)
        if not info:
            problems.append(f"{table}: no such table")
            continue
        names = {row[0] for row in info}
        problems += [f"{table}.{col}: no such column" for col in cols if col not in names]
        problems += [
            f"{table}.{name}: NOT NULL without a default, and not loaded"
            for name, notnull, default, pk, hidden in info
            if notnull and default is None and not pk and not hidden and name not in cols
        ]
    if problems:
        raise SystemExit(
            "bench.generate does not match the schema; update COLUMNS and the rows in "
            "bench/generate.py:\n  " + "\n  ".join(problems)
        )


# ---------------------------------------------------------------- small tables


def load_people(con: Any, rng: random.Random, now: float) -> People:
    start = now - YEARS * 365 * 86400
    joined = ts_str(start - 86400 * 30)
    pw = "!" + "x" * 40  # an unusable password: force_login is the only way in

    orgs = []
    names: set[str] = set()
    while len(orgs) < N_ORGS:
        name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_WORDS)} {rng.choice(ORG_SUFFIXES)}"
        if name in names:
            continue
        names.add(name)
        orgs.append((len(orgs) + 1, name, "", joined))
    con.executemany(insert_sql("accounts_organisation"), orgs)
    domains = [
        (pk, name.lower().replace(" ", "-") + ".test", False, joined, pk) for pk, name, *_ in orgs
    ]
    con.executemany(insert_sql("accounts_organisationdomain"), domains)

    users = []
    uid = itertools.count(1)

    def user(username: str, role: str, org: int | None = None, manager: bool = False) -> int:
        pk = next(uid)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        users.append(
            (
                pk,
                pw,
                None,
                0,
                username,
                first,
                last,
                f"{username}@example.test",
                0,
                1,
                joined,
                role,
                int(manager),
                "",
                "",
                joined,
                org,
                0,
            )
        )
        return pk

    supervisor = user("supervisor", "supervisor")
    agent_names: dict[int, str] = {}
    agents_by_team: list[list[int]] = []
    n = 0
    for _name, _tier, count in TEAMS:
        members = []
        for _ in range(count):
            n += 1
            pk = user(f"agent{n:02d}", "agent")
            members.append(pk)
        agents_by_team.append(members)
    customer_ids, customer_org = [], {}
    for i in range(N_CUSTOMERS):
        org = (i % N_ORGS) + 1 if i < N_CUSTOMERS * 0.95 else None
        manager = org is not None and i < N_ORGS  # the first contact of each organisation
        pk = user(f"customer{i + 1:04d}", "customer", org, manager)
        customer_ids.append(pk)
        customer_org[pk] = org
    con.executemany(insert_sql("accounts_user"), users)
    for row in users:
        agent_names[row[0]] = f"{row[5]} {row[6]}"

    team_ids = list(range(1, len(TEAMS) + 1))
    con.executemany(
        insert_sql("accounts_team"),
        [(tid, name, tier, 1) for tid, (name, tier, _c) in zip(team_ids, TEAMS, strict=True)],
    )
    memberships = [
        (t, a) for t, members in zip(team_ids, agents_by_team, strict=True) for a in members
    ]
    # A few first-line agents also work in second line, and a specialist helps billing.
    memberships += [(3, a) for a in agents_by_team[0][:3]] + [(2, agents_by_team[3][0])]
    con.executemany(insert_sql("accounts_team_members"), memberships)
    for team, agent in memberships[-4:]:
        agents_by_team[team - 1].append(agent)

    cats = [
        (
            i + 1,
            name,
            f"Requests about {name.lower()}.",
            prio,
            1,
            i,
            None if team is None else team_ids[team],
            *("",) * 4,
        )
        for i, (name, team, prio) in enumerate(CATEGORIES)
    ]
    con.executemany(
        insert_sql("tickets_category"),
        cats,
    )
    con.executemany(
        insert_sql("tickets_formfield"),
        [
            (*row, *("",) * 6)
            for row in [
                (1, "serial", "Serial number", "text", 1, "", "", 1),
                (1, "model", "Model", "choice", 0, "", "Laptop\nDesktop\nPrinter", 2),
                (7, "invoice", "Invoice number", "text", 1, "", "", 1),
            ]
        ],
    )
    con.executemany(insert_sql("tickets_tag"), [(i + 1, t) for i, t in enumerate(TAGS)])

    # A few customers write a lot, most write a little (Pareto-like weights).
    weights = [rng.paretovariate(1.5) for _ in customer_ids]
    return People(
        supervisor=supervisor,
        agents_by_team=agents_by_team,
        agent_names=agent_names,
        customer_ids=customer_ids,
        customer_weights=weights,
        customer_org=customer_org,
        team_names=[t[0] for t in TEAMS],
        team_ids=team_ids,
        category_ids=[c[0] for c in cats],
        tag_ids=list(range(1, len(TAGS) + 1)),
        cum_customer_weights=list(itertools.accumulate(weights)),
    )


# ---------------------------------------------------------------- tickets


def pick_status(rng: random.Random, recent: bool) -> str:
    """About 6% new/open/waiting, 4% resolved, 90% closed overall; the newest tenth
    of the tickets is much more often still in progress."""
    r = rng.random()
    if recent:  # 30% in progress, 10% resolved
        bands = (
            (0.05, "new"),
            (0.20, "open"),
            (0.27, "waiting_customer"),
            (0.30, "waiting_third_party"),
            (0.40, "resolved"),
        )
    else:  # 3.3% in progress, 3.3% resolved
        bands = (
            (0.005, "new"),
            (0.020, "open"),
            (0.028, "waiting_customer"),
            (0.033, "waiting_third_party"),
            (0.066, "resolved"),
        )
    for limit, status in bands:
        if r < limit:
            return status
    return "closed"


def weighted[T](
    rng: random.Random, values: Sequence[T], weights: Sequence[float]
) -> Callable[[], T]:
    """A function that draws from ``values`` with ``weights``, as ``rng.choices(values,
    weights)[0]`` does, without its per-call set-up (it is called millions of times)."""
    cum = list(itertools.accumulate(weights))
    total, last, rand, values = cum[-1], len(cum) - 1, rng.random, list(values)

    def draw() -> T:
        return values[min(bisect.bisect(cum, rand() * total), last)]

    return draw


# 2..10 messages, mean about 5.
MESSAGE_COUNTS = (range(2, 11), (10, 16, 20, 18, 13, 9, 6, 4, 4))


def message_count(rng: random.Random, status: str, draw: Callable[[], int]) -> int:
    if status == "new":
        return 1 if rng.random() < 0.8 else 2
    return draw()


BODY_POOL = 1 << 16


def body_pool(rng: random.Random) -> list[str]:
    """Message bodies of 2 to 6 sentences: 65,536 different ones, drawn once and
    then picked at random (building a body per message cost a fifth of the load)."""
    return [" ".join(rng.choices(SENTENCES, k=rng.randint(2, 6))) for _ in range(BODY_POOL)]


class Writer:
    """Inserts batches of rows in a thread of its own, so that SQLite's work (which
    runs without the GIL) overlaps making the next batch in Python; at most two
    batches wait."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.batches: queue.Queue[list[tuple[str, list[tuple]]] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, name="bench-writer", daemon=True)
        self.thread.start()

    def run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is None:
                try:
                    for sql, rows in batch:
                        self.con.executemany(sql, rows)
                except BaseException as exc:  # raised again in close()
                    self.error = exc

    def put(self, batch: list[tuple[str, list[tuple]]]) -> None:
        if self.error is not None:
            raise self.error
        self.batches.put(batch)

    def close(self) -> None:
        self.batches.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def generate(con: Any, n_tickets: int, rng: random.Random, now: float) -> dict:
    """Insert everything; returns counts."""
    people = load_people(con, rng, now)
    bodies = body_pool(rng)
    getrandbits = rng.getrandbits

    def body() -> str:
        return bodies[getrandbits(16)]

    start = now - YEARS * 365 * 86400
    span = now - start
    step = span / n_tickets
    recent_from = int(n_tickets * 0.9)
    draw_channel = weighted(rng, ("web", "email", "phone", "chat", "api"), (50, 35, 10, 4, 1))
    draw_priority = weighted(rng, (1, 2, 3, 4), (20, 55, 20, 5))
    draw_category = weighted(rng, people.category_ids, (12, 14, 12, 6, 10, 6, 10, 8, 4, 2, 3, 13))
    draw_count = weighted(rng, *MESSAGE_COUNTS)
    subjects = [f"{p.capitalize()} {o}" for p in SUBJECT_PROBLEMS for o in SUBJECT_OBJECTS]
    tag_ids = people.tag_ids
    team_index = {tid: i for i, tid in enumerate(people.team_ids)}
    draw_requester = weighted(rng, people.customer_ids, people.customer_weights)
    # The JSON of the common events, made once rather than per event.
    created_json = {c: json.dumps({"channel": c}) for c in ("web", "email", "phone", "chat", "api")}
    assigned_json = {
        pk: json.dumps({"old": None, "new": name, "note": ""})
        for pk, name in people.agent_names.items()
    }
    status_json: dict[tuple[str, str], str] = {}
    cat_team = {
        c: (None if t is None else people.team_ids[t])
        for c, (_, t, _p) in zip(people.category_ids, CATEGORIES, strict=True)
    }
    cat_prio = {c: p for c, (_, _t, p) in zip(people.category_ids, CATEGORIES, strict=True)}

    # Messages and events wait in a heap until the clock (the creation time of the
    # ticket being generated) passes them, so their ids follow global time order.
    pending: list[tuple] = []
    seq = itertools.count()
    msg_id = itertools.count(1)
    evt_id = itertools.count(1)
    tickets: list[tuple] = []
    messages: list[tuple] = []
    events: list[tuple] = []
    ticket_tags: list[tuple] = []
    counts = {"tickets": 0, "messages": 0, "events": 0, "ticket_tags": 0}
    t_start = time.monotonic()

    ticket_sql = insert_sql("tickets_ticket")
    message_sql = insert_sql("tickets_message")
    event_sql = insert_sql("tickets_ticketevent")

    tags_sql = insert_sql("tickets_ticket_tags")
    writer = Writer(con)

    def flush() -> None:
        writer.put(
            [
                (ticket_sql, tickets[:]),
                (message_sql, messages[:]),
                (event_sql, events[:]),
                (tags_sql, ticket_tags[:]),
            ]
        )
        counts["tickets"] += len(tickets)
        counts["messages"] += len(messages)
        counts["events"] += len(events)
        counts["ticket_tags"] += len(ticket_tags)
        tickets.clear()
        messages.clear()
        events.clear()
        ticket_tags.clear()

    def release(until: float) -> None:
        while pending and pending[0][0] <= until:
            item = heapq.heappop(pending)
            if item[2] == "m":
                _t, _s, _k, kind, channel, text, author, ticket = item
                # Plain-text bodies, as typed in the desk or the portal: no HTML part.
                row = (next(msg_id), kind, channel, text, "", ts_str(_t), author, ticket)
                messages.append(row)
            else:
                _t, _s, _k, kind, data, actor, ticket = item
                events.append((next(evt_id), kind, data, ts_str(_t), actor, ticket))

    def msg(t: float, kind: str, channel: str, author: int, ticket: int) -> None:
        heapq.heappush(pending, (t, next(seq), "m", kind, channel, body(), author, ticket))

    def evt(t: float, kind: str, data: str, actor: int | None, ticket: int) -> None:
        heapq.heappush(pending, (t, next(seq), "e", kind, data, actor, ticket))

    def status_data(old: str, new: str) -> str:
        data = status_json.get((old, new))
        if data is None:
            data = status_json[old, new] = json.dumps({"old": old, "new": new})
        return data

    closing_json = json.dumps({"old": "resolved", "new": "closed", "reason": "quiet period"})

    for pk in range(1, n_tickets + 1):
        created = start + (pk - 1 + rng.random()) * step
        release(created)
        status = pick_status(rng, pk > recent_from)
        requester = draw_requester()
        org = people.customer_org[requester]
        channel = draw_channel()
        category = draw_category()
        priority = cat_prio[category] if rng.random() < 0.5 else draw_priority()
        team = cat_team[category]
        if team is None and (status != "new" or rng.random() < 0.5):
            team = people.team_ids[0]  # "Other" goes to first line once triaged
        fields = "{}"
        if category == 1:
            fields = json.dumps(
                {
                    "serial": f"SN{rng.randrange(10**6):06d}",
                    "model": rng.choice(["Laptop", "Desktop", "Printer"]),
                }
            )
        elif category == 7:
            fields = json.dumps({"invoice": f"INV-{rng.randrange(10**5):05d}"})

        # The conversation: customer first, then agent and customer in turns,
        # with internal notes now and then; it ends with an agent reply when the
        # ticket waits for the customer, is resolved or closed.
        n_msgs = message_count(rng, status, draw_count)
        escalated = status != "new" and team is not None and rng.random() < 0.12
        handoff = (None, None, "")
        if escalated:
            new_team = people.team_ids[2] if team_index[team] < 2 else people.team_ids[3]
        else:
            new_team = team
        assignee = None
        if status != "new" and new_team is not None:
            assigned = rng.random() < (0.88 if status == "open" else 0.97)
            if assigned:
                assignee = (
                    people.supervisor
                    if rng.random() < 0.003
                    else rng.choice(people.agents_by_team[team_index[new_team]])
                )
        helper = assignee or (
            rng.choice(people.agents_by_team[team_index[new_team]])
            if new_team
            else people.supervisor
        )
        gaps = [rng.expovariate(1 / 14400)] + [rng.expovariate(1 / 86400) for _ in range(n_msgs)]
        total = sum(gaps) + (rng.uniform(0, 7 * 86400) if status == "closed" else 0)
        room = now - 60 - created
        scale = 1.0 if total <= room else room / total * rng.uniform(0.5, 1.0)
        t = created
        msg(t, "reply", channel, requester, pk)
        evt(t, "created", created_json[channel], requester, pk)
        first_response = last_agent_reply = None
        turn_agent = True
        for i in range(1, n_msgs):
            t += gaps[i - 1] * scale
            last = i == n_msgs - 1
            must_be_agent = last and status in ("waiting_customer", "resolved", "closed")
            if turn_agent or must_be_agent:
                if rng.random() < 0.2 and not must_be_agent:
                    msg(t, "note", "web", helper, pk)
                else:
                    msg(t, "reply", "web", helper, pk)
                    first_response = first_response or t
                    last_agent_reply = t
                    turn_agent = False
            else:
                msg(t, "reply", channel, requester, pk)
                turn_agent = True
        updated = t
        if assignee is not None:
            at = created + min(gaps[0] * scale * 0.5, (updated - created) / 2)
            evt(at, "assignee", assigned_json[assignee], assignee, pk)
        if escalated:
            at = created + (updated - created) * rng.uniform(0.2, 0.6)
            note = "Escalating: " + body()
            old_name, new_name = (
                people.team_names[team_index[team]],
                people.team_names[team_index[new_team]],
            )
            by = rng.choice(people.agents_by_team[team_index[team]])
            data = json.dumps({"old": old_name, "new": new_name, "note": note})
            evt(at, "team", data, by, pk)
            handoff = (ts_str(at), by, note)
        resolved_at = closed_at = None
        if status in ("resolved", "closed"):
            resolved_at = last_agent_reply or updated
            if status == "resolved":  # closed tickets keep one status event: the closing
                evt(resolved_at, "status", status_data("open", "resolved"), helper, pk)
            updated = resolved_at
            if status == "closed":
                closed_at = min(resolved_at + gaps[-1] * scale + 60, now - 1)
                evt(closed_at, "status", closing_json, None, pk)
                updated = closed_at
        elif status != "new":
            evt(
                created + (updated - created) * 0.5 + 1,
                "status",
                status_data("new", status),
                helper,
                pk,
            )
        due = created + TARGET_SECONDS[priority] * rng.uniform(1.0, 1.5)
        if status in STATUS_OPEN and rng.random() < 0.5:
            due = max(due, now + rng.uniform(-86400, 5 * 86400))  # deadlines moved on
        tickets.append(
            (
                pk,
                rng.choice(subjects),
                channel,
                fields,
                status,
                priority,
                handoff[2],
                handoff[0],
                ts_str(created),
                ts_str(updated),
                None if first_response is None else ts_str(first_response),
                None if resolved_at is None else ts_str(resolved_at),
                None if closed_at is None else ts_str(closed_at),
                ts_str(due),
                assignee,
                category,
                handoff[1],
                org,
                requester,
                new_team,
            )
        )
        if rng.random() < 0.25:
            for tag in sorted(rng.sample(tag_ids, rng.choice((1, 1, 2)))):
                ticket_tags.append((pk, tag))
        if pk % BATCH_TICKETS == 0:
            flush()
            if pk % (BATCH_TICKETS * 10) == 0 or pk == n_tickets:
                elapsed = time.monotonic() - t_start
                log(
                    f"{pk:>9,} tickets, {counts['messages']:>10,} messages, "
                    f"{counts['events']:>9,} events  ({elapsed:.0f} s, "
                    f"{pk / elapsed:,.0f} tickets/s)"
                )
    release(float("inf"))
    flush()
    writer.close()
    return counts


# ---------------------------------------------------------------- build


def fill_report_rollup(con: sqlite3.Connection) -> None:
    """The reports' rollup (``reports_ticketfigures``), one row per ticket, as
    ``frontline reports rebuild`` writes it (``frontline/reports/rollup.py``),
    in one statement: days in UTC, the site's zone here. The business-hours
    durations are stand-ins (45 working hours of a week's 168 times the
    clock's): what the report costs to read does not depend on their values."""
    t0 = time.monotonic()
    con.execute(
        """
        INSERT INTO reports_ticketfigures (
            ticket_id, team_id, assignee_id, category_id, created_on,
            first_response_seconds, resolved_on, resolution_seconds, sla_missed,
            first_response_business_seconds, resolution_business_seconds,
            channel, organisation_id, moves)
        SELECT t.id, t.team_id, t.assignee_id, t.category_id, date(t.created_at),
            (julianday(t.first_response_at) - julianday(t.created_at)) * 86400.0,
            CASE WHEN t.status IN ('resolved', 'closed') THEN date(t.resolved_at) END,
            CASE WHEN t.status IN ('resolved', 'closed')
                THEN (julianday(t.resolved_at) - julianday(t.created_at)) * 86400.0 END,
            EXISTS (SELECT 1 FROM tickets_ticketevent e
                    WHERE e.ticket_id = t.id AND e.kind = 'sla_breach'),
            (julianday(t.first_response_at) - julianday(t.created_at)) * 86400.0 * 45 / 168,
            CASE WHEN t.status IN ('resolved', 'closed')
                THEN (julianday(t.resolved_at) - julianday(t.created_at)) * 86400.0 * 45 / 168
                END,
            t.channel, t.organisation_id, t.transfers
        FROM tickets_ticket t ORDER BY t.id
        """
    )
    log(f"report rollup filled in {time.monotonic() - t0:.0f} s")


def write_meta(
    con: Any, counts: dict, *, seed: int, now: float, elapsed: float, t_load: float
) -> dict[str, str]:
    """The ``bench_meta`` table: what was generated, when, and how long it took."""
    meta = {
        "data_version": str(DATA_VERSION),
        "tickets": str(counts["tickets"]),
        "messages": str(counts["messages"]),
        "events": str(counts["events"]),
        "ticket_tags": str(counts["ticket_tags"]),
        "users": str(con.execute("SELECT count(*) FROM accounts_user").fetchone()[0]),
        "organisations": str(N_ORGS),
        "seed": str(seed),
        "data_now": ts_str(now),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generation_seconds": f"{elapsed:.0f}",
        "load_seconds": f"{t_load:.0f}",
    }
    con.execute("CREATE TABLE bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.executemany("INSERT INTO bench_meta (key, value) VALUES (?, ?)", list(meta.items()))
    return meta


def build(db_path: Path, n_tickets: int, seed: int = SEED) -> dict[str, str]:
    """Make a complete benchmark database at ``db_path`` (replacing any there)."""
    t0 = time.monotonic()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(db_path.name + ".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        p.unlink(missing_ok=True)
    log(f"migrating a new schema into {tmp}")
    migrated_copy(tmp)
    t_migrate = time.monotonic() - t0

    # The rows are inserted by a thread of their own (``Writer``), one at a time.
    con = sqlite3.connect(tmp, isolation_level=None, check_same_thread=False)
    check_columns(con)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    con.execute("PRAGMA temp_store=MEMORY")
    con.execute("PRAGMA cache_size=-2000000")  # 2 GB page cache for the load
    marks = ",".join("?" * len(BIG_TABLES))
    indexes = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "  # noqa: S608
        f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name",
        BIG_TABLES,
    ).fetchall()
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    con.execute("BEGIN")
    rng = random.Random(seed)
    now = float(int(time.time()) // 60 * 60)
    log(f"loading {n_tickets:,} tickets")
    counts = generate(con, n_tickets, rng, now)
    con.execute("COMMIT")
    t_load = time.monotonic() - t0 - t_migrate
    log(f"rows loaded in {t_load:.0f} s; creating {len(indexes)} indexes")
    t_i = time.monotonic()
    for name, sql in indexes:
        t_one = time.monotonic()
        con.execute(sql)
        if time.monotonic() - t_one > 5:
            log(f"  index {name}: {time.monotonic() - t_one:.0f} s")
    log(f"indexes created in {time.monotonic() - t_i:.0f} s")
    fill_report_rollup(con)
    log("ANALYZE")
    con.execute("ANALYZE")
    elapsed = time.monotonic() - t0
    meta = write_meta(con, counts, seed=seed, now=now, elapsed=elapsed, t_load=t_load)
    con.execute("PRAGMA locking_mode=NORMAL")
    con.execute("PRAGMA journal_mode=WAL")  # persistent; the application uses WAL
    con.close()
    for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        p.unlink(missing_ok=True)
    tmp.rename(db_path)
    fill_daily_rollup(db_path)
    size = db_path.stat().st_size
    log(
        f"done in {elapsed:.0f} s ({elapsed / 60:.1f} min): {counts['tickets']:,} tickets, "
        f"{counts['messages']:,} messages, {counts['events']:,} events, "
        f"{size / 2**30:.2f} GiB at {db_path}"
    )
    return meta


def ensure(db_path: Path, n_tickets: int, *, force: bool = False) -> tuple[dict[str, str], bool]:
    """Reuse the database at ``db_path`` if it holds ``n_tickets``, else build it.
    Returns its ``bench_meta`` and whether it was reused.

    A reused database is migrated again, so new migrations apply to it (and it is
    analysed again if any did: new indexes need statistics like the old ones).
    """
    meta = read_meta(db_path)
    if (
        not force
        and meta
        and meta.get("tickets") == str(n_tickets)
        and meta.get("data_version") == str(DATA_VERSION)
    ):
        log(
            f"reusing {db_path} ({int(meta['tickets']):,} tickets, generated "
            f"{meta['generated_at']} in {meta['generation_seconds']} s)"
        )
        before = applied_migrations(db_path)
        migrate(db_path)
        fill_daily_rollup(db_path)
        if applied_migrations(db_path) != before:
            log("new migrations applied; ANALYZE")
            con = sqlite3.connect(db_path)
            con.execute("ANALYZE")
            con.close()
        return meta, True
    if meta:
        log(
            f"{db_path} holds {meta.get('tickets')} tickets (data v{meta.get('data_version')}); "
            f"rebuilding for {n_tickets:,}"
        )
    return build(db_path, n_tickets), False


# ---------------------------------------------------------------- PostgreSQL


class CopyLoad:
    """A psycopg connection that takes the generator's ``INSERT``s (the SQL of
    ``insert_sql`` and rows, as ``sqlite3``'s ``executemany`` does) as ``COPY …
    FROM STDIN`` (psycopg's copy API): one stream per batch, no statement per row.
    ``execute`` takes ``?`` placeholders like ``sqlite3``."""

    def __init__(self, url: str) -> None:
        import psycopg

        from bench.common import backend_at_our_niceness

        self.con = psycopg.connect(url, autocommit=True)
        self.con.execute("SET TIME ZONE 'UTC'")  # ts_str writes naive UTC
        with self.con.cursor() as cursor:
            backend_at_our_niceness(cursor)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.con.execute(sql.replace("?", "%s"), params or None)  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Any) -> None:
        head = sql.partition(" VALUES ")[0]
        if not head.startswith("INSERT INTO "):
            raise ValueError(f"not an insert: {sql[:60]}")
        target = head.removeprefix("INSERT INTO ")
        with self.con.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def close(self) -> None:
        self.con.close()


def migrate_url(url: str) -> None:
    """``frontline migrate`` against the database at ``url``."""
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="frontline.settings")
    cmd = [sys.executable, "-m", "frontline.manage", "migrate", "--noinput", "-v", "0"]
    subprocess.run(cmd, env=env, check=True, cwd=REPO_DIR)  # noqa: S603


def fill_daily_rollup_pg(url: str) -> None:
    """``fill_daily_rollup`` on PostgreSQL."""
    load = CopyLoad(url)
    empty = load.execute("SELECT NOT EXISTS (SELECT 1 FROM reports_dailyfigures)").fetchone()[0]
    tickets = load.execute("SELECT EXISTS (SELECT 1 FROM reports_ticketfigures)").fetchone()[0]
    load.close()
    if empty and tickets:
        t0 = time.monotonic()
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="frontline.settings")
        cmd = [sys.executable, "-m", "frontline.manage", "reports", "rebuild", "--daily-only"]
        subprocess.run(cmd, env=env, check=True, cwd=REPO_DIR)  # noqa: S603
        log(f"daily report rollup filled in {time.monotonic() - t0:.0f} s")


def read_meta_pg(load: CopyLoad) -> dict[str, str] | None:
    found = load.execute("SELECT to_regclass('bench_meta')").fetchone()[0]
    if found is None:
        return None
    return dict(load.execute("SELECT key, value FROM bench_meta").fetchall())


def fill_report_rollup_pg(load: CopyLoad) -> None:
    """``fill_report_rollup`` in PostgreSQL's words."""
    seconds = "EXTRACT(EPOCH FROM ({} - t.created_at))"
    load.execute(
        f"""
        INSERT INTO reports_ticketfigures (
            ticket_id, team_id, assignee_id, category_id, created_on,
            first_response_seconds, resolved_on, resolution_seconds, sla_missed,
            first_response_business_seconds, resolution_business_seconds,
            channel, organisation_id, moves)
        SELECT t.id, t.team_id, t.assignee_id, t.category_id,
            (t.created_at AT TIME ZONE 'UTC')::date,
            {seconds.format("t.first_response_at")},
            CASE WHEN t.status IN ('resolved', 'closed')
                THEN (t.resolved_at AT TIME ZONE 'UTC')::date END,
            CASE WHEN t.status IN ('resolved', 'closed')
                THEN {seconds.format("t.resolved_at")} END,
            EXISTS (SELECT 1 FROM tickets_ticketevent e
                    WHERE e.ticket_id = t.id AND e.kind = 'sla_breach'),
            {seconds.format("t.first_response_at")} * 45 / 168,
            CASE WHEN t.status IN ('resolved', 'closed')
                THEN {seconds.format("t.resolved_at")} * 45 / 168 END,
            t.channel, t.organisation_id, t.transfers
        FROM tickets_ticket t ORDER BY t.id
        """  # noqa: S608 (no input in it)
    )


def build_postgres(url: str, n_tickets: int, seed: int = SEED) -> dict[str, str]:
    """The benchmark data in the (empty) PostgreSQL database at ``url``: the
    schema by ``frontline migrate``, the rows by ``COPY``, the secondary indexes
    of the big tables dropped for the load and made again after it, foreign keys
    not checked row by row during the load (``session_replication_role``, when
    the role may set it), the identity sequences moved past the loaded ids,
    ``ANALYZE``, and ``bench_meta``."""
    t0 = time.monotonic()
    log("migrating the schema")
    migrate_url(url)
    load = CopyLoad(url)
    check_columns(load)
    if load.execute("SELECT EXISTS (SELECT 1 FROM tickets_ticket)").fetchone()[0]:
        raise SystemExit("bench.generate: the database already holds tickets; give an empty one")
    t_migrate = time.monotonic() - t0
    indexes = load.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = ANY(?) AND indexname NOT IN (SELECT conname FROM pg_constraint) "
        "ORDER BY tablename, indexname",
        (list(BIG_TABLES),),
    ).fetchall()
    for name, _sql in indexes:
        load.execute(f'DROP INDEX "{name}"')
    try:
        load.execute("SET session_replication_role = replica")
    except Exception as exc:
        log(f"foreign keys checked at commit ({exc})")
    rng = random.Random(seed)
    now = float(int(time.time()) // 60 * 60)
    log(f"loading {n_tickets:,} tickets with COPY")
    with load.con.transaction():
        counts = generate(load, n_tickets, rng, now)
    load.execute("SET session_replication_role = DEFAULT")
    t_load = time.monotonic() - t0 - t_migrate
    log(f"rows loaded in {t_load:.0f} s; creating {len(indexes)} indexes")
    for _name, sql in indexes:
        load.execute(sql)
    for table, cols in COLUMNS.items():
        if "id" in cols:
            load.execute(
                f"SELECT setval(pg_get_serial_sequence(?, 'id'), max(id)) FROM {table} "  # noqa: S608
                "HAVING max(id) IS NOT NULL",
                (table,),
            )
    fill_report_rollup_pg(load)
    log("ANALYZE")
    load.execute("ANALYZE")
    elapsed = time.monotonic() - t0
    meta = write_meta(load, counts, seed=seed, now=now, elapsed=elapsed, t_load=t_load)
    load.close()
    log(
        f"done in {elapsed:.0f} s ({elapsed / 60:.1f} min): {counts['tickets']:,} tickets, "
        f"{counts['messages']:,} messages, {counts['events']:,} events, in PostgreSQL"
    )
    return meta


def ensure_postgres(
    url: str, n_tickets: int, *, source: Path | None = None
) -> tuple[dict[str, str], bool]:
    """Reuse the benchmark data at ``url`` if it holds ``n_tickets`` (migrated
    again), else load it into that database, which must then be empty: generated,
    or copied from the SQLite benchmark database ``source`` of that size."""
    load = CopyLoad(url)
    meta = read_meta_pg(load)
    load.close()
    if (
        meta
        and meta.get("tickets") == str(n_tickets)
        and meta.get("data_version") == str(DATA_VERSION)
    ):
        log(f"reusing the PostgreSQL database ({int(meta['tickets']):,} tickets)")
        migrate_url(url)
        fill_daily_rollup_pg(url)
        return meta, True
    if meta:
        raise SystemExit(
            f"bench.generate: the database holds {meta.get('tickets')} benchmark tickets "
            f"(data v{meta.get('data_version')}); give an empty one for {n_tickets:,}"
        )
    if source is not None:
        source = source.expanduser().resolve()
        found = read_meta(source)
        if not found or found.get("tickets") != str(n_tickets):
            raise SystemExit(
                f"bench.generate: {source} is not a benchmark database of {n_tickets:,} tickets"
            )
        meta = build_from_sqlite(url, source)
    else:
        meta = build_postgres(url, n_tickets)
    fill_daily_rollup_pg(url)
    return meta, False


# ---------------------------------------------------------------- SQLite into PostgreSQL

# Tables of SQLite's own (FTS5 index tables and their shadow tables, statistics)
# and the migration record are never copied; the search index is made again on
# PostgreSQL (``frontline search reindex``), its tables hold other columns there.
SEARCH_INDEX_TABLES = ("search_ticket", "search_contact", "search_organisation", "search_article")


def source_migrations(src: sqlite3.Connection) -> list[tuple[str, str]]:
    """The migrations applied to the SQLite database, in the order applied."""
    return [
        (app, name)
        for app, name in src.execute("SELECT app, name FROM django_migrations ORDER BY id")
    ]


MIGRATE_TO = """
import json, sys
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
executor = MigrationExecutor(connection)
nodes = set(executor.loader.graph.nodes)
wanted = [tuple(t) for t in json.loads(sys.stdin.read())]
missing = [t for t in wanted if t not in nodes]
if missing:
    raise SystemExit(f"migrations of the SQLite database this code does not have: {missing}")
executor.migrate(wanted, executor.migration_plan(wanted))
"""


def migrate_url_to(url: str, targets: list[tuple[str, str]]) -> None:
    """Migrate the database at ``url`` to exactly these migrations (and no
    later one), so that its tables have the columns of the SQLite database the
    rows come from; ``frontline migrate`` takes it forward after the copy, data
    migrations included."""
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="frontline.settings")
    subprocess.run(  # noqa: S603
        [sys.executable, "-c", MIGRATE_TO],
        input=json.dumps(targets),
        text=True,
        env=env,
        check=True,
        cwd=REPO_DIR,
    )


def copied_tables(src: sqlite3.Connection, load: CopyLoad) -> list[str]:
    """The tables to copy: in both databases, not SQLite's own nor the index's."""
    theirs = {
        name
        for (name,) in load.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        ).fetchall()
    }
    return [
        name
        for (name,) in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )
        if name in theirs and name not in SEARCH_INDEX_TABLES and name != "django_migrations"
    ]


def copy_columns(src: sqlite3.Connection, load: CopyLoad, table: str) -> list[str]:
    """The columns of ``table`` the rows carry: in both, not generated in PostgreSQL.
    A column PostgreSQL has and the rows do not must have a default there."""
    info = table_columns(load, table)
    ours = {row[1] for row in src.execute(f'PRAGMA table_info("{table}")')}
    missing = [
        name
        for name, notnull, default, pk, generated in info
        if notnull and default is None and not pk and not generated and name not in ours
    ]
    if missing:
        raise SystemExit(
            f"bench.generate: {table} has NOT NULL columns the SQLite rows lack: {missing}"
        )
    return [name for name, *_x, generated in info if name in ours and not generated]


def build_from_sqlite(url: str, source: Path) -> dict[str, str]:
    """The benchmark database at ``source`` (SQLite, opened read-only) copied into
    the empty PostgreSQL database at ``url``: the schema by the migrations the
    source has, every table's rows by ``COPY`` (``CopyLoad``) with the big
    tables' secondary indexes dropped for the load and made again after it,
    foreign keys not checked row by row, the identity sequences moved past the
    ids, ``frontline migrate`` for the migrations since, ``ANALYZE``; its
    ``bench_meta`` (and ``bench_search``, which says how its text was made)
    copied. SQLite's values go through ``COPY``'s text form, which PostgreSQL
    reads into its own types: 0/1 booleans, UTC datetimes written as text
    (the session's zone is UTC), JSON as text."""
    t0 = time.monotonic()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    meta = dict(src.execute("SELECT key, value FROM bench_meta").fetchall())
    extra = {}
    if src.execute("SELECT 1 FROM sqlite_master WHERE name = 'bench_search'").fetchone():
        extra = dict(src.execute("SELECT key, value FROM bench_search").fetchall())
    log(f"migrating the schema to the {source.name}'s migrations")
    migrate_url_to(url, source_migrations(src))
    load = CopyLoad(url)
    if load.execute("SELECT EXISTS (SELECT 1 FROM tickets_ticket)").fetchone()[0]:
        raise SystemExit("bench.generate: the database already holds tickets; give an empty one")
    tables = copied_tables(src, load)
    big = [*BIG_TABLES, "reports_ticketfigures"]
    indexes = load.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = ANY(?) AND indexname NOT IN (SELECT conname FROM pg_constraint) "
        "ORDER BY tablename, indexname",
        (big,),
    ).fetchall()
    t_migrate = time.monotonic() - t0
    counts: dict[str, int] = {}
    with load.con.transaction():
        # Rows the migrations wrote (content types, say) give way to the source's.
        load.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        for name, _sql in indexes:
            load.execute(f'DROP INDEX "{name}"')
        try:
            with load.con.transaction():
                load.execute("SET LOCAL session_replication_role = replica")
        except Exception as exc:
            log(f"foreign keys checked at commit ({exc})")
            load.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            t_table = time.monotonic()
            cols = copy_columns(src, load, table)
            names = ", ".join(f'"{c}"' for c in cols)
            rows = src.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid')  # noqa: S608
            counted = _Counted(rows)
            marks = ", ".join("?" * len(cols))
            insert = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
            load.executemany(insert, counted)
            counts[table] = counted.n
            if time.monotonic() - t_table > 5:
                log(f"  {table}: {counted.n:,} rows in {time.monotonic() - t_table:.0f} s")
    t_load = time.monotonic() - t0 - t_migrate
    log(
        f"{sum(counts.values()):,} rows of {len(tables)} tables in {t_load:.0f} s; "
        f"creating {len(indexes)} indexes"
    )
    t_i = time.monotonic()
    for name, sql in indexes:
        t_one = time.monotonic()
        load.execute(sql)
        if time.monotonic() - t_one > 5:
            log(f"  index {name}: {time.monotonic() - t_one:.0f} s")
    log(f"indexes created in {time.monotonic() - t_i:.0f} s")
    src.close()
    load.close()
    return finish_copy(url, source, tables, meta, extra, t0=t0, t_load=f"{t_load:.0f}")


def finish_copy(
    url: str,
    source: Path,
    tables: list[str],
    meta: dict[str, str],
    extra: dict[str, str],
    *,
    t0: float,
    t_load: str,
) -> dict[str, str]:
    """``build_from_sqlite`` after the rows and indexes: sequences, the
    migrations since the source's, ``ANALYZE``, ``bench_meta`` and ``bench_search``."""
    load = CopyLoad(url)
    for table in tables:
        if not _has_id(load, table):
            continue
        sequence = load.execute("SELECT pg_get_serial_sequence(?, 'id')", (f'"{table}"',))
        name = sequence.fetchone()[0]
        if name:
            load.execute(
                f'SELECT setval(?, max(id)) FROM "{table}" HAVING max(id) IS NOT NULL',  # noqa: S608
                (name,),
            )
    load.close()
    log("frontline migrate (the migrations since the source's)")
    migrate_url(url)
    load = CopyLoad(url)
    log("ANALYZE")
    load.execute("ANALYZE")
    elapsed = time.monotonic() - t0
    meta = dict(
        meta,
        copied_from=str(source),
        copied_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        copy_seconds=f"{elapsed:.0f}",
        copy_load_seconds=str(t_load),
    )
    load.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    load.executemany("INSERT INTO bench_meta (key, value) VALUES (?, ?)", list(meta.items()))
    load.execute("CREATE TABLE IF NOT EXISTS bench_search (key text PRIMARY KEY, value text)")
    rows = [(k, v) for k, v in extra.items() if k != "indexed"]  # the index is not copied
    load.executemany("INSERT INTO bench_search (key, value) VALUES (?, ?)", rows)
    counts = {
        table: load.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in ("tickets_ticket", "tickets_message", "tickets_ticketevent")
    }
    load.close()
    log(
        f"done in {elapsed:.0f} s ({elapsed / 60:.1f} min): "
        f"{counts['tickets_ticket']:,} tickets, {counts['tickets_message']:,} "
        f"messages, {counts['tickets_ticketevent']:,} events, from {source}"
    )
    return meta


def _has_id(load: CopyLoad, table: str) -> bool:
    """Whether ``table`` has an integer ``id`` column (one a sequence may fill)."""
    return bool(
        load.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? AND column_name = 'id' AND data_type IN ('integer', 'bigint')",
            (table,),
        ).fetchone()
    )


class _Counted:
    """Rows passed through, counted."""

    def __init__(self, rows: Any) -> None:
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Any:
        for row in self.rows:
            self.n += 1
            yield row


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_database_arguments(parser)
    parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    parser.add_argument(
        "--database-url",
        help="load an empty PostgreSQL database (postgres://…) with COPY instead of a SQLite file",
    )
    parser.add_argument(
        "--from-sqlite",
        type=Path,
        help="with --database-url: copy this SQLite benchmark database (opened read-only) "
        "instead of generating the rows",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.database_url:
        ensure_postgres(args.database_url, args.tickets, source=args.from_sqlite)
        return
    if args.from_sqlite:
        raise SystemExit("bench.generate: --from-sqlite goes with --database-url")
    db_path = (args.db or default_db_path(args.tickets)).expanduser().resolve()
    ensure(db_path, args.tickets, force=args.force)


if __name__ == "__main__":
    main()
