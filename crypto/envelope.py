"""Envelope: one payload encrypted to one or more recipients (docs/PROTOCOL.md, "Envelope").

The shape of age (age-encryption.org/v1): a random 32-byte content key is sealed
(``crypto_box_seal``) to every recipient's X25519 key; the padded payload is encrypted once
with XChaCha20-Poly1305 under the content key, with the whole header as associated data,
so a changed bit in any recipient stanza is detected by every recipient.

    "VSE1" | u8 n | n x stanza(80) | nonce(24) | aead(u32be len | payload | zero padding)
"""

from collections.abc import Sequence

import nacl.bindings
import nacl.exceptions
import nacl.utils

from .errors import MalformedError, NotARecipientError, TamperedError, TooLargeError
from .padding import padded_size

MAGIC = b"VSE1"
MAX_RECIPIENTS = 16
KEY_BYTES = 32
STANZA_BYTES = KEY_BYTES + nacl.bindings.crypto_box_SEALBYTES  # 80
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
MAX_PAYLOAD = 64 * 1024 * 1024


def seal(payload: bytes, recipients: Sequence[bytes]) -> bytes:
    """Encrypt ``payload`` so that any one of ``recipients`` (X25519 public keys) can open it."""
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise ValueError(f"an envelope has 1 to {MAX_RECIPIENTS} recipients")
    if len(payload) > MAX_PAYLOAD:
        raise TooLargeError("payload is larger than an envelope may carry")
    content_key = nacl.utils.random(KEY_BYTES)
    stanzas = b"".join(nacl.bindings.crypto_box_seal(content_key, pk) for pk in recipients)
    nonce = nacl.utils.random(NONCE_BYTES)
    header = MAGIC + bytes([len(recipients)]) + stanzas + nonce
    body = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        _pad(payload), header, nonce, content_key
    )
    return header + body


def open_envelope(envelope: bytes, public_key: bytes, secret_key: bytes) -> bytes:
    """Decrypt with one recipient's key pair; raises a CryptoError subclass on any fault."""
    count, header = _split_header(envelope)
    content_key = None
    for i in range(count):
        start = len(MAGIC) + 1 + i * STANZA_BYTES
        stanza = envelope[start : start + STANZA_BYTES]
        try:
            content_key = nacl.bindings.crypto_box_seal_open(stanza, public_key, secret_key)
        except nacl.exceptions.CryptoError:
            continue
        break
    if content_key is None or len(content_key) != KEY_BYTES:
        raise NotARecipientError(
            "this envelope is not addressed to this key, or its header is damaged"
        )
    nonce = header[-NONCE_BYTES:]
    try:
        padded = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            envelope[len(header) :], header, nonce, content_key
        )
    except nacl.exceptions.CryptoError as exc:
        raise TamperedError("the envelope was changed after it was sealed") from exc
    return _unpad(padded)


def check_sealed_shape(envelope: bytes, recipients: int) -> None:
    """What a party that cannot open an envelope can check (docs/PROTOCOL.md, "Browser
    path"): the magic, exactly ``recipients`` stanzas, and a body whose length is a padded
    frame. MalformedError otherwise. Whom the stanzas are sealed to cannot be seen."""
    count, header = _split_header(envelope)
    if count != recipients:
        raise MalformedError(
            f"envelope has {count} recipients where {recipients} are expected"
        )
    frame = len(envelope) - len(header) - TAG_BYTES
    if padded_size(frame) != frame or frame > padded_size(4 + MAX_PAYLOAD):
        raise MalformedError("envelope length is not that of a padded payload")


def recipient_count(envelope: bytes) -> int:
    """How many recipients an envelope names (without opening it)."""
    return _split_header(envelope)[0]


def _split_header(envelope: bytes) -> tuple[int, bytes]:
    if len(envelope) < len(MAGIC) + 1 or envelope[: len(MAGIC)] != MAGIC:
        raise MalformedError("not a Varsel envelope")
    count = envelope[len(MAGIC)]
    if not 1 <= count <= MAX_RECIPIENTS:
        raise MalformedError("envelope names an impossible number of recipients")
    header_len = len(MAGIC) + 1 + count * STANZA_BYTES + NONCE_BYTES
    if len(envelope) < header_len + TAG_BYTES + 4:
        raise MalformedError("envelope is truncated")
    return count, envelope[:header_len]


def _pad(payload: bytes) -> bytes:
    framed = len(payload).to_bytes(4, "big") + payload
    return framed + bytes(padded_size(len(framed)) - len(framed))


def _unpad(padded: bytes) -> bytes:
    length = int.from_bytes(padded[:4], "big")
    if (
        len(padded) < 4
        or length > len(padded) - 4
        or len(padded) != padded_size(length + 4)
        or any(padded[4 + length :])
    ):
        raise MalformedError("envelope padding is invalid")
    return padded[4 : 4 + length]
