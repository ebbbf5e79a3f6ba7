# ruff: noqa: RUF001 (Cyrillic on purpose)
"""The words of a text as the knowledge base matches them. Pure functions.

A crude but language-agnostic stand-in for a search engine: words are folded to
lower case, lose a plural "s" and are cut to their first letters (so "jam"
matches "jams", "printer" "printers", and "пароль" "пароля"); Chinese text,
which has no spaces, is cut into pairs of characters. Both sides of a match
(articles and what a customer types) go through :func:`terms`.
"""

from __future__ import annotations

import re

STEM_LENGTH = 6
MIN_LENGTH = 3
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
# Words too common to tell articles apart.
_STOPWORDS = """
    the and for with you your are not can how what this that from have was but when
    why who does did has had will would should could there their they them our out
    как что это для при или меня мне мой моя все так нет где когда почему уже его она они
    есть был была было
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def terms(text: str, *, limit: int | None = None) -> list[str]:
    """The distinct terms of ``text`` in the order they first appear."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.casefold().replace("ё", "е")):
        if _IS_CJK.match(token):
            pieces = [token[i : i + 2] for i in range(len(token) - 1)] or [token]
        elif len(token) < MIN_LENGTH or token in STOPWORDS:
            continue
        else:
            if len(token) > MIN_LENGTH and token.endswith("s") and not token.endswith("ss"):
                token = token[:-1]  # English plurals: "jams" is "jam"
            pieces = [token[:STEM_LENGTH]]
        for piece in pieces:
            seen.setdefault(piece, None)
            if limit is not None and len(seen) >= limit:
                return list(seen)
    return list(seen)
