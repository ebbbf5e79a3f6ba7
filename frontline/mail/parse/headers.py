"""Header fields: encoded words, addresses, Message-IDs, dates, parameters, filenames."""

from __future__ import annotations

import binascii
import re
import unicodedata
from datetime import UTC, datetime
from email import utils as email_utils
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from .charsets import _FOLD, _SURROGATES, _decode_bytes, _to_bytes, _unsurrogate

_MAX_PARAM_TEXT = 16 * 1024
_MAX_PARAMS = 100
_PARAM_PIECE = re.compile(r'(?:[^;"\\]++|\\[\s\S]?|"(?:[^"\\]++|\\[\s\S]?)*+"?)*+')


class _Part(Message):
    """A compat32 message whose header parameters are parsed in linear time.

    The stdlib splits parameters quadratically (a 200 KB Content-Type of quoted
    semicolons took 40 s, and the feed parser reads every multipart boundary
    through it) and raises on some RFC 2231 continuations. Here the text is
    bounded, split in one pass, and decoding errors fall back to raw values.
    Its header fields are found through an index (``first_value``).
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

    # The parser asks a message for some thirty headers (the automatic-mail checks
    # alone for twenty): the first question indexes its fields once, by lower-case
    # name. Every method that changes the fields forgets the index.
    _first_values: dict[str, str] | None = None

    def first_value(self, name: str) -> str | None:
        if self._first_values is None:
            first: dict[str, str] = {}
            for key, value in self.raw_items():
                first.setdefault(key.lower(), value if isinstance(value, str) else str(value))
            self._first_values = first
        return self._first_values.get(name.lower())

    def _forget(self) -> None:
        self._first_values = None

    def __setitem__(self, name: str, val: Any) -> None:
        self._forget()
        super().__setitem__(name, val)

    def __delitem__(self, name: str) -> None:
        self._forget()
        super().__delitem__(name)

    def set_raw(self, name: str, value: Any) -> None:
        self._forget()
        super().set_raw(name, value)

    def add_header(self, _name: str, _value: str, **_params: Any) -> None:
        self._forget()
        super().add_header(_name, _value, **_params)

    def replace_header(self, _name: str, _value: Any) -> None:
        self._forget()
        super().replace_header(_name, _value)

    def set_boundary(self, boundary: str) -> None:
        self._forget()
        super().set_boundary(boundary)


def _header(msg: Message, name: str) -> str | None:
    """The first raw value of a header, 8-bit bytes still surrogate-escaped."""
    if isinstance(msg, _Part):
        return msg.first_value(name)
    lowered = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lowered:
            return value if isinstance(value, str) else str(value)
    return None


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
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")


def _sender(value: str | None, defects: set[str]) -> tuple[str, str | None]:
    """(display name, address) of a From or Sender header, read strictly.

    The address is never taken from the display name, which the sender writes
    freely: ``From: maria@acme.test <attacker@evil.test>`` is the attacker's
    mail, as the mail server that checked SPF/DKIM/DMARC judged it. When strict
    parsing fails, the one angle-bracket address is the sender (and the display
    name is dropped, defect ``from_display_address``); with several addresses,
    or no telling which, there is no sender (defect ``from_ambiguous``, and the
    message is quarantined). A display name that holds another address is
    dropped too, so that no page shows the forged one as the sender's name.
    """
    if not value:
        return "", None
    unfolded = _FOLD.sub("", _unsurrogate(value))
    try:
        pairs = [(name, addr) for name, addr in getaddresses([unfolded]) if name or addr]
    except Exception:  # the address parser has raised on odd input before
        pairs = []
    if len(pairs) == 1 and "@" in pairs[0][1] and not re.search(r"\s", pairs[0][1]):
        name, addr = _decode_header_text(pairs[0][0]), _clean_address(pairs[0][1])
        if any(_clean_address(found) != addr for found in _LOOSE_ADDRESS.findall(name)):
            defects.add("from_display_address")
            name = ""
        return name, addr or None
    if len(pairs) > 1 and all("@" in addr for _name, addr in pairs):
        defects.add("from_ambiguous")  # several mailboxes: whose mail is it?
        return "", None
    anywhere = {_clean_address(found) for found in _LOOSE_ADDRESS.findall(unfolded)}
    anywhere.discard("")
    if not anywhere:
        return "", None
    if len(anywhere) == 1:
        # "John Smith john@example.com": malformed, but only one address in it.
        return "", anywhere.pop()
    angle = {_clean_address(found) for found in _ANGLE_ADDRESS.findall(unfolded)}
    if len(angle) == 1:
        defects.add("from_display_address")
        return "", angle.pop()
    defects.add("from_ambiguous")
    return "", None


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
