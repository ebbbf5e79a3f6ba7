"""Serving an attachment that ``access_attachment`` has already allowed."""

from __future__ import annotations

from django.http import FileResponse

from .models import Attachment
from .uploads import is_inline_type


def attachment_response(attachment: Attachment) -> FileResponse:
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
