"""``varsel-inbox init``: a new home with a fresh office identity, store key and empty store."""

import os

from crypto import envelope, keys, wrap

from .errors import HomeError
from .files import new_file
from .home import Home
from .store import Store

MIN_PASSPHRASE = 12


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise HomeError(f"Passordfrasen må ha minst {MIN_PASSPHRASE} tegn.")


def init_home(
    home: Home,
    passphrase: str,
    *,
    opslimit: int = keys.SECRET_OPSLIMIT,
    memlimit: int = keys.SECRET_MEMLIMIT,
) -> keys.PublicIdentity:
    """Create the identity, the store key and an empty store. Refuses an existing home."""
    check_new_passphrase(passphrase)
    if home.path.exists() and any(home.path.iterdir()):
        raise HomeError(
            f"{home.path} finnes allerede og er ikke tom. Init overskriver aldri en innboks."
        )
    home.path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(home.path, 0o700)
    home.blobs.mkdir(mode=0o700)
    identity = keys.SecretIdentity.generate()
    public = identity.public
    store_key = wrap.new_key()
    locked = keys.lock_identity(identity, passphrase, opslimit=opslimit, memlimit=memlimit)
    for path, data, mode in (
        (home.office_key, locked.encode(), 0o600),
        (home.store_key, envelope.seal(store_key, [public.encryption_key]), 0o600),
        (home.office_pub, public.to_text().encode("ascii"), 0o644),
    ):
        with new_file(path, mode) as f:
            f.write(data)
    Store.create(home, store_key).close()
    return public
