"""Inbound mail, first layer: raw bytes in, a ``ParsedEmail`` out.

Pure and bounded: no database, no Django, nothing fetched. Whatever arrives on
port 25 must either parse or be refused with ``MailRejected`` (a machine-readable
``reason``), so sizes are checked before the stdlib parser sees the bytes,
nesting and part counts are checked while it runs, and a soft deadline is
checked between steps. Broken but readable mail (bad base64, missing headers,
mislabelled charsets) is parsed with defaults rather than refused.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import hashlib
import html as html_lib
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy as email_policy
from email import utils as email_utils
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from io import BytesIO
from typing import cast

import nh3

from frontline.lib.email_html import ATTRIBUTES, DROPPED_CONTENT, STYLE_PROPERTIES, TAGS

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_size: int = 25 * MiB
    max_header_size: int = 256 * 1024
    max_depth: int = 20
    max_parts: int = 500
    max_seconds: float = 10.0


DEFAULT_LIMITS = Limits()


class MailRejected(Exception):
    """The bytes are not mail we accept. ``reason`` is one of ``REASONS``."""

    REASONS = frozenset(
        {
            "too_large",
            "header_too_large",
            "too_deep",
            "too_many_parts",
            "not_email",
            "timeout",
            "unparseable",
        }
    )

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class AutoInfo:
    """Signs that nobody typed this message, so it must not get an auto-answer.

    ``auto_submitted``: Auto-Submitted other than "no", X-Autoreply,
    X-Autorespond, Precedence: auto_reply, a read receipt. ``bulk``: Precedence
    bulk/junk/list or a List-Id. ``bounce``: a delivery status notification, a
    mailer-daemon or postmaster sender, X-Failed-Recipients. ``reasons`` names
    each header that matched.
    """

    auto_submitted: bool = False
    bulk: bool = False
    bounce: bool = False
    original_message_id: str | None = None
    reasons: tuple[str, ...] = ()

    @property
    def is_automatic(self) -> bool:
        return self.auto_submitted or self.bulk or self.bounce


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_address: str | None
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str | None
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[ParsedAttachment, ...]
    auto: AutoInfo
    content_hash: str
    header_size: int
    size: int
    defects: tuple[str, ...] = ()
    # Display names of the To/Cc addresses that had one.
    recipient_names: Mapping[str, str] = field(default_factory=dict)


def parse(raw: bytes, *, limits: Limits = DEFAULT_LIMITS) -> ParsedEmail:
    """Parse one message. Raises ``MailRejected`` and nothing else."""
    deadline = _Deadline(limits.max_seconds)
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MailRejected("not_email", f"expected bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if len(raw) > limits.max_size:
        raise MailRejected("too_large", f"message is {len(raw)} bytes, limit {limits.max_size}")
    try:
        return _parse(raw, limits, deadline)
    except MailRejected:
        raise
    except RecursionError:
        raise MailRejected("too_deep", "message structure is nested too deeply") from None
    except Exception as exc:
        # A bug of ours must not stop the transport: it stores the raw bytes and
        # reports this reason. The property tests assert it never happens.
        raise MailRejected("unparseable", f"parser failure: {type(exc).__name__}") from exc


# --- the steps ---------------------------------------------------------------

_CHUNK = 64 * 1024
_LEADING_JUNK = re.compile(rb"\A(?:\xef\xbb\xbf)?[\r\n]*")


def _parse(raw: bytes, limits: Limits, deadline: _Deadline) -> ParsedEmail:
    junk = _LEADING_JUNK.match(raw)
    assert junk is not None  # the pattern matches the empty string
    data = raw[junk.end() :]
    header_size = _header_block_size(data, limits.max_header_size)
    deadline.check()
    parser = _BoundedParser(limits)
    for start in range(0, len(data), _CHUNK):
        parser.feed(data[start : start + _CHUNK])
        deadline.check()
    msg = parser.close()
    deadline.check()

    defects: set[str] = set()
    texts, htmls, attachments = _collect_parts(msg, deadline, defects)
    html, html_text = _html_bodies("\n".join(htmls), defects) if htmls else (None, "")
    deadline.check()
    text = _strip_edges("\n\n".join(t for t in texts if t.strip())) or html_text

    from_pairs = _addresses(_header(msg, "From")) or _addresses(_header(msg, "Sender"))
    from_name, from_address = from_pairs[0] if from_pairs else ("", None)
    if from_address is None:
        defects.add("missing_from")
    message_id = _message_id(_header(msg, "Message-ID"))
    if message_id is None:
        defects.add("missing_message_id")
    reply_to = _addresses(_header(msg, "Reply-To"))
    to_pairs = _addresses(_header(msg, "To"))
    cc_pairs = _addresses(_header(msg, "Cc"))
    auto = _auto_info(msg, from_address, attachments, text)
    deadline.check()
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=_message_id(_header(msg, "In-Reply-To")),
        references=_message_ids(_header(msg, "References")),
        subject=_decode_header_text(_header(msg, "Subject")),
        from_address=from_address,
        from_name=from_name,
        to=tuple(addr for _name, addr in to_pairs),
        cc=tuple(addr for _name, addr in cc_pairs),
        recipient_names={addr: name for name, addr in (*to_pairs, *cc_pairs) if name},
        reply_to=reply_to[0][1] if reply_to else None,
        date=_date(_header(msg, "Date")),
        text=text,
        html=html,
        attachments=tuple(attachments),
        auto=auto,
        content_hash=hashlib.sha256(raw).hexdigest(),
        header_size=header_size,
        size=len(raw),
        defects=tuple(sorted(defects))[:50],
    )


def _now() -> float:
    return time.monotonic()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._end = _now() + seconds

    def check(self) -> None:
        if _now() > self._end:
            raise MailRejected("timeout", f"parsing took longer than {self._seconds} s")


_EOL = re.compile(rb"\r\n|\r|\n")
# What the stdlib feed parser takes for a header line (email.feedparser.headerRE).
_PARSER_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
_FIELD_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")


def _header_block_size(data: bytes, limit: int) -> int:
    """Bytes in the top-level header block, found without the email package.

    The email package's header handling is slow on huge blocks, so this runs
    first and refuses a block over ``limit``. The block ends where the feed parser ends
    it: at a blank line or at the first line that is not a header line.
    """
    first = _EOL.split(data[:256], maxsplit=1)[0]
    if not (_FIELD_LINE.match(first) or first.startswith(b"From ")):
        raise MailRejected("not_email", "the data does not start with a header field")
    pos = 0
    while pos < len(data):
        if pos > limit:
            raise MailRejected("header_too_large", f"header block is over {limit} bytes")
        eol = _EOL.search(data, pos, pos + limit + 2)
        end = eol.start() if eol else min(len(data), pos + limit + 2)
        line = data[pos:end]
        if not line or not _PARSER_HEADER_LINE.match(line):
            return pos
        pos = eol.end() if eol else end
    if pos > limit:
        raise MailRejected("header_too_large", f"header block is over {limit} bytes")
    return pos


_MAX_PARAM_TEXT = 16 * 1024
_MAX_PARAMS = 100
_PARAM_PIECE = re.compile(r'(?:[^;"\\]++|\\[\s\S]?|"(?:[^"\\]++|\\[\s\S]?)*+"?)*+')


class _Part(Message):
    """A compat32 message whose header parameters are parsed in linear time.

    The stdlib splits parameters quadratically (a 200 KB Content-Type of quoted
    semicolons took 40 s, and the feed parser reads every multipart boundary
    through it) and raises on some RFC 2231 continuations. Here the text is
    bounded, split in one pass, and decoding errors fall back to raw values.
    """

    def _get_params_preserve(self, failobj: object, header: str) -> object:
        value = self.get(header)
        if value is None:
            return failobj
        text = str(value)[:_MAX_PARAM_TEXT]
        params: list[tuple[str, str]] = []
        pos = 0
        while len(params) < _MAX_PARAMS:
            piece = _PARAM_PIECE.match(text, pos)
            assert piece is not None  # the pattern matches the empty string
            name, sep, val = piece[0].partition("=")
            params.append((name.strip().lower(), val.strip()) if sep else (name.strip(), ""))
            pos = piece.end() + 1
            if pos > len(text):
                break
        try:
            return email_utils.decode_params(params)
        except (TypeError, ValueError):  # mixed or absurd continuation numbers
            return params


class _BoundedParser(BytesFeedParser):
    """The stdlib feed parser, refusing deep nesting and too many parts early.

    ``_new_message`` runs once per MIME part and ``_msgstack`` holds the parts
    open around the current one, so this stops a nesting bomb at level
    ``max_depth`` instead of letting the parser recurse thousands of levels.
    Both names are private but long stable; the nesting tests fail loudly if
    that changes.
    """

    def __init__(self, limits: Limits) -> None:
        super().__init__(_Part, policy=email_policy.compat32)
        self._limits = limits
        self._parts = 0

    def _new_message(self) -> None:
        super()._new_message()  # type: ignore[misc]
        self._parts += 1
        if len(self._msgstack) - 1 > self._limits.max_depth:  # type: ignore[attr-defined]
            raise MailRejected("too_deep", f"MIME nesting deeper than {self._limits.max_depth}")
        if self._parts > self._limits.max_parts:
            raise MailRejected("too_many_parts", f"more than {self._limits.max_parts} MIME parts")


# --- walking the parts -------------------------------------------------------


def _collect_parts(
    msg: Message, deadline: _Deadline, defects: set[str]
) -> tuple[list[str], list[str], list[ParsedAttachment]]:
    """Inline text and HTML bodies in order, and everything else as attachments.

    Forwarded messages are kept whole as ``.eml`` attachments: their bodies
    are not the sender's text and their attachments are not the sender's.
    """
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        deadline.check()
        defects.update(type(d).__name__ for d in part.defects)
        ctype = part.get_content_type()
        maintype = ctype.partition("/")[0]
        if maintype == "multipart":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                stack.extend(reversed(cast("list[Message]", payload)))
            else:
                # No boundary, or it never appears: the bytes are still the text.
                body = _raw_payload(part)
                body = body if body and body.strip() else part.preamble
                if body:
                    texts.append(_normalise_text(_decode_bytes(_to_bytes(body), _charset(part))))
            continue
        if maintype == "message":
            attachments.append(_message_attachment(part, ctype, defects))
            continue
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
            content = _payload_bytes(part, defects)
            if ctype == "text/plain":
                texts.append(_normalise_text(_decode_bytes(content, _charset(part))))
            else:
                charset = _charset(part) or _meta_charset(content)
                htmls.append(_decode_bytes(content, charset))
            continue
        content_id = _message_id(_header(part, "Content-ID"))
        ctype = ctype if _MIME_TYPE.fullmatch(ctype) else "application/octet-stream"
        attachments.append(
            ParsedAttachment(
                filename=_safe_filename(filename, ctype),
                content_type=ctype,
                content=_payload_bytes(part, defects),
                content_id=content_id,
                inline=disposition == "inline" or (disposition is None and content_id is not None),
            )
        )
    return texts, htmls, attachments


_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def _message_attachment(part: Message, ctype: str, defects: set[str]) -> ParsedAttachment:
    ctype = ctype if _MIME_TYPE.fullmatch(ctype) else "message/rfc822"
    payload = part.get_payload()
    if ctype == "message/delivery-status" and isinstance(payload, list):
        content = b"".join(_flatten(block, defects) for block in cast("list[Message]", payload))
        return ParsedAttachment("delivery-status.txt", ctype, content)
    inner = cast("Message", payload[0]) if isinstance(payload, list) and payload else None
    if inner is not None:
        content = _flatten(inner, defects)
        subject = _decode_header_text((_header(inner, "Subject") or "")[:1000])
    else:
        raw = _raw_payload(part)
        content = _to_bytes(raw) if raw else b""
        subject = ""
    filename = _filename(part) or subject or "forwarded message"
    if not filename.lower().endswith(".eml"):
        filename += ".eml"
    return ParsedAttachment(_safe_filename(filename, ctype), ctype, content)


class _RawHeaderGenerator(BytesGenerator):
    """Writes headers as they arrived; the stdlib refolds them (seconds on a 5 MB one)."""

    def _write_headers(self, msg: Message) -> None:
        for name, value in msg.raw_items():
            self._fp.write(_to_bytes(f"{name}: {value}") + b"\r\n")  # type: ignore[attr-defined]
        self.write(self._NL)  # type: ignore[attr-defined]


def _flatten(msg: Message, defects: set[str]) -> bytes:
    out = BytesIO()
    try:
        _RawHeaderGenerator(out, mangle_from_=False, policy=_EML_POLICY).flatten(msg)
    except Exception:  # the generator chokes on some broken parts; keep going
        defects.add("unserialisable_part")
        return b""
    return out.getvalue()


_EML_POLICY = email_policy.compat32.clone(linesep="\r\n")


def _raw_payload(part: Message) -> str | None:
    """The body as the parser stored it, 8-bit bytes surrogate-escaped.

    ``get_payload()`` would turn those bytes into U+FFFD using the declared
    charset, which is exactly what a mislabelled message must not suffer.
    """
    payload = part._payload  # type: ignore[attr-defined]  # private, but the only way to the undecoded body
    return payload if isinstance(payload, str) else None


def _payload_bytes(part: Message, defects: set[str]) -> bytes:
    """The decoded body of a leaf part, tolerant of broken transfer encodings."""
    payload = _raw_payload(part)
    if payload is None:
        return b""
    data = _to_bytes(payload)
    cte = (_header(part, "Content-Transfer-Encoding") or "").strip().lower()
    if cte == "base64":
        decoded, clean = _b_decode(data)
        if not clean:
            defects.add("bad_base64")
        return decoded
    if cte == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


# --- headers -----------------------------------------------------------------


def _header(msg: Message, name: str) -> str | None:
    """The first raw value of a header, 8-bit bytes still surrogate-escaped."""
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            return value if isinstance(value, str) else str(value)
    return None


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
_LINE_BREAKS = re.compile("[\t\r\n\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r" {2,}")


def _clean_line(value: str) -> str:
    """One line of display text: no CR/LF, controls, bidi overrides or surrogates."""
    value = _SURROGATES.sub("\ufffd", value)
    value = _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value))
    return _SPACES.sub(" ", value).strip()


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")


def _decode_header_text(value: str | None) -> str:
    """RFC 2047 decoding, tolerant: split multibyte characters, raw 8-bit, bad words."""
    if not value:
        return ""
    value = _FOLD.sub("", _unsurrogate(value))
    pieces: list[list] = []  # [encoded?, charset, list of bytes if encoded else str]
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        after_word = bool(pieces) and pieces[-1][0]
        if between and not (after_word and between.isspace()):
            pieces.append([False, None, between])
        charset = match[1].partition("*")[0].lower()
        data = match[3].encode("ascii", "replace")
        decoded = _b_decode(data)[0] if match[2] in "bB" else _q_decode(data)
        if pieces and pieces[-1][0] and pieces[-1][1] == charset:
            pieces[-1][2].append(decoded)  # a character may be split across two words
        else:
            pieces.append([True, charset, [decoded]])
        pos = match.end()
    pieces.append([False, None, value[pos:]])
    text = "".join(_decode_bytes(b"".join(p[2]), p[1]) if p[0] else p[2] for p in pieces)
    return _clean_line(text)


def _b_decode(data: bytes) -> tuple[bytes, bool]:
    """Base64 that survives junk characters, bad padding and per-line padding.

    Returns the bytes and whether the input was well-formed.
    """
    stripped = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
    clean = len(stripped) % 4 == 0 and not re.search(rb"[^A-Za-z0-9+/=\s]", data)
    chunks = []
    for segment in re.split(rb"=+", stripped):
        usable = len(segment) - len(segment) % 4
        tail = segment[usable:]
        padded = segment[:usable] + (tail + b"=" * (4 - len(tail)) if len(tail) >= 2 else b"")
        try:
            chunks.append(binascii.a2b_base64(padded))
        except binascii.Error:
            clean = False
    return b"".join(chunks), clean


def _q_decode(data: bytes) -> bytes:
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), data.replace(b"_", b" "))


def _addresses(value: str | None) -> list[tuple[str, str]]:
    """(display name, address) pairs; lenient when the header is malformed."""
    if not value:
        return []
    unfolded = _FOLD.sub("", _unsurrogate(value))
    try:
        pairs = getaddresses([unfolded])
    except Exception:  # the address parser has raised on odd input before
        pairs = []
    if not any(addr for _name, addr in pairs):
        pairs = [("", found) for found in _LOOSE_ADDRESS.findall(unfolded)]
    result: list[tuple[str, str]] = []
    for name, addr in pairs:
        if re.search(r"\s", addr.strip()):
            # "John Smith john@example.com": keep what looks like an address.
            result.extend(("", _clean_address(found)) for found in _LOOSE_ADDRESS.findall(addr))
        elif addr := _clean_address(addr):
            result.append((_decode_header_text(name), addr))
    return [(name, addr) for name, addr in result if addr]


_LOOSE_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]]+@[^\s<>,;:\"()\[\]]+")


def _clean_address(addr: str) -> str:
    addr = re.sub(r"\s", "", _clean_line(addr)).strip("<>")
    if not addr or len(addr) > 320:
        return ""
    local, at, domain = addr.rpartition("@")
    return f"{local}@{domain.lower()}" if at else addr


def _message_id(value: str | None) -> str | None:
    ids = _message_ids(value)
    return ids[0] if ids else None


def _message_ids(value: str | None, limit: int = 100) -> tuple[str, ...]:
    """Message-IDs without angle brackets, in order, the last ``limit`` of them."""
    if not value:
        return ()
    value = _clean_line(_unsurrogate(value))
    found = re.findall(r"<([^<>]*)>", value) or value.split()
    ids = dict.fromkeys(re.sub(r"\s", "", item).strip("<>")[:998] for item in found)
    ids.pop("", None)
    return tuple(ids)[-limit:]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(_clean_line(_unsurrogate(value)))
        if parsed.tzinfo is None:  # "-0000": the time is UTC, the zone unknown
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _param(part: Message, header: str, name: str) -> str | None:
    """A header parameter, decoded from RFC 2231 or RFC 2047 or raw 8-bit."""
    raw = _header(part, header)
    if raw is None:
        return None
    holder = _Part()
    holder[header] = _FOLD.sub("", _unsurrogate(raw[: 2 * _MAX_PARAM_TEXT]))
    try:
        value = holder.get_param(name, header=header)
    except Exception:  # malformed parameter lists; treat as absent
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        charset, _language, text = value
        return _clean_line(_decode_bytes(_to_bytes(text, "latin-1"), charset or None))
    return _decode_header_text(str(value))


def _charset(part: Message) -> str | None:
    return _param(part, "Content-Type", "charset")


def _filename(part: Message) -> str | None:
    return _param(part, "Content-Disposition", "filename") or _param(part, "Content-Type", "name")


_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I
)


def _meta_charset(content: bytes) -> str | None:
    match = _META_CHARSET.search(content[:4096])
    return match[1].decode("ascii") if match else None


_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|]')
_WINDOWS_DEVICES = re.compile(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?")
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "message/delivery-status": ".txt",
    "message/rfc822": ".eml",
    "text/calendar": ".ics",
    "text/html": ".html",
    "text/plain": ".txt",
    "text/rfc822-headers": ".txt",
}


def _safe_filename(name: str | None, content_type: str) -> str:
    """A name to show and to save under: no directories, controls or reserved names."""
    name = unicodedata.normalize("NFC", _clean_line(name or ""))
    name = name.replace("\\", "/").rpartition("/")[2]
    name = _UNSAFE_IN_FILENAME.sub("_", name).strip(" .")
    if _WINDOWS_DEVICES.fullmatch(name):
        name = "_" + name
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 200 - len(ext) - 1] + dot + ext if dot and len(ext) <= 16 else name[:200]
    return name or "attachment" + _EXTENSIONS.get(content_type, ".bin")


# --- charsets ----------------------------------------------------------------

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


# --- HTML --------------------------------------------------------------------

# The HTML parser's "formatting elements". Rebuilding them after a block closes is
# quadratic (160 KB of crafted HTML came out as 74 MB), so they are parsed under
# another name, which the tree builder treats as an ordinary element.
_FORMATTING = (
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
    "tt", "u",
)  # fmt: skip
_FORMATTING_NAMES = "|".join(_FORMATTING)
_DISGUISE = re.compile(rf"<(/?)({_FORMATTING_NAMES})(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)
_UNDISGUISE = re.compile(rf"<(/?)fl-({_FORMATTING_NAMES})(?=[\s/>])")
# Only our own pass marks remote images (data-remote-src), never the sender.
_HTML_ATTRIBUTES = {
    (f"fl-{tag}" if tag in _FORMATTING else tag): names - {"data-remote-src"}
    for tag, names in ATTRIBUTES.items()
}
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp|bmp);base64,", re.I)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return None if value.strip().lower().startswith(("data:", "cid:")) else value
    if tag == "img" and attribute == "src":
        src = value.strip()
        lowered = src.lower()
        if lowered.startswith(("//", "http://", "https://", "cid:")) or _DATA_IMAGE.match(src):
            return src
        return None
    return value


def _scheme_relative_only(url: str) -> str | None:
    """Scheme-relative "//host/x" is remote: keep it (it gets marked). "/x" is our site: drop."""
    return "https:" + url if url.startswith("//") else None


_HTML_CLEANER = nh3.Cleaner(
    tags=(TAGS - set(_FORMATTING)) | {f"fl-{name}" for name in _FORMATTING},
    clean_content_tags=DROPPED_CONTENT,
    attributes=_HTML_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    url_schemes={"cid", "data", "http", "https", "mailto", "tel"},
    url_relative=_scheme_relative_only,
    link_rel=None,
    set_tag_attribute_values={"fl-a": {"rel": "noopener noreferrer"}},
    filter_style_properties=STYLE_PROPERTIES,
    strip_comments=True,
)
# nh3 output quotes every attribute value with '"' and escapes '"', '<' and '>' in it.
_IMG_TAG = re.compile(r'<img\b(?:[^>"]|"[^"]*")*>')
_REMOTE_SRC = re.compile(r'(\s)src="(https?://[^"]*)"', re.I)
_MAX_HTML = 5 * MiB
_MAX_SIMPLE_TAGS = 10_000
_MAX_HTML_DEPTH = 100
_START_TAG = re.compile(r"<([a-zA-Z][^\t\n\f\r />]*)")
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][^\t\n\f\r />]*)")
_SELF_CLOSING_SIBLINGS = frozenset({"dd", "dt", "li", "option", "p", "td", "th", "tr"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def _html_bodies(html: str, defects: set[str]) -> tuple[str | None, str]:
    """(sanitised HTML, its text), or (None, roughly stripped text) when too big to parse.

    Safe to show: no scripts, handlers or javascript: URLs, nothing fetched.
    Remote image URLs move to ``data-remote-src`` (the desk may offer to load
    them); ``cid:`` references to inline parts stay as they are.
    """
    html = _DISGUISE.sub(r"<\1fl-\2", _SURROGATES.sub("\ufffd", html))
    if len(html) > _MAX_HTML or _too_deep_to_parse(html):
        defects.add("html_too_complex")
        return None, _strip_tags(html)
    cleaned = _UNDISGUISE.sub(r"<\1\2", _HTML_CLEANER.clean(html))
    safe = _IMG_TAG.sub(lambda m: _REMOTE_SRC.sub(r'\1data-remote-src="\2"', m[0]), cleaned)
    return safe, _html_to_text(safe)


def _too_deep_to_parse(html: str) -> bool:
    """Whether the tree builder could nest deeper than ``_MAX_HTML_DEPTH`` (its cost grows
    with tags times depth). Errs on the side of "too deep": only an end tag closing the
    innermost open element counts as closing anything."""
    if len(_START_TAG.findall(html)) <= _MAX_SIMPLE_TAGS:
        return False
    stack: list[str] = []
    for match in _TAG_TOKEN.finditer(html):
        name = match[2].lower()
        if not match[1]:
            if stack and stack[-1] == name and name in _SELF_CLOSING_SIBLINGS:
                stack.pop()  # <p>one<p>two, <li>one<li>two
            if name not in _VOID:
                stack.append(name)
                if len(stack) > _MAX_HTML_DEPTH:
                    return True
        elif stack and stack[-1] == name:
            stack.pop()
    return False


_RAW_TEXT = re.compile(r"(?i)<(script|style|title)\b")
_RAW_TEXT_END = {name: re.compile(rf"(?i)</{name}") for name in ("script", "style", "title")}
_BLOCK_TAG = re.compile(r"(?i)<br\b[^>]*>|</?(?:p|div|tr|li|h\d|blockquote|table|pre)\b[^>]*>")


def _strip_tags(html: str) -> str:
    """Linear and rough, for HTML too big or too deep to parse properly."""
    kept, pos = [], 0
    for match in _RAW_TEXT.finditer(html):
        if match.start() < pos:
            continue
        kept.append(html[pos : match.start()])
        end = _RAW_TEXT_END[match[1].lower()].search(html, match.end())
        pos = end.start() if end else len(html)
    kept.append(html[pos:])
    text = _BLOCK_TAG.sub("\n", "".join(kept))
    text = html_lib.unescape(re.sub(r"<[^>]*>", "", text))
    lines = (_WHITESPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _strip_edges(_normalise_text(re.sub(r"\n{3,}", "\n\n", "\n".join(lines))))


_WHITESPACE = re.compile(r"\s{2,}|[^\S ]")  # runs, or one character that is not a space
_BLOCKS = {"div", "li", "tr", "dt", "dd", "caption"}
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "hr", "pre"}
_TAG = re.compile(r"(<[^>]*>)")


def _html_to_text(html: str) -> str:
    """Readable text from sanitised HTML: blocks become lines, blockquotes "> " lines."""
    lines: list[str] = []
    current: list[str] = []
    quote = 0
    pre = 0

    def flush(*, paragraph: bool = False, force: bool = False) -> None:
        line = "".join(current).strip(" ") if not pre else "".join(current)
        current.clear()
        prefix = "> " * min(quote, 10)
        if line or force:
            lines.append((prefix + line).rstrip())
        if paragraph:
            lines.append(prefix.rstrip())

    for token in _TAG.split(html):
        if not token:
            continue
        if token.startswith("<"):
            closing = token.startswith("</")
            name = token.strip("</>").split(" ", 1)[0].lower()
            if name == "br":
                flush(force=True)
            elif name == "blockquote":
                flush(paragraph=True)
                quote = max(0, quote + (-1 if closing else 1))
            elif name in _PARAGRAPHS:
                flush(paragraph=True)
                if name == "pre":
                    pre = max(0, pre + (-1 if closing else 1))
            elif name in _BLOCKS:
                flush()
            elif closing and name in ("td", "th"):
                current.append(" ")
            continue
        text = html_lib.unescape(token).replace("\xa0", " ")
        if pre:
            first, *rest = text.split("\n")
            current.append(first)
            for piece in rest:
                flush(force=True)
                current.append(piece)
        else:
            current.append(_WHITESPACE.sub(" ", text))
    flush()
    kept: list[str] = []
    for line in lines:
        if line.strip("> ") or (kept and kept[-1].strip("> ")):
            kept.append(line)
    while kept and not kept[-1].strip("> "):
        kept.pop()
    return _strip_edges(_normalise_text("\n".join(kept)))


# --- automatic mail ----------------------------------------------------------

_ORIGINAL_ID = re.compile(r"^message-id:\s*<([^<>\s]+)>", re.I | re.M)


def _auto_info(
    msg: Message, from_address: str | None, attachments: list[ParsedAttachment], text: str
) -> AutoInfo:
    reasons: list[str] = []
    auto_submitted = bulk = bounce = False

    def token(name: str) -> str | None:
        value = _header(msg, name)
        if value is None:
            return None
        return _clean_line(_unsurrogate(value[:200])).split(";")[0].strip().lower()[:40]

    submitted = token("Auto-Submitted")
    if submitted and submitted != "no":
        auto_submitted = True
        reasons.append(f"auto-submitted:{submitted}")
    for name in ("X-Autoreply", "X-Autorespond"):
        value = token(name)
        if value is not None and value not in ("no", "false", "0"):
            auto_submitted = True
            reasons.append(name.lower())
    precedence = token("Precedence")
    if precedence in ("bulk", "junk", "list"):
        bulk = True
        reasons.append(f"precedence:{precedence}")
    elif precedence == "auto_reply":
        auto_submitted = True
        reasons.append("precedence:auto_reply")
    if _header(msg, "List-Id") is not None:
        bulk = True
        reasons.append("list-id")
    senders = [from_address or ""] + [a for _n, a in _addresses(_header(msg, "Sender"))]
    if any(a.partition("@")[0].lower() in ("mailer-daemon", "postmaster") for a in senders):
        bounce = True
        reasons.append("sender:mailer-daemon")
    if _header(msg, "X-Failed-Recipients") is not None:
        bounce = True
        reasons.append("x-failed-recipients")
    if msg.get_content_type() == "multipart/report":
        report_type = (_param(msg, "Content-Type", "report-type") or "").lower()[:40]
        if report_type == "delivery-status":
            bounce = True
            reasons.append("report:delivery-status")
        elif report_type:
            auto_submitted = True
            reasons.append(f"report:{report_type}")
    original = None
    if bounce:
        for attachment in attachments:
            if attachment.content_type in ("message/rfc822", "text/rfc822-headers"):
                head = attachment.content[:65536].decode("utf-8", "replace")
                head = re.split(r"\r?\n\r?\n", head, maxsplit=1)[0]
                match = _ORIGINAL_ID.search(re.sub(r"\r?\n[ \t]+", " ", head))
                if match:
                    original = match[1]
                    break
        if original is None:
            match = _ORIGINAL_ID.search(text)
            original = match[1] if match else None
    return AutoInfo(auto_submitted, bulk, bounce, original, tuple(reasons))


# --- quoted history ----------------------------------------------------------

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
