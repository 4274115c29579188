"""Identities: an X25519 key pair for encryption plus an Ed25519 key pair for signing.

The party office, the whistleblowing committee (varslingsutvalget, §12) and case handlers
(§8.2) each have one. The portal has a signing-only identity of the same shape.

Text formats (docs/PROTOCOL.md, "Key files"):

    varsel-public-key/v1            varsel-secret-key/v1
    encrypt: <base64 32 bytes>      kdf: argon2id13 ops=<n> mem=<bytes>
    verify: <base64 32 bytes>       salt: <base64 16 bytes>
                                    nonce: <base64 24 bytes>
                                    box: <base64 secretbox(enc_sk || sign_seed)>
"""

import base64
from dataclasses import dataclass

import nacl.bindings
import nacl.exceptions
import nacl.hash
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey

from .encoding import b64decode, b64encode
from .errors import MalformedError, WrongPassphraseError

PUBLIC_MAGIC = "varsel-public-key/v1"
SECRET_MAGIC = "varsel-secret-key/v1"  # noqa: S105 (a file header)
FINGERPRINT_DOMAIN = b"varsel-public-key/v1\n"
FINGERPRINT_BYTES = 20

# argon2id13 for the secret key file: libsodium's MODERATE profile.
SECRET_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE  # 3
SECRET_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE  # 256 MiB
MIN_OPSLIMIT = 2
MIN_MEMLIMIT = 64 * 1024 * 1024
MAX_MEMLIMIT = 4 * 1024 * 1024 * 1024


@dataclass(frozen=True)
class PublicIdentity:
    """The public half: what the portal is configured with and what a person compares."""

    encryption_key: bytes  # X25519, 32 bytes
    verify_key: bytes  # Ed25519, 32 bytes

    def __post_init__(self) -> None:
        if len(self.encryption_key) != 32 or len(self.verify_key) != 32:
            raise MalformedError("public keys must be 32 bytes each")

    @property
    def fingerprint(self) -> str:
        """160 bits as base32 in groups of four, e.g. ``K7QX 2MDA ...`` (8 groups)."""
        return fingerprint(self.encryption_key + self.verify_key)

    def to_text(self) -> str:
        return (
            f"{PUBLIC_MAGIC}\n"
            f"encrypt: {b64encode(self.encryption_key)}\n"
            f"verify: {b64encode(self.verify_key)}\n"
        )

    @classmethod
    def from_text(cls, text: str) -> "PublicIdentity":
        fields = _parse_fields(text, PUBLIC_MAGIC, ("encrypt", "verify"))
        return cls(
            encryption_key=b64decode(fields["encrypt"], length=32, what="encrypt"),
            verify_key=b64decode(fields["verify"], length=32, what="verify"),
        )


@dataclass(frozen=True)
class SecretIdentity:
    """The private half. Exists only on the offline machine (or in the portal for its own
    signing key); serialised only through :func:`lock_identity`."""

    encryption_secret: bytes  # X25519 secret scalar, 32 bytes
    signing_seed: bytes  # Ed25519 seed, 32 bytes

    def __post_init__(self) -> None:
        if len(self.encryption_secret) != 32 or len(self.signing_seed) != 32:
            raise MalformedError("secret keys must be 32 bytes each")

    def __repr__(self) -> str:  # never print secrets by accident
        return f"SecretIdentity(fingerprint={self.public.fingerprint!r})"

    @classmethod
    def generate(cls) -> "SecretIdentity":
        return cls(
            encryption_secret=nacl.utils.random(32),
            signing_seed=nacl.utils.random(32),
        )

    @property
    def public(self) -> PublicIdentity:
        encryption_key = bytes(PrivateKey(self.encryption_secret).public_key)
        verify_key = bytes(nacl.signing.SigningKey(self.signing_seed).verify_key)
        return PublicIdentity(encryption_key=encryption_key, verify_key=verify_key)

    def sign(self, message: bytes) -> bytes:
        """A detached Ed25519 signature (64 bytes)."""
        return nacl.signing.SigningKey(self.signing_seed).sign(message).signature


def fingerprint(public_bytes: bytes) -> str:
    """BLAKE2b-160 over the domain string and the key bytes, base32, grouped by four."""
    digest = nacl.hash.blake2b(
        FINGERPRINT_DOMAIN + public_bytes, digest_size=FINGERPRINT_BYTES, encoder=RawEncoder
    )
    text = base64.b32encode(digest).decode("ascii")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def verify_signature(verify_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message``."""
    try:
        nacl.signing.VerifyKey(verify_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


def lock_identity(
    identity: SecretIdentity,
    passphrase: str,
    *,
    opslimit: int = SECRET_OPSLIMIT,
    memlimit: int = SECRET_MEMLIMIT,
) -> str:
    """Serialise the secret identity encrypted under ``passphrase`` (argon2id + secretbox)."""
    _check_kdf_limits(opslimit, memlimit)
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    key = _passphrase_key(passphrase, salt, opslimit, memlimit)
    box = nacl.secret.SecretBox(key).encrypt(
        identity.encryption_secret + identity.signing_seed, nonce
    ).ciphertext
    return (
        f"{SECRET_MAGIC}\n"
        f"kdf: argon2id13 ops={opslimit} mem={memlimit}\n"
        f"salt: {b64encode(salt)}\n"
        f"nonce: {b64encode(nonce)}\n"
        f"box: {b64encode(box)}\n"
    )


def unlock_identity(text: str, passphrase: str) -> SecretIdentity:
    """Parse and decrypt a locked secret key file; WrongPassphraseError when it won't open."""
    fields = _parse_fields(text, SECRET_MAGIC, ("kdf", "salt", "nonce", "box"))
    opslimit, memlimit = _parse_kdf(fields["kdf"])
    salt = b64decode(fields["salt"], length=nacl.pwhash.argon2id.SALTBYTES, what="salt")
    nonce = b64decode(fields["nonce"], length=nacl.secret.SecretBox.NONCE_SIZE, what="nonce")
    box = b64decode(fields["box"], length=64 + nacl.secret.SecretBox.MACBYTES, what="box")
    key = _passphrase_key(passphrase, salt, opslimit, memlimit)
    try:
        plain = nacl.secret.SecretBox(key).decrypt(box, nonce)
    except nacl.exceptions.CryptoError as exc:
        raise WrongPassphraseError("the passphrase does not unlock this key") from exc
    return SecretIdentity(encryption_secret=plain[:32], signing_seed=plain[32:])


def _passphrase_key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE,
        passphrase.encode("utf-8"),
        salt,
        opslimit=opslimit,
        memlimit=memlimit,
    )


def _check_kdf_limits(opslimit: int, memlimit: int) -> None:
    if not (MIN_OPSLIMIT <= opslimit <= 64 and MIN_MEMLIMIT <= memlimit <= MAX_MEMLIMIT):
        raise MalformedError("argon2id parameters are outside the allowed range")


def _parse_kdf(value: str) -> tuple[int, int]:
    parts = value.split(" ")
    if len(parts) != 3 or parts[0] != "argon2id13":
        raise MalformedError("unknown key derivation in secret key file")
    try:
        ops = dict(p.split("=", 1) for p in parts[1:])
        opslimit, memlimit = int(ops["ops"]), int(ops["mem"])
    except (KeyError, ValueError) as exc:
        raise MalformedError("unreadable argon2id parameters in secret key file") from exc
    _check_kdf_limits(opslimit, memlimit)
    return opslimit, memlimit


def _parse_fields(text: str, magic: str, names: tuple[str, ...]) -> dict[str, str]:
    lines = text.strip().splitlines()
    if not lines or lines[0].strip() != magic:
        raise MalformedError(f"not a {magic} file")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or name.strip() not in names or name.strip() in fields:
            raise MalformedError(f"unexpected line in {magic} file")
        fields[name.strip()] = value.strip()
    missing = [n for n in names if n not in fields]
    if missing:
        raise MalformedError(f"{magic} file lacks: {', '.join(missing)}")
    return fields
