# ruff: noqa: RUF001  (word lists in Russian and Chinese, one line each)
"""Time the articles suggested while a customer types a request (issue 16).

    python -m bench.suggest [--articles 10000] [--requests 60] [--runs 3] [--no-docs]
                            [--base TICKETS.sqlite3] [--keep] [--build-only]

Builds its own database (``var/bench/suggest.sqlite3``, made afresh each time;
with ``--base``, a copy of that ticket database, such as the 1,000,000-ticket
one, instead of an empty one; with ``--keep``, one built before with as many
articles is reused, so a timed run builds nothing):
``--articles`` published articles (public and internal, in English, Russian and
Chinese; bodies of 60-200 words drawn from a help-desk vocabulary with a
Zipf-like spread, so common words are in thousands of articles), with their
suggestion terms written as ``knowledge.actions`` writes them. Then it times,
in process with the test client like ``bench.run``, the portal's
``/help/suggest/`` as an anonymous visitor typing a request word by word (each
prefix is one request, as the debounced form sends them), ``--runs`` times.
The suggestion reads only articles and their terms, so the ticket count does
not enter; the 1,000,000-ticket database of ``bench.run`` is not needed.
Beside each figure is the floor: the cheapest request of the same run
(``/healthz``, one query), which says how loaded the machine was.

Writes a table between the ``bench:suggest`` markers of ``docs/benchmarks.md``
and ``suggest.json`` beside the database.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

from bench import REPO_DIR
from bench.common import (
    command_line,
    copy_database,
    fresh_sqlite,
    goal_block,
    percentile,
    publish,
    repeated_runs,
)
from bench.customers import table
from bench.run import Page, Runner, log, setup_django

START = "<!-- bench:suggest:start (written by `python -m bench.suggest`; edit outside) -->"
END = "<!-- bench:suggest:end -->"
GOAL_MS = 100.0  # issue 16: p95 under 100 ms with 10,000 articles

WORDS = {
    "en": [
        "printer",
        "jams",
        "paper",
        "tray",
        "driver",
        "update",
        "invoice",
        "charged",
        "twice",
        "refund",
        "password",
        "reset",
        "account",
        "locked",
        "login",
        "email",
        "bounce",
        "vpn",
        "connection",
        "slow",
        "laptop",
        "battery",
        "screen",
        "monitor",
        "keyboard",
        "mouse",
        "network",
        "wifi",
        "router",
        "cable",
        "server",
        "backup",
        "restore",
        "disk",
        "full",
        "license",
        "renewal",
        "order",
        "delivery",
        "late",
        "address",
        "change",
        "contract",
        "cancel",
        "payment",
        "card",
        "declined",
        "report",
        "export",
        "error",
        "message",
        "crash",
        "install",
        "upgrade",
        "version",
        "calendar",
        "meeting",
        "room",
        "phone",
        "headset",
        "sound",
        "microphone",
        "camera",
        "permission",
        "folder",
        "share",
        "access",
    ],
    "ru": [
        "принтер",
        "бумага",
        "лоток",
        "драйвер",
        "обновление",
        "счёт",
        "списание",
        "дважды",
        "возврат",
        "пароль",
        "сброс",
        "учётная",
        "запись",
        "блокировка",
        "вход",
        "почта",
        "соединение",
        "медленно",
        "ноутбук",
        "батарея",
        "экран",
        "монитор",
        "клавиатура",
        "мышь",
        "сеть",
        "роутер",
        "кабель",
        "сервер",
        "резервная",
        "копия",
        "диск",
        "лицензия",
        "заказ",
        "доставка",
        "адрес",
        "договор",
        "оплата",
        "карта",
        "отчёт",
        "ошибка",
        "установка",
        "версия",
        "доступ",
    ],
    "zh-hans": [
        "打印机",
        "卡纸",
        "纸盒",
        "驱动",
        "更新",
        "发票",
        "重复",
        "扣款",
        "退款",
        "密码",
        "重置",
        "账户",
        "锁定",
        "登录",
        "邮件",
        "网络",
        "连接",
        "缓慢",
        "笔记本",
        "电池",
        "屏幕",
        "键盘",
        "鼠标",
        "服务器",
        "备份",
        "恢复",
        "磁盘",
        "许可证",
        "订单",
        "配送",
        "地址",
        "合同",
        "付款",
        "银行卡",
        "报告",
        "导出",
        "错误",
        "安装",
        "升级",
        "版本",
        "权限",
        "文件夹",
        "共享",
    ],
}
TYPED = {
    "en": "My printer jams paper on every page after the driver update, please help",
    "ru": "Принтер зажёвывает бумагу на каждой странице после обновления драйвера",
}


def _text(rng: random.Random, words: list[str], n: int) -> str:
    # Zipf-like: the first words of the list come far more often.
    picks = [words[min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)] for _ in range(n)]
    rng.shuffle(words)  # a different spread of favourites per article
    return " ".join(picks)


def build(articles: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from frontline.accounts.models import Role, User
    from frontline.knowledge.actions import article_terms
    from frontline.knowledge.models import Article, ArticleCategory, ArticleTerm

    call_command("migrate", verbosity=0)
    rng = random.Random(16)
    now = timezone.now()
    staff = User.objects.create(
        username="writer", role=Role.SUPERVISOR, password=make_password("bench")
    )
    categories = [ArticleCategory.objects.create(name=f"Topic {i}") for i in range(20)]
    languages = ["en"] * 6 + ["ru"] * 3 + ["zh-hans"]
    rows = []
    for i in range(articles):
        language = languages[i % len(languages)]
        words = list(WORDS[language])
        rows.append(
            Article(
                category=categories[i % len(categories)],
                title=_text(rng, words, rng.randint(3, 8)),
                body=_text(rng, words, rng.randint(60, 200)),
                language=language,
                visibility="internal" if i % 5 == 4 else "public",
                status="published",
                owner=staff,
                created_by=staff,
                created_at=now,
                updated_at=now,
                published_at=now,
                view_count=rng.randint(0, 500),
            )
        )
    Article.objects.bulk_create(rows, batch_size=1000)
    term_rows = []
    fields = ("id", "title", "body", "status", "visibility", "language")
    for article in Article.objects.only(*fields).iterator(chunk_size=2000):
        term_rows += article_terms(article)
        if len(term_rows) >= 50_000:
            ArticleTerm.objects.bulk_create(term_rows, batch_size=5000)
            term_rows = []
    ArticleTerm.objects.bulk_create(term_rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def built_articles(db_path: Path) -> int | None:
    """How many articles the database at ``db_path`` holds; None if it holds none
    (or is not there)."""
    if not db_path.exists():
        return None
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM knowledge_article").fetchone()[0] or None
    except sqlite3.Error:
        return None
    finally:
        con.close()


def tickets_in(db_path: Path) -> int:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
    finally:
        con.close()


def typing(language: str) -> list[str]:
    """The requests a visitor typing the subject sends: one per word typed."""
    words = TYPED[language].split()
    return [
        "/help/suggest/?" + urlencode({"subject": " ".join(words[:n]), "body": ""})
        for n in range(1, len(words) + 1)
    ]


def pages() -> list[Page]:
    return [
        Page("floor: /healthz", "visitor", ["/healthz"], "floor"),
        Page("suggestions while typing (English)", "visitor", typing("en"), "suggest"),
        Page("suggestions while typing (Russian)", "visitor", typing("ru"), "suggest"),
        Page(
            "suggestions for subject and body",
            "visitor",
            [
                "/help/suggest/?"
                + urlencode({"subject": "Invoice charged twice", "body": TYPED["en"] * 3})
            ],
            "suggest",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.suggest", description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, default=REPO_DIR / "var" / "bench" / "suggest.sqlite3")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--base", type=Path, help="start from a copy of this (ticket) database, not an empty one"
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database at --db if it holds --articles"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build the database, time nothing"
    )
    args = parser.parse_args(argv)
    db_path = args.db.expanduser().resolve()
    if args.keep and built_articles(db_path) == args.articles:
        log(f"reusing {db_path} ({args.articles} articles)")
        setup_django(db_path)
    else:
        db_path = fresh_sqlite(db_path)
        if args.base:
            log(f"copying {args.base}")
            copy_database(args.base.expanduser().resolve(), db_path.parent, db_path.name)
        setup_django(db_path)
        log(f"building {args.articles} articles in {db_path}")
        build(args.articles)
    if args.build_only:
        return 0
    tickets = tickets_in(db_path)

    def measure_one() -> list[Page]:
        runner = Runner(warmup=3, reconnect=False, budget_s=60.0)
        runner.clients["visitor"] = runner.client_class(raise_request_exception=True)
        measured = pages()
        runner.measure(measured, [args.requests] * len(measured))
        return measured

    runs = repeated_runs(args.runs, measure_one, log)
    if runs is None:
        return 1
    text = table(runs)
    worst = max(
        percentile(sorted(p.times_ms), 95) for run in runs for p in run if p.group == "suggest"
    )
    block = goal_block(
        start=START,
        end=END,
        command=command_line("bench.suggest", argv),
        setting=(
            f"{args.articles:,} published articles (a fifth internal; English, Russian, "
            f"Chinese) in a database of {tickets:,} tickets, {args.requests} requests per line "
            "and run, in process (test client), as an anonymous visitor."
        ),
        table=text,
        goal_ms=GOAL_MS,
        worst_ms=worst,
    )
    publish(
        block,
        start=START,
        end=END,
        heading="Suggestions while typing (`bench/suggest.py`, issue 16)",
        json_path=db_path.parent / "suggest.json",
        data=[[p.stats() for p in run] for run in runs],
        docs=not args.no_docs,
        log=log,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
