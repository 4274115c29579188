"""The sealed case file's header and manifest: a case forwarded to one named handler.

docs/PROTOCOL.md, "Sealed case file", specifies the bytes; this module is its codec, with
no I/O. Only existing constructions are used: an envelope sealed to the handler's key alone
carries the manifest, with one random stream key per file; the office signs the header with
its Ed25519 key; an attachment stream per file follows the header::

    "VSCASEF1" | office enc(32) | office verify(32) | u32be elen | envelope(elen) | sig(64)
               | stream_1 | ... | stream_n

A writer calls :func:`write_header` and then writes each file as an attachment stream
under its manifest key, in manifest order. A reader takes :func:`header_length` bytes
(known from the first ``PREFIX``), calls :func:`read_header` with them and the file's
length, and then reads each stream at the span it returns. Where the files go is the
inbox's business (inbox/sealed_casefile.py).
"""

import json
from dataclasses import dataclass

from . import envelope, stream
from .encoding import (
    as_int,
    as_list,
    as_str,
    b64decode,
    b64encode,
    check_day,
    check_id,
    fields,
    loads_json,
)
from .errors import MalformedError, SignatureError, TooLargeError, TruncatedError
from .keys import PublicIdentity, SecretIdentity, verify_signature

MAGIC = b"VSCASEF1"
FORMAT = "varsel-casefile/v1"
SIGNER_BYTES = 64  # the office's X25519 and Ed25519 public keys
SIGNATURE_BYTES = 64
PREFIX = len(MAGIC) + SIGNER_BYTES + 4
# The smallest envelope there is (one recipient, the smallest padding) ... 1 MiB.
MIN_ENVELOPE = 4 + 1 + envelope.STANZA_BYTES + envelope.NONCE_BYTES + envelope.TAG_BYTES + 4
MAX_ENVELOPE = 1024 * 1024
MAX_FILES = 4096
MAX_NAME = 255  # code points of a file name, a media type and the handler's name
MAX_SIZE = 2**53 - 1  # a file's size: exact in every JSON implementation
_MANIFEST_FIELDS = ("case", "created_day", "files", "format", "handler")
_FILE_FIELDS = ("key", "media_type", "name", "size")


@dataclass(frozen=True)
class ManifestFile:
    name: str
    size: int
    media_type: str
    key: bytes  # the file's stream key (stream.KEY_BYTES)


@dataclass(frozen=True)
class Manifest:
    case: str
    created_day: str
    handler: str | None
    files: tuple[ManifestFile, ...]


@dataclass(frozen=True)
class StreamSpan:
    """Where a file's attachment stream lies in the case file."""

    file: ManifestFile
    offset: int
    length: int


@dataclass(frozen=True)
class Header:
    """What :func:`read_header` verified: the signer, the manifest, every stream's span."""

    signer: PublicIdentity
    manifest: Manifest
    streams: tuple[StreamSpan, ...]


def encode_manifest(manifest: Manifest) -> bytes:
    """Canonical JSON (payload style: UTF-8 written literally), after :func:`check_manifest`:
    a writer never seals a manifest that a reader refuses."""
    obj = {
        "case": manifest.case,
        "created_day": manifest.created_day,
        "files": [
            {"key": b64encode(f.key), "media_type": f.media_type, "name": f.name, "size": f.size}
            for f in manifest.files
        ],
        "format": FORMAT,
        "handler": manifest.handler,
    }
    check_manifest(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode_manifest(data: bytes) -> Manifest:
    return check_manifest(loads_json(data, "case file manifest"))


def check_manifest(obj: object) -> Manifest:
    """The one validator of the manifest, for readers and writers: MalformedError naming
    the first rule broken."""
    o = fields(obj, _MANIFEST_FIELDS, what="case file manifest")
    if o["format"] != FORMAT:
        raise MalformedError("unsupported case file format")
    handler = o["handler"]
    if handler is not None:
        as_str(handler, "the handler's name", MAX_NAME, least=1)
    entries = as_list(o["files"], "case file files", MAX_FILES)
    if not entries:
        raise MalformedError("a case file has at least one file")
    files = []
    for entry in entries:
        f = fields(entry, _FILE_FIELDS, what="case file entry")
        files.append(
            ManifestFile(
                name=as_str(f["name"], "a file name", MAX_NAME, least=1),
                size=as_int(f["size"], "a file size", 0, MAX_SIZE),
                media_type=as_str(f["media_type"], "a media type", MAX_NAME, least=1),
                key=b64decode(as_str(f["key"], "a stream key"), length=stream.KEY_BYTES,
                              what="stream key"),
            )
        )  # fmt: skip
    return Manifest(
        case=check_id(o["case"], "case"),
        created_day=check_day(o["created_day"], "created_day"),
        handler=handler,
        files=tuple(files),
    )


def signed_part(signer: PublicIdentity, sealed_manifest: bytes) -> bytes:
    """The bytes the office signs: everything before the signature."""
    return (
        MAGIC
        + signer.encryption_key
        + signer.verify_key
        + len(sealed_manifest).to_bytes(4, "big")
        + sealed_manifest
    )


def write_header(manifest: Manifest, signer: SecretIdentity, recipient_key: bytes) -> bytes:
    """The header, up to and with the signature, for the handler's X25519 key alone."""
    sealed = envelope.seal(encode_manifest(manifest), [recipient_key])
    if len(sealed) > MAX_ENVELOPE:
        raise TooLargeError("the case file's manifest is larger than 1 MiB: too many files")
    head = signed_part(signer.public, sealed)
    return head + signer.sign(head)


def header_length(prefix: bytes) -> int:
    """Steps 1-2 of "Reading": the header's length (up to and with the signature) from the
    file's first ``PREFIX`` bytes."""
    if len(prefix) < PREFIX or prefix[: len(MAGIC)] != MAGIC:
        raise MalformedError("not a sealed Varsel case file")
    elen = int.from_bytes(prefix[PREFIX - 4 : PREFIX], "big")
    if not MIN_ENVELOPE <= elen <= MAX_ENVELOPE:
        raise MalformedError("the case file's manifest length is out of range")
    return PREFIX + elen + SIGNATURE_BYTES


def header_signer(prefix: bytes) -> PublicIdentity:
    """The office keys the header names (not yet verified), from its first ``PREFIX`` bytes."""
    header_length(prefix)
    return PublicIdentity(
        encryption_key=prefix[len(MAGIC) : len(MAGIC) + 32],
        verify_key=prefix[len(MAGIC) + 32 : len(MAGIC) + SIGNER_BYTES],
    )


def read_header(head: bytes, length: int, handler: SecretIdentity) -> Header:
    """Steps 1-7 of "Reading", given the file's first :func:`header_length` bytes (fewer if
    the file is shorter), the file's ``length`` and the handler's key pair. What is left is
    step 8: each stream, read at its span with its entry's key and size."""
    head_end = header_length(head[:PREFIX])
    if len(head) < head_end or length < head_end:
        raise TruncatedError("the case file is truncated")
    signer = header_signer(head)
    sealed = head[PREFIX : head_end - SIGNATURE_BYTES]
    if not verify_signature(
        signer.verify_key, signed_part(signer, sealed), head[head_end - SIGNATURE_BYTES :]
    ):
        raise SignatureError("the case file's signature is invalid: it was changed or damaged")
    public = handler.public
    manifest = decode_manifest(
        envelope.open_envelope(sealed, public.encryption_key, handler.encryption_secret)
    )
    spans = []
    offset = head_end
    for f in manifest.files:
        size = stream.encrypted_size(f.size)
        spans.append(StreamSpan(f, offset, size))
        offset += size
    if length < offset:
        raise TruncatedError("the case file is truncated")
    if length > offset:
        raise MalformedError("the case file has data after its last stream")
    return Header(signer, manifest, tuple(spans))

