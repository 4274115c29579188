"""Rotating the office key (``varsel-inbox rotate-key``), docs/PROTOCOL.md "Key rotation".

The inbox makes a new office identity and a statement, signed by the old key, that the new
one replaces it (crypto/rotation.py). The old key moves to ``retired/office-N.key``
(locked with the same passphrase) and keeps opening reports sealed to it. Until the portal
confirms an outbound bundle that carried the statement (``last_outbound_sequence`` at or
past it, as for every outbox entry), each outbound bundle carries the statement and is
signed by the old key, the only one the portal trusts until then; afterwards, by the new.

Files in the home: ``rotation.pending`` (JSON: the statement, and the first bundle that
carried it) while the portal has not confirmed it.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from crypto import envelope, keys
from crypto.encoding import b64decode, b64encode
from crypto.rotation import STATEMENT_BYTES, sign_rotation

from .errors import InboxError
from .home import Home, Unlocked

PENDING = "rotation.pending"


@dataclass(frozen=True)
class PendingRotation:
    statement: bytes
    old: keys.SecretIdentity  # signs outbound bundles until the portal has switched
    carried_in: int | None  # the first outbound bundle that carried the statement


def rotate_office_key(home: Home, unlocked: Unlocked, passphrase: str) -> keys.PublicIdentity:
    """Make the new office key; the old one is retired, not deleted."""
    if (home.path / PENDING).exists():
        raise InboxError(
            "Et nøkkelbytte venter allerede på portalen. Eksporter en utgående pakke, last den "
            "opp og importer neste inngående pakke før du bytter igjen."
        )
    old, new = unlocked.identity, keys.SecretIdentity.generate()
    statement = sign_rotation(old, new.public)
    retired = home.path / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    number = len(list(retired.glob("office-*.key"))) + 1
    # Each step leaves a home that opens: the store key is sealed to both keys first.
    _replace(retired / f"office-{number}.key", home.office_key.read_bytes(), 0o600)
    _replace(
        home.store_key,
        envelope.seal(unlocked.store_key, [old.public.encryption_key, new.public.encryption_key]),
        0o600,
    )
    _write_pending(home, statement, None)
    _replace(home.office_key, keys.lock_identity(new, passphrase).encode(), 0o600)
    _replace(home.office_pub, new.public.to_text().encode("ascii"), 0o644)
    return new.public


def pending_rotation(home: Home, unlocked: Unlocked, confirmed: int) -> PendingRotation | None:
    """The rotation outbound bundles must still carry; None once the portal confirmed a
    bundle that carried it (the file is then removed)."""
    path = home.path / PENDING
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("ascii"))
        statement = b64decode(data["statement"], length=STATEMENT_BYTES, what="statement")
        carried_in = data["carried_in"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InboxError(f"{path} er skadet.") from exc
    if isinstance(carried_in, int) and confirmed >= carried_in:
        path.unlink()
        return None
    signer = statement[8:40]
    old = next((r for r in unlocked.retired if r.public.verify_key == signer), None)
    if old is None:
        raise InboxError(f"{path} hører ikke til en pensjonert nøkkel i denne innboksen.")
    return PendingRotation(statement, old, carried_in if isinstance(carried_in, int) else None)


def mark_carried(home: Home, rotation: PendingRotation, sequence: int) -> None:
    if rotation.carried_in is None:
        _write_pending(home, rotation.statement, sequence)


def _write_pending(home: Home, statement: bytes, carried_in: int | None) -> None:
    text = json.dumps({"statement": b64encode(statement), "carried_in": carried_in})
    _replace(home.path / PENDING, text.encode("ascii"), 0o600)


def _replace(path: Path, data: bytes, mode: int) -> None:
    partial = path.with_name(path.name + ".new")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
