"""Who reports are encrypted to: the party office always, the committee when configured.

Keys are files under ``<data dir>/keys/``: ``office.pub`` and ``committee/<name>.pub``
(crypto.keys.PublicIdentity text format). docs/THREAT-MODEL.md, requirement 8, guidelines §7.1, §12.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from crypto.errors import CryptoError
from crypto.keys import PublicIdentity

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class Recipient:
    name: str  # "office" or a committee key's file stem
    identity: PublicIdentity


class RecipientError(Exception):
    """A key file is missing or unreadable."""


def load_office(keys_dir: Path) -> Recipient | None:
    """The office key, or None when the portal has none (it then accepts no reports)."""
    path = keys_dir / "office.pub"
    if not path.exists():
        return None
    return Recipient("office", _read(path))


def load_committee(keys_dir: Path) -> list[Recipient]:
    directory = keys_dir / "committee"
    if not directory.is_dir():
        return []
    return [Recipient(p.stem, _read(p)) for p in sorted(directory.glob("*.pub"))]


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise RecipientError("a recipient name is 1-40 lower-case letters, digits or '-'")
    return name


def _read(path: Path) -> PublicIdentity:
    try:
        return PublicIdentity.from_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, CryptoError) as exc:
        raise RecipientError(f"{path}: {exc}") from exc
