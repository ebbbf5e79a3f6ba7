"""The message's skeleton: the header block, the bounded stdlib parser, the parts."""

from __future__ import annotations

import binascii
import re
from email import policy as email_policy
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from io import BytesIO
from typing import TYPE_CHECKING, cast

from .charsets import _decode_bytes, _normalise_text, _to_bytes
from .headers import (
    _b_decode,
    _charset,
    _decode_header_text,
    _filename,
    _header,
    _message_id,
    _meta_charset,
    _Part,
    _safe_filename,
)
from .results import Limits, MailRejected, ParsedAttachment

if TYPE_CHECKING:
    from . import _Deadline

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
