"""Attachment ciphertext on disk: ``<data dir>/blobs/<id>``, one file per attachment.

Only ciphertext streams (crypto.stream) are ever written here. A blob is written under a
temporary name and renamed into place when complete, so a failed upload leaves nothing
that looks like a blob; ``discard`` removes leftovers.

File times are blurred to the day (docs/THREAT-MODEL.md, requirement 2): a committed
blob's access and modification times, and the blob directory's, are set to midnight UTC of
the day it was written. The change time (ctime) cannot be set by a program:
docs/THREAT-MODEL.md.
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from crypto.bundle import blob_hasher
from inbox.files import shred

_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
PARTIAL_SUFFIX = ".partial"
READ_CHUNK = 1024 * 1024


def midnight_utc(when: datetime | None = None) -> float:
    """Unix time of 00:00 UTC on ``when``'s day (default: today)."""
    when = when or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    day = when.astimezone(UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def blur_times(path: Path) -> None:
    """Set ``path``'s atime and mtime to today's midnight UTC (best effort)."""
    stamp = midnight_utc()
    try:
        os.utime(path, (stamp, stamp))
    except OSError:
        pass


@dataclass(frozen=True)
class BlobStore:
    directory: Path

    def path(self, blob_id: str) -> Path:
        if not _ID.fullmatch(blob_id):
            raise ValueError("invalid blob id")
        return self.directory / blob_id

    def create(self, blob_id: str) -> "BlobWriter":
        """Open a new blob for writing; call ``commit()`` when the last byte is written."""
        return BlobWriter(self.path(blob_id))

    def read(self, blob_id: str) -> bytes:
        return self.path(blob_id).read_bytes()

    def iter_chunks(self, blob_id: str) -> Iterator[bytes]:
        with self.path(blob_id).open("rb") as f:
            while chunk := f.read(READ_CHUNK):
                yield chunk

    def delete(self, blob_id: str) -> None:
        """Overwrite with zeros, flush, then unlink. (On SSDs and copy-on-write file
        systems overwriting is best effort: docs/OPERATOR-GUIDE.md recommends encrypted
        storage. The bytes were ciphertext in any case.)"""
        shred(self.path(blob_id))
        blur_times(self.directory)

    def committed(self) -> Iterator[tuple[str, float]]:
        """``(blob id, mtime)`` of every committed blob file."""
        for entry in os.scandir(self.directory):
            if entry.is_file(follow_symlinks=False) and _ID.fullmatch(entry.name):
                yield entry.name, entry.stat(follow_symlinks=False).st_mtime

    def partials(self) -> Iterator[tuple[Path, float]]:
        """``(path, mtime)`` of every unfinished ``<id>.partial`` file."""
        for entry in os.scandir(self.directory):
            name = entry.name
            if (
                name.endswith(PARTIAL_SUFFIX)
                and _ID.fullmatch(name[: -len(PARTIAL_SUFFIX)])
                and entry.is_file(follow_symlinks=False)
            ):
                yield Path(entry.path), entry.stat(follow_symlinks=False).st_mtime


class BlobWriter:
    def __init__(self, final: Path) -> None:
        self._final = final
        self._partial = final.with_name(final.name + PARTIAL_SUFFIX)
        fd = os.open(self._partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file: BinaryIO = os.fdopen(fd, "wb")
        self._hash = blob_hasher()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data if isinstance(data, bytes) else bytes(data))
        self.size += len(data)

    @property
    def blake2b(self) -> bytes:
        """The digest a bundle's manifest gives for this blob (of what was written)."""
        return self._hash.digest()

    def commit(self) -> None:
        """Flush, set the file's times to today's midnight UTC, rename into place."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        stamp = midnight_utc()
        os.utime(self._partial, (stamp, stamp))
        os.replace(self._partial, self._final)
        blur_times(self._final.parent)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._partial.unlink(missing_ok=True)
        self._final.unlink(missing_ok=True)
        blur_times(self._final.parent)
