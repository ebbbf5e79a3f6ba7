"""Article text: Markdown to HTML, sanitised with the same policy as mail HTML.

Pure functions, no database. Authors may write raw HTML inside Markdown; what
comes out goes through :func:`frontline.lib.email_html.clean_html`, so scripts,
event handlers and ``javascript:`` links never reach a page.

An article's own files are referred to as ``attachment:<id>``
(``![diagram](attachment:12)``, ``[the form](attachment:13)``). Only ids in
``files`` (the article's own) become links to the file's URL, which serves
it after an access check; any other ``attachment:`` reference loses its
address. The sanitiser drops relative URLs, so a known reference goes through
it as a placeholder address and is put back afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from frontline.lib.email_html import clean_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

REFERENCE = re.compile(r"attachment:(\d{1,18})$")
_PLACEHOLDER = "https://attachment.invalid/"
_PLACED = re.compile(r'(\s(?:src|href))="https://attachment\.invalid/(\d{1,18})"')


@dataclass(frozen=True)
class FileRef:
    """What the renderer needs of an article's file: where it is served, and
    whether a browser may show it as an image."""

    url: str
    is_image: bool


@cache
def _parser() -> MarkdownIt:
    # Imported when first needed: markdown-it costs every command 36 ms at start
    # (the mail import loads this module through the routing rules' replies).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _point_at_files(tokens: list[Token], files: Mapping[int, FileRef]) -> None:
    for token in tokens:
        if token.children:
            _point_at_files(token.children, files)
        attr = {"image": "src", "link_open": "href"}.get(token.type)
        if attr is None:
            continue
        match = REFERENCE.match(str(token.attrs.get(attr, "")))
        if match is None:
            continue
        ref = files.get(int(match[1]))
        # An image of a file that is not a picture would be a broken image: a link then.
        if ref is None or (token.type == "image" and not ref.is_image):
            token.attrs.pop(attr, None)
        else:
            token.attrs[attr] = _PLACEHOLDER + match[1]


def render_markdown(text: str, *, files: Mapping[int, FileRef] | None = None) -> str:
    """Sanitised HTML for Markdown ``text``; ``attachment:<id>`` of ``files`` point
    at those files, every other ``attachment:`` reference is dropped."""
    if not text.strip():
        return ""
    files = files or {}
    parser = _parser()
    tokens = parser.parse(text)
    _point_at_files(tokens, files)
    html = clean_html(parser.renderer.render(tokens, parser.options, {}))

    def put_back(match: re.Match[str]) -> str:
        ref = files.get(int(match[2]))
        # A placeholder the author typed by hand, for a file not of this article: gone.
        return f'{match[1]}="{ref.url}"' if ref is not None else ""

    return _PLACED.sub(put_back, html)


def references(text: str) -> set[int]:
    """The file ids ``text`` refers to (to warn before deleting a file in use)."""
    found: set[int] = set()

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.children:
                walk(token.children)
            for attr in ("src", "href"):
                match = REFERENCE.match(str(token.attrs.get(attr, "")))
                if match:
                    found.add(int(match[1]))

    walk(_parser().parse(text))
    return found
