"""Bytes to text: what the label says, what the bytes say, and clean-up after."""

from __future__ import annotations

import codecs
import contextlib
import re


def _to_bytes(text: str, encoding: str = "ascii") -> bytes:
    try:
        return text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _unsurrogate(value: str) -> str:
    """Turn a parser string (8-bit bytes as surrogates) into real text."""
    if value.isascii() or not _SURROGATES.search(value):
        return value
    return _decode_bytes(_to_bytes(value, "utf-8"), None)


_SURROGATES = re.compile("[\ud800-\udfff]")
_FOLD = re.compile(r"\r\n|\r|\n")


# Decode with a superset of what the label says: what mail clients actually send.
_SUPERSETS = {
    "ascii": "ascii",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso2022_jp": "iso2022_jp_2",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "shift_jis": "cp932",
    "tis-620": "cp874",
}
_EXTRA_LABELS = {"x-gbk": "gb18030", "cp936": "gb18030", "x-euc-jp": "euc_jp"}
# Python codecs that are not mail charsets, or that can produce surprises.
_REFUSED_CODECS = frozenset(
    {"undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode"}
)
_GUESSES = ("cp1251", "koi8-r", "gb18030", "cp1252")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _EXTRA_LABELS:
        return _EXTRA_LABELS[label]
    if not label or len(label) > 40:
        return None
    try:
        name = codecs.lookup(label).name
        b"".decode(name)  # refuses bytes-to-bytes codecs such as base64 or zlib
    except (LookupError, ValueError, TypeError):
        return None
    if name in _REFUSED_CODECS:
        return None
    return _SUPERSETS.get(name, name)


def _decode_bytes(data: bytes, label: str | None) -> str:
    """Text from bytes: the label, then UTF-8, then the most plausible guess. Never raises."""
    if not data:
        return ""
    codec = _codec(label)
    if codec:
        try:
            return _SURROGATES.sub("\ufffd", data.decode(codec))
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
    if b"\x1b$" in data or b"\x1b(" in data:  # unlabelled ISO-2022-JP
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("iso2022_jp_2")
    if data.isascii():
        return data.decode("ascii")
    utf8 = data.decode("utf-8", "replace")
    bad = utf8.count("\ufffd")
    if not bad:
        return utf8
    # Valid multi-byte sequences almost never occur by chance in other
    # charsets, so UTF-8 with a few broken bytes is still UTF-8.
    if len(utf8) - len(utf8.encode("ascii", "ignore")) - bad >= 2 * bad:
        return _SURROGATES.sub("\ufffd", utf8)
    candidates = [c for c in (codec, "utf-8", *_GUESSES) if c]
    best, best_score = "", float("-inf")
    for candidate in dict.fromkeys(candidates):
        try:
            text = data.decode(candidate, "replace")
        except (LookupError, ValueError):
            continue
        score = _plausibility(text)
        if score > best_score:
            best, best_score = text, score
    return _SURROGATES.sub("\ufffd", best)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_CJK_PUNCTUATION = frozenset("\u3001\u3002\uff0c\uff01\uff1f\uff1a\uff1b\uff08\uff09\u300a\u300b")
_TYPOGRAPHY = frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u00ab\u00bb\u00a0\u00b0\u20ac")


def _plausibility(text: str) -> float:
    """How much the non-ASCII characters look like real text (about -2 to 1).

    Lowercase Cyrillic scores high and uppercase low, which tells cp1251 from
    KOI8-R (each reads the other's lowercase as uppercase). Common hanzi (GB2312
    level 1) score high, rare ones low, which tells GB text from Cyrillic bytes
    read as GB. A Latin-1 letter alone inside an ASCII word ("café") scores
    high, a run of them (Cyrillic read as cp1252) low. Replacement characters
    and C1 controls cost.
    """
    first = _NON_ASCII.search(text)
    if first is None:
        return 1.0
    sample = text[max(0, first.start() - 1) : first.start() + 8000]
    total = 0
    points = 0.0
    for i, ch in enumerate(sample):
        code = ord(ch)
        if code < 128:
            continue
        total += 1
        prev = sample[i - 1] if i else " "
        nxt = sample[i + 1] if i + 1 < len(sample) else " "
        if ch == "\ufffd":
            points -= 2
        elif 0x80 <= code <= 0x9F:
            points -= 1
        elif 0x0400 <= code <= 0x04FF:
            if not (_is_ascii_letter(prev) or _is_ascii_letter(nxt)):
                points += 1.0 if ch.islower() else 0.3
        elif 0x4E00 <= code <= 0x9FFF:
            points += 1.0 if _is_common_hanzi(ch) else 0.2
        elif 0x3040 <= code <= 0x30FF or ch in _CJK_PUNCTUATION or ch in _TYPOGRAPHY:
            points += 1.0
        elif 0xC0 <= code <= 0xFF and ch.isalpha():
            alone = not (_is_other_letter(prev) or _is_other_letter(nxt))
            points += 1.0 if alone else 0.1
        elif ch.isalpha():
            points += 0.3
    return points / total if total else 1.0


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _is_other_letter(ch: str) -> bool:
    return not ch.isascii() and ch.isalpha()


def _is_common_hanzi(ch: str) -> bool:
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= encoded[0] <= 0xD7


def _normalise_text(text: str) -> str:
    text = _FOLD.sub("\n", text)
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", "", text)


def _strip_edges(text: str) -> str:
    return text.strip("\n").rstrip()
