"""Article text: Markdown to HTML, sanitised with the same policy as mail HTML.

Pure functions, no database. Authors may write raw HTML inside Markdown; what
comes out goes through :func:`frontline.lib.email_html.clean_html`, so scripts,
event handlers and ``javascript:`` links never reach a page.
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

from frontline.lib.email_html import clean_html


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> str:
    """Sanitised HTML for Markdown ``text``."""
    if not text.strip():
        return ""
    return clean_html(_parser().render(text))
