"""Writing decrypted attachments to disk safely.

- Names come from an anonymous sender: only the last path component is kept (``/`` and
  ``\\`` both count as separators), control and bidi characters are removed, leading dots
  and trailing dots/spaces are dropped, Windows device names are prefixed, and the length
  is bounded in UTF-8 bytes (file systems count bytes: 255 on ext4, APFS, NTFS), cut
  between characters and keeping a short extension. An existing file is never
  overwritten: ``navn (2).pdf`` and so on.
- Files are written with mode 0600 (never executable) under a temporary name and renamed
  only after the stream decrypted completely and authenticated. Nothing is opened or run.
- JPEG and PNG are re-encoded from their pixels with Pillow (which fpdf2 already needs),
  so EXIF (GPS position, camera serial, time), XMP, ICC and text chunks are gone. Other
  formats are written as received and reported as "metadata not removed".
"""

import io
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crypto import stream
from crypto.errors import CryptoError
from crypto.payload import AttachmentRef

from .errors import InboxError
from .files import create_new, new_file, read_pieces
from .store import Store
from .threads import ThreadView
from .untrusted import clean, cut_utf8

if TYPE_CHECKING:
    from PIL import Image

# Bytes of UTF-8 in a name we make: leaves room under the usual 255-byte limit for
# " (9999)" and the ".clean" of strip_metadata.
MAX_NAME_BYTES = 200
MAX_EXTENSION = 16  # characters
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{p}{n}" for p in ("com", "lpt") for n in range(10)
}
STRIPPABLE = {"JPEG": "JPEG", "PNG": "PNG"}
# Previews (the desk): small, and only of files small enough to decrypt in memory.
PREVIEW_SIDE = 1200
PREVIEW_MAX_BYTES = 30 * 1024 * 1024


def safe_name(name: str) -> str:
    """A harmless file name from whatever the sender called the file."""
    text = unicodedata.normalize("NFC", clean(name)).replace("\\", "/")
    base = text.split("/")[-1]
    base = "".join(ch for ch in base if ch not in '\n\t:*?"<>|')
    base = base.lstrip(". ").rstrip(". ")
    if not base:
        base = "vedlegg"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    if stem.split(".")[0].lower() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    ext = ext[:MAX_EXTENSION]
    room = MAX_NAME_BYTES - len(ext.encode("utf-8")) - 1
    stem = cut_utf8(stem, room).rstrip(". ") or "vedlegg"
    return f"{stem}.{ext}" if ext else stem


@dataclass(frozen=True)
class WrittenFile:
    original_name: str
    path: Path
    size: int
    metadata_removed: bool


def _unique_target(directory: Path, name: str) -> Path:
    """Reserve a name that does not exist yet (created exclusively), adding " (2)", " (3)"..."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    for n in range(1, 10_000):
        candidate = name if n == 1 else (f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})")
        path = directory / candidate
        try:
            os.close(create_new(path))
        except FileExistsError:
            continue
        return path
    raise InboxError(f"For mange filer med navnet {name} i {directory}.")


def _pixels_only(original: "Image.Image") -> tuple["Image.Image", str] | None:
    """A new image made of ``original``'s pixels alone (turned upright), and its kind; None
    when it is not a JPEG or PNG. Nothing else of the file -- EXIF, XMP, ICC, text chunks,
    trailing data -- is carried over."""
    from PIL import Image, ImageOps

    kind = STRIPPABLE.get(original.format or "")
    if kind is None:
        return None
    image = ImageOps.exif_transpose(original)
    if image.mode == "P":
        image = image.convert("RGBA")
    if kind == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes()), kind


def strip_metadata(path: Path) -> bool:
    """Re-encode a JPEG or PNG in place without metadata; False when not possible."""
    try:
        from PIL import Image
    except ImportError:
        return False
    try:
        with Image.open(path) as original:
            found = _pixels_only(original)
        if found is None:
            return False
        pixels_only, kind = found
        cleaned = path.with_name(path.name + ".clean")
        with new_file(cleaned) as f:
            if kind == "JPEG":
                pixels_only.save(f, "JPEG", quality=95)
            else:
                pixels_only.save(f, "PNG")
        os.replace(cleaned, path)
        return True
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, InboxError):
        path.with_name(path.name + ".clean").unlink(missing_ok=True)
        return False


def find_attachment(view: ThreadView, blob: str) -> AttachmentRef:
    """The attachment ``blob`` of this thread; InboxError when the thread has none such."""
    for entry in view.entries:
        payload = getattr(entry, "payload", None)
        for ref in getattr(payload, "attachments", ()):
            if isinstance(ref, AttachmentRef) and ref.blob == blob:
                return ref
    raise InboxError("Saken har ikke dette vedlegget.")


def may_preview(ref: AttachmentRef) -> bool:
    """Whether to offer a preview: the sender calls it a JPEG or PNG (by type or name) and
    it is small enough. Only a claim: :func:`preview_png` decides from the pixels."""
    claimed = ref.media_type.lower() in ("image/jpeg", "image/png") or ref.name.lower().endswith(
        (".jpg", ".jpeg", ".png")
    )
    return claimed and ref.size <= PREVIEW_MAX_BYTES


def preview_png(store: Store, ref: AttachmentRef, max_side: int = PREVIEW_SIDE) -> bytes | None:
    """A JPEG or PNG attachment redrawn from its pixels alone as a small PNG, for looking
    at; None for any other file, one too large to preview, or one Pillow cannot read. The
    bytes the sender made never reach a viewer: only pixels are carried over."""
    from PIL import Image

    blob = store.blob_path(ref.blob)
    if ref.size > PREVIEW_MAX_BYTES or not blob.is_file():
        return None
    try:
        data = b"".join(stream.decrypt_stream(ref.key, ref.size, read_pieces(blob)))
        with Image.open(io.BytesIO(data)) as original:
            found = _pixels_only(original)
        if found is None:
            return None
        image = found[0]
        image.thumbnail((max_side, max_side))
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()
    except (CryptoError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def write_attachment(
    store: Store, ref: AttachmentRef, out_dir: Path, *, remove_metadata: bool = True
) -> WrittenFile:
    blob = store.blob_path(ref.blob)
    if not blob.is_file():
        raise InboxError(f"Vedlegget «{clean(ref.name)}» mangler i innboksen ({ref.blob[:8]}).")
    part = out_dir / f".varsel-{secrets.token_hex(8)}.part"
    try:
        with new_file(part) as f:
            for piece in stream.decrypt_stream(ref.key, ref.size, read_pieces(blob)):
                f.write(piece)
        removed = strip_metadata(part) if remove_metadata else False
        target = _unique_target(out_dir, safe_name(ref.name))
        os.replace(part, target)
        os.chmod(target, 0o600)
    except CryptoError as exc:
        raise InboxError(
            f"Vedlegget «{clean(ref.name)}» er skadet i innboksen og ble ikke skrevet ({exc})."
        ) from exc
    finally:
        part.unlink(missing_ok=True)
    return WrittenFile(ref.name, target, target.stat().st_size, removed)


def write_all(
    store: Store, view: ThreadView, out_dir: Path, *, remove_metadata: bool = True
) -> list[WrittenFile]:
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for entry in view.entries:
        payload = getattr(entry, "payload", None)
        for ref in getattr(payload, "attachments", ()):
            written.append(write_attachment(store, ref, out_dir, remove_metadata=remove_metadata))
    return written
