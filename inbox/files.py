"""Files the inbox writes for the office (bundles, case files, QR codes): never overwrite;
files the office names for it to read; and files shredded when they go (the portal's blob
store shreds with the same function)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import InboxError


def create_new(path: Path, mode: int = 0o600) -> int:
    """Create ``path``, which must not exist (``FileExistsError`` otherwise), with exactly
    ``mode`` whatever the umask; the descriptor, open for writing. Every file the inbox
    makes is created here."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    os.fchmod(fd, mode)
    return fd


@contextmanager
def new_file(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Create ``path`` for writing, refusing an existing file with one clear message; the
    content is flushed to disk before the file is closed."""
    try:
        fd = create_new(path, mode)
    except FileExistsError as exc:
        raise InboxError(f"{path} finnes allerede; velg et annet filnavn.") from exc
    except OSError as exc:
        raise InboxError(f"Kan ikke skrive {path}: {exc.strerror}.") from exc
    with os.fdopen(fd, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


# Streams are read and written this much at a time: memory stays bounded by one piece.
PIECE = 1 << 20


def pieces_of(data: bytes, size: int = PIECE) -> Iterator[bytes]:
    """``data`` in pieces of ``size`` bytes (the last may be shorter)."""
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


def read_pieces(path: Path, size: int = PIECE) -> Iterator[bytes]:
    """The bytes of ``path``, ``size`` at a time."""
    with path.open("rb") as f:
        yield from read_span(f, None, size)


def read_span(f: BinaryIO, length: int | None, size: int = PIECE) -> Iterator[bytes]:
    """Up to ``length`` bytes (all, for None) from where ``f`` is, ``size`` at a time;
    stops early at the end of the file."""
    left = length
    while left is None or left > 0:
        piece = f.read(size if left is None else min(size, left))
        if not piece:
            return
        if left is not None:
            left -= len(piece)
        yield piece


def open_input(path: Path) -> BinaryIO:
    """A file the office chose, open for reading a piece at a time (unbuffered), or one
    clear message why it cannot be opened."""
    try:
        return path.open("rb", buffering=0)
    except OSError as exc:
        raise InboxError(f"Kan ikke lese {path}: {exc.strerror}.") from exc


def shred(path: Path) -> None:
    """Overwrite a file with zeros, flush it to disk, then unlink it.

    On flash storage and journalling file systems the old blocks may survive; the blob is
    ciphertext under a key that is deleted with the row, so overwriting is a second line.
    """
    try:
        size = path.stat().st_size
        with path.open("r+b") as f:
            zeros = bytes(1 << 20)
            left = size
            while left > 0:
                step = min(left, len(zeros))
                f.write(zeros[:step])
                left -= step
            f.flush()
            os.fsync(f.fileno())
    except FileNotFoundError:
        return
    path.unlink(missing_ok=True)
