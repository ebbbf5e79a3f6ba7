"""Taking a customer's personal data out of a text before it becomes an article.

Pure: no database. What can be recognised is replaced by a bracketed word
(addresses by mail, phone and other long numbers, the names given); what
cannot (a street address, a name nobody told us) is left for the person who
reviews the draft, who is told so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number: an optional +, then digits with spaces, dots, dashes or brackets
# between them, seven digits at least (counted below).
PHONE = re.compile(r"(?<![\w#])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
LONG_NUMBER = re.compile(r"(?<![\w#])\d{6,}(?!\w)")
URL_WITH_SECRET = re.compile(r"https?://\S*(?:token|key|sig|t-)\S*", re.IGNORECASE)


@dataclass
class Scrubbed:
    text: str
    replaced: dict[str, int] = field(default_factory=dict)  # kind: how many


def scrub(text: str, *, names: Iterable[str] = ()) -> Scrubbed:
    """``text`` with e-mail addresses, links carrying a secret, phone numbers,
    long numbers (accounts, cards, orders) and ``names`` (whole words, any case,
    the longest first) replaced by ``[email]``, ``[link]``, ``[phone]``,
    ``[number]``, ``[name]``; and how many of each."""
    out = Scrubbed(text=text)

    def sub(kind: str, pattern: re.Pattern[str], value: str, keep: object = None) -> None:
        def repl(m: re.Match[str]) -> str:
            if keep is not None and callable(keep) and keep(m.group(0)):
                return m.group(0)
            out.replaced[kind] = out.replaced.get(kind, 0) + 1
            return value

        out.text = pattern.sub(repl, out.text)

    sub("email", EMAIL, "[email]")
    sub("link", URL_WITH_SECRET, "[link]")
    sub("number", LONG_NUMBER, "[number]")  # before phones: a card number is not one
    sub("phone", PHONE, "[phone]", keep=lambda s: sum(c.isdigit() for c in s) < 7)
    wanted = sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True)
    if wanted:
        pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(re.escape(n) for n in wanted) + r")(?!\w)", re.IGNORECASE
        )
        sub("name", pattern, "[name]")
    return out
