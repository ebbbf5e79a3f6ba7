"""Quoted history and signatures in plain text, found so they can be folded."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"(?:\bwrote|\bschrieb|\ba écrit|\bescribió|\bпишет|\bнаписала?|写道|寫道)\s*[:\uff1a]\s*$",  # noqa: RUF001
    re.I,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Le|Am|El|在)\s", re.I)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_]{2,}\s*(?:original message|исходное сообщение|原始邮件|原始郵件|"
    r"ursprüngliche nachricht|message d'origine|mensaje original)\s*[-_]{2,}\s*$",
    re.I,
)
_OUTLOOK_FROM = re.compile(r"^\s*\**(?:from|от|发件人|寄件者|von|de)\**\s*[:\uff1a]", re.I)
_OUTLOOK_SENT = re.compile(
    r"^\s*\**(?:sent|date|отправлено|дата|发送时间|日期|寄件日期|gesendet|envoyé)\**\s*[:\uff1a]",
    re.I,
)
_OUTLOOK_SUBJECT = re.compile(
    r"^\s*\**(?:subject|тема|主题|主旨|betreff|objet|asunto)\**\s*[:\uff1a]", re.I
)
_RULE = re.compile(r"^\s*_{8,}\s*$")


def split_quoted(text: str) -> tuple[str, str]:
    """(new text, quoted history and signature) for folding on display.

    The tail starts at the earliest of: a signature line ("-- "), an
    "Original Message" separator or an Outlook From/Sent/Subject block, or a
    quote block running to the end together with the attribution line above it
    ("On ... wrote:", "... пишет:", "... 写道"). Interleaved replies are not
    split. If nothing new would remain, nothing is split.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    count = len(lines)
    blank = [not line.strip() for line in lines]
    quoted = [line.lstrip().startswith(">") for line in lines]
    cuts = []
    for i, line in enumerate(lines):
        if line in ("-- ", "--"):
            cuts.append(i)
            break
    for i, line in enumerate(lines):
        if _ORIGINAL_MESSAGE.match(line):
            cuts.append(i)
            break
        window = lines[i + 1 : i + 8]
        if (
            _OUTLOOK_FROM.match(line)
            and any(_OUTLOOK_SENT.match(w) for w in window[:4])
            and any(_OUTLOOK_SUBJECT.match(w) for w in window)
        ):
            above = i - 1
            while above >= 0 and blank[above]:
                above -= 1
            cuts.append(above if above >= 0 and _RULE.match(lines[above]) else i)
            break
    start = count
    while start > 0 and (blank[start - 1] or quoted[start - 1]):
        start -= 1
    if any(quoted[start:]):
        above = start - 1
        while above >= 0 and blank[above]:
            above -= 1
        line = lines[above].rstrip() if above >= 0 else ""
        if line.endswith((":", "\uff1a")) and (
            _ATTRIBUTION.search(line) or "@" in line or any(c.isdigit() for c in line)
        ):
            start = above
            if (
                above > 0
                and not blank[above - 1]
                and not _ATTRIBUTION_START.match(line)
                and _ATTRIBUTION_START.match(lines[above - 1])
            ):
                start = above - 1
        cuts.append(start)
    if not cuts:
        return text, ""
    cut = min(cuts)
    new = "\n".join(lines[:cut]).rstrip()
    if not new.strip():
        return text, ""
    return new, "\n".join(lines[cut:]).strip("\n")
