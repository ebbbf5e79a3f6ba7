"""What a file's bytes say it is: the type the bytes say, never the one the
uploader claimed. Pure functions; no database access."""

from __future__ import annotations

import filetype

# Types a browser may show inline: raster images only. Everything else is served
# as a download so it can never run script in our origin: SVG and HTML above all,
# and PDF too (a browser's PDF viewer runs the document's JavaScript and forms).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def sniff_content_type(head: bytes) -> str:
    """The type the bytes say they are, never the one the uploader claimed."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<svg", b"<?xml")) and b"<svg" in stripped:
        return "image/svg+xml"
    if stripped.startswith((b"<!doctype html", b"<html", b"<script")):
        return "text/html"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sample.
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return "application/octet-stream"
    return "text/plain"
