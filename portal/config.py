"""Portal configuration from environment variables (documented in README, "Configuration").

Every setting has a default that works for `make run`; operators override with VARSEL_*.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from .onion import OnionAddressError, parse_onion_address

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def asset_dir(name: str) -> Path:
    """``templates`` or ``static``: inside the package in a wheel (setup.py copies them
    there), at the top of the source tree in a checkout or an editable install."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def _default_data_dir() -> Path:
    """``var/`` in the checkout for ``make run``; ``var/`` in the working directory for an
    installed wheel (never inside site-packages)."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "var"
    return Path.cwd() / "var"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    max_upload_bytes: int = 200 * 1024 * 1024
    session_idle_minutes: int = 30
    thread_expiry_days: int = 365
    office_session_minutes: int = 60
    argon2_concurrency: int = 2
    # Rate limits (portal/ratelimit.py): hits per window, per client and in total, for the
    # plain lane; the proof-of-work lane allows pow_lane_factor times as many.
    rate_window_seconds: int = 60
    client_logins: int = 5
    global_logins: int = 30
    client_submissions: int = 3
    global_submissions: int = 10
    pow_lane_factor: int = 10
    # Proof-of-work difficulty (portal/pow.py): leading zero bits, rising with the load.
    pow_bits: int = 16
    pow_max_bits: int = 22
    office_url_prefix: str = "/kontor"
    secure_cookies: bool = False
    # Seconds a receipt login or report waits for a free argon2 slot before "busy, try again".
    argon2_wait_seconds: float = 5.0
    # How long a form (its CSRF token) stays valid: slow Tor uploads need hours.
    form_valid_hours: int = 6
    # Host names (Host header, port ignored) the portal answers to; anything else gets 400.
    # A name starting with "." also allows its subdomains.
    trusted_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    # The portal's Tor onion address ("<56 chars>.onion"), announced with Onion-Location and
    # on the landing page; None when the portal has no onion service.
    onion_address: str | None = None

    @property
    def keys_dir(self) -> Path:
        """office.pub and committee/<name>.pub live here."""
        return self.data_dir / "keys"

    @property
    def office_key_file(self) -> Path:
        return self.keys_dir / "office.pub"

    @property
    def committee_dir(self) -> Path:
        return self.keys_dir / "committee"

    @property
    def blobs_dir(self) -> Path:
        """Attachment ciphertext streams, one file per attachment."""
        return self.data_dir / "blobs"

    @property
    def instance_dir(self) -> Path:
        """Secrets generated on first run (never committed): see portal/instance.py."""
        return self.data_dir / "instance"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        e = dict(os.environ if env is None else env)
        data_dir = Path(e.get("VARSEL_DATA_DIR", _default_data_dir())).resolve()
        database_url = e.get("VARSEL_DATABASE_URL", f"sqlite:///{data_dir / 'varsel.sqlite3'}")

        def num(name: str, default: int) -> int:
            return int(e[name]) if name in e else default

        onion = _onion_address(e.get("VARSEL_ONION_ADDRESS", ""))
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            max_upload_bytes=num("VARSEL_MAX_UPLOAD_MB", 200) * 1024 * 1024,
            session_idle_minutes=num("VARSEL_SESSION_IDLE_MINUTES", 30),
            thread_expiry_days=num("VARSEL_THREAD_EXPIRY_DAYS", 365),
            office_session_minutes=num("VARSEL_OFFICE_SESSION_MINUTES", 60),
            argon2_concurrency=num("VARSEL_ARGON2_CONCURRENCY", 2),
            rate_window_seconds=max(1, num("VARSEL_RATE_WINDOW_SECONDS", 60)),
            client_logins=num("VARSEL_CLIENT_LOGINS", 5),
            global_logins=num("VARSEL_GLOBAL_LOGINS", 30),
            client_submissions=num("VARSEL_CLIENT_SUBMISSIONS", 3),
            global_submissions=num("VARSEL_GLOBAL_SUBMISSIONS", 10),
            pow_lane_factor=max(1, num("VARSEL_POW_LANE_FACTOR", 10)),
            pow_bits=num("VARSEL_POW_BITS", 16),
            pow_max_bits=num("VARSEL_POW_MAX_BITS", 22),
            office_url_prefix=e.get("VARSEL_OFFICE_PREFIX", "/kontor"),
            secure_cookies=e.get("VARSEL_SECURE_COOKIES", "0") == "1",
            argon2_wait_seconds=float(e.get("VARSEL_ARGON2_WAIT_SECONDS", "5")),
            form_valid_hours=num("VARSEL_FORM_VALID_HOURS", 6),
            trusted_hosts=_names(e.get("VARSEL_TRUSTED_HOSTS", "localhost,127.0.0.1,::1"))
            + ((onion,) if onion else ()),
            onion_address=onion,
        )


def _names(text: str) -> tuple[str, ...]:
    """A comma-separated list of host names, lower-cased, without blanks."""
    return tuple(name.strip().lower() for name in text.split(",") if name.strip())


def _onion_address(text: str) -> str | None:
    if not text:
        return None
    try:
        return parse_onion_address(text)
    except OnionAddressError as error:
        raise OnionAddressError(f"VARSEL_ONION_ADDRESS: {error}") from None
