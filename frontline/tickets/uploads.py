"""Checks on uploaded files: size limits, content sniffing, safe download headers.

Pure functions over bytes and names; no database access.
"""

from __future__ import annotations

import unicodedata
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Content sniffing lives in lib (the brand's logo, below the ticket core, uses it
# too); named here as well, where the upload checks always were.
from frontline.lib.sniff import INLINE_TYPES as INLINE_TYPES
from frontline.lib.sniff import sniff_content_type as sniff_content_type


class UploadLike(Protocol):
    name: str | None
    size: int | None

    def read(self, size: int = -1) -> bytes: ...
    def seek(self, offset: int, whence: int = 0) -> int: ...


def max_upload_bytes() -> int:
    return settings.FRONTLINE["MAX_UPLOAD_BYTES"]


def check_length(text: str, *, field: str = "body") -> None:
    """Refuse a message text longer than ``MAX_BODY_CHARS``, saying by how much."""
    limit = settings.FRONTLINE["MAX_BODY_CHARS"]
    if len(text) > limit:
        raise ValidationError(
            {
                field: _(
                    "This text is %(length)s characters long; the limit is %(limit)s. "
                    "Attach a long text as a file."
                )
                % {"length": len(text), "limit": limit}
            },
            code="too_long",
        )


def check_uploads(files: list[UploadLike]) -> None:
    """Refuse too many files or a file over the size limit, with a message that says which."""
    limit = max_upload_bytes()
    if len(files) > settings.FRONTLINE["MAX_FILES_PER_MESSAGE"]:
        raise ValidationError(
            ngettext(
                "At most %(count)d file per message.",
                "At most %(count)d files per message.",
                settings.FRONTLINE["MAX_FILES_PER_MESSAGE"],
            )
            % {"count": settings.FRONTLINE["MAX_FILES_PER_MESSAGE"]},
            code="too_many_files",
        )
    for f in files:
        if (f.size or 0) > limit:
            raise ValidationError(
                _("“%(name)s” is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "name": safe_filename(f.name or ""),
                    "size": round((f.size or 0) / 1048576, 1),
                    "limit": round(limit / 1048576, 1),
                },
                code="file_too_large",
            )


def safe_filename(name: str) -> str:
    """A display name with no path, no control characters and a sane length."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name


def is_inline_type(content_type: str) -> bool:
    return content_type in INLINE_TYPES
