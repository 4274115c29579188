"""Small helpers shared by the crypto tests (not a conftest: plain functions, imported)."""

import hashlib
import json
from pathlib import Path
from typing import Any

from crypto import bundle, casefile, stream
from crypto.keys import SecretIdentity

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def vector(name: str) -> Any:
    return json.loads((VECTORS / f"{name}.json").read_text(encoding="utf-8"))


def fixed(label: str, size: int = 32) -> bytes:
    return hashlib.blake2b(f"varsel test: {label}".encode(), digest_size=size).digest()


def identity(label: str) -> SecretIdentity:
    return SecretIdentity(fixed(f"{label} x25519"), fixed(f"{label} ed25519"))


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def edit(data: bytes, change: list[Any]) -> bytes:
    """A refused case file vector's change: ``cut n``, ``flip i`` (XOR 1), ``set i hex``,
    ``append hex``, or none."""
    if not change:
        return data
    kind, *args = change
    if kind == "cut":
        return data[: args[0]]
    if kind == "flip":
        return data[: args[0]] + bytes([data[args[0]] ^ 1]) + data[args[0] + 1 :]
    if kind == "set":
        new = bytes.fromhex(args[1])
        return data[: args[0]] + new + data[args[0] + len(new) :]
    assert kind == "append"
    return data + bytes.fromhex(args[0])


def small_inbound_bundle() -> bundle.InboundBundle:
    """An inbound bundle of one thread with one report: its envelope and one attachment."""
    return bundle.InboundBundle(
        "2025-01-02",
        3,
        (bundle.InboundThread("thread-0000001", bytes(32), "2025-01-01", "received"),),
        (
            bundle.InboundItem(
                "item-00000001",
                "thread-0000001",
                "report",
                "2025-01-02",
                b"env",
                (bundle.Blob("blob-00000001", b"stream"),),
            ),
        ),
    )


def read_casefile(data: bytes, handler: SecretIdentity) -> tuple[casefile.Header, list[bytes]]:
    """A sealed case file read with crypto/, steps 1-8 of docs/PROTOCOL.md, "Reading"."""
    prefix = data[: casefile.PREFIX]
    header = casefile.read_header(data[: casefile.header_length(prefix)], len(data), handler)
    files = [
        b"".join(stream.decrypt_stream(s.file.key, s.file.size, [data[s.offset :][: s.length]]))
        for s in header.streams
    ]
    return header, files


def write_casefile(
    manifest: casefile.Manifest, office: SecretIdentity, handler_key: bytes, files: list[bytes]
) -> bytes:
    """A sealed case file written with crypto/: the header, then a stream per file."""
    data = casefile.write_header(manifest, office, handler_key)
    for entry, file in zip(manifest.files, files, strict=True):
        data += b"".join(stream.encrypt_stream(entry.key, [file]))
    return data
