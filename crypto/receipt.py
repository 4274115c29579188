"""The reporter's receipt passphrase and the keys derived from it.

docs/THREAT-MODEL.md, requirement 3.

A receipt is ``WORD_COUNT`` words drawn with ``secrets`` from the 2048-word bokmål list in
:mod:`crypto.wordlist` (11 bits a word, 88 bits in all). It is never stored: one argon2id
call (64 MiB, ops 3, instance-wide 16-byte salt) stretches it to a 32-byte master key, and
keyed BLAKE2b derives, with distinct domain strings,

- the login key (the server keeps only ``login_hash(login_key, pepper)``), and
- the seed of the reporter's X25519 key pair (office replies are sealed to it).

A receipt the office issues on the offline machine for a report received outside the
portal (inbox/receipts.py) reaches the portal only as its login key sealed to the portal's
X25519 key (:func:`seal_login_key`, libsodium's ``crypto_box_seal``); the portal opens it
(:func:`open_login_key`) and keeps only ``login_hash``.
"""

import math
import secrets
import unicodedata
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.hash
import nacl.pwhash
from nacl.encoding import RawEncoder

from .errors import MalformedError, NotARecipientError, ReceiptFormatError
from .wordlist import WORDS

WORD_COUNT = 8
ENTROPY_BITS = WORD_COUNT * math.log2(len(WORDS))
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
OPSLIMIT = 3
MEMLIMIT = 64 * 1024 * 1024
LOGIN_DOMAIN = b"varsel/v1/receipt/login"
REPORTER_KEY_DOMAIN = b"varsel/v1/receipt/reporter-x25519"
LOOKUP_DOMAIN = b"varsel/v1/receipt/lookup"
LOGIN_KEY_BYTES = 32
SEALED_LOGIN_KEY_BYTES = LOGIN_KEY_BYTES + nacl.bindings.crypto_box_SEALBYTES  # 80

_WORD_SET = frozenset(WORDS)
# docs/PROTOCOL.md, "Receipt", step 3: the white space of Python's ``str.isspace`` (Unicode
# White_Space plus U+001C-U+001F), and the punctuation people put between words.
SEPARATORS = frozenset(
    [chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680)]
    + [chr(c) for c in (*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)]
    + list("-_.,;:/\u00b7\u2013\u2014")
)
# Step 2: the only case mappings that can turn a character into letters of the list
# (which holds only a-z): A-Z, and the sharp s (ß, capital ẞ) that folds to "ss".
CASE_MAP = {
    **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
    "\u00df": "ss",
    "\u1e9e": "ss",
}


@dataclass(frozen=True)
class ReceiptKeys:
    login_key: bytes
    reporter_public_key: bytes
    reporter_secret_key: bytes

    def __repr__(self) -> str:
        return "ReceiptKeys(<secret>)"


def generate_receipt() -> str:
    """A fresh receipt from the operating system's CSPRNG, words joined by single spaces."""
    return " ".join(secrets.choice(WORDS) for _ in range(WORD_COUNT))


def normalise_receipt(typed: str) -> str:
    """What a person typed, as the canonical receipt string.

    The explicit code-point rules of docs/PROTOCOL.md ("Receipt"): Unicode NFKC, then
    A-Z to a-z and ß/ẞ to "ss", then any run of separators (white space, hyphens, dots,
    commas and the like) between words becomes one space. Every word must be on the list
    and there must be exactly ``WORD_COUNT`` of them. The list has only a-z words, so a
    word typed with æ, ø or å is simply not on it.
    """
    text = "".join(CASE_MAP.get(c, c) for c in unicodedata.normalize("NFKC", typed))
    words = _split(text)
    if len(words) != WORD_COUNT:
        raise ReceiptFormatError(f"a receipt has {WORD_COUNT} words, this has {len(words)}")
    unknown = [w for w in words if w not in _WORD_SET]
    if unknown:
        raise ReceiptFormatError("a word is not on the receipt word list")
    return " ".join(words)


def _split(text: str) -> list[str]:
    words: list[str] = []
    current: list[str] = []
    for c in text:
        if c in SEPARATORS:
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(c)
    if current:
        words.append("".join(current))
    return words


def derive_receipt_keys(receipt: str, salt: bytes) -> ReceiptKeys:
    """Stretch a (normalised) receipt once with argon2id and derive the reporter's keys."""
    if len(salt) != SALT_BYTES:
        raise MalformedError("the instance receipt salt must be 16 bytes")
    canonical = normalise_receipt(receipt)
    master = nacl.pwhash.argon2id.kdf(
        32, canonical.encode("utf-8"), salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT
    )
    login_key = _subkey(master, LOGIN_DOMAIN)
    seed = _subkey(master, REPORTER_KEY_DOMAIN)
    public_key, secret_key = nacl.bindings.crypto_box_seed_keypair(seed)
    return ReceiptKeys(
        login_key=login_key, reporter_public_key=public_key, reporter_secret_key=secret_key
    )


def login_hash(login_key: bytes, pepper: bytes) -> bytes:
    """What the server stores to find a thread: BLAKE2b-256 keyed with the server's pepper."""
    if len(pepper) != 32:
        raise MalformedError("the login pepper must be 32 bytes")
    return nacl.hash.blake2b(
        LOOKUP_DOMAIN + login_key, key=pepper, digest_size=32, encoder=RawEncoder
    )


def _subkey(master: bytes, domain: bytes) -> bytes:
    return nacl.hash.blake2b(domain, key=master, digest_size=32, encoder=RawEncoder)


def seal_login_key(login_key: bytes, portal_encryption_key: bytes) -> bytes:
    """A login key sealed (``crypto_box_seal``) to the portal's X25519 key: 80 bytes that
    only the portal can open."""
    if len(login_key) != LOGIN_KEY_BYTES or len(portal_encryption_key) != 32:
        raise MalformedError("a login key and the portal's key are 32 bytes each")
    return nacl.bindings.crypto_box_seal(login_key, portal_encryption_key)


def open_login_key(sealed: bytes, public_key: bytes, secret_key: bytes) -> bytes:
    """Open a sealed login key with the portal's X25519 key pair; NotARecipientError when it
    was sealed to another key or changed."""
    if len(sealed) != SEALED_LOGIN_KEY_BYTES:
        raise MalformedError(f"a sealed login key is {SEALED_LOGIN_KEY_BYTES} bytes")
    try:
        return nacl.bindings.crypto_box_seal_open(sealed, public_key, secret_key)
    except nacl.exceptions.CryptoError as exc:
        raise NotARecipientError("the login key is not sealed to this portal's key") from exc
