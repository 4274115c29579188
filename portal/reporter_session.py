"""Reporter sessions without JavaScript (docs/THREAT-MODEL.md, requirement 4).

At login the server derives the reporter's key pair from the receipt, wraps the secret key
under a fresh random key and keeps only the wrapped key and a hash of a random session id.
The cookie carries the session id and the wrapping key, nothing else: neither the server's
row nor the cookie alone can open the reporter's replies.

    cookie varsel_reporter = base64url(session_id) "." base64url(wrap_key)
    row.wrapped_secret_key = wrap(wrap_key, deadline_u64be || secret_key)

The idle deadline (Unix seconds) lives only inside the wrapped blob: it is authoritative,
and a copy of the disk cannot read it (docs/THREAT-MODEL.md, requirement 2: no exact time
of a reporter action at rest). Every request re-wraps the blob with a new deadline to
slide it. On disk the row holds only a ``purge_day``: the day after the day of the last
request. Rows whose ``purge_day`` is before today are abandoned and deleted (on every
reporter request, and by ``purge-expired``). Because the idle timeout is shorter than a
day, a row is never purged before its deadline has passed, and a row that outlives its
deadline on disk still does not open: ``load`` checks the deadline inside the wrap.
"""

import base64
import binascii
import secrets
import struct
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import nacl.hash
from nacl.encoding import RawEncoder
from sqlalchemy import delete
from sqlalchemy.orm import Session

from crypto import wrap
from crypto.errors import CryptoError

from .db import delete_where
from .models import ReporterSession, Thread

COOKIE_NAME = "varsel_reporter"
SESSION_ID_BYTES = 32
SECRET_KEY_BYTES = 32
_DEADLINE = struct.Struct(">Q")
_DOMAIN = b"varsel/v1/reporter-session"


@dataclass(frozen=True)
class OpenSession:
    """A valid session for this request: the thread and the reporter's secret key."""

    row: ReporterSession
    thread: Thread
    secret_key: bytes = field(repr=False)


def deadline(now: datetime, idle_minutes: int) -> int:
    """The idle deadline as Unix seconds (kept only inside the wrapped blob)."""
    return int((now + timedelta(minutes=idle_minutes)).replace(tzinfo=UTC).timestamp())


def purge_day(now: datetime, idle_minutes: int) -> date:
    """The coarse day stored on disk: the day after ``now``'s day (UTC), plus whole days of
    idle time. Rows are deleted once ``purge_day < today``, i.e. from midnight after
    ``purge_day``, which is always after the deadline (``now + idle``). It depends only on
    the day of the request, so it tells nothing finer than that day."""
    return now.date() + timedelta(days=1 + idle_minutes // (24 * 60))


def seal_secret(cookie_key: bytes, deadline_seconds: int, secret_key: bytes) -> bytes:
    """``wrap(cookie_key, deadline_u64be || secret_key)``."""
    return wrap.wrap(cookie_key, _DEADLINE.pack(deadline_seconds) + secret_key)


def open_secret(cookie_key: bytes, wrapped: bytes) -> tuple[int, bytes] | None:
    """The deadline and the secret key from a wrapped blob; None if it does not open."""
    try:
        plain = wrap.unwrap(cookie_key, wrapped)
    except CryptoError:
        return None
    if len(plain) != _DEADLINE.size + SECRET_KEY_BYTES:
        return None
    (deadline_seconds,) = _DEADLINE.unpack_from(plain)
    return deadline_seconds, plain[_DEADLINE.size :]


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
            wrapped_secret_key=seal_secret(
                cookie_key, deadline(now, idle_minutes), secret_key
            ),
            purge_day=purge_day(now, idle_minutes),
        )
    )
    return f"{_b64(session_id)}.{_b64(cookie_key)}"


def load(
    db: Session, cookie: str | None, now: datetime, idle_minutes: int
) -> OpenSession | None:
    """The session named by ``cookie`` if it exists and is not idle; slides its deadline.

    ``now`` is naive UTC (tests pass a later one to move the clock). A session past its
    deadline is deleted on the spot. The caller commits.
    """
    parsed = _parse(cookie)
    if parsed is None:
        return None
    session_id, cookie_key = parsed
    row = db.get(ReporterSession, id_hash(session_id))
    if row is None:
        return None
    opened = open_secret(cookie_key, row.wrapped_secret_key)
    if opened is None:
        return None
    deadline_seconds, secret_key = opened
    if deadline_seconds <= deadline(now, 0):
        db.delete(row)
        return None
    thread = db.get(Thread, row.thread_id)
    if thread is None:
        return None
    row.wrapped_secret_key = seal_secret(cookie_key, deadline(now, idle_minutes), secret_key)
    row.purge_day = purge_day(now, idle_minutes)
    return OpenSession(row=row, thread=thread, secret_key=secret_key)


def destroy(db: Session, cookie: str | None) -> None:
    parsed = _parse(cookie)
    if parsed is not None:
        db.execute(delete(ReporterSession).where(ReporterSession.id_hash == id_hash(parsed[0])))


def purge_abandoned_sessions(db: Session, today: date) -> int:
    """Delete every session row whose ``purge_day`` is before ``today`` (UTC); returns how
    many. One indexed DELETE, cheap enough for every request. Caller commits."""
    return delete_where(db, ReporterSession, ReporterSession.purge_day < today)


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
