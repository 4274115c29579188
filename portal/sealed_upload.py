"""Uploads on the browser path: the browser has already encrypted everything.

The report's two envelopes arrive as file parts named by their field (``envelope.vse``,
``own_copy.vse``) and are held in memory up to :data:`MAX_ENVELOPE` bytes; each attachment
stream arrives as a file part whose file name is the blob id the browser chose (and put in
the attachment reference inside the envelope) and is written as it arrives, unchanged, to
the blob store. The portal cannot read any of it; portal/reporter_api.py checks the shapes
it can see (crypto.envelope.check_sealed_shape, crypto.stream.check_stream_shape) before
anything is recorded. Unrecorded blobs are discarded at teardown (portal/upload.py).
"""

import re

from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from .file_parts import BlobPart, Budget, WriteOnlyPart
from .store import BlobStore, BlobWriter

ENVELOPE_FILES = {"envelope.vse": "envelope", "own_copy.vse": "own_copy"}
# A report's answers are at most a few hundred kilobytes of text; 16 MiB is ample.
MAX_ENVELOPE = 16 * 1024 * 1024
_BLOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")


class EnvelopePart(WriteOnlyPart):
    """One sealed envelope, kept in memory with a hard size bound."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        if len(self.data) + len(data) > MAX_ENVELOPE:
            raise RequestEntityTooLarge()
        self.data += data
        return len(data)


class CiphertextUpload(BlobPart):
    """An attachment stream written to a blob exactly as the browser encrypted it."""

    def __init__(self, writer: BlobWriter, blob_id: str, budget: Budget) -> None:
        super().__init__(writer, blob_id)
        self._budget = budget
        self.prefix = b""

    def write(self, data: bytes) -> int:
        self._budget.spend(len(data))
        if len(self.prefix) < 4:
            self.prefix += bytes(data[: 4 - len(self.prefix)])
        self._writer.write(bytes(data))
        return len(data)

    def finish(self) -> None:
        self._writer.commit()


def ciphertext_limit(max_upload_bytes: int) -> int:
    """Ciphertext bytes one request may carry: the plaintext limit plus padding (Padmé adds
    at most 12 %, chunk tags 0.03 %) and stream headers."""
    return max_upload_bytes + max_upload_bytes // 8 + 1024 * 1024


def open_part(store: BlobStore, filename: str, budget: Budget) -> EnvelopePart | CiphertextUpload:
    """The container for one file part of a browser-path upload, chosen by its file name."""
    if filename in ENVELOPE_FILES:
        return EnvelopePart()
    if not _BLOB_ID.fullmatch(filename) or store.path(filename).exists():
        raise BadRequest()
    return CiphertextUpload(store.create(filename), filename, budget)
