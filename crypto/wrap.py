"""A secret wrapped under a 32-byte symmetric key: ``nonce(24) | secretbox(plaintext)``.

Used for the reporter's secret key in a server-side session (the key lives only in the
reporter's cookie) and for the inbox's encrypted store on the offline machine.
"""

import nacl.exceptions
import nacl.secret
import nacl.utils

from .errors import MalformedError, TamperedError

KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE  # 32


def new_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def wrap(key: bytes, plaintext: bytes) -> bytes:
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def unwrap(key: bytes, wrapped: bytes) -> bytes:
    if len(wrapped) < nacl.secret.SecretBox.NONCE_SIZE + nacl.secret.SecretBox.MACBYTES:
        raise MalformedError("wrapped secret is truncated")
    try:
        return nacl.secret.SecretBox(key).decrypt(wrapped)
    except nacl.exceptions.CryptoError as exc:
        raise TamperedError("wrapped secret does not open with this key") from exc
