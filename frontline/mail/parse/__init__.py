"""Inbound mail, first layer: raw bytes in, a ``ParsedEmail`` out.

Pure and bounded: no database, no Django, nothing fetched. Whatever arrives on
port 25 must either parse or be refused with ``MailRejected`` (a machine-readable
``reason``), so sizes are checked before the stdlib parser sees the bytes,
nesting and part counts are checked while it runs, and a soft deadline is
checked between steps. Broken but readable mail (bad base64, missing headers,
mislabelled charsets) is parsed with defaults rather than refused.

The steps live beside this module, one concept each: ``structure`` (the header
block, the bounded stdlib parser, walking the parts), ``headers``, ``charsets``,
``html`` and ``auto`` (automatic mail); ``results`` holds the types. Quoted
history is found at display time, by ``lib.email_html.split_quoted_text``.
"""

from __future__ import annotations

import hashlib
import re
import time

from .auto import _auto_info
from .charsets import _strip_edges
from .headers import (
    _addresses,
    _date,
    _decode_header_text,
    _header,
    _message_id,
    _message_ids,
    _sender,
)
from .html import _html_bodies
from .results import (
    DEFAULT_LIMITS,
    AutoInfo,
    Limits,
    MailRejected,
    ParsedAttachment,
    ParsedEmail,
)
from .structure import _BoundedParser, _collect_parts, _header_block_size

__all__ = [
    "DEFAULT_LIMITS",
    "AutoInfo",
    "Limits",
    "MailRejected",
    "ParsedAttachment",
    "ParsedEmail",
    "parse",
]


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

    from_header = _header(msg, "From")
    from_name, from_address = _sender(from_header or _header(msg, "Sender"), defects)
    if from_address is None and "from_ambiguous" not in defects:
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


# The clock stays here, beside ``parse``: the deadline test replaces ``_now`` in this module.
def _now() -> float:
    return time.monotonic()


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._end = _now() + seconds

    def check(self) -> None:
        if _now() > self._end:
            raise MailRejected("timeout", f"parsing took longer than {self._seconds} s")
