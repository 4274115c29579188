"""Attachment streams: files of any size in 64 KiB chunks with constant memory.

libsodium's secretstream (XChaCha20-Poly1305) under a per-file random key; the key and the
file's true size travel inside the envelope that refers to the stream. The plaintext is the
file followed by zero padding up to ``padded_size(size)``; the last chunk carries
TAG_FINAL, so truncation, reordering and appended data are all detected.

    "VSS1" | secretstream header(24) | chunk(65536 + 17)* | final chunk(<= 65536 + 17)
"""

from collections.abc import Iterable, Iterator

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils

from .errors import MalformedError, TamperedError, TruncatedError
from .padding import padded_size

MAGIC = b"VSS1"
KEY_BYTES = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES  # 32
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
CHUNK = 64 * 1024
OVERHEAD = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
STEP = CHUNK + OVERHEAD  # one ciphertext chunk
TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def new_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def encrypted_size(size: int) -> int:
    """Ciphertext length of a stream whose plaintext is ``size`` bytes."""
    padded = padded_size(size)
    chunks = max(1, -(-padded // CHUNK))
    return len(MAGIC) + HEADER_BYTES + padded + chunks * OVERHEAD


def check_stream_shape(prefix: bytes, length: int) -> None:
    """What a party without the key can check of a stream of ``length`` bytes that begins
    with ``prefix`` (docs/PROTOCOL.md, "Browser path"): the magic, and a length that is
    exactly ``encrypted_size`` of a padded size. TruncatedError under 28 bytes,
    MalformedError otherwise."""
    if length < len(MAGIC) + HEADER_BYTES:
        raise TruncatedError("attachment stream is truncated")
    if prefix[: len(MAGIC)] != MAGIC:
        raise MalformedError("not a Varsel attachment stream")
    body = length - len(MAGIC) - HEADER_BYTES
    chunks = -(-body // (CHUNK + OVERHEAD))
    padded = body - chunks * OVERHEAD
    if padded < 1 or padded_size(padded) != padded or encrypted_size(padded) != length:
        raise MalformedError("attachment stream length is not that of a padded file")


class StreamEncryptor:
    """Feed plaintext pieces with :meth:`update`, then drain :meth:`finish`.

    Memory stays bounded by one chunk whatever the file size.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("stream key must be 32 bytes")
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self._header = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        self._started = False
        self._finished = False
        self._buffer = bytearray()
        self.size = 0

    def _prefix(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        return MAGIC + self._header

    def _push(self, chunk: bytes, tag: int) -> bytes:
        return sodium.crypto_secretstream_xchacha20poly1305_push(self._state, chunk, None, tag)

    def update(self, data: bytes) -> bytes:
        """Ciphertext for every whole chunk now available (may be empty)."""
        if self._finished:
            raise ValueError("stream already finished")
        self.size += len(data)
        self._buffer += data
        out = [self._prefix()]
        # Keep at least one byte back so the final chunk is never empty-by-accident.
        while len(self._buffer) > CHUNK:
            out.append(self._push(bytes(self._buffer[:CHUNK]), TAG_MESSAGE))
            del self._buffer[:CHUNK]
        return b"".join(out)

    def finish(self) -> Iterator[bytes]:
        """Pad to the size bucket and emit the remaining chunks, the last tagged FINAL."""
        if self._finished:
            raise ValueError("stream already finished")
        self._finished = True
        yield self._prefix()
        remaining = padded_size(self.size) - self.size
        while True:
            room = CHUNK - len(self._buffer)
            take = min(room, remaining)
            self._buffer += bytes(take)
            remaining -= take
            if remaining == 0:
                yield self._push(bytes(self._buffer), TAG_FINAL)
                self._buffer.clear()
                return
            yield self._push(bytes(self._buffer), TAG_MESSAGE)
            self._buffer.clear()


class StreamDecryptor:
    """Feed ciphertext pieces with :meth:`update`; call :meth:`finish` at the end.

    Yields exactly ``size`` plaintext bytes in total and checks that the rest is padding.
    Pieces of any length are accepted; fed the header (``len(MAGIC) + HEADER_BYTES``
    bytes) and then ``STEP`` bytes at a time, as a reader of a file can, no byte is copied
    before libsodium sees it.
    """

    def __init__(self, key: bytes, size: int) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("stream key must be 32 bytes")
        self._key = key
        self._size = size
        self._expected = padded_size(size)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self._started = False
        self._final = False
        self._buffer = bytearray()  # an incomplete chunk (or, before the start, the header)
        self._pending: bytes | None = None  # a whole chunk held back: it may be the last
        self._plain = 0  # padded plaintext bytes seen so far

    def update(self, data: bytes) -> bytes:
        if not self._started:
            self._buffer += data
            if len(self._buffer) < len(MAGIC) + HEADER_BYTES:
                return b""
            if bytes(self._buffer[: len(MAGIC)]) != MAGIC:
                raise MalformedError("not a Varsel attachment stream")
            header = bytes(self._buffer[len(MAGIC) : len(MAGIC) + HEADER_BYTES])
            try:
                sodium.crypto_secretstream_xchacha20poly1305_init_pull(
                    self._state, header, self._key
                )
            except nacl.exceptions.CryptoError as exc:
                raise TamperedError("attachment stream header is invalid") from exc
            self._started = True
            data = bytes(self._buffer[len(MAGIC) + HEADER_BYTES :])
            self._buffer.clear()
        out: list[bytes] = []
        view, pos = memoryview(data), 0
        if self._buffer:
            pos = min(STEP - len(self._buffer), len(data))
            self._buffer += view[:pos]
            if len(self._buffer) == STEP:
                self._hold(bytes(self._buffer), out)
                self._buffer.clear()
        if pos == 0 and len(data) == STEP and type(data) is bytes:
            self._hold(data, out)  # a whole chunk as it came: no copy
            pos = STEP
        while len(data) - pos >= STEP:
            self._hold(bytes(view[pos : pos + STEP]), out)
            pos += STEP
        if pos < len(data):
            self._buffer += view[pos:]
        return out[0] if len(out) == 1 else b"".join(out)

    def _hold(self, chunk: bytes, out: list[bytes]) -> None:
        """Keep ``chunk`` back and pull the one held before it (not the last, then)."""
        if self._pending is not None:
            plain = self._pull(self._pending)
            if plain:
                out.append(plain)
        self._pending = chunk

    def finish(self) -> bytes:
        if not self._started:
            raise TruncatedError("attachment stream is truncated")
        out: list[bytes] = []
        if self._buffer:
            self._hold(bytes(self._buffer), out)
            self._buffer.clear()
        if self._pending is not None:
            out.append(self._pull(self._pending))
            self._pending = None
        if not self._final:
            raise TruncatedError("attachment stream ended before its final chunk")
        if self._plain != self._expected:
            raise TamperedError("attachment stream has the wrong length")
        return b"".join(out)

    def _pull(self, chunk: bytes) -> bytes:
        if self._final:
            raise TamperedError("data follows the final chunk of the attachment stream")
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                self._state, chunk, None
            )
        except nacl.exceptions.CryptoError as exc:
            raise TamperedError("attachment stream was changed, reordered or cut") from exc
        if tag == TAG_FINAL:
            self._final = True
        elif tag != TAG_MESSAGE:
            raise TamperedError("attachment stream carries an unknown tag")
        start = self._plain
        self._plain += len(plain)
        if self._plain > self._expected:
            raise TamperedError("attachment stream is longer than its size")
        keep = max(0, min(len(plain), self._size - start))
        if any(plain[keep:]):
            raise TamperedError("attachment padding is not zero")
        return plain[:keep]


def encrypt_stream(key: bytes, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Convenience: encrypt an iterable of plaintext pieces, yielding ciphertext pieces."""
    encryptor = StreamEncryptor(key)
    for piece in pieces:
        out = encryptor.update(piece)
        if out:
            yield out
    yield from encryptor.finish()


def decrypt_stream(key: bytes, size: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Convenience: decrypt an iterable of ciphertext pieces, yielding plaintext pieces.

    Consumers must not act on the output until the iterator is exhausted without error.
    """
    decryptor = StreamDecryptor(key, size)
    for piece in pieces:
        out = decryptor.update(piece)
        if out:
            yield out
    tail = decryptor.finish()
    if tail:
        yield tail
