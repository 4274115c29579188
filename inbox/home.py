"""The inbox home directory: the office identity, the store key and the pinned portal key.

Layout (docs/OFFICE-GUIDE.md explains it to the office)::

    office.key      the office secret identity, locked with the passphrase (0600)
    office.pub      the office public identity, carried to the portal operator
    store.key       a random 32-byte store key sealed to the office's own encryption key
    portal.pin      the portal's Ed25519 verify key, pinned at the first import
    portal.params   the portal's X25519 key and receipt salt, from the last inbound bundle
    inbox.sqlite3   the store (report content only as wrapped blobs)
    blobs/          attachment streams exactly as received (still encrypted)

The default location is ``$XDG_DATA_HOME/varsel-inbox`` (``~/.local/share/varsel-inbox``);
``--home`` or ``VARSEL_INBOX_HOME`` choose another.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from crypto import envelope, keys, wrap
from crypto.bundle import PortalParameters
from crypto.encoding import b64decode, b64encode
from crypto.errors import CryptoError, WrongPassphraseError
from crypto.receipt import SALT_BYTES

from .errors import HomeError, WrongPassphrase
from .files import new_file

APP_DIR = "varsel-inbox"
PIN_MAGIC = "varsel-portal-pin/v1"
PARAMS_MAGIC = "varsel-portal-parameters/v1"


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def office_key(self) -> Path:
        return self.path / "office.key"

    @property
    def office_pub(self) -> Path:
        return self.path / "office.pub"

    @property
    def store_key(self) -> Path:
        return self.path / "store.key"

    @property
    def portal_pin(self) -> Path:
        return self.path / "portal.pin"

    @property
    def portal_params(self) -> Path:
        return self.path / "portal.params"

    @property
    def database(self) -> Path:
        return self.path / "inbox.sqlite3"

    @property
    def blobs(self) -> Path:
        return self.path / "blobs"

    def is_initialised(self) -> bool:
        return self.office_key.exists()

    def require(self) -> None:
        missing = [
            p.name for p in (self.office_key, self.store_key, self.database) if not p.exists()
        ]
        if missing:
            raise HomeError(
                f"Fant ingen komplett innboks i {self.path} (mangler {', '.join(missing)}). "
                "Kjør «varsel-inbox init» først, eller oppgi riktig mappe med --home."
            )

    def public_identity(self) -> keys.PublicIdentity:
        try:
            return keys.PublicIdentity.from_text(self.office_pub.read_text("ascii"))
        except FileNotFoundError as exc:
            raise HomeError(f"Fant ikke {self.office_pub}.") from exc
        except (CryptoError, UnicodeDecodeError) as exc:
            raise HomeError(f"{self.office_pub} er ikke en gyldig offentlig nøkkel.") from exc

    # -- the pinned portal key -----------------------------------------------------------

    def read_pin(self) -> bytes | None:
        try:
            text = self.portal_pin.read_text("ascii")
        except FileNotFoundError:
            return None
        lines = text.strip().splitlines()
        if len(lines) != 2 or lines[0] != PIN_MAGIC or not lines[1].startswith("verify: "):
            raise HomeError(f"{self.portal_pin} er skadet; den festede portalnøkkelen er ukjent.")
        try:
            return b64decode(lines[1].removeprefix("verify: "), length=32, what="portal key")
        except CryptoError as exc:
            raise HomeError(f"{self.portal_pin} er skadet.") from exc

    def write_pin(self, verify_key: bytes) -> None:
        text = f"{PIN_MAGIC}\nverify: {b64encode(verify_key)}\n"
        with new_file(self.portal_pin, 0o644) as f:
            f.write(text.encode("ascii"))

    # -- the portal's public parameters (inbox/receipts.py) ------------------------------

    def read_portal_parameters(self) -> PortalParameters | None:
        """What the last inbound bundle, signed by the pinned portal key, said."""
        try:
            lines = self.portal_params.read_text("ascii").strip().splitlines()
        except FileNotFoundError:
            return None
        try:
            if len(lines) != 3 or lines[0] != PARAMS_MAGIC:
                raise ValueError
            fields = dict(line.split(": ", 1) for line in lines[1:])
            return PortalParameters(
                encryption_key=b64decode(fields["encrypt"], length=32, what="portal key"),
                receipt_salt=b64decode(fields["receipt-salt"], length=SALT_BYTES, what="salt"),
            )
        except (ValueError, KeyError, CryptoError) as exc:
            raise HomeError(f"{self.portal_params} er skadet.") from exc

    def write_portal_parameters(self, params: PortalParameters) -> None:
        text = (
            f"{PARAMS_MAGIC}\nencrypt: {b64encode(params.encryption_key)}\n"
            f"receipt-salt: {b64encode(params.receipt_salt)}\n"
        )
        if self.read_portal_parameters() == params:
            return
        partial = self.portal_params.with_name(self.portal_params.name + ".new")
        partial.unlink(missing_ok=True)
        with new_file(partial, 0o644) as f:
            f.write(text.encode("ascii"))
        os.replace(partial, self.portal_params)


@dataclass(frozen=True)
class Unlocked:
    """The office identity and the store key, in memory after the passphrase was given."""

    identity: keys.SecretIdentity
    store_key: bytes
    # Earlier office keys (``retired/office-N.key``, inbox/rotation.py): they open reports
    # sealed to them before the portal switched to the current key.
    retired: tuple[keys.SecretIdentity, ...] = ()

    def __repr__(self) -> str:
        return f"Unlocked(fingerprint={self.identity.public.fingerprint!r})"


def unlock(home: Home, passphrase: str) -> Unlocked:
    home.require()
    try:
        identity = keys.unlock_identity(home.office_key.read_text("ascii"), passphrase)
    except WrongPassphraseError as exc:
        raise WrongPassphrase("Feil passordfrase. Ingenting er endret.") from exc
    except (CryptoError, UnicodeDecodeError) as exc:
        raise HomeError(f"{home.office_key} er skadet eller ikke en Varsel-nøkkelfil.") from exc
    public = identity.public
    try:
        store_key = envelope.open_envelope(
            home.store_key.read_bytes(), public.encryption_key, identity.encryption_secret
        )
    except CryptoError as exc:
        raise HomeError(f"{home.store_key} hører ikke til denne nøkkelen eller er skadet.") from exc
    if len(store_key) != wrap.KEY_BYTES:
        raise HomeError(f"{home.store_key} er skadet.")
    retired = []
    for path in sorted((home.path / "retired").glob("office-*.key")):
        try:
            retired.append(keys.unlock_identity(path.read_text("ascii"), passphrase))
        except (CryptoError, UnicodeDecodeError) as exc:
            raise HomeError(f"{path} er skadet eller låst med en annen passordfrase.") from exc
    return Unlocked(identity=identity, store_key=store_key, retired=tuple(retired))
