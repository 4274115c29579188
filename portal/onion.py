"""The portal's onion address (Tor onion service, version 3), from ``VARSEL_ONION_ADDRESS``.

A v3 address is ``base32(public key || checksum || version)`` + ``.onion``, where the
checksum is the first two bytes of ``SHA3-256(".onion checksum" || public key || version)``
and the version byte is 3 (Tor's rend-spec-v3, "Encoding onion addresses"). Checking the
checksum catches a mistyped address before the portal announces it to every visitor.
"""

import base64
import hashlib

_VERSION = b"\x03"


class OnionAddressError(ValueError):
    """The text is not a v3 onion address."""


def parse_onion_address(text: str) -> str:
    """``text`` (with or without ``http://`` and ``.onion``) -> ``<56 chars>.onion``."""
    address = text.strip().lower()
    for prefix in ("http://", "https://"):
        address = address.removeprefix(prefix)
    address = address.rstrip("/").removesuffix(".onion")
    if len(address) != 56:
        raise OnionAddressError(
            f"{text!r} is not a Tor onion address (version 3): expected 56 letters and digits"
            " before .onion, as in the hostname file Tor writes"
        )
    try:
        raw = base64.b32decode(address.upper())
    except ValueError:
        raise OnionAddressError(f"{text!r} is not a Tor onion address: not base32") from None
    key, checksum, version = raw[:32], raw[32:34], raw[34:]
    expected = hashlib.sha3_256(b".onion checksum" + key + _VERSION).digest()[:2]
    if version != _VERSION or checksum != expected:
        raise OnionAddressError(
            f"{text!r} is not a Tor onion address: its checksum does not match (a typing error?)"
        )
    return f"{address}.onion"
