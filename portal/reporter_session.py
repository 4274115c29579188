"""Reporter sessions without JavaScript (DESIGN.md requirement 4).

At login the server derives the reporter's key pair from the receipt, wraps the secret key
under a fresh random key and keeps only the wrapped key, a hash of a random session id and
an idle deadline. The cookie carries the session id and the wrapping key, nothing else:
neither the server's row nor the cookie alone can open the reporter's replies.

    cookie varsel_reporter = base64url(session_id) "." base64url(wrap_key)
"""

import base64
import binascii
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import nacl.hash
from nacl.encoding import RawEncoder
from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from crypto import wrap
from crypto.errors import CryptoError

from .models import ReporterSession, Thread

COOKIE_NAME = "varsel_reporter"
SESSION_ID_BYTES = 32
_DOMAIN = b"varsel/v1/reporter-session"


@dataclass(frozen=True)
class OpenSession:
    """A valid session for this request: the thread and the reporter's secret key."""

    row: ReporterSession
    thread: Thread
    secret_key: bytes

    def __repr__(self) -> str:
        return "OpenSession(<secret>)"


def utcnow() -> datetime:
    """Naive UTC now (the column stores UTC without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def deadline(now: datetime, idle_minutes: int) -> datetime:
    """``now + idle`` rounded up to the whole minute: the only clock value kept."""
    end = now + timedelta(minutes=idle_minutes)
    if end.second or end.microsecond:
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return end


def id_hash(session_id: bytes) -> bytes:
    return nacl.hash.blake2b(_DOMAIN + session_id, digest_size=32, encoder=RawEncoder)


def create(
    db: Session, thread: Thread, secret_key: bytes, now: datetime, idle_minutes: int
) -> str:
    """Store a new session row; return the cookie value (the caller sets the cookie)."""
    session_id = secrets.token_bytes(SESSION_ID_BYTES)
    cookie_key = wrap.new_key()
    db.add(
        ReporterSession(
            id_hash=id_hash(session_id),
            thread_id=thread.id,
            wrapped_secret_key=wrap.wrap(cookie_key, secret_key),
            expires_at=deadline(now, idle_minutes),
        )
    )
    return f"{_b64(session_id)}.{_b64(cookie_key)}"


def load(
    db: Session, cookie: str | None, now: datetime, idle_minutes: int
) -> OpenSession | None:
    """The session named by ``cookie`` if it exists and is not idle; slides its deadline.

    An expired row is deleted on the spot. The caller commits.
    """
    parsed = _parse(cookie)
    if parsed is None:
        return None
    session_id, cookie_key = parsed
    row = db.get(ReporterSession, id_hash(session_id))
    if row is None:
        return None
    if row.expires_at <= now:
        db.delete(row)
        return None
    try:
        secret_key = wrap.unwrap(cookie_key, row.wrapped_secret_key)
    except CryptoError:
        return None
    thread = db.get(Thread, row.thread_id)
    if thread is None:
        return None
    row.expires_at = deadline(now, idle_minutes)
    return OpenSession(row=row, thread=thread, secret_key=secret_key)


def destroy(db: Session, cookie: str | None) -> None:
    parsed = _parse(cookie)
    if parsed is not None:
        db.execute(delete(ReporterSession).where(ReporterSession.id_hash == id_hash(parsed[0])))


def purge_expired_sessions(db: Session, now: datetime) -> int:
    """Delete every session whose idle deadline has passed; returns how many. Caller commits."""
    result = db.execute(delete(ReporterSession).where(ReporterSession.expires_at <= now))
    return cast(CursorResult[Any], result).rowcount


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse(cookie: str | None) -> tuple[bytes, bytes] | None:
    if not cookie or cookie.count(".") != 1:
        return None
    first, second = cookie.split(".")
    try:
        session_id, cookie_key = _unb64(first), _unb64(second)
    except (binascii.Error, ValueError):
        return None
    if len(session_id) != SESSION_ID_BYTES or len(cookie_key) != wrap.KEY_BYTES:
        return None
    return session_id, cookie_key
