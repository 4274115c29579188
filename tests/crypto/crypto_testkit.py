"""Small helpers shared by the crypto tests (not a conftest: plain functions, imported)."""

import hashlib
import json
from pathlib import Path
from typing import Any

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
