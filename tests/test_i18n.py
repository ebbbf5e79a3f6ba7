"""The portal and the desk speak Russian and Simplified Chinese.

Language comes from the browser's Accept-Language or from the language switch
(POST /i18n/setlang/). The catalogues under frontline/locale are complete: no
untranslated or fuzzy entry, placeholders kept, and the committed .mo files
match their .po sources (so ``make run`` needs no gettext).
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from frontline.tickets import actions
from frontline.tickets.models import Status
from tests.conftest import login

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
CATALOGUES = {
    "ru": LOCALE_DIR / "ru" / "LC_MESSAGES",
    "zh_Hans": LOCALE_DIR / "zh_Hans" / "LC_MESSAGES",
}
PLURAL_FORMS = {
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
    "zh_Hans": "nplurals=1; plural=0;",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def page(response) -> str:
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


# Portal: the customer's request list and ticket page.


def test_portal_in_russian(client, people, ticket):
    login(client, people.carol)
    html = page(client.get("/portal/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert '<html lang="ru">' in html
    assert "Мои обращения" in html
    assert "Новое обращение" in html
    assert ">Новое</span>" in html  # the ticket's status
    assert "Наша служба поддержки уже занимается" in html  # who is on it, in plain words
    assert "My requests" not in html

    actions.change_status(ticket, status=Status.WAITING_CUSTOMER, by=people.alice)
    html = page(client.get(f"/portal/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert ">Ждём ответа клиента</span>" in html
    assert "Статус" in html
    assert "Кто занимается" in html
    assert "Добавить сообщение" in html
    assert "Waiting for customer" not in html


def test_portal_in_chinese(client, people, ticket):
    login(client, people.carol)
    html = page(client.get("/portal/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert '<html lang="zh-hans">' in html
    assert "我的请求" in html
    assert "新建请求" in html
    assert ">新建</span>" in html
    assert "我们的支持团队正在处理" in html  # who is on it, in plain words

    actions.change_status(ticket, status=Status.WAITING_CUSTOMER, by=people.alice)
    html = page(client.get(f"/portal/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert ">等待客户回复</span>" in html
    assert "状态" in html
    assert "添加留言" in html
    assert "Waiting for customer" not in html


def test_browser_region_code_falls_back_to_simplified_chinese(client, people, ticket):
    login(client, people.carol)
    html = page(client.get("/portal/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8"))
    assert "我的请求" in html


def test_english_stays_default(client, people, ticket):
    login(client, people.carol)
    html = page(client.get("/portal/"))
    assert "My requests" in html
    assert "Мои обращения" not in html


# Desk: the agent's queues.


def test_desk_queue_in_russian(client, people, ticket):
    login(client, people.alice)
    html = page(client.get("/desk/q/open/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert "<h1>Все открытые</h1>" in html  # noqa: RUF001 (Cyrillic on purpose)
    assert "Мои команды" in html
    assert "Без исполнителя" in html
    assert "Очереди" in html
    assert ">Новое</span>" in html
    assert "All open" not in html


def test_desk_ticket_in_chinese(client, people, ticket):
    login(client, people.alice)
    html = page(client.get(f"/desk/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "内部备注" in html
    assert "公开回复" in html
    assert "分配给我" in html  # Assign to me


# The language switch.


def test_setlang_switches_to_chinese(client, people, ticket):
    login(client, people.carol)
    assert "My requests" in page(client.get("/portal/"))
    r = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/portal/"})
    assert r.status_code == 302
    assert r["Location"] == "/portal/"
    html = page(client.get("/portal/"))
    assert "我的请求" in html
    assert "My requests" not in html


def test_setlang_beats_accept_language(client, people, ticket):
    login(client, people.carol)
    client.post("/i18n/setlang/", {"language": "ru", "next": "/portal/"})
    html = page(client.get("/portal/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "Мои обращения" in html


# The catalogues themselves.


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr forms, flags. Obsolete ones skipped."""
    entries: list[dict] = []
    flags: set[str] = set()
    context: str | None = None
    field: tuple[str, int] = ("msgid", 0)
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            flags.update(f.strip() for f in line[2:].split(","))
        elif not line or line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            context = _unquote(line[8:])
        elif line.startswith("msgid "):
            entries.append(
                {"flags": flags, "msgid": "", "msgid_plural": None, "msgstr": {}, "ctx": context}
            )
            flags, context = set(), None
            field = ("msgid", 0)
            entries[-1]["msgid"] = _unquote(line[6:])
        elif line.startswith("msgid_plural "):
            field = ("msgid_plural", 0)
            entries[-1]["msgid_plural"] = _unquote(line[13:])
        elif line.startswith("msgstr"):
            index = int(line[7 : line.index("]")]) if line.startswith("msgstr[") else 0
            field = ("msgstr", index)
            entries[-1]["msgstr"][index] = _unquote(line[line.index(" ") + 1 :])
        elif line.startswith('"'):
            name, index = field
            if name == "msgstr":
                entries[-1]["msgstr"][index] += _unquote(line)
            else:
                entries[-1][name] += _unquote(line)
    return entries


@pytest.mark.parametrize("lang", CATALOGUES)
def test_catalogue_is_complete(lang):
    entries = parse_po(CATALOGUES[lang] / "django.po")
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert f"Plural-Forms: {PLURAL_FORMS[lang]}\n" in header["msgstr"][0]
    assert f"Language: {lang}\n" in header["msgstr"][0]
    assert len(messages) > 100
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert fuzzy == []
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"].values())]
    assert untranslated == []
    nplurals = int(re.search(r"nplurals=(\d+)", PLURAL_FORMS[lang]).group(1))
    for e in messages:
        if e["msgid_plural"] is not None:
            assert sorted(e["msgstr"]) == list(range(nplurals)), e["msgid"]


@pytest.mark.parametrize("lang", CATALOGUES)
def test_placeholders_are_kept(lang):
    for e in parse_po(CATALOGUES[lang] / "django.po")[1:]:
        wanted = sorted(PLACEHOLDER.findall(e["msgid"]))
        for form in e["msgstr"].values():
            assert sorted(PLACEHOLDER.findall(form)) == wanted, (e["msgid"], form)


@pytest.mark.parametrize("lang", CATALOGUES)
def test_compiled_catalogue_matches_po(lang):
    """The committed .mo is compiled from the current .po: nobody forgot compilemessages."""
    with (CATALOGUES[lang] / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog
    for e in parse_po(CATALOGUES[lang] / "django.po")[1:]:
        # GNU gettext keys a message with a context as "context\x04msgid".
        key = f"{e['ctx']}\x04{e['msgid']}" if e["ctx"] else e["msgid"]
        if e["msgid_plural"] is None:
            assert compiled.get(key) == e["msgstr"][0], e["msgid"]
        else:
            for index, form in e["msgstr"].items():
                assert compiled.get((e["msgid"], index)) == form, e["msgid"]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("lang", CATALOGUES)
def test_msgfmt_statistics(lang):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", "django.po"],
        cwd=CATALOGUES[lang],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr


def test_a_report_period_reads_from_and_to_not_a_mail_sender(client, people):
    """ "From" of a period and "From" of a mail are different words in Russian."""
    from tests.conftest import login

    login(client, people.sam)
    page = client.get("/desk/reports/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    label = re.search(r'<label for="id_start">(.*?)</label>', page, re.S)
    assert label is not None
    assert label.group(1).split("<")[0].strip() == "\u0421"  # Cyrillic Es: "from" a date
    assert "\u0410\u0432\u0442\u043e\u0440" not in page  # "Автор", a mail's sender
