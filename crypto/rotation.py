"""Office key rotation: a new office identity, vouched for by the old one.

docs/PROTOCOL.md, "Key rotation":

    body      = MAGIC || old_verify_key || new_encryption_key || new_verify_key   (104 bytes)
    statement = body || Ed25519-sign(old signing key, body)                       (168 bytes)

The reader checks the magic, that the old key is the key it trusts now, and the signature;
then it takes the new public identity. Pure functions; no I/O.
"""

from .errors import MalformedError, SignatureError
from .keys import PublicIdentity, SecretIdentity, fingerprint, verify_signature

MAGIC = b"VSROTAT1"
BODY_BYTES = len(MAGIC) + 32 + 32 + 32
STATEMENT_BYTES = BODY_BYTES + 64


def sign_rotation(old: SecretIdentity, new: PublicIdentity) -> bytes:
    """The statement that ``new`` replaces ``old``, signed by ``old``."""
    if new.verify_key == old.public.verify_key:
        raise MalformedError("the new office key must differ from the old one")
    body = MAGIC + old.public.verify_key + new.encryption_key + new.verify_key
    return body + old.sign(body)


def read_rotation(statement: bytes, current_verify_key: bytes) -> PublicIdentity:
    """The new office identity, if ``statement`` is signed by ``current_verify_key``."""
    if len(statement) != STATEMENT_BYTES or statement[: len(MAGIC)] != MAGIC:
        raise MalformedError("not a Varsel key-rotation statement")
    old = statement[len(MAGIC) : len(MAGIC) + 32]
    if old != current_verify_key:
        raise SignatureError(
            "the new office key is not signed by the current office key "
            f"(signed by {fingerprint(old)}, current {fingerprint(current_verify_key)})"
        )
    body, signature = statement[:BODY_BYTES], statement[BODY_BYTES:]
    if not verify_signature(current_verify_key, body, signature):
        raise SignatureError("the key-rotation signature is invalid: changed or damaged")
    new = PublicIdentity(
        encryption_key=body[len(MAGIC) + 32 : len(MAGIC) + 64],
        verify_key=body[len(MAGIC) + 64 :],
    )
    if new.verify_key == current_verify_key:
        raise MalformedError("the key-rotation statement names the current key as the new one")
    return new
