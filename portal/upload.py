"""Uploads without JavaScript: each file is encrypted while it streams in (requirement 1).

Werkzeug normally spools uploaded files to a temporary file. :class:`VarselRequest`
replaces that spool: every file part is pushed through ``crypto.stream.StreamEncryptor``
under its own new key straight into a new blob of the :class:`~portal.store.BlobStore`, so
no plaintext byte of a file ever reaches the disk. Form text fields stay in memory.

Every blob written during a request is listed on the request. A view that stores the
submission calls :func:`claim_uploads` with the uploads it recorded in the database, after
its commit; at teardown every other blob of the request (refused, invalid, over the limit,
failed CSRF, sent under another field's name) is deleted, leaving no partial state.

Memory is bounded before any check runs (CSRFProtect parses the form in ``before_request``):
a body that is not ``multipart/form-data`` is refused above :data:`FORM_MEMORY_BYTES`
before it is read, a multipart text field above the same size, and a multipart body with
more than :data:`FORM_PARTS` parts. Only multipart bodies may reach ``MAX_CONTENT_LENGTH``,
and their files never stay in memory.

The multipart body is read from the server :data:`READ_SIZE` bytes at a time (Werkzeug
reads 64 KiB): gunicorn's body reader reads ahead up to 1 MiB from the socket and copies
everything it holds ahead on each smaller read, which cost more than encrypting the upload
did (docs/PERFORMANCE.md, "Uploads"). The multipart decoder is then fed
:data:`PARSE_SIZE` bytes at a time from that read, so its own buffer check against
:data:`FORM_MEMORY_BYTES` works as before. At most one read and one piece are held.
"""

from collections.abc import Iterable
from typing import IO, cast

from flask import Flask, Request, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser

from crypto.payload import normalise_media_type
from crypto.stream import StreamEncryptor, new_key

from .file_parts import BlobPart, Budget, WriteOnlyPart
from .models import new_id
from .sealed_upload import MAX_ENVELOPE, CiphertextUpload, ciphertext_limit, open_part
from .services import services
from .store import BlobStore, BlobWriter

# Text fields stay in memory. The longest field (crypto.payload.MAX_TEXT = 100 000
# characters) is at most 400 000 bytes of UTF-8, or 200 000 characters if every one is a
# line break that the browser sends as CRLF: 512 KiB holds either.
FORM_MEMORY_BYTES = 512 * 1024
# The report form has about 30 parts (its fields, one per ticked role) plus one per file
# (crypto.payload.MAX_ATTACHMENTS = 64): room for both, and for the friendly "at most 64
# files" answer when somebody picks a few more.
FORM_PARTS = 150
MULTIPART = "multipart/form-data"
# One read of the request body; gunicorn reads ahead at most 1 MiB (its MAX_READ_STEP).
READ_SIZE = 1024 * 1024
# What the multipart decoder is fed at a time: with what it holds back, under its
# FORM_MEMORY_BYTES bound.
PARSE_SIZE = FORM_MEMORY_BYTES // 2
ParseResult = tuple[IO[bytes], MultiDict[str, str], MultiDict[str, FileStorage]]
BROWSER_PATH_BLUEPRINT = "reporter_api"


class UploadTooLarge(RequestEntityTooLarge):
    """The files of one submission add up to more than ``max_upload_bytes``."""


class EncryptedUpload(BlobPart):
    """The writable container Werkzeug streams one uploaded file into.

    ``write`` encrypts; Werkzeug's ``seek(0)`` at the end of the part finishes the stream
    and commits the blob. Reading gives nothing: the plaintext is gone.
    """

    def __init__(self, writer: BlobWriter, blob_id: str, media_type: str, budget: Budget):
        super().__init__(writer, blob_id)
        self.key = new_key()
        self.media_type = media_type
        self._encryptor = StreamEncryptor(self.key)
        self._budget = budget

    @property
    def size(self) -> int:
        """The file's true (plaintext) size in bytes."""
        return self._encryptor.size

    def write(self, data: bytes) -> int:
        self._budget.spend(len(data))
        out = self._encryptor.update(bytes(data))
        if out:
            self._writer.write(out)
        return len(data)

    def finish(self) -> None:
        for piece in self._encryptor.finish():
            self._writer.write(piece)
        self._writer.commit()


class _EmptyInput(WriteOnlyPart):
    """An empty file input (no file chosen): whatever arrives is dropped."""

    def write(self, data: bytes) -> int:
        return len(data)


class LargeReads:
    """Reads ``stream`` :data:`READ_SIZE` bytes at a time and hands the bytes out in the
    pieces asked for."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._block = bytearray(READ_SIZE)  # refilled only once every piece is handed out
        self._held = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        if not self._held:
            readinto = getattr(self._stream, "readinto", None)
            if readinto is None:  # a plain stream: one read
                self._held = memoryview(self._stream.read(READ_SIZE))
            else:  # Werkzeug's LimitedStream: into the block, without another copy
                self._held = memoryview(self._block)[: readinto(self._block) or 0]
        piece = self._held if size < 0 else self._held[:size]
        self._held = self._held[len(piece):]
        return bytes(piece)


class LargeReadFormParser(FormDataParser):
    """Werkzeug's form parser, reading a multipart body through :class:`LargeReads`.
    Every limit stays as it is: ``max_form_memory_size`` and ``max_form_parts`` are checked
    by the same multipart decoder, and the stream is the one already cut at
    ``max_content_length``."""

    def parse(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str] | None = None,
    ) -> ParseResult:
        if mimetype != MULTIPART:
            return super().parse(stream, mimetype, content_length, options)
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=PARSE_SIZE,
        )
        try:
            boundary = (options or {}).get("boundary", "").encode("ascii")
            if not boundary:
                raise ValueError("Missing boundary")
            reads = cast(IO[bytes], LargeReads(stream))
            form, files = parser.parse(reads, boundary, content_length)
        except ValueError:  # as Werkzeug's own parse: an empty form unless not silent
            if not self.silent:
                raise
            return stream, self.cls(), self.cls()
        return stream, form, files


class VarselRequest(Request):
    """Flask's request with the encrypting upload stream (``app.request_class``)."""

    form_data_parser_class = LargeReadFormParser

    @property
    def max_content_length(self) -> int | None:
        """``MAX_CONTENT_LENGTH`` for multipart bodies; :data:`FORM_MEMORY_BYTES` for every
        other body, which Werkzeug would read into memory whole (urlencoded forms)."""
        limit = super().max_content_length
        if self.mimetype == MULTIPART:
            if self.blueprint == BROWSER_PATH_BLUEPRINT and limit is not None:
                # Ciphertext: padded streams and two sealed envelopes.
                return limit + limit // 8 + 2 * MAX_ENVELOPE
            return limit
        return FORM_MEMORY_BYTES if limit is None else min(limit, FORM_MEMORY_BYTES)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

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
        if self.blueprint == BROWSER_PATH_BLUEPRINT:
            # Already encrypted in the browser: stored as it comes (portal/sealed_upload.py).
            part = open_part(state.store, filename, state.sealed_budget)
            if isinstance(part, CiphertextUpload):
                state.uploads.append(part)
            return part  # type: ignore[return-value]
        blob_id = new_id()
        upload = EncryptedUpload(
            # The sender's Content-Type, made to fit the payload format (docs/PROTOCOL.md).
            state.store.create(blob_id), blob_id, normalise_media_type(content_type), state.budget
        )
        state.uploads.append(upload)
        return upload  # type: ignore[return-value]


class _UploadState:
    def __init__(self, store: BlobStore, limit: int) -> None:
        self.store = store
        self.budget = Budget(limit, UploadTooLarge)  # plaintext, without JavaScript
        self.sealed_budget = Budget(ciphertext_limit(limit))  # ciphertext, with it
        self.uploads: list[EncryptedUpload | CiphertextUpload] = []
        self.claimed: set[str] = set()  # blob ids a stored submission refers to


def _state(req: Request) -> _UploadState:
    state: _UploadState | None = getattr(req, "_varsel_uploads", None)
    if state is None:
        settings = services().settings
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


def refuse_stray_files(allowed: Iterable[str] = ()) -> None:
    """A clear 400 for file parts under any other field name (a file where a text field
    belongs would otherwise reach the form as a FileStorage). Their blobs are discarded at
    teardown like every unclaimed upload."""
    names = set(allowed)
    if any(name not in names for name in request.files):
        raise BadRequest()


def claim_uploads(kept: Iterable[EncryptedUpload | CiphertextUpload]) -> None:
    """The submission referring to ``kept`` is committed: keep exactly those blobs. Every
    other upload of the request is discarded at teardown."""
    state: _UploadState | None = getattr(request, "_varsel_uploads", None)
    if state is not None:
        state.claimed.update(upload.blob_id for upload in kept)


def discard_unclaimed(_exc: BaseException | None = None) -> None:
    state: _UploadState | None = getattr(request, "_varsel_uploads", None)
    if state is not None:
        for upload in state.uploads:
            if upload.blob_id not in state.claimed:
                upload.discard()
        state.uploads.clear()
        state.claimed.clear()


def init_app(app: Flask) -> None:
    app.request_class = VarselRequest
    app.teardown_request(discard_unclaimed)
