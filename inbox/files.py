"""Files the inbox writes for the office (bundles, case files, QR codes): never overwrite;
and files the office names for it to read."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import InboxError


@contextmanager
def new_file(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Create ``path`` for writing, refusing an existing file with one clear message; the
    content is flushed to disk before the file is closed."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError as exc:
        raise InboxError(f"{path} finnes allerede; velg et annet filnavn.") from exc
    except OSError as exc:
        raise InboxError(f"Kan ikke skrive {path}: {exc.strerror}.") from exc
    os.fchmod(fd, mode)  # exactly ``mode``, whatever the umask
    with os.fdopen(fd, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


def read_input(path: Path) -> bytes:
    """The bytes of a file the office chose, or one clear message why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InboxError(f"Kan ikke lese {path}: {exc.strerror}.") from exc
