"""Words in, words out: the text both search engines index and the queries they run.

Pure functions, no database. Text is folded here, in Python, before either
engine sees it, so that SQLite and PostgreSQL (whatever its locale) agree:

- Russian and English words are reduced to their Snowball stems, so
  ``принтер`` finds ``принтера`` and ``printers`` finds ``printer``;
- case and diacritics: ``casefold`` after dropping combining marks, in every
  script (``Квазар`` → ``квазар``, ``ÉTÉ`` → ``ete``; Russian ``ё`` and ``й``
  lose their marks too, as with SQLite's ``remove_diacritics 2``);
- Chinese, Japanese and Korean are written without spaces: each run of those
  characters becomes its overlapping pairs (``申请退款`` → ``申请 请退 退款``), and a
  query's run becomes the same pairs as a phrase. Most Chinese words are two
  characters; SQLite's ``trigram`` tokenizer cannot match a two-character query
  at all (measured: 0 of 14,994 documents containing ``退款``), pairs find all.

A query is words (all must match), ``"quoted phrases"``, ``-excluded`` words,
``OR`` between alternatives, and filters on tickets (``status:open``,
``team:"First line"``, see ``FILTER_KEYS``). Anything else is taken as words:
quotes left open close at the end, punctuation and engine syntax (``*``,
``NEAR(``, ``:``) are dropped, ``AND`` is implicit, so the words of a query are
never a syntax error (a filter's value may be: ``search/filters.py`` says so).
"""

from __future__ import annotations

import functools
import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

# Han, kana, Hangul and their compatibility and extension blocks.
CJK_CHARS = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
CJK = re.compile(f"[{CJK_CHARS}]+")
# A run of letters and digits (not "_", which PostgreSQL's parser splits on);
# its PARTS are the runs of CJK characters and of the others.
WORD = re.compile(r"[^\W_]+")
PARTS = re.compile(f"[{CJK_CHARS}]+|(?:(?![{CJK_CHARS}])[^\\W_])+")


@functools.cache
def _combining() -> re.Pattern[str]:
    """Marks that fold away (accents, and other combining marks), found on first
    use, not at import (every process imports this; few fold text): the Basic
    Multilingual Plane holds all but a few historic ones."""
    marks = "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.combining(chr(c)))
    return re.compile(f"[{marks}]")


TOKEN = re.compile(r'(-?)"([^"]*)"?|([A-Za-z]+):"([^"]*)"?|(\S+)')
FILTER = re.compile(r"([A-Za-z]+):(\S+)")
# ``key:value`` narrows the tickets (``search/filters.py`` reads the values); any
# other ``word:word`` is two words.
FILTER_KEYS = frozenset(
    {
        "status",
        "priority",
        "assignee",
        "team",
        "org",
        "category",
        "tag",
        "channel",
        "requester",
        "created",
        "updated",
    }
)


def fold(text: str) -> str:
    """Lower case without diacritics, in any script."""
    if text.isascii():
        return text.lower()
    bare = _combining().sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFC", bare.casefold())


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index holds them: Russian and English words
    stemmed, all folded, CJK runs as pairs."""
    lowered = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for word in WORD.findall(lowered):
        out += _word_tokens(word)
    return out


@functools.lru_cache(maxsize=100_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one run of letters and digits (cached: words repeat)."""
    if word.isascii():
        return (_word(word),)
    out: list[str] = []
    for part in PARTS.findall(word):
        if CJK.match(part):
            part = fold(part)
            if len(part) > 1:
                out += [part[i : i + 2] for i in range(len(part) - 1)]
                continue
        out.append(_word(part))
    return tuple(out)


CYRILLIC_WORD = re.compile("[\u0430-\u044f\u0451]+")  # lower-case Russian letters
_stemmers = threading.local()


@functools.lru_cache(maxsize=100_000)
def _word(word: str) -> str:
    """One lower-case word as indexed: its Snowball stem if it is Russian or
    English (``принтера`` → ``принтер``, ``printers`` → ``printer``), folded."""
    if CYRILLIC_WORD.fullmatch(word):
        return fold(_stemmer("russian").stemWord(word))
    folded = fold(word)
    if folded.isascii() and folded.isalpha():
        return _stemmer("english").stemWord(folded)
    return folded


def _stemmer(language: str) -> Any:
    # A Snowball stemmer keeps state while it works: one per thread.
    stemmer = getattr(_stemmers, language, None)
    if stemmer is None:
        # Imported when first needed: its 30 modules cost every command 30 ms
        # at start, and most never stem a word.
        import snowballstemmer

        stemmer = snowballstemmer.stemmer(language)
        setattr(_stemmers, language, stemmer)
    return stemmer


def index_text(*parts: str) -> str:
    """What goes into an index column: the tokens, separated by spaces."""
    return " ".join(token for part in parts if part for token in tokens(part))


Term = tuple[str, ...]  # a word or phrase: its tokens, which must follow each other


@dataclass(frozen=True)
class ParsedQuery:
    """All ``required`` clauses must match (a clause is alternatives joined by OR);
    no ``excluded`` term may."""

    required: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()  # (key, value as typed), for tickets

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: no word, and no filter (a filter alone is a query)."""
        return not self.required and not self.filters

    @property
    def words(self) -> list[str]:
        """The tokens to highlight in snippets (excluded ones never match)."""
        return list(dict.fromkeys(t for clause in self.required for term in clause for t in term))


def parse_query(text: str) -> ParsedQuery:
    """A query as the user typed it; never raises. ``is_empty`` when it has no word
    to look for (only punctuation, or only exclusions)."""
    required: list[list[Term]] = []
    excluded: list[Term] = []
    filters: list[tuple[str, str]] = []
    pending_or = negate_next = False
    # A NUL byte separates words; PostgreSQL refuses it in any text, even a filter's.
    for match in TOKEN.finditer(text[:500].replace("\x00", " ")):
        minus, quoted, key, value, bare = match.groups()
        if key is not None:
            if key.lower() in FILTER_KEYS:
                filters.append((key.lower(), value.strip()))
                continue
            bare = f"{key} {value}"
        elif (
            bare is not None
            and (found := FILTER.fullmatch(bare))
            and found.group(1).lower() in FILTER_KEYS
        ):
            filters.append((found.group(1).lower(), found.group(2)))
            continue
        if bare in ("OR", "|"):
            pending_or = bool(required)
            continue
        if bare == "AND":
            continue
        if bare == "NOT":
            negate_next = True
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            minus, bare = "-", bare[1:]
        term = tuple(tokens(quoted if quoted is not None else bare))
        if not term:
            continue
        if minus or negate_next:
            excluded.append(term)
        elif pending_or:
            required[-1].append(term)
        else:
            required.append([term])
        pending_or = negate_next = False
    return ParsedQuery(
        required=tuple(tuple(dict.fromkeys(clause)) for clause in required[:20]),
        excluded=tuple(dict.fromkeys(excluded))[:20],
        filters=tuple(dict.fromkeys(filters))[:20],
    )


def fts5_query(query: ParsedQuery, *, columns: tuple[str, ...] | None = None) -> str:
    """The query in SQLite FTS5 syntax. Every term is a quoted string of tokens
    made only of letters and digits, so nothing the user typed is read as syntax."""

    def phrase(term: Term) -> str:
        return '"' + " ".join(term) + '"'

    expr = " AND ".join(
        "(" + " OR ".join(phrase(term) for term in clause) + ")" for clause in query.required
    )
    for term in query.excluded:
        expr = f"({expr}) NOT {phrase(term)}"
    if columns:
        expr = "{" + " ".join(columns) + "} : (" + expr + ")"
    return expr


def tsquery_sql(query: ParsedQuery) -> tuple[str, list[str]]:
    """The query as a PostgreSQL tsquery expression, its words as parameters."""
    params: list[str] = []

    def phrase(term: Term) -> str:
        params.append(" ".join(term))
        return "phraseto_tsquery('simple', %s)"

    parts = ["(" + " || ".join(phrase(term) for term in clause) + ")" for clause in query.required]
    parts += ["!!" + phrase(term) for term in query.excluded]
    return "(" + " && ".join(parts) + ")", params


SNIPPET_CHARS = 160


class Highlighter:
    """Cuts snippets around the words of a query (``ParsedQuery.words``)."""

    def __init__(self, words: list[str]) -> None:
        # CJK pairs match anywhere (they overlap, and merge into the run); other
        # words are stems: a whole word that starts with one is marked if its
        # own stem is that one, as the index matched it.
        self.stems = {w for w in words if w and not CJK.fullmatch(w)}
        parts = [
            re.escape(w) if CJK.fullmatch(w) else rf"(?<![^\W_]){re.escape(w)}[^\W_]*"
            for w in sorted(set(words), key=len, reverse=True)
            if w
        ]
        self.pattern = re.compile("|".join(parts)) if parts else None

    def _marks(self, folded: str) -> list[tuple[int, int]]:
        return [
            m.span()
            for m in self.pattern.finditer(folded)  # type: ignore[union-attr]
            if CJK.match(m.group()) or _word(m.group()) in self.stems
        ]

    def snippet(self, text: str) -> str | None:
        """A short passage of ``text`` around the first word found, as HTML: the
        text escaped, the words in ``<mark>``. None when no word occurs.

        Matching is on folded text (case and diacritics ignored). Folding nearly
        always keeps one character per character; when it does not (``ß``,
        ligatures), positions are mapped back character by character.
        """
        if self.pattern is None or not text:
            return None
        folded = fold(text)
        if not self.pattern.search(folded):
            return None
        origin: list[int] | None = None
        if len(folded) != len(text):
            folded, origin = _folded_with_positions(text)
        spans = _merge(self._marks(folded))
        if not spans:
            return None
        if origin is not None:
            spans = [(origin[a], origin[b - 1] + 1) for a, b in spans]
        first = spans[0][0]
        start = max(0, first - SNIPPET_CHARS // 3)
        end = min(len(text), start + SNIPPET_CHARS)
        parts = ["…" if start else ""]
        cursor = start
        for a, b in spans:
            if a < cursor or b > end:
                continue
            parts += [html.escape(text[cursor:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
            cursor = b
        parts += [html.escape(text[cursor:end]), "…" if end < len(text) else ""]
        return " ".join("".join(parts).split())


def snippet(text: str, words: list[str]) -> str | None:
    """``Highlighter(words).snippet(text)``, for one text."""
    return Highlighter(words).snippet(text)


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """``text`` folded character by character, with the index in ``text`` each
    folded character came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for f in fold(char):
            out.append(f)
            origin.append(i)
    return "".join(out), origin


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
