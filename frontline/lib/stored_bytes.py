"""A binary column kept small: zstandard-compressed, or moved out to file storage.

:class:`StoredBytesField` is a ``BinaryField`` whose Python value stays the
bytes as they came (``bytes(row.raw)``), whatever the column holds:

- bytes written before this field existed: read as they are;
- a zstandard frame (what it writes in the database): decompressed on read;
- a reference to a file in the default storage (what it writes when the
  deployment keeps such bytes in files, e.g. on S3): the file, a zstandard
  frame under a content-addressed name, is read on first use
  (:class:`StoredFile`), not when the row is loaded, so a list of rows costs
  no storage requests.

A file is written when the row is saved, before the transaction commits: a
rollback leaves the file behind (an orphan, never a row without its bytes),
and the same bytes saved again reuse the same name.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import zstandard
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models

# Every zstandard frame starts with these four bytes (RFC 8878, 3.1.1).
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# A column that starts with this names a file in the default storage.
FILE_REFERENCE = b"\x00frontline-file:"
# Level 6: a little smaller than the default 3 on mail, still well under a
# millisecond for a typical message.
LEVEL = 6


_local = threading.local()


def compress(data: bytes) -> bytes:
    # One compressor per thread (one may not be shared between threads): a new
    # one allocates and clears its tables, half the cost of compressing a mail.
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return compressor.compress(data)


def decompress(blob: bytes) -> bytes:
    """The bytes a column or file holds, decompressed if they are a zstandard frame
    (bytes written before compression existed come back unchanged)."""
    if not blob.startswith(ZSTD_MAGIC):
        return blob
    try:
        # Our frames carry their size; max_output_size covers any written without it.
        return zstandard.ZstdDecompressor().decompress(blob, max_output_size=1 << 31)
    except zstandard.ZstdError:
        return blob  # not ours after all: old raw bytes that happen to start so


class StoredFile:
    """Bytes kept in a file of the default storage, read (once) on first use.

    Behaves as the bytes where the code needs them: ``bytes()``, ``len()``, ``==``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._data: bytes | None = None

    def __bytes__(self) -> bytes:
        if self._data is None:
            with default_storage.open(self.name, "rb") as handle:
                self._data = decompress(handle.read())
        return self._data

    def __len__(self) -> int:
        return len(bytes(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredFile):
            return self.name == other.name
        if isinstance(other, bytes | bytearray | memoryview):
            return bytes(self) == bytes(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<StoredFile {self.name}>"


class StoredBytesField(models.BinaryField):
    """Bytes compressed in the column, or in a file when ``in_files()`` says so.

    ``folder`` and ``suffix`` shape the file names (``folder/ab/<sha256>suffix``).
    The column stays a plain binary one: migrations see a ``BinaryField``.
    """

    def __init__(
        self,
        *args: Any,
        folder: str = "bytes",
        suffix: str = "",
        in_files: Callable[[], bool] = lambda: False,
        **kwargs: Any,
    ) -> None:
        self.folder = folder
        self.suffix = suffix
        self.in_files = in_files
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        # Only how the value is encoded changed, not the column: no migration.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.BinaryField", args, kwargs

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, StoredFile):
            value = FILE_REFERENCE + value.name.encode()
        elif value is not None and not prepared:
            value = self._encode(bytes(value))
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(
        self, value: Any, expression: Any, connection: Any
    ) -> bytes | StoredFile | None:
        if value is None:
            return value
        blob = bytes(value)
        if blob.startswith(FILE_REFERENCE):
            return StoredFile(blob[len(FILE_REFERENCE) :].decode())
        return decompress(blob)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, StoredFile):
            return value
        return super().to_python(value)

    def _encode(self, data: bytes) -> bytes:
        frame = compress(data)
        if not self.in_files():
            return frame
        digest = hashlib.sha256(data).hexdigest()
        name = default_storage.save(
            f"{self.folder}/{digest[:2]}/{digest}{self.suffix}", ContentFile(frame)
        )
        return FILE_REFERENCE + name.encode()
