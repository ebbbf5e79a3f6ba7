"""Automatic mail: auto-replies, bulk and list mail, bounces."""

from __future__ import annotations

import re
from email.message import Message

from .charsets import _unsurrogate
from .headers import _addresses, _clean_line, _header, _param
from .results import AutoInfo, ParsedAttachment

_ORIGINAL_ID = re.compile(r"^message-id:\s*<([^<>\s]+)>", re.I | re.M)
_AUTH_FAIL = re.compile(r"\b(dmarc|spf|dkim)=fail\b")
# Challenge-response filters ("confirm you are human to reach me"): answering
# them with an acknowledgement confirms us as a sender and can loop. The marks
# each known filter leaves, as SpamAssassin's VBounce rules list them.
_CHALLENGE_HEADERS = (
    "X-AskVersion",  # ASK, Active Spam Killer
    "X-Boxtrapper",  # cPanel BoxTrapper
    "X-Bluebottle-Request",
    "X-Spamazoid-MD",
    "Spamlion",
    "X-ExiSpam",
)
_TMDA_CONFIRM = re.compile(r"@\S+-tmda-confirm>$", re.I)
_UNVERIFIED = re.compile(r"^unverified email to ", re.I)


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
    challenge = _challenge_response(msg)
    if challenge:
        auto_submitted = True
        reasons.append(f"challenge-response:{challenge}")
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
    suspect = False
    if token("X-Spam-Flag") == "yes" or (token("X-Spam-Status") or "").startswith("yes"):
        suspect = True
        reasons.append("spam-flag")
    for value in msg.get_all("Authentication-Results") or []:
        failed = _AUTH_FAIL.findall(_clean_line(_unsurrogate(str(value)[:2000])).lower())
        if failed:
            suspect = True
            reasons.append("authentication:" + ",".join(sorted(set(failed))) + "=fail")
            break
    return AutoInfo(auto_submitted, bulk, bounce, original, tuple(reasons), suspect)


def _challenge_response(msg: Message) -> str | None:
    """Which challenge-response filter sent ``msg``, if one did."""
    for name in _CHALLENGE_HEADERS:
        if _header(msg, name) is not None:
            return name.lower()
    if _TMDA_CONFIRM.search((_header(msg, "Message-ID") or "").strip()[:998]):
        return "tmda"
    if (_header(msg, "Precedence") or "").strip().lower().startswith("spam"):
        return "precedence:spam"
    if _UNVERIFIED.match(_clean_line(_unsurrogate((_header(msg, "Subject") or "")[:300]))):
        return "unverified"
    return None
