"""Mail ingestion throughput: ``frontline mail import`` on 10,000 messages (``make bench``).

    python -m bench.mail [--messages 10000] [--repeat 3] [--no-docs]

Generates varied messages into a temporary Maildir: new tickets (some copying
colleagues), replies threaded by In-Reply-To and by the ``[#n]`` subject tag,
replies to the per-ticket reply address (``support+t-<token>@``), duplicates,
auto-replies, attachments, and koi8-r / windows-1251 / gb18030 / iso-2022-jp /
latin-1 bodies. Then it times the command itself, one process, into a fresh
database: SQLite in a temporary file, or, when ``DATABASE_URL`` points to
PostgreSQL (``scripts/with-postgres python -m bench.mail``), a fresh database
created on that server and dropped afterwards. Token replies need the tokens
the first import gave, so the import runs twice (the first 80%, then the token
replies and the rest); the figure is all messages over both runs' time, and
the median of ``--repeat`` such runs (this machine's speed varies by ±10%
from one minute to the next).

Writes the result into ``docs/benchmarks.md`` between ``bench:mail:<backend>``
markers. Goal: 300 messages/s on SQLite.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.message import EmailMessage
from mailbox import Maildir
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import REPO_DIR

DOCS = REPO_DIR / "docs" / "benchmarks.md"
FRONTLINE = Path(sys.executable).parent / "frontline"
GOAL = 300.0
CHARSETS = ("utf-8", "koi8-r", "windows-1251", "gb18030", "iso-2022-jp", "latin-1")
TEXTS = {
    "utf-8": "The printer on floor 3 jams on every page. — Thanks, ✓",
    "koi8-r": "Принтер на третьем этаже зажёвывает каждую страницу.",
    "windows-1251": "Не работает почта с утра, помогите пожалуйста.",  # noqa: RUF001
    "gb18030": "三楼的打印机每一页都卡纸，请帮忙处理。",  # noqa: RUF001
    "iso-2022-jp": "三階のプリンターが毎回紙詰まりします。",
    "latin-1": "L'imprimante du 3e étage bourre à chaque page. Merci déjà.",
}


MAILBOX = (
    "from frontline.mail.models import Mailbox;"
    "Mailbox.objects.create(name='Support', address='support@frontline.test')"
)
BOX = ("--mailbox", "support@frontline.test")


def log(msg: str) -> None:
    print(f"[bench.mail] {msg}", flush=True)


class Corpus:
    """Deterministic messages; remembers what later messages can thread on."""

    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.n = 0
        self.sent: list[bytes] = []
        self.opened: list[tuple[int, str, str]] = []  # (ticket number, sender, message id)
        self.senders = [f"customer{i}@client{i % 50}.test" for i in range(2000)]
        self.planned: Counter[str] = Counter()  # the outcome each message should have

    def _message(
        self, sender: str, subject: str, *, to: str = "support@frontline.test", **headers: str
    ) -> EmailMessage:
        self.n += 1
        msg = EmailMessage()
        msg["From"] = f"Customer {sender.split('@')[0]} <{sender}>"
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = f"<bench{self.n}@{sender.split('@')[1]}>"
        msg["Date"] = "Mon, 03 Mar 2025 10:00:00 +0000"
        for name, value in headers.items():
            msg[name.replace("_", "-")] = value
        charset = self.rng.choice(CHARSETS) if self.rng.random() < 0.3 else "utf-8"
        text = f"{TEXTS[charset]}\n\nMessage {self.n}.\n\n-- \n{sender}"
        msg.set_content(text, charset=charset)
        if self.rng.random() < 0.2:
            msg.add_alternative(
                f"<p>{TEXTS['utf-8']}</p><img src='https://img.test/{self.n}.png'>"
                f"<blockquote>older</blockquote>",
                subtype="html",
            )
        if self.rng.random() < 0.1:
            msg.add_attachment(
                self.rng.randbytes(20_000),
                maintype="application",
                subtype="octet-stream",
                filename=f"log-{self.n}.bin",
            )
        return msg

    def new_ticket(self) -> None:
        sender = self.rng.choice(self.senders)
        extra = {}
        if self.rng.random() < 0.15:
            extra["Cc"] = f"colleague{self.rng.randrange(500)}@{sender.split('@')[1]}"
        msg = self._message(sender, f"Problem {self.n + 1}", **extra)
        self.opened.append((len(self.opened) + 1, sender, msg["Message-ID"]))
        self.sent.append(msg.as_bytes())
        self.planned["new tickets"] += 1

    def reply(self) -> None:
        number, sender, message_id = self.rng.choice(self.opened)
        if self.rng.random() < 0.5:
            msg = self._message(sender, "Re: Problem", In_Reply_To=message_id)
        else:
            msg = self._message(sender, f"Re: [#{number}] Problem")
        self.sent.append(msg.as_bytes())
        self.planned["replies"] += 1

    def token_reply(self, number: int, token: str) -> None:
        sender = self.opened[number - 1][1]
        msg = self._message(sender, "Re: your request", to=f"support+t-{token}@frontline.test")
        self.sent.append(msg.as_bytes())
        self.planned["replies"] += 1

    def auto_reply(self) -> None:
        sender = self.rng.choice(self.senders)
        self.sent.append(
            self._message(sender, "Out of office", Auto_Submitted="auto-replied").as_bytes()
        )
        self.planned["skipped"] += 1

    def duplicate(self) -> None:
        self.sent.append(self.rng.choice(self.sent))
        self.planned["duplicates skipped"] += 1

    def mixed(self, count: int) -> None:
        for _ in range(count):
            roll = self.rng.random()
            if not self.opened or roll < 0.45:
                self.new_ticket()
            elif roll < 0.85:
                self.reply()
            elif roll < 0.93:
                self.auto_reply()
            else:
                self.duplicate()


def write_maildir(messages: list[bytes], path: Path) -> None:
    """A Maildir whose keys sort in the order the messages were made, so replies
    come after the messages they answer and tickets get the numbers the corpus
    assumed. (``Maildir.add`` names files ``<time>.M<microseconds>P<pid>Q<n>``,
    which do not sort as strings: about a fifth arrived out of order.)"""
    Maildir(str(path), create=True).close()
    for index, raw in enumerate(messages):
        (path / "new" / f"{index:08d}.bench").write_bytes(raw)


# ------------------------------------------------------------------ databases


def fresh_database(workdir: Path) -> tuple[str, str, object]:
    """(backend, DATABASE_URL, clean-up) for a database nobody else uses."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "sqlite", f"sqlite:///{workdir / 'mailbench.sqlite3'}", lambda: None
    import psycopg

    name = f"frontline_mailbench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return "postgresql", urlunsplit(parts._replace(path=f"/{name}")), drop


def frontline(url: str, *args: str) -> tuple[float, str]:
    """Run the command; (wall seconds, its output). Its CPU seconds (user and
    system, of it and its children) are added to ``CPU_SECONDS``."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(  # noqa: S603 (our own command)
            [str(FRONTLINE), *args], env=env, stdout=subprocess.PIPE, stderr=errors
        )
        assert child.stdout is not None
        out = child.stdout.read().decode()
        child.stdout.close()
        # wait4: this command's own resource use (peak memory included), not the
        # maximum over every child so far as RUSAGE_CHILDREN would give.
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            errors.seek(0)
            raise subprocess.CalledProcessError(child.returncode, args, out, errors.read())
    elapsed = time.perf_counter() - started
    CPU_SECONDS[args[0]] = CPU_SECONDS.get(args[0], 0.0) + usage.ru_utime + usage.ru_stime
    if args[0] == "mail":  # ru_maxrss is in KiB on Linux
        PEAK_MIB[args[0]] = max(PEAK_MIB.get(args[0], 0.0), usage.ru_maxrss / 1024)
    return elapsed, out.strip()


# CPU seconds by command (``mail``, ``shell``, ``migrate``) in this run.
CPU_SECONDS: dict[str, float] = {}
# The import's peak resident memory (MiB) in this run.
PEAK_MIB: dict[str, float] = {}


def reply_tokens(url: str, limit: int) -> list[tuple[int, str]]:
    script = (
        "from frontline.tickets.models import Ticket;"
        f"print('\\n'.join(f'{{p}} {{t}}' for p, t in Ticket.objects.order_by('pk')"
        f".values_list('pk', 'reply_token')[:{limit}]))"
    )
    _elapsed, out = frontline(url, "shell", "-c", script)
    pairs = (re.fullmatch(r"(\d+) ([0-9a-f]{20})", line) for line in out.splitlines())
    return [(int(m[1]), m[2]) for m in pairs if m]


# ------------------------------------------------------------------ the run


def run(total: int) -> dict[str, object]:
    CPU_SECONDS.clear()
    PEAK_MIB.clear()
    with tempfile.TemporaryDirectory(prefix="mailbench-") as tmp:
        work = Path(tmp)
        backend, url, drop = fresh_database(work)
        try:
            log(f"{backend}: migrating a fresh database")
            frontline(url, "migrate", "--noinput")
            frontline(url, "shell", "-c", MAILBOX)
            corpus = Corpus()
            first = int(total * 0.8)
            corpus.mixed(first)
            write_maildir(corpus.sent, work / "part1")
            log(f"importing {first} messages")
            t1, out1 = frontline(url, "mail", "import", *BOX, str(work / "part1"))
            log(out1.splitlines()[0])
            tokens = reply_tokens(url, total - first)
            start = len(corpus.sent)
            for number, token in tokens[: (total - first) // 2]:
                corpus.token_reply(number, token)
            corpus.mixed(total - len(corpus.sent))
            write_maildir(corpus.sent[start:], work / "part2")
            log(f"importing {len(corpus.sent) - start} messages")
            t2, out2 = frontline(url, "mail", "import", *BOX, str(work / "part2"))
            log(out2.splitlines()[0])
        finally:
            drop()
    seconds = t1 + t2
    rate = len(corpus.sent) / seconds
    cpu = CPU_SECONDS.get("mail", 0.0)
    log(f"{backend}: {len(corpus.sent)} messages in {seconds:.1f} s = {rate:.0f} messages/s")
    per_cpu = len(corpus.sent) / cpu
    log(f"the import's CPU time (user + system): {cpu:.1f} s = {per_cpu:.0f} messages/s")
    log(f"the import's peak resident memory (ru_maxrss): {PEAK_MIB.get('mail', 0):.0f} MiB")
    got = outcomes(out1.splitlines()[0]) + outcomes(out2.splitlines()[0])
    for name in sorted(corpus.planned.keys() | got.keys()):
        if got[name] != corpus.planned[name]:
            log(f"not the planned mix: {name} {got[name]}, planned {corpus.planned[name]}")
    return {
        "backend": backend,
        "messages": len(corpus.sent),
        "seconds": seconds,
        "rate": rate,
        "cpu": cpu,
        "peak_mib": PEAK_MIB.get("mail", 0.0),
        "load": os.getloadavg(),
        "summaries": [out1.splitlines()[0], out2.splitlines()[0]],
    }


def outcomes(summary: str) -> Counter[str]:
    """``read 8000, new tickets 3602, …`` as counts by outcome (without ``read``)."""
    pairs = (re.fullmatch(r"\s*([a-z ]+?) (\d+)", part) for part in summary.split(","))
    return Counter({m[1]: int(m[2]) for m in pairs if m and m[1] != "read"})


def write_docs(result: dict[str, object]) -> None:
    backend = result["backend"]
    start, end = f"<!-- bench:mail:{backend}:start -->", f"<!-- bench:mail:{backend}:end -->"
    goal = f" (goal ≥ {GOAL:.0f}/s)" if backend == "sqlite" else ""
    block = "\n".join(
        [
            start,
            f"- **{backend}**, {dt.datetime.now(dt.UTC):%Y-%m-%d}: "
            f"{result['messages']:,} messages in "
            f"{result['seconds']:.1f} s = **{result['rate']:.0f} messages/s**{goal}, the median of "
            f"{len(result['rates'])} runs ("
            + ", ".join(f"{r:.0f}" for r in result["rates"])
            + "); "
            f"CPU time {result['cpu']:.1f} s; peak memory of the import (ru_maxrss) "
            f"{result['peak_mib']:.0f} MiB; load average after "
            + "/".join(f"{x:.2f}" for x in result["load"]),
            *(f"  - `{line}`" for line in result["summaries"]),
            end,
        ]
    )
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if start in text:
        pattern = re.escape(start) + r".*?" + re.escape(end)
        text = re.sub(pattern, lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + f"\n\n{block}\n"
    DOCS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs, each on a fresh database (the median counts)"
    )
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    # Our modules compiled to bytecode first, as a deployed install has them: with
    # PYTHONDONTWRITEBYTECODE set (as on the CI machines) every import command
    # would otherwise compile its 300 source files again, ~0.3 s of its CPU time.
    compileall.compile_dir(REPO_DIR / "frontline", quiet=1)
    runs = [run(args.messages) for _ in range(max(1, args.repeat))]
    result = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
    result["rates"] = [r["rate"] for r in runs]
    if len(runs) > 1:
        rates = ", ".join(f"{r:.0f}" for r in result["rates"])
        median = f"{result['rate']:.0f} messages/s"
        log(f"{result['backend']}: the median of {len(runs)} runs is {median} ({rates})")
    if not args.no_docs:
        write_docs(result)
    if result["backend"] == "sqlite" and result["rate"] < GOAL:
        log(f"below the goal of {GOAL:.0f} messages/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
