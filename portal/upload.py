"""Uploads without JavaScript: each file is encrypted while it streams in (requirement 1).

Werkzeug normally spools uploaded files to a temporary file. :class:`VarselRequest`
replaces that spool: every file part is pushed through ``crypto.stream.StreamEncryptor``
under its own new key straight into a new blob of the :class:`~portal.store.BlobStore`, so
no plaintext byte of a file ever reaches the disk. Form text fields stay in memory.

Every blob written during a request is listed on the request. A view that stores the
submission calls :func:`claim_uploads` after its commit; at teardown every blob that was not
claimed (refused, invalid, over the limit, failed CSRF) is deleted, leaving no partial state.
"""

from typing import IO, Any

from flask import Flask, Request, current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from crypto.stream import StreamEncryptor, new_key

from .models import new_id
from .store import BlobStore, BlobWriter

DEFAULT_MEDIA_TYPE = "application/octet-stream"
FORM_MEMORY_BYTES = 2 * 1024 * 1024  # text fields stay in memory; a long report fits easily


class UploadTooLarge(RequestEntityTooLarge):
    """The files of one submission add up to more than ``max_upload_bytes``."""


class EncryptedUpload:
    """The writable container Werkzeug streams one uploaded file into.

    ``write`` encrypts; Werkzeug's ``seek(0)`` at the end of the part finishes the stream
    and commits the blob. Reading gives nothing: the plaintext is gone.
    """

    def __init__(self, writer: BlobWriter, blob_id: str, media_type: str, budget: "Budget"):
        self.blob_id = blob_id
        self.key = new_key()
        self.media_type = media_type
        self._encryptor = StreamEncryptor(self.key)
        self._writer = writer
        self._budget = budget
        self.complete = False

    @property
    def size(self) -> int:
        """The file's true (plaintext) size in bytes."""
        return self._encryptor.size

    @property
    def stored_size(self) -> int:
        """Ciphertext bytes on disk (a padded bucket)."""
        return self._writer.size

    def write(self, data: bytes) -> int:
        self._budget.spend(len(data))
        out = self._encryptor.update(bytes(data))
        if out:
            self._writer.write(out)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        if not self.complete:
            for piece in self._encryptor.finish():
                self._writer.write(piece)
            self._writer.commit()
            self.complete = True
        return 0

    def read(self, _size: int = -1) -> bytes:
        return b""

    def readline(self, _size: int = -1) -> bytes:
        return b""

    def tell(self) -> int:
        return 0

    def close(self) -> None:
        """Werkzeug closes request files at the end; the blob stays until teardown."""

    def discard(self) -> None:
        self._writer.discard()


class _EmptyInput:
    """An empty file input (no file chosen): whatever arrives is dropped."""

    def write(self, data: bytes) -> int:
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def read(self, _size: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


class Budget:
    """Plaintext bytes one request may upload in all its files together."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise UploadTooLarge()


class VarselRequest(Request):
    """Flask's request with the encrypting upload stream (``app.request_class``)."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if not filename:
            return _EmptyInput()  # type: ignore[return-value]
        state = _state(self)
        blob_id = new_id()
        upload = EncryptedUpload(
            state.store.create(blob_id), blob_id, content_type or DEFAULT_MEDIA_TYPE, state.budget
        )
        state.uploads.append(upload)
        return upload  # type: ignore[return-value]


class _UploadState:
    def __init__(self, store: BlobStore, limit: int) -> None:
        self.store = store
        self.budget = Budget(limit)
        self.uploads: list[EncryptedUpload] = []
        self.claimed = False


def _state(req: Request) -> _UploadState:
    state: _UploadState | None = getattr(req, "_varsel_uploads", None)
    if state is None:
        settings: Any = current_app.extensions["varsel.settings"]
        state = _UploadState(BlobStore(settings.blobs_dir), settings.max_upload_bytes)
        req._varsel_uploads = state  # type: ignore[attr-defined]
    return state


def uploaded_files(field: str) -> list[tuple[FileStorage, EncryptedUpload]]:
    """The encrypted uploads of one form field, in order, with their FileStorage."""
    return [
        (f, f.stream)
        for f in request.files.getlist(field)
        if isinstance(f.stream, EncryptedUpload) and f.stream.complete
    ]


def claim_uploads() -> None:
    """The submission holding this request's blobs is committed: keep them."""
    state: _UploadState | None = getattr(request, "_varsel_uploads", None)
    if state is not None:
        state.claimed = True


def discard_unclaimed(_exc: BaseException | None = None) -> None:
    state: _UploadState | None = getattr(request, "_varsel_uploads", None)
    if state is not None and not state.claimed:
        for upload in state.uploads:
            upload.discard()
        state.uploads.clear()


def init_app(app: Flask) -> None:
    app.request_class = VarselRequest
    app.teardown_request(discard_unclaimed)
