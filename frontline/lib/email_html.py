"""Email HTML as Frontline keeps and shows it: sanitised, remote images held back.

Pure functions, no database. One sanitiser policy, :func:`clean_message_html`:
the mail parser cleans HTML with it as it reads a message, and the actions
clean again when a message is stored (defence in depth: whatever produced the
HTML, what is stored is safe to show).
Remote images never load by themselves: their URL sits in ``data-remote-src``
until an agent asks for :func:`with_remote_images`. :func:`split_quoted_html`
and :func:`split_quoted_text` find where quoted history or a signature starts,
so the desk can fold it away while the message is kept whole.
"""

from __future__ import annotations

import re

import nh3

TAGS = {
    "a", "abbr", "b", "big", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "kbd", "li", "nobr", "ol", "p", "pre", "q", "s", "small", "span", "strike",
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
# The HTML parser's "formatting elements". Rebuilding them after a block closes is
# quadratic (160 KB of crafted HTML came out as 74 MB), so they are cleaned under
# another name, which the tree builder treats as an ordinary element.
_FORMATTING = (
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
    "tt", "u",
)  # fmt: skip
_FORMATTING_NAMES = "|".join(_FORMATTING)
_DISGUISE = re.compile(rf"<(/?)({_FORMATTING_NAMES})(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)
_UNDISGUISE = re.compile(rf"<(/?)fl-({_FORMATTING_NAMES})(?=[\s/>])")
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpeg|jpg|webp|bmp);base64,", re.I)
_REMOTE = re.compile(r"https?://", re.I)
_CSS_CODE = re.compile(r"expression\s*\(|url\s*\(|javascript:|behavior\s*:", re.I)


def _disguised(tag: str) -> str:
    return f"fl-{tag}" if tag in _FORMATTING else tag


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "href":
        return None if value.strip().lower().startswith(("data:", "cid:")) else value
    if tag == "img" and attribute == "src":
        src = value.strip()
        if src.lower().startswith(("//", "cid:")) or _REMOTE.match(src) or _DATA_IMAGE.match(src):
            return src
        return None
    if attribute == "data-remote-src":
        return value.strip() if _REMOTE.match(value.strip()) else None
    if attribute == "style" and _CSS_CODE.search(value):
        return None
    return value


def _scheme_relative_only(url: str) -> str | None:
    """Scheme-relative "//host/x" is remote: keep it (it gets held). "/x" is our site: drop."""
    return "https:" + url if url.startswith("//") else None


# The one policy for mail HTML: the parser, the actions that store a message and
# the desk that shows it all clean through this.
_CLEANER = nh3.Cleaner(
    tags={_disguised(tag) for tag in TAGS},
    clean_content_tags=DROPPED_CONTENT,
    attributes={_disguised(tag): names for tag, names in ATTRIBUTES.items()},
    attribute_filter=_attribute_filter,
    url_schemes={"cid", "data", "http", "https", "mailto", "tel"},
    url_relative=_scheme_relative_only,
    link_rel=None,
    # One attribute only: nh3 adds these in hash order, which would make the output
    # differ from one run to the next. target="_blank" is added after, in _clean.
    set_tag_attribute_values={"fl-a": {"rel": "noopener noreferrer"}},
    filter_style_properties=STYLE_PROPERTIES,
    strip_comments=True,
)
# nh3 output quotes every attribute value with '"' and escapes '"', '<' and '>' in it.
_IMG_TAG = re.compile(r'<img\b(?:[^>"]|"[^"]*")*>')
_REMOTE_SRC = re.compile(r'(\s)src="(https?://[^"]*)"', re.I)
# Only an http(s) URL is given back; any other held value is dropped by the policy.
_HELD_SRC = re.compile(r'(\s)data-remote-src="(https?://[^"]*)"', re.I)
_ANY_SRC = re.compile(r'\ssrc="[^"]*"')
_LINK = re.compile(r"<a(?=[\s>])")  # in nh3 output "<" starts a tag: text has "&lt;"


def _clean(html: str) -> str:
    cleaned = _UNDISGUISE.sub(r"<\1\2", _CLEANER.clean(_DISGUISE.sub(r"<\1fl-\2", html)))
    return _LINK.sub('<a target="_blank"', cleaned)


def clean_message_html(html: str) -> str:
    """Sanitised HTML safe to store and show: no scripts, event handlers,
    ``javascript:`` URLs or CSS that loads or runs anything; remote image URLs
    moved to ``data-remote-src`` so nothing is fetched until asked.

    Idempotent. A ``data-remote-src`` that a sender wrote is treated like any
    remote ``src``: released, then held again with the rest.
    """
    if not html or not html.strip():
        return ""
    return _hold_remote_images(_release_remote_images(_clean(html)))


def clean_html(html: str) -> str:
    """Sanitised with the same policy, images left as they are: for HTML that
    Frontline makes itself from text an author wrote (knowledge-base Markdown),
    where nothing is fetched behind anyone's back that the author did not put there."""
    if not html or not html.strip():
        return ""
    return _clean(html)


def _hold_remote_images(cleaned: str) -> str:
    return _IMG_TAG.sub(lambda m: _REMOTE_SRC.sub(r'\1data-remote-src="\2"', m[0]), cleaned)


def _release_remote_images(cleaned: str) -> str:
    """Held URLs back into ``src``. On cleaned HTML only: on raw HTML an unclosed
    ``<img`` makes ``_IMG_TAG`` scan to the end, quadratic over many of them."""

    def release(match: re.Match[str]) -> str:
        tag = match[0]
        if not _HELD_SRC.search(tag):
            return tag
        return _HELD_SRC.sub(r'\1src="\2"', _ANY_SRC.sub("", tag))

    return _IMG_TAG.sub(release, cleaned)


def has_remote_images(html: str) -> bool:
    return "data-remote-src=" in html


def with_remote_images(html: str) -> str:
    """The stored HTML with its remote images given back their URL, sanitised again:
    still no scripts, handlers or ``javascript:`` URLs."""
    return _release_remote_images(_clean(html))


# --- quoted history and signatures -------------------------------------------

# One list of languages for every splitter: the desk's (English, Russian,
# Chinese) and those mail to it often arrives in.
_WROTE = r"wrote|schrieb|a écrit|escribió|ha scritto|schreef"
# Russian and Chinese clients put the verb last, with no opening word.
_WROTE_RU = r"написал|написала|пишет"
_WROTE_ZH = r"写道|寫道"
_ORIGINAL_NAMES = (
    r"Original Message|Исходное сообщение|原始邮件|原始郵件|Ursprüngliche Nachricht"
    r"|Message d'origine|Mensaje original"
)
_FROM_NAMES = r"From|От|发件人|寄件者|Von|De"
# "On Monday, Carol <c@x> wrote:" and its translations.
_ATTRIBUTION = (
    rf"(?:On|Am|Le|El|Il|Op)\b[^\n]{{0,300}}?(?:{_WROTE})\s*:"
    rf"|[^\n]{{0,300}}?(?:{_WROTE_RU}|{_WROTE_ZH})\s*[:\uff1a]"
)
_ORIGINAL = rf"-{{2,}}\s*(?:{_ORIGINAL_NAMES})\s*-{{2,}}"

_ATTRIBUTION_LINE = re.compile(_ATTRIBUTION, re.IGNORECASE)
# An attribution right above a trailing quote may name only the sender: "Carol wrote:".
_ATTRIBUTION_END = re.compile(
    rf"(?:\b(?:{_WROTE}|{_WROTE_RU})|{_WROTE_ZH})\s*[:\uff1a]\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Le|Am|El|Il|Op|在)\s", re.IGNORECASE)
_ORIGINAL_LINE = re.compile(rf"^\s*[-_]{{2,}}\s*(?:{_ORIGINAL_NAMES})\s*[-_]{{2,}}", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(rf"^\s*\**(?:{_FROM_NAMES})\**\s*[:\uff1a]", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(
    r"^\s*\**(?:sent|date|отправлено|дата|发送时间|日期|寄件日期|gesendet|envoyé)\**\s*[:\uff1a]",
    re.IGNORECASE,
)
_OUTLOOK_SUBJECT = re.compile(
    r"^\s*\**(?:subject|тема|主题|主旨|betreff|objet|asunto)\**\s*[:\uff1a]", re.IGNORECASE
)
_RULE = re.compile(r"__+")  # a line of underscores: Outlook's rule above the history
_RULE_ABOVE = re.compile(r"^\s*_{8,}\s*$")

_HTML_CUT = re.compile(
    rf"<blockquote\b|{_ORIGINAL}|(?:^|>)\s*--\s?(?:&nbsp;)?\s*<br"
    rf"|<(?:b|strong)>\s*(?:{_FROM_NAMES})\s*[:\uff1a]\s*</(?:b|strong)>",
    re.IGNORECASE | re.MULTILINE,
)
_BLOCK_START = re.compile(r"<(?:div|p|br|tr|table)\b[^>]*>", re.IGNORECASE)
_TAGS_ONLY = re.compile(r"<[^>]*>")


def split_quoted_text(text: str) -> tuple[str, str]:
    """(what the sender wrote, the quoted history or signature after it).

    The history starts at the earliest of: a signature line ("-- "), a line of
    underscores, an "Original Message" separator, an attribution line
    ("On ... wrote:", "... пишет:", "... 写道"), an Outlook header block (a
    From line with Sent right below it, or with Sent and Subject lines close
    by), or a quote block running to the end together with the attribution
    above it. Interleaved replies are not split. The second part is empty when
    nothing is quoted, and also when the whole message would fold away
    (nothing would be left to read).
    """
    lines = text.replace("\r\n", "\n").split("\n")
    blank = [not line.strip() for line in lines]
    quoted = [line.lstrip().startswith(">") for line in lines]
    cuts = []
    for i, line in enumerate(lines):
        if line in ("-- ", "--") or _RULE.fullmatch(line):
            cuts.append(i)
            break
    for i, line in enumerate(lines):
        if _ORIGINAL_LINE.match(line) or _ATTRIBUTION_LINE.match(line):
            cuts.append(i)
            break
        window = lines[i + 1 : i + 8]
        if _OUTLOOK_FROM.match(line) and (
            (window and _OUTLOOK_SENT.match(window[0]))
            or (
                any(_OUTLOOK_SENT.match(w) for w in window[:4])
                and any(_OUTLOOK_SUBJECT.match(w) for w in window)
            )
        ):
            above = i - 1
            while above >= 0 and blank[above]:
                above -= 1
            cuts.append(above if above >= 0 and _RULE_ABOVE.match(lines[above]) else i)
            break
    start = len(lines)
    while start > 0 and (blank[start - 1] or quoted[start - 1]):
        start -= 1
    if any(quoted[start:]):
        above = start - 1
        while above >= 0 and blank[above]:
            above -= 1
        line = lines[above].rstrip() if above >= 0 else ""
        if line.endswith((":", "\uff1a")) and (
            _ATTRIBUTION_END.search(line) or "@" in line or any(c.isdigit() for c in line)
        ):
            start = above
            if (
                above > 0
                and not blank[above - 1]
                and not _ATTRIBUTION_START.match(line)
                and _ATTRIBUTION_START.match(lines[above - 1])
            ):
                start = above - 1
        cuts.append(start)
    if not cuts:
        return text, ""
    cut = min(cuts)
    main = "\n".join(lines[:cut]).rstrip()
    folded = "\n".join(lines[cut:]).strip("\n")
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
            if _ATTRIBUTION_LINE.search(_TAGS_ONLY.sub(" ", before[block.start() :])):
                start -= len(before) - block.start()
                break
    main, folded = html[:start], html[start:]
    if not _TAGS_ONLY.sub("", main).strip() or not _TAGS_ONLY.sub("", folded).strip():
        return html, ""
    return _clean(main), _clean(folded)
