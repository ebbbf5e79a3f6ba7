"""HTML bodies: sanitised to show, and read back as text."""

from __future__ import annotations

import html as html_lib
import re

from frontline.lib.email_html import clean_message_html

from .charsets import _SURROGATES, _normalise_text, _strip_edges
from .results import MiB

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

    Cleaned by the desk's own policy, ``clean_message_html``: no scripts,
    handlers or javascript: URLs, nothing fetched. Remote image URLs move to
    ``data-remote-src`` (the desk may offer to load them); ``cid:`` references
    to inline parts stay as they are.
    """
    html = _SURROGATES.sub("\ufffd", html)
    if len(html) > _MAX_HTML or _too_deep_to_parse(html):
        defects.add("html_too_complex")
        return None, _strip_tags(html)
    safe = clean_message_html(html)
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
