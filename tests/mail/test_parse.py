# ruff: noqa: RUF001
"""The inbound mail parser, on real .eml files and on whatever else arrives.

The corpus in ``corpus/`` is written by hand to be tricky; the table below says
exactly what each file must parse to. Big and hostile inputs (a 3 MB
attachment, a nesting bomb, a 400 KB header) are built here rather than
committed.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontline.lib.email_html import split_quoted_text
from frontline.mail import parse as parse_module
from frontline.mail.parse import (
    AutoInfo,
    Limits,
    MailRejected,
    ParsedEmail,
    parse,
)

CORPUS = Path(__file__).parent / "corpus"
MiB = 1024 * 1024


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


# --- the corpus table ----------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    subject: str = ""
    text: str = ""
    from_address: str | None = None
    from_name: str = ""
    attachments: tuple[tuple[str, str, bool], ...] = ()  # filename, content type, inline
    flags: frozenset[str] = frozenset()  # of auto_submitted, bulk, bounce
    new_text: str | None = None  # split_quoted_text(text)[0] when it differs from text
    rejected: str | None = None


OUTLOOK_TEXT = (
    "It works now, thank you!\n\nDan\n\n"
    "________________________________\n"
    "From: Support <support@frontline.test>\n"
    "Sent: Monday, January 15, 2024 9:00 AM\n"
    "To: Dan <dan@globex.test>\n"
    "Subject: [#1043] VPN access\n\n"
    "Please try again now."
)
GMAIL_TEXT = (
    "Yes, the battery is still swelling.\n\n"
    "On Mon, Jan 15, 2024 at 9:00 AM Support <support@frontline.test>\nwrote:\n\n"
    "> Is the battery still swelling?\n>\n> Support\n>"
)
RUSSIAN_OUTLOOK_TEXT = (
    "Доступ появился, спасибо.\n\n"
    "-----Original Message-----\n"
    "От: Поддержка <support@frontline.test>\n"
    "Отправлено: 15 января 2024 г. 9:00\n"
    "Кому: Пётр <petr@example.ru>\n"
    "Тема: [#1047] Доступ к папке\n\n"
    "Проверьте доступ."
)
MAILER_DAEMON_TEXT = (
    "The original message was received at Mon, 15 Jan 2024 10:59:00\n\n"
    "   ----- Transcript of session follows -----\n"
    "550 5.1.1 <olduser@example.com>... User unknown\n\n"
    "   ----- Original message follows -----\n"
    "From: support@frontline.test\n"
    "Message-ID: <ticket-9-reply-3@frontline.test>\n"
    "Subject: [#9] Closed"
)
DSN_TEXT = (
    "This is the mail system at host mx.frontline.test.\n\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients."
)
OCTET = "application/octet-stream"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXPECTED: dict[str, Expected] = {
    "apple_mixed_inline.eml": Expected(
        "Photo of the error",
        "Here is the photo:\n\nThanks, Mac",
        "mac@example.com",
        "Mac User",
        (("IMG_0001.jpg", "image/jpeg", True),),
    ),
    "auto_reply.eml": Expected(
        "Automatic reply: [#1042] We received your request",
        "I am out of the office until Monday.",
        "erin@acme.test",
        "Erin",
        flags=frozenset({"auto_submitted"}),
    ),
    "bad_base64.eml": Expected(
        "Kaputt",
        "Hallo, das ist kaputt.",
        "klaus@example.de",
        "Klaus",
        (("data.bin", OCTET, False),),
    ),
    "big5_chinese.eml": Expected(
        "電腦無法開機", "你好，我的電腦無法開機。", "chan@example.hk", "陳大文"
    ),
    "bounce_dsn.eml": Expected(
        "Undelivered Mail Returned to Sender",
        DSN_TEXT,
        "MAILER-DAEMON@mx.frontline.test",
        "Mail Delivery System",
        (
            ("delivery-status.txt", "message/delivery-status", False),
            ("[#1042] We received your request.eml", "message/rfc822", False),
        ),
        frozenset({"auto_submitted", "bounce"}),
    ),
    "bounce_rfc822_headers.eml": Expected(
        "Delivery Status Notification (Failure)",
        "Delivery has failed to these recipients: gone@acme.test",
        "postmaster@acme.test",
        "",
        (
            ("delivery-status.txt", "message/delivery-status", False),
            ("attachment.txt", "text/rfc822-headers", False),
        ),
        frozenset({"bounce"}),
    ),
    "boundary_never_appears.eml": Expected(
        "Boundary never appears", "Just text, the boundary never appears.", "never@example.com"
    ),
    "calendar_invite.eml": Expected(
        "Invitation: Maintenance window",
        "Maintenance window on Saturday.",
        "org@example.com",
        "Organiser",
        (("attachment.ics", "text/calendar", False),),
    ),
    "chinese_reply.eml": Expected(
        "回复：[#1046] 打印机",
        "好的，谢谢。\n\n在 2024年1月15日 10:00，Support <support@frontline.test> 写道：\n"
        "> 请重新启动打印机。",
        "zhangwei@example.cn",
        "张伟",
        new_text="好的，谢谢。",
    ),
    "cp1251_russian.eml": Expected(
        "Пароль не подходит",
        "Не могу войти в систему — пароль не подходит.",
        "sergey@example.ru",
        "Сергей",
    ),
    "cr_line_endings_bad_date.eml": Expected("CR only", "Line one\nLine two", "oldmac@example.com"),
    "digest.eml": Expected(
        "Digest, Vol 1",
        "Today's topics: two.",
        "digest@lists.test",
        "",
        (("Topic one.eml", "message/rfc822", False), ("Topic two.eml", "message/rfc822", False)),
    ),
    "encoded_words_split.eml": Expected(
        "Re: Проверка связи и тест [#1042]", "Body.", "tester@example.com", "Tester"
    ),
    "garbage.eml": Expected(rejected="not_email"),
    "gb18030_chinese.eml": Expected(
        "谢谢！😀", "问题已经解决了，谢谢！😀", "wangfang@example.cn", "王芳"
    ),
    "gb2312_chinese.eml": Expected(
        "打印机坏了",
        "您好，三楼的打印机坏了。朱镕基路办公室。",
        "zhangwei@example.cn",
        "张伟",
    ),
    "gbk_chinese.eml": Expected(
        "无法登录系统", "我无法登录系统，请帮忙。", "lina@example.cn", "李娜"
    ),
    "gmail_reply.eml": Expected(
        "Re: [#1044] Laptop battery",
        GMAIL_TEXT,
        "alice.customer@gmail.test",
        "Alice Customer",
        new_text="Yes, the battery is still swelling.",
    ),
    "header_injection.eml": Expected(
        "Hello Bcc: victim@example.com[31m txt.exe",
        "Body with a NUL  and an escape [0m.",
        "evil@evil.test",
        "",  # a display name holding another address is dropped (forged-sender shape)
    ),
    "html_meta_charset.eml": Expected("Meta charset", "Привет из HTML", "meta@example.ru"),
    "html_only_malicious.eml": Expected(
        "Your invoice",
        "Dear customer,\n\nPlease click here or pay now.\n\nLogo:\ndata",
        "mallory@evil.test",
        "Mallory",
    ),
    "inline_cid_image.eml": Expected(
        "Screenshot",
        "See the error:",
        "designer@example.com",
        "Designer",
        (("image001.png", "image/png", True),),
    ),
    "iso2022jp_japanese.eml": Expected(
        "パスワードを忘れました",
        "お世話になっております。\nパスワードを忘れました。",
        "yamada@example.jp",
        "山田太郎",
    ),
    "koi8r_russian.eml": Expected(
        "Счёт за январь",
        "Добрый день. Пришлите, пожалуйста, счёт за январь.",
        "olga@example.ru",
        "Ольга",
    ),
    "latin1_french.eml": Expected(
        "Facture de 200 € impayée",
        "Bonjour, la facture de 200 € est toujours impayée. Merci, Hélène",
        "helene@example.fr",
        "Hélène Dupré",
    ),
    "mailer_daemon_plain.eml": Expected(
        "Returned mail: User unknown",
        MAILER_DAEMON_TEXT,
        "MAILER-DAEMON@old-mx.example.com",
        "Mail Delivery Subsystem",
        flags=frozenset({"bounce"}),
    ),
    "mailing_list.eml": Expected(
        "[vendor-announce] Release 4.2",
        "Release 4.2 is out.",
        "announce@lists.vendor.test",
        "Announce",
        flags=frozenset({"bulk"}),
    ),
    "mbox_from_line.eml": Expected(
        "From an mbox export", "Exported from an mbox file.", "carol@acme.test", "Carol"
    ),
    "mislabelled_cp1251_as_utf8.eml": Expected(
        "Срочно: сервер недоступен",
        "Сервер бухгалтерии недоступен с утра. Помогите, пожалуйста.",
        "dmitry@example.ru",
        "Dmitry",
    ),
    "missing_closing_boundary.eml": Expected(
        "No end",
        "First part.",
        "broken@example.com",
        "Broken",
        (("notes.txt", "text/plain", False),),
    ),
    "missing_content_type.eml": Expected(
        "No MIME", "Über den Wolken — no Content-Type here.", "plain@example.com"
    ),
    "missing_headers.eml": Expected("Anonymous note", "Nobody signed this.", None, ""),
    "multipart_alternative.eml": Expected(
        "Alternative",
        "The plain version — with a long line that quoted-printable must wrap because it is "
        "longer than seventy-six characters.",
        "carol@acme.test",
        "Carol",
    ),
    "multipart_no_boundary.eml": Expected(
        "Boundary missing", "The boundary parameter is missing.", "nob@example.com"
    ),
    "nested_forward.eml": Expected(
        "Fwd: Fwd: The original problem",
        "Carol forwarding twice.",
        "carol@acme.test",
        "Carol",
        (("bob.eml", "message/rfc822", False),),
    ),
    "outlook_reply.eml": Expected(
        "RE: [#1043] VPN access",
        OUTLOOK_TEXT,
        "dan@globex.test",
        "Dan",
        new_text="It works now, thank you!\n\nDan",
    ),
    "outlook_russian_reply.eml": Expected(
        "RE: [#1047] Доступ к папке",
        RUSSIAN_OUTLOOK_TEXT,
        "petr@example.ru",
        "Пётр",
        new_text="Доступ появился, спасибо.",
    ),
    "plain_ascii.eml": Expected(
        "Printer on floor 3 is jammed",
        "Hello,\n\nthe printer on floor 3 is jammed again.\n\nCarol",
        "carol@acme.test",
        "Carol Customer",
    ),
    "precedence_bulk.eml": Expected(
        "Weekly deals", "Deals!", "news@shop.test", "News", flags=frozenset({"bulk"})
    ),
    "qp_soft_breaks.eml": Expected(
        "Soft breaks à la carte",
        "This line is long and was broken by a soft line break. Café, =ZZ stays.",
        "qp@example.com",
    ),
    "raw_8bit_headers_cp1251.eml": Expected(
        "Заявка на новый ноутбук",
        "Прошу выдать новый ноутбук для нового сотрудника отдела продаж.",
        "anna@example.ru",
        "Анна Смирнова",
    ),
    "raw_8bit_headers_utf8.eml": Expected(
        "Проблем с VPN — 紧急", "VPN не ради од јутрос.", "jovana@example.rs", "Јована Јовић"
    ),
    "rfc2047_and_hostile_filenames.eml": Expected(
        "Files",
        "Three files.",
        "user@example.com",
        "Outlook User",
        (
            ("Договор № 5.doc", "application/msword", False),
            ("passwd", OCTET, False),
            ("invoice.exe", OCTET, False),
            ("a bfdp.exe", OCTET, False),
        ),
    ),
    "rfc2231_filename_chinese.eml": Expected(
        "发票",
        "请查收附件。",
        "zhang@example.cn",
        "Zhang",
        (("发票（一月）.xlsx", XLSX, False),),
    ),
    "rfc2231_filename_russian.eml": Expected(
        "Report attached",
        "See the attached report.",
        "ivan@example.ru",
        "Ivan",
        (("Отчёт за январь.pdf", "application/pdf", False),),
    ),
    "russian_reply.eml": Expected(
        "Re: [#1045] Не работает почта",
        "Спасибо, всё заработало.\n\n"
        "15.01.2024, 10:00, Поддержка <support@frontline.test> пишет:\n"
        "> Попробуйте перезапустить почтовый клиент.",
        "ivan@example.ru",
        "Иван",
        new_text="Спасибо, всё заработало.",
    ),
    "signature.eml": Expected(
        "Question about SLA",
        "What is the response time for priority 1?\n\n-- \nBob Builder\nExample Ltd. | +1 555 0100",
        "bob@example.com",
        "Bob Builder",
        new_text="What is the response time for priority 1?",
    ),
    "threading_headers.eml": Expected("Re: Re: Fwd: thread", "Threaded.", "thread@example.com"),
    "unknown_charset.eml": Expected(
        "Ünknown charset", "Grüße aus Köln — the label is wrong.", "pat@example.com", "Pat"
    ),
    "utf8_russian.eml": Expected(
        "Не работает принтер",
        "Здравствуйте!\n\nПринтер на третьем этаже не печатает.\n\nИван",
        "ivan@example.ru",
        "Иван Петров",
    ),
}


def test_every_corpus_file_has_an_expectation():
    files = {path.name for path in CORPUS.glob("*.eml")}
    assert files == set(EXPECTED)
    assert len(files) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_parses_exactly_as_expected(name):
    expected = EXPECTED[name]
    if expected.rejected:
        with pytest.raises(MailRejected) as caught:
            parse(corpus(name))
        assert caught.value.reason == expected.rejected
        return
    parsed = parse(corpus(name))
    assert parsed.subject == expected.subject
    assert parsed.text == expected.text
    assert parsed.from_address == expected.from_address
    assert parsed.from_name == expected.from_name
    got = tuple((a.filename, a.content_type, a.inline) for a in parsed.attachments)
    assert got == expected.attachments
    flags = {flag for flag in ("auto_submitted", "bulk", "bounce") if getattr(parsed.auto, flag)}
    assert flags == expected.flags
    assert parsed.auto.is_automatic == bool(expected.flags)
    new_text = expected.new_text if expected.new_text is not None else expected.text
    assert split_quoted_text(parsed.text)[0] == new_text
    assert_well_formed(parsed)


# --- headers -----------------------------------------------------------------------


def test_addresses_dates_and_ids_of_a_plain_message():
    parsed = parse(corpus("plain_ascii.eml"))
    assert parsed.message_id == "CAF1234.5678@mail.acme.test"
    assert parsed.to == ("support@frontline.test",)
    assert parsed.cc == ("erin@acme.test", "maria@acme.test")
    assert parsed.reply_to == "helpdesk-replies@acme.test"
    assert parsed.date == datetime(2024, 1, 15, 7, 30, tzinfo=UTC)
    assert parsed.in_reply_to is None
    assert parsed.references == ()
    assert parsed.html is None
    assert parsed.size == len(corpus("plain_ascii.eml"))
    assert 0 < parsed.header_size < parsed.size


def test_threading_headers_are_normalised_without_brackets_or_duplicates():
    parsed = parse(corpus("threading_headers.eml"))
    assert parsed.message_id == "spaced@example.com"
    assert parsed.in_reply_to == "parent@example.com"
    assert parsed.references == ("root@example.com", "middle@example.com", "parent@example.com")
    assert parsed.date == datetime(2024, 1, 15, 15, 0, tzinfo=UTC)  # 10:00 EST


def test_missing_headers_get_defaults_not_a_rejection():
    parsed = parse(corpus("missing_headers.eml"))
    assert parsed.from_address is None
    assert parsed.message_id is None
    assert parsed.date is None
    assert parsed.to == ()
    assert {"missing_from", "missing_message_id"} <= set(parsed.defects)
    assert parsed.content_hash == hashlib.sha256(corpus("missing_headers.eml")).hexdigest()


def test_an_unreadable_date_is_none():
    assert parse(corpus("cr_line_endings_bad_date.eml")).date is None


def test_content_hash_tells_identical_bytes_apart_from_different_ones():
    raw = corpus("missing_headers.eml")
    assert parse(raw).content_hash == parse(raw).content_hash
    assert parse(raw).content_hash != parse(raw + b"x").content_hash


def test_header_values_never_carry_line_breaks_or_controls():
    parsed = parse(corpus("header_injection.eml"))
    assert parsed.message_id == "injection-1@evil.test"
    for value in (parsed.subject, parsed.from_name, parsed.message_id):
        assert not re.search("[\x00-\x1f\x7f\u202e]", value)


# --- bodies and HTML -----------------------------------------------------------------


def test_hostile_html_is_sanitised_and_remote_images_are_not_fetched():
    html = parse(corpus("html_only_malicious.eml")).html
    assert html is not None
    for forbidden in (
        "<script",
        "alert",
        "onerror",
        "onload",
        "onclick",
        "javascript:",
        "<iframe",
        "<form",
        "<input",
        "<style",
        "position",
        "data:text",
        ' src="http',
        "<svg",
    ):
        assert forbidden not in html.lower()
    assert 'data-remote-src="https://evil.test/pixel.gif?id=42"' in html
    assert 'data-remote-src="https://cdn.evil.test/logo.png"' in html
    link = '<a target="_blank" href="https://evil.test/pay" rel="noopener noreferrer">pay now</a>'
    assert link in html
    assert '<div style="color:red">' in html


def test_inline_images_keep_their_cid_reference_and_content_id():
    parsed = parse(corpus("inline_cid_image.eml"))
    assert 'src="cid:image001.png@01DA1234.5678"' in parsed.html
    (image,) = parsed.attachments
    assert image.content_id == "image001.png@01DA1234.5678"
    assert image.inline
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_alternative_keeps_the_plain_text_and_the_sanitised_html():
    parsed = parse(corpus("multipart_alternative.eml"))
    assert parsed.html == "<p>The <b>HTML</b> version.</p>"


def test_html_only_reply_becomes_text_with_quoted_lines():
    raw = message(
        "Content-Type: text/html; charset=utf-8",
        body=b"<div>Fine now.</div><div>On Mon, Support wrote:</div>"
        b"<blockquote><p>Does it work?</p><p>Support</p></blockquote>",
    )
    parsed = parse(raw)
    assert parsed.text == "Fine now.\nOn Mon, Support wrote:\n\n> Does it work?\n>\n> Support"
    assert split_quoted_text(parsed.text) == (
        "Fine now.",
        "On Mon, Support wrote:\n\n> Does it work?\n>\n> Support",
    )


def test_broken_base64_is_decoded_as_far_as_it_goes():
    parsed = parse(corpus("bad_base64.eml"))
    assert parsed.attachments[0].content == bytes(range(9))
    assert "bad_base64" in parsed.defects


def test_missing_closing_boundary_keeps_the_last_part():
    parsed = parse(corpus("missing_closing_boundary.eml"))
    assert parsed.attachments[0].content == b"notes without an end"
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


# --- attachments -------------------------------------------------------------------


def test_forwarded_messages_are_kept_whole_two_levels_deep():
    (forward,) = parse(corpus("nested_forward.eml")).attachments
    middle = parse(forward.content)
    assert middle.subject == "Fwd: The original problem"
    assert middle.text == "Bob forwarding."
    (inner,) = middle.attachments
    assert inner.filename == "The original problem.eml"
    innermost = parse(inner.content)
    assert innermost.message_id == "innermost@example.org"
    assert innermost.text == "The original text."


def test_bounce_carries_the_original_message_id():
    dsn = parse(corpus("bounce_dsn.eml"))
    assert dsn.auto.original_message_id == "ticket-1042-reply-1@frontline.test"
    assert dsn.auto.reasons == (
        "auto-submitted:auto-replied",
        "sender:mailer-daemon",
        "report:delivery-status",
    )
    assert b"Status: 5.1.1" in dsn.attachments[0].content
    exchange = parse(corpus("bounce_rfc822_headers.eml"))
    assert exchange.auto.original_message_id == "ticket-77-update@frontline.test"
    plain = parse(corpus("mailer_daemon_plain.eml"))
    assert plain.auto.original_message_id == "ticket-9-reply-3@frontline.test"


def test_ordinary_mail_is_not_automatic():
    auto = parse(corpus("plain_ascii.eml")).auto
    assert auto == AutoInfo()
    assert not auto.is_automatic


@pytest.mark.parametrize(
    ("header", "flag"),
    [
        ("Auto-Submitted: auto-generated", "auto_submitted"),
        ("X-Autorespond: yes", "auto_submitted"),
        ("Precedence: junk", "bulk"),
        ("List-Id: <dev.lists.test>", "bulk"),
        ("X-Failed-Recipients: gone@acme.test", "bounce"),
    ],
)
def test_each_automatic_mail_header_is_recognised(header, flag):
    auto = parse(message(header)).auto
    assert getattr(auto, flag)
    assert auto.is_automatic


def test_auto_submitted_no_is_a_person():
    assert not parse(message("Auto-Submitted: no")).auto.is_automatic


@pytest.fixture(scope="module")
def three_megabytes() -> tuple[bytes, bytes]:
    content = random.Random(7).randbytes(3 * MiB)
    encoded = base64.encodebytes(content).replace(b"\n", b"\r\n")
    raw = message(
        'Content-Type: multipart/mixed; boundary="big"',
        body=b"--big\r\nContent-Type: text/plain\r\n\r\nThe dump.\r\n"
        b"--big\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="dump.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--big--\r\n",
    )
    return content, raw


def test_three_megabyte_attachment_comes_through_intact(three_megabytes):
    content, raw = three_megabytes
    parsed = parse(raw)
    (attachment,) = parsed.attachments
    assert attachment.filename == "dump.bin"
    assert attachment.content == content
    assert parsed.text == "The dump."
    assert parsed.size == len(raw) > 4 * MiB


# --- charsets ------------------------------------------------------------------------


PANGRAM_RU = "Съешь же ещё этих мягких французских булок, да выпей чаю"
PANGRAM_ZH = "我能吞下玻璃而不伤身体，这是一个测试。"


@pytest.mark.parametrize(
    ("label", "body", "expected"),
    [
        ("utf-8", PANGRAM_RU.encode("cp1251"), PANGRAM_RU),
        (None, PANGRAM_RU.encode("cp1251"), PANGRAM_RU),
        (None, PANGRAM_RU.encode("koi8-r"), PANGRAM_RU),
        ("us-ascii", PANGRAM_RU.encode("koi8-r"), PANGRAM_RU),
        (None, PANGRAM_ZH.encode("gb2312"), PANGRAM_ZH),
        ("utf-8", PANGRAM_ZH.encode("gb18030"), PANGRAM_ZH),
        ("gb2312", "朱镕基".encode("gb18030"), "朱镕基"),
        ("GBK", "朱镕基".encode("gbk"), "朱镕基"),
        ("big5", "繁體中文測試".encode("big5"), "繁體中文測試"),
        ("iso-2022-jp", "日本語のテスト".encode("iso-2022-jp"), "日本語のテスト"),
        (None, "日本語のテスト".encode("iso-2022-jp"), "日本語のテスト"),
        ("latin-1", b"\x80 100, cr\xe8me", "€ 100, crème"),
        ("utf-8", "café crème".encode("latin-1"), "café crème"),
        ("us-ascii", "naïve".encode(), "naïve"),
        ("utf-8", "Grüße aus Köln ".encode() + b"\xff", "Grüße aus Köln \ufffd"),
        ("x-no-such-charset", "Grüße".encode(), "Grüße"),
        ('"UTF-8"', "кавычки".encode(), "кавычки"),
        ("unicode_escape", b"\\u0041", "\\u0041"),  # Python-only codecs are not charsets
        ("undefined", b"plain", "plain"),
    ],
)
def test_body_charsets_decode_to_the_right_text(label, body, expected):
    content_type = "Content-Type: text/plain" + (f"; charset={label}" if label else "")
    assert parse(message(content_type, body=body)).text == expected


def test_undecodable_bytes_fall_back_without_raising():
    parsed = parse(message("Content-Type: text/plain; charset=utf-8", body=bytes(range(128, 256))))
    assert parsed.text
    assert_well_formed(parsed)


# --- limits --------------------------------------------------------------------------


def nested_multiparts(depth: int) -> bytes:
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(depth)))
    return (
        b"From: bomb@evil.test\r\nSubject: deep\r\n"
        + opening
        + b"Content-Type: text/plain\r\n\r\ndeep"
        + closing
        + b"\r\n"
    )


def test_nesting_bomb_is_rejected():
    raw = nested_multiparts(5000)
    with pytest.raises(MailRejected) as caught:
        parse(raw)
    assert caught.value.reason == "too_deep"


def test_nested_forward_bomb_is_rejected():
    raw = (
        b"From: a@evil.test\r\nContent-Type: message/rfc822\r\n\r\n" * 5000 + b"Subject: x\r\n\r\nx"
    )
    with pytest.raises(MailRejected) as caught:
        parse(raw)
    assert caught.value.reason == "too_deep"


def test_nesting_up_to_the_limit_is_accepted():
    assert parse(nested_multiparts(20)).text == "deep"
    with pytest.raises(MailRejected, match="nesting"):
        parse(nested_multiparts(21))
    assert parse(nested_multiparts(5), limits=Limits(max_depth=5)).text == "deep"
    with pytest.raises(MailRejected):
        parse(nested_multiparts(6), limits=Limits(max_depth=5))


@pytest.mark.parametrize(
    "header",
    [
        b"X-Filler: " + b"a" * 70 + b"\r\n",  # many lines
        b" folded continuation\r\n",  # one endlessly folded header
    ],
)
def test_huge_header_block_is_rejected_before_the_email_package_sees_it(header):
    raw = b"From: a@evil.test\r\nSubject: x\r\n" + header * (400_000 // len(header)) + b"\r\nbody"
    with pytest.raises(MailRejected) as caught:
        parse(raw)
    assert caught.value.reason == "header_too_large"


def test_single_huge_header_line_is_rejected():
    with pytest.raises(MailRejected) as caught:
        parse(b"Subject: " + b"a" * 400_000 + b"\r\n\r\nbody")
    assert caught.value.reason == "header_too_large"


def test_header_block_just_under_the_limit_is_accepted():
    filler = b"X-Filler: " + b"a" * 70 + b"\r\n"
    raw = b"From: a@example.com\r\nSubject: big\r\n" + filler * 3000 + b"\r\nbody"
    parsed = parse(raw)
    assert parsed.text == "body"
    assert 240_000 < parsed.header_size < 256 * 1024


def many_parts(count: int) -> bytes:
    part = b"--p\r\nContent-Type: text/plain\r\n\r\npart\r\n"
    return message('Content-Type: multipart/mixed; boundary="p"', body=part * count + b"--p--\r\n")


def test_too_many_parts_are_rejected():
    assert len(parse(many_parts(499)).text.split("\n\n")) == 499  # 500 with the container
    with pytest.raises(MailRejected) as caught:
        parse(many_parts(500))
    assert caught.value.reason == "too_many_parts"


def test_oversized_message_is_rejected_before_parsing():
    raw = message(body=b"x" * 2000)
    with pytest.raises(MailRejected) as caught:
        parse(raw, limits=Limits(max_size=1000))
    assert caught.value.reason == "too_large"
    with pytest.raises(MailRejected):
        parse(b"Subject: x\r\n\r\n" + b"x" * (25 * MiB))


def test_parsing_stops_at_the_deadline(monkeypatch):
    ticks = iter(range(0, 10_000, 3))
    monkeypatch.setattr(parse_module, "_now", lambda: next(ticks))
    with pytest.raises(MailRejected) as caught:
        parse(corpus("nested_forward.eml"), limits=Limits(max_seconds=10))
    assert caught.value.reason == "timeout"


@pytest.mark.parametrize(
    "raw",
    [
        b'Content-Type: multipart/mixed; boundary="' + b";" * 200_000 + b"\r\n\r\nx",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
        b'Content-Disposition: attachment; filename="' + b";" * 200_000 + b"\r\n\r\nx\r\n--x--",
        b"Content-Type: multipart/mixed; b=" + b"a;" * 100_000 + b"\r\n\r\nx",
    ],
)
def test_parameter_bombs_parse_in_linear_time(raw):
    parse(raw)


def test_contradictory_rfc2231_continuations_do_not_crash():
    raw = message(
        'Content-Type: multipart/mixed; boundary*=x; boundary*0="b"; boundary*1=c',
        "Content-Disposition: inline; filename*" + "9" * 5000 + "=x",
        body=b"--bc\r\n\r\nhi\r\n--bc--\r\n",
    )
    assert_well_formed(parse(raw))


def test_forwarded_message_with_a_huge_header_is_cheap():
    inner = b"From: a@b.test\r\nSubject: " + b"word " * 1_000_000 + b"\r\n\r\nbody"
    (forward,) = parse(message("Content-Type: message/rfc822", body=inner)).attachments
    assert forward.content == inner
    assert len(forward.filename) <= 204


def html_message(html: str) -> bytes:
    return message("Content-Type: text/html; charset=utf-8", body=html.encode())


def test_formatting_element_amplification_is_bounded():
    opened = "".join(f'<b title="{i}">' for i in range(200))
    small = opened.join(["<div>", "</div>"]) + "<p>x</p>" * 4000
    parsed = parse(html_message(small))
    assert len(parsed.html) < 2 * len(small)  # rebuilt, it would be about 15 MB
    assert parsed.text == "\n\n".join(["x"] * 4000)
    big = opened.join(["<div>", "</div>"]) + "<p>x</p>" * 40_000
    parsed = parse(html_message(big))
    assert parsed.html is None
    assert "html_too_complex" in parsed.defects
    assert parsed.text == "\n\n".join(["x"] * 40_000)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<blockquote>" * 200_000 + "deep", "deep"),
        ("<div>" * 50_000 + "deep", "deep"),
        ("<span><div></span>" * 20_000 + "deep", "deep"),
        ("<script>" * 100_000 + "alert(1)", ""),
        ("<div>" * 200 + "<script>x</script>" * 200_000 + "deep", "deep"),
        ("<p>" + "deep " * 1_200_000, "deep " * 1_199_999 + "deep"),
    ],
)
def test_html_too_deep_or_big_to_parse_falls_back_to_text(html, text):
    parsed = parse(html_message(html))
    assert parsed.html is None
    assert parsed.text == text


def test_large_but_shallow_html_is_still_sanitised():
    rows = "<tr><td>cell</td><td><b>bold</b></td></tr>" * 6000
    parsed = parse(html_message(f"<table>{rows}</table><p>end</p>"))
    assert parsed.html is not None
    assert parsed.html.count("<b>bold</b>") == 6000
    assert parsed.text.endswith("cell bold\n\nend")


@pytest.mark.parametrize(
    "raw",
    [b"", b"\r\n\r\n", b"just some text\r\n", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", b"\xef\xbb\xbf"],
)
def test_things_that_are_not_email_are_rejected(raw):
    with pytest.raises(MailRejected) as caught:
        parse(raw)
    assert caught.value.reason == "not_email"


def test_only_bytes_are_accepted():
    with pytest.raises(MailRejected) as caught:
        parse("From: a@b.test\r\n\r\nhi")  # type: ignore[arg-type]
    assert caught.value.reason == "not_email"
    assert str(caught.value) == "expected bytes, got str"


# --- properties ----------------------------------------------------------------------

CORPUS_FILES = sorted(CORPUS.glob("*.eml"))
EXPECTED_REASONS = MailRejected.REASONS - {"unparseable"}
PROPERTY = settings(
    deadline=None,
    max_examples=300,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SNIPPETS = [
    b"\r\n",
    b"\n",
    b"\r",
    b"--",
    b"=?utf-8?B?",
    b"=?gb2312?Q?=C4=E3",
    b"?=",
    b"\x00",
    b"\xff\xfe",
    b"\xd0",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Disposition: attachment; filename*0*=utf-8''%D0; filename*1*=%9F\r\n",
    b'charset="unicode_escape"',
    b"Date: Mon, 31 Feb 99999 25:61:61 +9999\r\n",
    b"From: <<<@@@>>>\r\n",
    b"=",
    b"<",
    b">",
    b'"',
    b";",
    b"%",
    b"\t",
]


@st.composite
def mutated_corpus_file(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS_FILES)).read_bytes())
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        operation = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "duplicate"]))
        if operation == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif operation == "truncate":
            del data[position:]
        elif operation == "insert":
            data[position:position] = draw(st.sampled_from(SNIPPETS) | st.binary(max_size=16))
        elif operation == "delete":
            del data[position : position + draw(st.integers(1, 64))]
        else:
            data[position:position] = data[position : position + draw(st.integers(1, 256))]
    return bytes(data)


def assert_parses_or_is_rejected(raw: bytes) -> None:
    try:
        parsed = parse(raw)
    except MailRejected as rejected:
        assert rejected.reason in EXPECTED_REASONS, rejected
    else:
        assert_well_formed(parsed)


@PROPERTY
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_parse_or_are_rejected(raw):
    assert_parses_or_is_rejected(raw)


@PROPERTY
@given(st.lists(st.sampled_from(SNIPPETS) | st.binary(max_size=8), max_size=40))
def test_header_like_bytes_parse_or_are_rejected(pieces):
    assert_parses_or_is_rejected(b"Subject: fuzz\r\n" + b"".join(pieces))


@PROPERTY
@given(mutated_corpus_file())
def test_mutated_corpus_files_parse_or_are_rejected(raw):
    assert_parses_or_is_rejected(raw)


PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))


@PROPERTY
@given(st.text(PRINTABLE, max_size=200), st.text(PRINTABLE, max_size=500))
def test_utf8_subject_and_body_round_trip(subject, body):
    encoded_subject = Header(subject, "utf-8").encode()
    raw = message(
        f"Subject: {encoded_subject}",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        body=base64.encodebytes(body.encode()),
    )
    parsed = parse(raw)
    assert parsed.subject == re.sub(" {2,}", " ", subject).strip()
    assert parsed.text == body.strip("\n").rstrip()


DANGEROUS_HTML = [
    "<script>alert(1)</script>",
    '<img src="https://t.test/p.gif" onerror="alert(1)">',
    '<IMG SRC="HTTP://t.test/x.png">',
    '<img alt="a>b" src="//t.test/y.png">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<div style="background:url(https://t.test/bg.png)">x</div>',
    '<body onload="x()">',
    '<svg onload="alert(1)"><circle/></svg>',
    "<iframe src=https://t.test></iframe>",
    '<meta http-equiv="refresh" content="0;url=https://t.test">',
    '<link rel="stylesheet" href="https://t.test/s.css">',
    "<style>@import url(https://t.test/s.css);</style>",
    "<!-- <script>alert(1)</script> -->",
    '<img src="cid:part1@x">',
    "<p>plain <b>text</b></p>",
    "<",
    '"',
    "<img src=",
    "<b>",
    "</b>",
    "<FONT color=red>",
    '<a href="https://ok.test">',
    "</a>",
    "<fl-a href=javascript:alert(1)>",
    '<fl-img src="https://t.test/q.png">',
    "<p>",
    "</div>",
]


@PROPERTY
@given(st.lists(st.sampled_from(DANGEROUS_HTML) | st.text(max_size=10), max_size=12))
def test_sanitised_html_never_runs_script_or_fetches(pieces):
    parsed = parse(message("Content-Type: text/html; charset=utf-8", body="".join(pieces).encode()))
    html = (parsed.html or "").lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "vbscript:" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)
    assert not re.search(r"""\ssrc\s*=\s*["']?(?:https?:)?//""", html)
    assert not re.search(r'style="[^"]*url', html)
    assert "<iframe" not in html
    assert "<meta" not in html
    assert "<link" not in html


# --- helpers -------------------------------------------------------------------------


def message(*headers: str, body: bytes = b"Hello.\r\n") -> bytes:
    head = ["From: sender@example.com", "To: support@frontline.test", *headers]
    if not any(h.lower().startswith("subject:") for h in headers):
        head.append("Subject: test")
    return "\r\n".join(head).encode() + b"\r\n\r\n" + body


def assert_well_formed(parsed: ParsedEmail) -> None:
    """The invariants every parse result keeps, whatever the input."""
    assert isinstance(parsed, ParsedEmail)
    one_line = [parsed.subject, parsed.from_name, *parsed.to, *parsed.cc, *parsed.references]
    one_line += [
        v
        for v in (parsed.message_id, parsed.in_reply_to, parsed.from_address, parsed.reply_to)
        if v
    ]
    for attachment in parsed.attachments:
        one_line += [attachment.filename, attachment.content_type, attachment.content_id or ""]
        assert attachment.filename
        assert "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert attachment.filename not in (".", "..")
        assert isinstance(attachment.content, bytes)
    for value in one_line:
        assert isinstance(value, str)
        assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value), repr(
            value
        )
    for value in (parsed.text, parsed.html or ""):
        assert not re.search("[\ud800-\udfff\x00]", value)
    assert "\r" not in parsed.text
    assert parsed.date is None or parsed.date.utcoffset().total_seconds() == 0
    assert re.fullmatch("[0-9a-f]{64}", parsed.content_hash)
    assert isinstance(parsed.auto, AutoInfo)


# The importer itself, not only the parser: whatever the bytes, each message is
# stored and ends as a ticket, a reply, a duplicate or a skip with its reason, or
# in the quarantine with its reason; the batch never raises.
IMPORT_PROPERTY = settings(
    deadline=None,
    max_examples=60,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@IMPORT_PROPERTY
@given(
    st.lists(
        st.binary(max_size=2048) | mutated_corpus_file() | st.sampled_from(SNIPPETS),
        min_size=1,
        max_size=6,
    )
)
def test_the_importer_gives_every_input_a_defined_outcome(db, raws):
    from frontline.mail.inbound import FINAL, receive_many
    from frontline.mail.models import InboundMessage, Outcome

    results = list(receive_many(raws, batch=4))
    assert len(results) == len(raws)
    for raw, result in zip(raws, results, strict=True):
        row = InboundMessage.objects.get(pk=result.inbound.pk)
        assert bytes(row.raw) == raw  # stored as it came
        assert row.outcome in (*FINAL, Outcome.QUARANTINED), row.outcome
        if row.outcome in (Outcome.NEW_TICKET, Outcome.REPLY):
            assert row.ticket_id is not None
        elif not result.duplicate:
            assert row.reason, row.outcome  # a skip or a quarantine says why
