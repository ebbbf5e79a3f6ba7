"""What the parser works within, refuses with, and gives back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

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
    mailer-daemon or postmaster sender, X-Failed-Recipients. ``suspect``: the
    mail server marked it as spam (X-Spam-Flag: YES, X-Spam-Status: Yes) or an
    Authentication-Results check failed (dmarc, spf or dkim ``fail``): a person
    may have typed it, but an answer could go to someone whose address was
    forged. ``reasons`` names each header that matched.
    """

    auto_submitted: bool = False
    bulk: bool = False
    bounce: bool = False
    original_message_id: str | None = None
    reasons: tuple[str, ...] = ()
    suspect: bool = False

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
