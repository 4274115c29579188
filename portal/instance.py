"""Secrets the portal generates on first run and keeps under ``<data dir>/instance/``.

- ``secret_key``     Flask's session/CSRF signing key (32 random bytes)
- ``login_pepper``   key of the keyed hash that finds a thread from a receipt login key
- ``receipt_salt``   the instance-wide argon2id salt for receipts (16 bytes, public)
- ``portal.key``     the portal's own identity (unencrypted: the server must use it
                     unattended): it signs inbound bundles, and its X25519 key opens the
                     login keys of receipts the office issued offline (portal/transfer.py)
"""

import os
from dataclasses import dataclass
from pathlib import Path

import nacl.utils

from crypto.keys import SecretIdentity
from crypto.receipt import SALT_BYTES


@dataclass(frozen=True)
class InstanceSecrets:
    secret_key: bytes
    login_pepper: bytes
    receipt_salt: bytes
    portal_identity: SecretIdentity

    @classmethod
    def load_or_create(cls, directory: Path) -> "InstanceSecrets":
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        seeds = _secret_file(directory / "portal.key", 64)
        return cls(
            secret_key=_secret_file(directory / "secret_key", 32),
            login_pepper=_secret_file(directory / "login_pepper", 32),
            receipt_salt=_secret_file(directory / "receipt_salt", SALT_BYTES),
            portal_identity=SecretIdentity(encryption_secret=seeds[:32], signing_seed=seeds[32:]),
        )


def _secret_file(path: Path, size: int) -> bytes:
    """Read ``path``; create it with ``size`` random bytes (mode 0600) if it is absent."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = nacl.utils.random(size)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            return _secret_file(path, size)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    if len(data) != size:
        raise RuntimeError(f"{path} is damaged: expected {size} bytes")
    return data
