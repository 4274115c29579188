"""What Werkzeug streams an uploaded file part into, on both paths (portal/upload.py without
JavaScript, portal/sealed_upload.py with it): a write-only container, and the byte budget
one request's files share.

Werkzeug writes a part's bytes, then calls ``seek(0)`` at its end and would read it back;
here the end finishes the part (:meth:`WriteOnlyPart.finish`, once) and reading gives
nothing: what was written is already encrypted on disk, or held as ciphertext.
"""

from typing import TYPE_CHECKING

from werkzeug.exceptions import RequestEntityTooLarge

if TYPE_CHECKING:
    from .store import BlobWriter


class WriteOnlyPart:
    """One file part: ``write`` takes its bytes, the end of the part calls :meth:`finish`."""

    def __init__(self) -> None:
        self.complete = False

    def write(self, data: bytes) -> int:
        raise NotImplementedError

    def finish(self) -> None:
        """The part is complete (called once)."""

    def seek(self, offset: int, whence: int = 0) -> int:
        if not self.complete:
            self.finish()
            self.complete = True
        return 0

    def read(self, _size: int = -1) -> bytes:
        return b""

    def readline(self, _size: int = -1) -> bytes:
        return b""

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        """Werkzeug closes request files at the end; a blob stays until teardown."""


class Budget:
    """Bytes one request may upload in all its files together; ``error`` once spent."""

    def __init__(self, limit: int, error: type[RequestEntityTooLarge] = RequestEntityTooLarge):
        self.limit = limit
        self.used = 0
        self._error = error

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise self._error()


class BlobPart(WriteOnlyPart):
    """A file part that ends up as one blob of the store: written through ``writer``."""

    def __init__(self, writer: "BlobWriter", blob_id: str) -> None:
        super().__init__()
        self.blob_id = blob_id
        self._writer = writer

    @property
    def stored_size(self) -> int:
        """Ciphertext bytes on disk."""
        return self._writer.size

    @property
    def blake2b(self) -> bytes:
        """The blob's digest for inbound bundles (portal.store.BlobWriter.blake2b)."""
        return self._writer.blake2b

    def discard(self) -> None:
        self._writer.discard()
