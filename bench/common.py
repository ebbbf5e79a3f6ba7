"""What the benchmarks share: percentiles, the machine and the commit measured,
``frontline serve`` started and stopped, an HTTP client with a session or a
token, creates at a concurrency, repeated in-process runs, and the blocks they
write into ``docs/benchmarks.md``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from bench import REPO_DIR

FRONTLINE = Path(sys.executable).parent / "frontline"
DOCS = REPO_DIR / "docs" / "benchmarks.md"


# ---------------------------------------------------------------- figures


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}"


def git_head() -> str:
    """The commit measured, with ``+changes`` if the work tree differs from it."""

    def git(*args: str) -> str:
        cmd = ["git", "-C", str(REPO_DIR), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        return result.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "frontline")
    return head + (" +changes" if dirty else "")


def now_utc() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"


def command_line(module: str, argv: list[str] | None) -> str:
    """How the bench was called, for its block: ``python -m bench.x --flag``."""
    given = sys.argv[1:] if argv is None else argv
    return " ".join([f"python -m {module}", *given])


# ---------------------------------------------------------------- docs


def write_block(block: str, start: str, end: str, *, heading: str = "") -> None:
    """Put ``block`` (which holds its own ``start`` and ``end`` markers) in
    ``docs/benchmarks.md`` in place of the one there, or at the end under
    ``heading`` the first time."""
    doc = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if start in doc and end in doc:
        before, _, rest = doc.partition(start)
        _, _, after = rest.partition(end)
        doc = before + block + after
    else:
        doc = doc.rstrip() + "\n\n" + (f"## {heading}\n\n" if heading else "") + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(doc)


# ---------------------------------------------------------------- databases


def fresh_sqlite(path: Path) -> Path:
    """``path`` resolved, its folder made, and any database there removed."""
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def copy_database(source: Path, workdir: Path, name: str = "api.sqlite3") -> Path:
    """A copy of the benchmark database to write to (its WAL folded in first)."""
    con = sqlite3.connect(source)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    target = workdir / name
    shutil.copyfile(source, target)
    return target


def working_database(source: Path, workdir: Path, *, in_place: bool) -> Path:
    """The database a run writes to: a copy of ``source`` in ``workdir``, or with
    ``in_place`` ``source`` itself (a copy of one's own already: a million
    tickets are 3.5 GiB to copy before every run)."""
    return source if in_place else copy_database(source, workdir)


def run_frontline(env: dict[str, str], *args: str) -> str:
    """``frontline ARGS`` to its end; its output."""
    done = subprocess.run(  # noqa: S603 (our own command)
        [str(FRONTLINE), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def manage_shell(env: dict[str, str], code: str) -> str:
    """The last line ``frontline shell -c CODE`` printed."""
    out = subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "-m", "frontline.manage", "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def demo_environment(folder: Path) -> dict[str, str]:
    """The embedded default (SQLite, no Redis, files on disk) in ``folder``."""
    env = {**os.environ, "FRONTLINE_VAR": str(folder), "LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "TASK_BACKEND", "S3_BUCKET", "WEB_CONCURRENCY"):
        env.pop(name, None)
    return env


def backend_at_our_niceness(cursor: Any) -> None:
    """Give the PostgreSQL backend serving ``cursor`` this process's niceness,
    when the server runs on this machine and we may (root): a build at ``nice
    19`` then does not take the CPU from others through its server process, and
    a timed run at ``nice -10`` gets its backend at -10 too. The persistent
    benchmark server (``scripts/pg-cluster``) runs at niceness 0 otherwise."""
    cursor.execute("SELECT pg_backend_pid(), inet_server_addr()")
    pid, address = cursor.fetchone()
    if address is not None and str(address) not in ("127.0.0.1", "::1"):
        return
    with suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, 0))


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, timeout: float = 5) -> int:
    """The status of one GET on a connection of its own."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if get(port, "/healthz", timeout=2) == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"frontline serve did not answer within {timeout:.0f} s")
        time.sleep(0.3)


@contextmanager
def serving(
    env: dict[str, str],
    *,
    port: int | None = None,
    cwd: Path | None = None,
    log_to: Path | None = None,
    timeout: float = 60,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``frontline serve`` as shipped on a free loopback port, answering; the
    server and its workers (a session of their own) are stopped at the end."""
    port = port or free_port()
    out = log_to.open("w") if log_to else subprocess.DEVNULL
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [str(FRONTLINE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(port, timeout)
        yield server, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        if log_to:
            out.close()  # type: ignore[union-attr]


class Client:
    """One keep-alive connection with a session cookie (and its CSRF token), or a
    bearer token for the API."""

    def __init__(self, port: int, *, session: str = "", token: str = "") -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {"sessionid": session} if session else {}
        self.token = token

    def call(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, float, bytes]:
        """Status, milliseconds and body of one request."""
        headers = {"Host": "localhost"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if content_type:
            headers["Content-Type"] = content_type
        if method == "POST" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
            headers["Referer"] = "http://localhost/"
        start = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, elapsed, data

    def times(self, paths: list[str], errors: dict[str, int]) -> list[float]:
        """The milliseconds of the GETs that answered 200; the others counted."""
        done = []
        for path in paths:
            status, ms, _ = self.call("GET", path)
            if status == 200:
                done.append(ms)
            else:
                errors[f"GET {status}"] = errors.get(f"GET {status}", 0) + 1
        return done


def api_create(port: int, setup: dict[str, Any]) -> Callable[[], tuple[bool, float]]:
    """A function that opens one ticket through the API as the customer's token."""
    client = Client(port, token=setup["customer"])
    payload = json.dumps(
        {
            "subject": "Bench printer jam",
            "body": "The printer on floor 3 jams on every page.",
            "category": setup["category"],
            "fields": setup["fields"],
        }
    ).encode()

    def create() -> tuple[bool, float]:
        status, ms, _ = client.call("POST", "/api/v1/tickets", payload, "application/json")
        return status == 201, ms

    return create


def api_floor(port: int, setup: dict[str, Any]) -> Callable[[], tuple[bool, float]]:
    """A function that makes the API's cheapest request (``GET /api/v1/me``, the
    staff token): the rate of the floor, beside the rate of the creates."""
    client = Client(port, token=setup["staff"])

    def floor() -> tuple[bool, float]:
        status, ms, _ = client.call("GET", "/api/v1/me")
        return status == 200, ms

    return floor


def create_rate(
    make: Callable[[int, dict[str, Any]], Callable[[], tuple[bool, float]]],
    port: int,
    setup: dict[str, Any],
    concurrency: int,
    seconds: float,
) -> tuple[float, list[float], int]:
    """Tickets opened per second by ``concurrency`` clients (each made by
    ``make``) for ``seconds``; the times of those that succeeded; failures."""
    creators = [make(port, setup) for _ in range(concurrency)]
    times: list[list[float]] = [[] for _ in creators]
    failures = [0] * concurrency
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        while time.monotonic() < stop:
            ok, ms = creators[i]()
            if ok:
                times[i].append(ms)
            else:
                failures[i] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [ms for each in times for ms in each]
    return len(done) / (time.monotonic() - start), done, sum(failures)


# ---------------------------------------------------------------- in process


def repeated_runs(
    runs: int,
    measure_one: Callable[[], Any],
    log: Callable[[str], None],
) -> list[Any] | None:
    """``runs`` times: ``measure_one()`` returns the pages it measured (each
    with ``label`` and ``errors``); None (errors logged) if any page failed."""
    done = []
    for run in range(runs):
        measured = measure_one()
        errors = {p.label: p.errors for p in measured if p.errors}
        if errors:
            log(f"errors: {errors}")
            return None
        done.append(measured)
        log(f"run {run + 1} of {runs} done")
    return done


def goal_block(
    *,
    start: str,
    end: str,
    command: str,
    setting: str,
    table: str,
    goal_ms: float,
    worst_ms: float,
) -> str:
    """The block of an in-process bench: when, how and where it ran, what was
    measured (``setting``), its table, and whether the worst p95 met the goal."""
    verdict = "met" if worst_ms < goal_ms else "NOT met"
    return "\n".join(
        [
            start,
            "",
            f"{now_utc()}, `{command}`, {machine()}, Python {platform.python_version()}, "
            f"SQLite, git {git_head()}, load average {os.getloadavg()[0]:.1f}.",
            setting,
            "",
            table,
            "",
            f"Goal (p95 under {goal_ms:.0f} ms on every run): {verdict} "
            f"(worst p95 {worst_ms:.1f} ms).",
            "",
            end,
        ]
    )


def publish(
    block: str,
    *,
    start: str,
    end: str,
    heading: str,
    json_path: Path,
    data: Any,
    docs: bool,
    log: Callable[[str], None],
) -> None:
    """Print the block, keep the raw figures in ``json_path``, and (``docs``)
    put the block into ``docs/benchmarks.md``."""
    print("\n" + block)
    json_path.write_text(json.dumps(data, indent=2, default=str))
    if docs:
        write_block(block, start, end, heading=heading)
        log(f"wrote {DOCS.relative_to(REPO_DIR)}")
