"""The sealed case file: a case forwarded to one named handler (§6a, §8.2).

docs/PROTOCOL.md, "Sealed case file", specifies the bytes. Only existing ``crypto``
constructions are used: an envelope (sealed to the handler's key only) carries a manifest
with one random stream key per file; the PDF and every attachment follow as attachment
streams; the office signs the header with its Ed25519 key::

    "VSCASEF1" | office enc(32) | office verify(32) | u32be elen | envelope(elen) | sig(64)
               | stream_1 | ... | stream_n

Writing and reading keep memory bounded by one stream chunk per file (the PDF itself is
built in memory). A reader checks the signature, the exact file length and every stream
before it renames anything into place; on any fault it removes what it wrote.
"""

import json
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crypto import envelope, stream
from crypto.encoding import b64decode, b64encode, check_day, check_id, loads_json
from crypto.errors import CryptoError, NotARecipientError
from crypto.keys import PublicIdentity, SecretIdentity, verify_signature

from .attachments import _unique_target, safe_name, strip_metadata
from .errors import InboxError

MAGIC = b"VSCASEF1"
FORMAT = "varsel-casefile/v1"
SIGNER_BYTES = 64  # the office's X25519 and Ed25519 public keys
SIGNATURE_BYTES = 64
PREFIX = len(MAGIC) + SIGNER_BYTES + 4
MIN_ENVELOPE = 4 + 1 + envelope.STANZA_BYTES + envelope.NONCE_BYTES + envelope.TAG_BYTES + 4
MAX_ENVELOPE = 1024 * 1024
MAX_FILES = 4096
MAX_NAME = 255
PIECE = 1 << 20
SUFFIX = ".vscase"


class CasefileRefused(InboxError):
    """A sealed case file was refused; nothing from it was written."""

    exit_code = 3


@dataclass(frozen=True)
class SourceFile:
    """One file to put in a sealed case file: its plaintext comes from ``pieces``."""

    name: str
    media_type: str
    size: int
    pieces: Iterable[bytes]


@dataclass(frozen=True)
class ManifestFile:
    name: str
    size: int
    media_type: str
    key: bytes


@dataclass(frozen=True)
class Manifest:
    case: str
    created_day: str
    handler: str | None
    files: tuple[ManifestFile, ...]


@dataclass(frozen=True)
class OpenedFile:
    name: str
    path: Path
    size: int
    metadata_removed: bool


@dataclass(frozen=True)
class OpenedCasefile:
    manifest: Manifest
    signer_fingerprint: str
    files: list[OpenedFile]


def signed_part(signer: PublicIdentity, sealed_manifest: bytes) -> bytes:
    return (
        MAGIC
        + signer.encryption_key
        + signer.verify_key
        + len(sealed_manifest).to_bytes(4, "big")
        + sealed_manifest
    )


def encode_manifest(manifest: Manifest) -> bytes:
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
    data = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    decode_manifest(data)  # the reader's own checks: never seal what a handler cannot open
    return data


def decode_manifest(data: bytes) -> Manifest:
    obj = loads_json(data, "case file manifest")
    if not isinstance(obj, dict) or set(obj) != {
        "case", "created_day", "files", "format", "handler"
    }:  # fmt: skip
        raise CasefileRefused("Saksmappen har et ukjent innhold (manifestet er feil).")
    if obj["format"] != FORMAT:
        raise CasefileRefused("Saksmappen har et ukjent format.")
    handler = obj["handler"]
    if handler is not None and not _is_text(handler):
        raise CasefileRefused("Saksmappen har et ugyldig saksbehandlernavn.")
    files = obj["files"]
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES:
        raise CasefileRefused("Saksmappen har en ugyldig filliste.")
    parsed = []
    for f in files:
        if not isinstance(f, dict) or set(f) != {"key", "media_type", "name", "size"}:
            raise CasefileRefused("Saksmappen har en ugyldig filoppføring.")
        size = f["size"]
        if type(size) is not int or size < 0:
            raise CasefileRefused("Saksmappen har en ugyldig filstørrelse.")
        if (
            not _is_text(f["name"])
            or not _is_text(f["media_type"])
            or not isinstance(f["key"], str)
        ):
            raise CasefileRefused("Saksmappen har en ugyldig filoppføring.")
        key = b64decode(f["key"], length=stream.KEY_BYTES, what="stream key")
        parsed.append(ManifestFile(f["name"], size, f["media_type"], key))
    return Manifest(
        case=check_id(obj["case"], "case"),
        created_day=check_day(obj["created_day"], "created_day"),
        handler=handler,
        files=tuple(parsed),
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME


# -- writing (the office) -------------------------------------------------------------------


def write_sealed_casefile(
    path: Path,
    *,
    signer: SecretIdentity,
    recipient: PublicIdentity,
    case: str,
    created_day: str,
    handler: str | None,
    files: list[SourceFile],
) -> int:
    """Write the sealed case file to ``path`` (never overwriting); returns its size.

    The file is written under a temporary name beside ``path`` and renamed at the end; on
    any error (an attachment that no longer decrypts, a full disk) nothing is left.
    """
    if not 1 <= len(files) <= MAX_FILES:
        raise InboxError("En saksmappe har 1 til 4096 filer.")
    manifest = Manifest(
        case=case,
        created_day=created_day,
        handler=handler,
        files=tuple(
            ManifestFile(
                f.name[:MAX_NAME] or "vedlegg",
                f.size,
                f.media_type[:MAX_NAME] or "application/octet-stream",
                stream.new_key(),
            )
            for f in files
        ),
    )
    sealed = envelope.seal(encode_manifest(manifest), [recipient.encryption_key])
    if len(sealed) > MAX_ENVELOPE:
        raise InboxError("Saken har for mange vedlegg til én saksmappe.")
    head = signed_part(signer.public, sealed)
    _reserve(path)
    part = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(head + signer.sign(head))
            for source, entry in zip(files, manifest.files, strict=True):
                _write_stream(out, entry.key, source)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    except CryptoError as exc:
        raise InboxError(
            f"Et vedlegg i saken åpner ikke i innboksen ({exc}); ingen saksmappe er skrevet."
        ) from exc
    except OSError as exc:
        raise InboxError(f"Kan ikke skrive {path}: {exc.strerror}.") from exc
    finally:
        part.unlink(missing_ok=True)
        if path.exists() and path.stat().st_size == 0:
            path.unlink()
    return path.stat().st_size


def _reserve(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InboxError(f"{path} finnes allerede; velg et annet filnavn.") from exc
    except OSError as exc:
        raise InboxError(f"Kan ikke skrive {path}: {exc.strerror}.") from exc
    os.close(fd)


def _write_stream(out: BinaryIO, key: bytes, source: SourceFile) -> None:
    encryptor = stream.StreamEncryptor(key)
    for piece in source.pieces:
        out.write(encryptor.update(piece))
    if encryptor.size != source.size:
        raise InboxError(f"{source.name} endret størrelse under skrivingen.")
    for piece in encryptor.finish():
        out.write(piece)


def pieces_of(data: bytes, size: int = PIECE) -> Iterator[bytes]:
    view = memoryview(data)
    for i in range(0, len(data), size):
        yield bytes(view[i : i + size])


# -- reading (the handler) ------------------------------------------------------------------


def _refused(what: str) -> CasefileRefused:
    return CasefileRefused(f"Saksmappen ble avvist: {what}. Ingenting er skrevet.")


def read_header(f: BinaryIO, total: int) -> tuple[PublicIdentity, bytes, int]:
    """(signer, sealed manifest, offset of the first stream); checks the signature."""
    prefix = f.read(PREFIX)
    if len(prefix) < PREFIX or prefix[: len(MAGIC)] != MAGIC:
        raise _refused("filen er ikke en forseglet Varsel-saksmappe eller er avkortet")
    signer = PublicIdentity(
        encryption_key=prefix[len(MAGIC) : len(MAGIC) + 32],
        verify_key=prefix[len(MAGIC) + 32 : len(MAGIC) + SIGNER_BYTES],
    )
    elen = int.from_bytes(prefix[-4:], "big")
    if not MIN_ENVELOPE <= elen <= MAX_ENVELOPE:
        raise _refused("hodet er skadet")
    rest = f.read(elen + SIGNATURE_BYTES)
    if len(rest) < elen + SIGNATURE_BYTES:
        raise _refused("filen er avkortet")
    sealed, signature = rest[:elen], rest[elen:]
    if not verify_signature(signer.verify_key, signed_part(signer, sealed), signature):
        raise _refused("signaturen stemmer ikke – filen er endret eller skadet")
    offset = PREFIX + elen + SIGNATURE_BYTES
    if offset > total:
        raise _refused("filen er avkortet")
    return signer, sealed, offset


def open_sealed_casefile(
    path: Path,
    identity: SecretIdentity,
    out_dir: Path,
    *,
    expect_fingerprint: str | None = None,
    remove_metadata: bool = True,
) -> OpenedCasefile:
    """Verify and decrypt ``path`` into ``out_dir``: all files, or nothing at all."""
    try:
        f = path.open("rb")
    except OSError as exc:
        raise InboxError(f"Kan ikke lese {path}: {exc.strerror}.") from exc
    with f:
        total = os.fstat(f.fileno()).st_size
        signer, sealed, offset = read_header(f, total)
        signer_fp = signer.fingerprint
        if expect_fingerprint is not None and _norm(expect_fingerprint) != _norm(signer_fp):
            raise _refused(
                f"den er signert med {signer_fp}, ikke med det forventede fingeravtrykket"
            )
        public = identity.public
        try:
            plain = envelope.open_envelope(
                sealed, public.encryption_key, identity.encryption_secret
            )
        except NotARecipientError as exc:
            raise CasefileRefused(
                "Saksmappen er ikke kryptert til din nøkkel (feil mottaker). Ingenting er skrevet."
            ) from exc
        except CryptoError as exc:
            raise _refused("hodet er endret eller skadet") from exc
        try:
            manifest = decode_manifest(plain)
        except CryptoError as exc:
            raise _refused("manifestet er ugyldig") from exc
        expected = offset + sum(stream.encrypted_size(m.size) for m in manifest.files)
        if total < expected:
            raise _refused("filen er avkortet")
        if total > expected:
            raise _refused("filen har ekstra data på slutten")
        created = not out_dir.exists()
        try:
            out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise InboxError(f"Kan ikke lage {out_dir}: {exc.strerror}.") from exc
        parts: list[Path] = []
        opened: list[OpenedFile] = []
        try:
            for entry in manifest.files:
                parts.append(_decrypt_to_part(f, entry, out_dir))
            for entry, part in zip(manifest.files, parts, strict=True):
                removed = remove_metadata and strip_metadata(part)
                target = _unique_target(out_dir, safe_name(entry.name))
                os.replace(part, target)
                os.chmod(target, 0o600)
                opened.append(OpenedFile(entry.name, target, target.stat().st_size, removed))
        except BaseException as exc:
            for done in opened:  # all files or none
                done.path.unlink(missing_ok=True)
            if isinstance(exc, CryptoError):
                raise _refused(f"innholdet er endret, skadet eller avkortet ({exc})") from exc
            raise
        finally:
            for part in parts:
                part.unlink(missing_ok=True)
            if created and not any(out_dir.iterdir()):
                out_dir.rmdir()
    return OpenedCasefile(manifest, signer_fp, opened)


def _decrypt_to_part(f: BinaryIO, entry: ManifestFile, out_dir: Path) -> Path:
    length = stream.encrypted_size(entry.size)
    part = out_dir / f".varsel-{secrets.token_hex(8)}.part"
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in stream.decrypt_stream(entry.key, entry.size, _read_exact(f, length)):
                out.write(piece)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part


def _read_exact(f: BinaryIO, length: int) -> Iterator[bytes]:
    left = length
    while left > 0:
        piece = f.read(min(PIECE, left))
        if not piece:
            return
        left -= len(piece)
        yield piece


def _norm(text: str) -> str:
    return "".join(text.split()).upper()
