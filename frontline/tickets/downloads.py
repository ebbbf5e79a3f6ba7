"""Serving a stored file that an ``access_*`` function has already allowed: a
ticket's attachment, or a knowledge-base article's file."""

from __future__ import annotations

from typing import Protocol

from django.db.models.fields.files import FieldFile
from django.http import FileResponse

from .uploads import is_inline_type


class StoredFile(Protocol):
    file: FieldFile
    filename: str
    content_type: str


def attachment_response(attachment: StoredFile) -> FileResponse:
    """The file with its sniffed type; shown inline only for raster images, a
    download for everything else (never HTML, SVG or PDF in our origin)."""
    inline = is_inline_type(attachment.content_type)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
