"""Party-office users and their logins: a name, a password (argon2id) and a TOTP code,
and the lockout that protects the second factor.

docs/THREAT-MODEL.md, requirement 7.

An operator creates a user with ``varsel-portal add-office-user NAME``, which prints a
one-time setup code (only its hash is stored). With that code the person chooses a
password and enrols an authenticator app; the code is then void.

Wrong TOTP codes after a correct password count per user: after ``MAX_FAILURES`` the user
is locked for ``LOCK_MINUTES``, which protects the six-digit second factor. Wrong passwords
do not count towards the lock (anyone who knows a name could otherwise keep that user
locked out); guessing passwords is held back by the per-client and global limits and the
argon2 cost instead; a password longer than ``MAX_PASSWORD`` is a wrong password like any
other (refused before hashing, counted nowhere). Failed setup-code attempts count only
against a user whose setup is open (an active user cannot be locked through the setup
page). Unknown names, wrong passwords,
wrong codes and locked users get the same answer (the pages show one message for
``FAILED`` and ``LOCKED``), and each costs the same argon2 work, so neither the answer nor
its timing tells which names exist or are locked. Argon2 runs in the portal's bounded
slots (portal.ratelimit), so a flood of logins cannot exhaust memory, and attempts are
rate-limited per client and globally as well.

Concurrent logins are settled by the database, not by the Python objects: a TOTP step is
spent by one conditional ``UPDATE ... WHERE last_totp_step < :step`` (of parallel logins
with the same code exactly one changes the row), and a failure is counted by
``failed_logins = failed_logins + 1`` in the row, re-read in the same transaction (parallel
wrong codes each count). ``last_totp_step`` is needed only while its code could still be
accepted (``TOTP_WINDOW`` steps either side); after that it is reset to 0 on the next office
request or ``purge-expired``, so the row does not keep the time of the last login.

The session cookie a login starts: portal/office_session.py.
"""

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from . import ratelimit
from .models import OfficeUser
from .services import services

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # bounds the bytes argon2 has to chew on
TOTP_ISSUER = "Varsel"
TOTP_INTERVAL = 30
TOTP_WINDOW = 1  # one step either side (clock drift)
SETUP_CODE_BYTES = 15  # 120 bits, 24 base32 characters
ATTEMPTS_PER_CLIENT_WINDOW = 10
_NAME = re.compile(r"[\w.-]{1,64}")

log = logging.getLogger("varsel.office")


class OfficeUserError(Exception):
    """An operator command about office users was refused (message for the terminal)."""


class Outcome(Enum):
    OK = "ok"
    FAILED = "failed"  # unknown name, wrong password, wrong code
    LOCKED = "locked"  # shown to the person exactly like FAILED (no user enumeration)
    # Name, password and code right, but the code's time step was already spent (typically
    # the code just used to finish the setup): "wait for the next code", no failure counted.
    CODE_REUSED = "code_reused"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    user: OfficeUser | None = None
    locked_until: datetime | None = None


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str) -> str:
    name = normalise_name(name)
    if not _NAME.fullmatch(name):
        raise OfficeUserError("a user name is 1-64 letters, digits, '.', '_' or '-'")
    return name


def new_setup_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(SETUP_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def hash_setup_code(code: str) -> bytes:
    """SHA-256 of the code without separators; the code has 120 random bits, so no
    stretching is needed."""
    canonical = re.sub(r"[\s-]", "", code).upper()
    return hashlib.sha256(b"varsel-office-setup-code\n" + canonical.encode("utf-8")).digest()


def create_office_user(db: Session, name: str, *, reset: bool = False) -> str:
    """Create a user (or, with ``reset``, void an existing user's password and TOTP) and
    return the one-time setup code. The caller commits."""
    name = check_name(name)
    user = db.scalar(select(OfficeUser).where(OfficeUser.name == name))
    if user is None:
        if reset:
            raise OfficeUserError(f"there is no office user named {name!r}")
        user = OfficeUser(name=name, last_totp_step=0, failed_logins=0, session_epoch=0)
        db.add(user)
    elif not reset:
        raise OfficeUserError(f"an office user named {name!r} exists (use --reset)")
    code = new_setup_code()
    user.setup_code_hash = hash_setup_code(code)
    user.password_hash = None
    user.totp_secret = None
    user.failed_logins = 0
    user.locked_until = None
    user.session_epoch = (user.session_epoch or 0) + 1
    return code


def choose_password(user: OfficeUser, password: str) -> None:
    """Setup: store the new password's hash and a fresh TOTP secret.
    The caller commits; the user stays inactive until :func:`confirm_totp`."""
    user.password_hash = authenticator().hash_password(password)
    user.totp_secret = pyotp.random_base32()  # 160 bits


def is_active(user: OfficeUser) -> bool:
    """Setup finished: a password, a TOTP secret, and no open setup code."""
    return user.setup_code_hash is None and bool(user.password_hash) and bool(user.totp_secret)


def totp_uri(user: OfficeUser) -> str:
    assert user.totp_secret
    return pyotp.TOTP(user.totp_secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.name, issuer_name=TOTP_ISSUER
    )


def current_step(now: datetime) -> int:
    return int(now.replace(tzinfo=UTC).timestamp()) // TOTP_INTERVAL


def match_totp(user: OfficeUser, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to, if it is valid now (±1 step) and newer than the
    last step this user spent; None otherwise. The caller spends the step with
    :func:`spend_step`, which settles races in the database."""
    code = re.sub(r"\s", "", code)
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(user.totp_secret, interval=TOTP_INTERVAL)
    current = current_step(now)
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if step > user.last_totp_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def spend_step(db: Session, user: OfficeUser, step: int, now: datetime) -> bool:
    """Spend ``step`` for ``user`` and clear the failure count, atomically: True for exactly
    one of any number of concurrent callers with the same (or an older) step, and never
    while the user is locked."""
    result = db.execute(
        update(OfficeUser)
        .where(
            OfficeUser.id == user.id,
            OfficeUser.last_totp_step < step,
            (OfficeUser.locked_until.is_(None)) | (OfficeUser.locked_until <= now),
        )
        .values(last_totp_step=step, failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    spent = _rowcount(result) == 1
    db.commit()
    db.refresh(user)
    return spent


def forget_spent_steps(db: Session, now: datetime) -> None:
    """Reset ``last_totp_step`` where its code can no longer be accepted anyway: the replay
    check needs the step only within the acceptance window. The caller commits."""
    db.execute(
        update(OfficeUser)
        .where(
            OfficeUser.last_totp_step != 0,
            OfficeUser.last_totp_step < current_step(now) - TOTP_WINDOW,
        )
        .values(last_totp_step=0)
        .execution_options(synchronize_session=False)
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0) if isinstance(result, CursorResult) else 0


def totp_reused(user: OfficeUser, code: str, now: datetime) -> bool:
    """True when ``code`` is valid now (±1 step) but its step has been spent already."""
    code = re.sub(r"\s", "", code)
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(user.totp_secret, interval=TOTP_INTERVAL)
    current = current_step(now)
    return any(
        step <= user.last_totp_step and hmac.compare_digest(totp.generate_otp(step), code)
        for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1)
    )


class Authenticator:
    """argon2id password hashing inside the portal's bounded argon2 slots (portal.ratelimit);
    raises ``ratelimit.Busy`` (HTTP 503) when every slot stays taken."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB)
        self._dummy_hash: str | None = None  # made on first use, not at start-up

    def hash_password(self, password: str) -> str:
        with _argon2_slot():
            return self._hasher.hash(password)

    def verify_password(self, user: OfficeUser | None, password: str) -> bool:
        """Unknown users and users without a password cost the same work and fail."""
        stored = user.password_hash if user is not None else None
        with _argon2_slot():
            if not stored:
                if self._dummy_hash is None:  # a race here only costs a second hash
                    self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
                self._verify(self._dummy_hash, password)
                return False
            ok = self._verify(stored, password)
            if ok and user is not None and self._hasher.check_needs_rehash(stored):
                user.password_hash = self._hasher.hash(password)
            return ok

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def _argon2_slot() -> ratelimit.argon2_slot:
    settings = services().settings
    return ratelimit.argon2_slot(settings.argon2_wait_seconds)


def authenticator() -> Authenticator:
    return services().authenticator


def limit_attempts() -> None:
    """Per-client and global limits on office login and setup attempts (HTTP 429), on top
    of the per-user lockout."""
    settings = services().settings
    ratelimit.limit_client("office-login", ATTEMPTS_PER_CLIENT_WINDOW)
    ratelimit.limit_global("office-login", settings.global_logins)


def _find(db: Session, name: str) -> OfficeUser | None:
    return db.scalar(select(OfficeUser).where(OfficeUser.name == normalise_name(name)))


def _lock_state(db: Session, user: OfficeUser | None, now: datetime) -> Attempt | None:
    """LOCKED while a lock lasts; an expired lock is lifted and the count starts over (in
    one conditional UPDATE, so a concurrent failure is not lost)."""
    if user is None or user.locked_until is None:
        return None
    if user.locked_until > now:
        return Attempt(Outcome.LOCKED, locked_until=user.locked_until)
    db.execute(
        update(OfficeUser)
        .where(OfficeUser.id == user.id, OfficeUser.locked_until <= now)
        .values(locked_until=None, failed_logins=0)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    db.refresh(user)
    return None


def _fail(db: Session, user: OfficeUser | None, now: datetime, what: str) -> Attempt:
    """Count one failure in the row itself and lock at ``MAX_FAILURES``: the increment and
    the lock are one UPDATE each, and the count is re-read in the same transaction, so no
    concurrent failure is lost."""
    if user is None:
        return Attempt(Outcome.FAILED)
    db.execute(
        update(OfficeUser)
        .where(OfficeUser.id == user.id)
        .values(failed_logins=OfficeUser.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    until = now + timedelta(minutes=LOCK_MINUTES)
    locked = _rowcount(
        db.execute(
            update(OfficeUser)
            .where(
                OfficeUser.id == user.id,
                OfficeUser.failed_logins >= MAX_FAILURES,
                (OfficeUser.locked_until.is_(None)) | (OfficeUser.locked_until <= now),
            )
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )
    )
    db.commit()
    db.refresh(user)
    if locked:
        log.warning("office user %s locked after %d failed %s", user.name, MAX_FAILURES, what)
    else:
        log.info("failed office %s for %s", what, user.name)
    if user.locked_until is not None and user.locked_until > now:
        return Attempt(Outcome.LOCKED, locked_until=user.locked_until)
    return Attempt(Outcome.FAILED)


def login(db: Session, name: str, password: str, code: str, now: datetime) -> Attempt:
    """Check all three factors; on success record the TOTP step and clear failures."""
    forget_spent_steps(db, now)
    db.commit()
    user = _find(db, name)
    if len(password) > MAX_PASSWORD:
        # A wrong password like any other (no such password can have been chosen), refused
        # before hashing for anybody, and like every wrong password counted nowhere.
        return Attempt(Outcome.FAILED)
    locked = _lock_state(db, user, now)
    # Always the argon2 work, also for a locked user: the answer's timing must not tell a
    # locked name from an unknown one or a wrong password.
    password_ok = authenticator().verify_password(user, password)
    if locked is not None:
        return locked
    if user is None or not password_ok or not is_active(user):
        if user is not None:
            log.info("failed office login (password) for %s", user.name)
        return Attempt(Outcome.FAILED)
    step = match_totp(user, code, now)
    if step is None and totp_reused(user, code, now):
        # Only someone with the password and the authenticator gets here: no failure.
        return Attempt(Outcome.CODE_REUSED)
    if step is None or not spend_step(db, user, step, now):
        return _fail(db, user, now, "login")
    log.info("office user %s logged in", user.name)
    return Attempt(Outcome.OK, user=user)


def check_setup_code(db: Session, name: str, code: str, now: datetime) -> Attempt:
    """Step 1 of the setup. A wrong code counts against the user only while the user's
    setup is open: for an active user (or an unknown name) there is no code to guess, and
    counting would let anyone lock active users out through this page."""
    user = _find(db, name)
    stored = user.setup_code_hash if user is not None else None
    matches = hmac.compare_digest(stored or bytes(32), hash_setup_code(code))
    if user is None or stored is None:
        return Attempt(Outcome.FAILED)
    locked = _lock_state(db, user, now)
    if locked is not None:
        return locked
    if not matches:
        return _fail(db, user, now, "setup")
    db.commit()
    return Attempt(Outcome.OK, user=user)


def confirm_totp(db: Session, user: OfficeUser, code: str, now: datetime) -> Attempt:
    """The last setup step: the first code from the new authenticator closes the setup."""
    locked = _lock_state(db, user, now)
    if locked is not None:
        return locked
    step = match_totp(user, code, now)
    if step is None or not spend_step(db, user, step, now):
        return _fail(db, user, now, "setup")
    user.setup_code_hash = None
    db.commit()
    log.info("office user %s finished setup", user.name)
    return Attempt(Outcome.OK, user=user)
