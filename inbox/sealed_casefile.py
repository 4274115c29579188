"""Where a sealed case file goes: the office writes one, the handler opens one (§6a, §8.2).

The bytes are crypto/casefile.py's (docs/PROTOCOL.md, "Sealed case file"); this module
does the file handling around them. Writing and reading keep memory bounded by one stream
chunk per file (the PDF itself is built in memory). A reader checks the signature, the exact
file length and every stream before it renames anything into place; on any fault it removes
what it wrote.
"""

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from crypto import casefile, stream
from crypto.casefile import MAX_FILES, MAX_NAME, Manifest, ManifestFile
from crypto.errors import (
    CryptoError,
    MalformedError,
    NotARecipientError,
    SignatureError,
    TamperedError,
    TooLargeError,
    TruncatedError,
)
from crypto.keys import PublicIdentity, SecretIdentity

from .attachments import _unique_target, safe_name, strip_metadata
from .errors import InboxError
from .files import new_file, read_span

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
    try:
        header = casefile.write_header(manifest, signer, recipient.encryption_key)
    except TooLargeError as exc:
        raise InboxError("Saken har for mange vedlegg til én saksmappe.") from exc
    except CryptoError as exc:  # the handler's name is the only text a person typed
        raise InboxError(
            "Saksmappen ble ikke skrevet: ugyldig saksbehandlernavn (1–255 tegn) eller "
            f"innhold ({exc})."
        ) from exc
    _reserve(path)
    part = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    try:
        with new_file(part) as out:
            out.write(header)
            for source, entry in zip(files, manifest.files, strict=True):
                _write_stream(out, entry.key, source)
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
    """Claim ``path``, empty, so nothing else takes it while the case file is written."""
    with new_file(path):
        pass


def _write_stream(out: BinaryIO, key: bytes, source: SourceFile) -> None:
    encryptor = stream.StreamEncryptor(key)
    for piece in source.pieces:
        out.write(encryptor.update(piece))
    if encryptor.size != source.size:
        raise InboxError(f"{source.name} endret størrelse under skrivingen.")
    for piece in encryptor.finish():
        out.write(piece)


# -- reading (the handler) ------------------------------------------------------------------


def _refused(what: str) -> CasefileRefused:
    return CasefileRefused(f"Saksmappen ble avvist: {what}. Ingenting er skrevet.")


def read_header(
    f: BinaryIO, total: int, identity: SecretIdentity, expect_fingerprint: str | None
) -> casefile.Header:
    """Steps 1-7 of docs/PROTOCOL.md, "Sealed case file", "Reading", from the open file."""
    prefix = f.read(casefile.PREFIX)
    try:
        head = prefix + f.read(casefile.header_length(prefix) - len(prefix))
    except MalformedError as exc:
        raise _refused("filen er ikke en forseglet Varsel-saksmappe eller er avkortet") from exc
    signer_fp = casefile.header_signer(prefix).fingerprint
    if expect_fingerprint is not None and _norm(expect_fingerprint) != _norm(signer_fp):
        raise _refused(f"den er signert med {signer_fp}, ikke med det forventede fingeravtrykket")
    try:
        return casefile.read_header(head, total, identity)
    except NotARecipientError as exc:
        raise CasefileRefused(
            "Saksmappen er ikke kryptert til din nøkkel (feil mottaker). Ingenting er skrevet."
        ) from exc
    except TruncatedError as exc:
        raise _refused("filen er avkortet") from exc
    except SignatureError as exc:
        raise _refused("signaturen stemmer ikke – filen er endret eller skadet") from exc
    except TamperedError as exc:
        raise _refused("hodet er endret eller skadet") from exc
    except CryptoError as exc:
        raise _refused(f"hodet eller manifestet er ugyldig ({exc})") from exc


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
        header = read_header(f, os.fstat(f.fileno()).st_size, identity, expect_fingerprint)
        manifest = header.manifest
        created = not out_dir.exists()
        try:
            out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise InboxError(f"Kan ikke lage {out_dir}: {exc.strerror}.") from exc
        parts: list[Path] = []
        opened: list[OpenedFile] = []
        try:
            for span in header.streams:
                parts.append(_decrypt_to_part(f, span, out_dir))
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
    return OpenedCasefile(manifest, header.signer.fingerprint, opened)


def _decrypt_to_part(f: BinaryIO, span: casefile.StreamSpan, out_dir: Path) -> Path:
    entry = span.file
    f.seek(span.offset)
    part = out_dir / f".varsel-{secrets.token_hex(8)}.part"
    try:
        with new_file(part) as out:
            for piece in stream.decrypt_stream(entry.key, entry.size, read_span(f, span.length)):
                out.write(piece)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part


def _norm(text: str) -> str:
    return "".join(text.split()).upper()
