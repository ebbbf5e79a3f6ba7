"""Email HTML as Frontline keeps and shows it: sanitised, remote images held back.

Pure functions, no database. The mail parser sanitises HTML as it reads a
message; :func:`clean_message_html` does it again when a message is stored
(defence in depth: whatever produced the HTML, what is stored is safe to show).
Remote images never load by themselves: their URL sits in ``data-remote-src``
until an agent asks for :func:`with_remote_images`. :func:`split_quoted_html`
and :func:`split_quoted_text` find where quoted history or a signature starts,
so the desk can fold it away while the message is kept whole.
"""

from __future__ import annotations

import re

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u",
    "ul",
}  # fmt: skip
ATTRIBUTES = {
    "*": {"align", "bgcolor", "dir", "height", "lang", "style", "title", "valign", "width"},
    "a": {"href"},
    "font": {"color", "face", "size"},
    "img": {"alt", "src", "data-remote-src"},
    "ol": {"start", "type"},
    "table": {"border", "cellpadding", "cellspacing"},
    "td": {"colspan", "nowrap", "rowspan"},
    "th": {"colspan", "nowrap", "rowspan"},
}
# Elements whose content is not readable text (or is executable, or embeds something).
DROPPED_CONTENT = {
    "applet", "embed", "iframe", "math", "noembed", "noframes", "noscript", "object",
    "script", "style", "svg", "template", "textarea", "title", "xmp",
}  # fmt: skip
# No property here can load a URL (background, list-style, content, cursor... are out)
# or run anything (expression(), behavior).
STYLE_PROPERTIES = {
    "border", "border-bottom", "border-collapse", "border-color", "border-left",
    "border-right", "border-spacing", "border-style", "border-top", "border-width",
    "background-color", "color", "direction", "font", "font-family", "font-size",
    "font-style", "font-weight", "height", "letter-spacing", "line-height", "margin",
    "margin-bottom", "margin-left", "margin-right", "margin-top", "max-width", "min-width",
    "padding", "padding-bottom", "padding-left", "padding-right", "padding-top",
    "text-align", "text-decoration", "text-indent", "text-transform", "vertical-align",
    "white-space", "width",
}  # fmt: skip
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp|bmp);base64,", re.I)
_REMOTE = re.compile(r"https?://", re.I)
_CSS_CODE = re.compile(r"expression\s*\(|url\s*\(|javascript:|behavior\s*:", re.I)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return None if value.strip().lower().startswith(("data:", "cid:")) else value
    if tag == "img" and attribute == "src":
        src = value.strip()
        if src.lower().startswith("cid:") or _DATA_IMAGE.match(src) or _REMOTE.match(src):
            return src
        return None
    if attribute == "data-remote-src":
        return value.strip() if _REMOTE.match(value.strip()) else None
    if attribute == "style" and _CSS_CODE.search(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED_CONTENT,
    attributes=ATTRIBUTES,
    attribute_filter=_attribute_filter,
    url_schemes={"cid", "data", "http", "https", "mailto", "tel"},
    url_relative="deny",
    link_rel=None,
    set_tag_attribute_values={"a": {"rel": "noopener noreferrer", "target": "_blank"}},
    filter_style_properties=STYLE_PROPERTIES,
    strip_comments=True,
)
# nh3 output quotes every attribute value with '"' and escapes '"', '<' and '>' in it.
_IMG_TAG = re.compile(r'<img\b(?:[^>"]|"[^"]*")*>')
_REMOTE_SRC = re.compile(r'(\s)src="(https?://[^"]*)"', re.I)
_HELD_SRC = re.compile(r'(\s)data-remote-src="([^"]*)"')
_ANY_SRC = re.compile(r'\ssrc="[^"]*"')


def clean_message_html(html: str) -> str:
    """Sanitised HTML safe to store and show: no scripts, event handlers,
    ``javascript:`` URLs or CSS that loads or runs anything; remote image URLs
    moved to ``data-remote-src`` so nothing is fetched until asked."""
    if not html or not html.strip():
        return ""
    return _hold_remote_images(_CLEANER.clean(html))


def clean_html(html: str) -> str:
    """Sanitised with the same policy, images left as they are: for HTML that
    Frontline makes itself from text an author wrote (knowledge-base Markdown),
    where nothing is fetched behind anyone's back that the author did not put there."""
    if not html or not html.strip():
        return ""
    return _CLEANER.clean(html)


def _hold_remote_images(cleaned: str) -> str:
    return _IMG_TAG.sub(lambda m: _REMOTE_SRC.sub(r'\1data-remote-src="\2"', m[0]), cleaned)


def has_remote_images(html: str) -> bool:
    return "data-remote-src=" in html


def with_remote_images(html: str) -> str:
    """The stored HTML with its remote images given back their URL, sanitised again:
    still no scripts, handlers or ``javascript:`` URLs."""

    def release(match: re.Match[str]) -> str:
        tag = match[0]
        if not _HELD_SRC.search(tag):
            return tag
        return _HELD_SRC.sub(r'\1src="\2"', _ANY_SRC.sub("", tag))

    return _CLEANER.clean(_IMG_TAG.sub(release, html))


# --- quoted history and signatures -------------------------------------------

_ATTRIBUTION = (
    r"(?:On|Am|Le|El|Il|Op)\b[^\n]{0,300}?(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef)"
    r"\s*:|[^\n]{0,300}?(?:написал|написала|пишет)\s*:|[^\n]{0,300}?写道\s*[:\uff1a]"
)
_ORIGINAL = r"-{2,}\s*(?:Original Message|Исходное сообщение|原始邮件)\s*-{2,}"
_TEXT_CUT = re.compile(
    rf"^(?:{_ATTRIBUTION}|{_ORIGINAL}|-- ?$|__+$|From: .+\nSent: )",
    re.MULTILINE | re.IGNORECASE,
)
_TRAILING_QUOTE = re.compile(r"(?:^>.*\n?|^\s*\n)*\Z", re.MULTILINE)

_HTML_CUT = re.compile(
    rf"<blockquote\b|{_ORIGINAL}|(?:^|>)\s*--\s?(?:&nbsp;)?\s*<br"
    r"|<(?:b|strong)>\s*(?:From|От|发件人)\s*[:\uff1a]\s*</(?:b|strong)>",
    re.IGNORECASE | re.MULTILINE,
)
_HTML_ATTRIBUTION = re.compile(_ATTRIBUTION, re.IGNORECASE)
_BLOCK_START = re.compile(r"<(?:div|p|br|tr|table)\b[^>]*>", re.IGNORECASE)
_TAGS_ONLY = re.compile(r"<[^>]*>")


def split_quoted_text(text: str) -> tuple[str, str]:
    """(what the sender wrote, the quoted history or signature after it).

    The second part is empty when nothing is quoted, and also when the whole
    message would fold away (nothing would be left to read).
    """
    cut = _TEXT_CUT.search(text)
    start = cut.start() if cut else len(text)
    trailing = _TRAILING_QUOTE.search(text)
    if trailing and trailing.start() < start and text[trailing.start() :].strip():
        start = trailing.start()
    main, folded = text[:start].rstrip(), text[start:].strip("\n")
    if not main.strip() or not folded.strip():
        return text, ""
    return main, folded


def split_quoted_html(html: str) -> tuple[str, str]:
    """Like :func:`split_quoted_text` for sanitised HTML; each part is sanitised
    again, so a cut inside an element still gives two well-formed fragments."""
    cut = _HTML_CUT.search(html)
    if cut is None:
        return html, ""
    start = cut.start()
    if html[start] == ">":
        start += 1
    if cut[0].lower().startswith("<blockquote"):
        # Take the "On Monday, Carol wrote:" line above the quote along with it.
        before = html[max(0, start - 600) : start]
        for block in reversed(list(_BLOCK_START.finditer(before))):
            if _HTML_ATTRIBUTION.search(_TAGS_ONLY.sub(" ", before[block.start() :])):
                start -= len(before) - block.start()
                break
    main, folded = html[:start], html[start:]
    if not _TAGS_ONLY.sub("", main).strip() or not _TAGS_ONLY.sub("", folded).strip():
        return html, ""
    return _CLEANER.clean(main), _CLEANER.clean(folded)
