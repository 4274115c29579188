"""The party office's session in Flask's signed session cookie.

After a login (portal/office_users.py) the cookie holds the user id, the user's session
epoch (raised at logout, which voids copies of the cookie), login time and last-seen time;
a session ends after the idle limit or ``ABSOLUTE_SESSION``, whichever comes first. A setup
started with a setup code holds its own short-lived entry (``SETUP_MINUTES``). Clearing
either keeps the visitor's chosen language.
"""

import logging
from datetime import UTC, datetime, timedelta

from flask import session
from sqlalchemy.orm import Session

from .models import OfficeUser
from .office_users import forget_spent_steps, is_active

SETUP_MINUTES = 30  # how long a started setup stays open in the browser
ABSOLUTE_SESSION = timedelta(hours=8)  # a working day, whatever the idle limit
SESSION_KEY = "office"
SETUP_KEY = "office_setup"
LANGUAGE_KEY = "lang"  # portal/i18n.py keeps the visitor's language choice here

log = logging.getLogger("varsel.office")


def _clear_session() -> None:
    """Forget the login or setup, but keep the chosen language (portal/i18n.py)."""
    lang = session.get(LANGUAGE_KEY)
    session.clear()
    if lang is not None:
        session[LANGUAGE_KEY] = lang


def _stamp(now: datetime) -> int:
    """Naive UTC as Unix seconds, as the cookie keeps times."""
    return int(now.replace(tzinfo=UTC).timestamp())


def _entry(key: str, *stamps: str) -> tuple[str, int, list[datetime]] | None:
    """The session's ``key`` entry: user id, epoch and the named times (naive UTC). None
    when there is none; a malformed entry is dropped."""
    data = session.get(key)
    if not isinstance(data, dict):
        return None
    try:
        uid, epoch = str(data["uid"]), int(data["epoch"])
        times = [
            datetime.fromtimestamp(int(data[name]), UTC).replace(tzinfo=None) for name in stamps
        ]
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        session.pop(key, None)
        return None
    return uid, epoch, times


def start_session(user: OfficeUser, now: datetime) -> None:
    _clear_session()
    stamp = _stamp(now)
    session[SESSION_KEY] = {
        "uid": user.id,
        "epoch": user.session_epoch,
        "login": stamp,
        "seen": stamp,
    }


def end_session(db: Session, user: OfficeUser | None) -> None:
    if user is not None:
        user.session_epoch = (user.session_epoch or 0) + 1
        db.commit()
        log.info("office user %s logged out", user.name)
    _clear_session()


def session_user(db: Session, idle: timedelta, now: datetime) -> OfficeUser | None:
    """The logged-in user, or None (no session, expired, logged out elsewhere, or reset).
    Refreshes the idle clock."""
    entry = _entry(SESSION_KEY, "login", "seen")
    if entry is None:
        return None
    uid, epoch, (login_at, seen_at) = entry
    if now - seen_at > idle or now - login_at > max(ABSOLUTE_SESSION, idle):
        session.pop(SESSION_KEY, None)
        return None
    forget_spent_steps(db, now)
    db.commit()
    user = db.get(OfficeUser, uid)
    if user is None or user.session_epoch != epoch or not is_active(user):
        session.pop(SESSION_KEY, None)
        return None
    session[SESSION_KEY] = {**session[SESSION_KEY], "seen": _stamp(now)}
    return user


def begin_setup(user: OfficeUser, now: datetime) -> None:
    _clear_session()
    session[SETUP_KEY] = {
        "uid": user.id,
        "epoch": user.session_epoch,
        "at": _stamp(now),
    }


def setup_user(db: Session, now: datetime) -> OfficeUser | None:
    """The user whose setup this browser started (after the setup code was accepted)."""
    entry = _entry(SETUP_KEY, "at")
    if entry is None:
        return None
    uid, epoch, (started,) = entry
    user = db.get(OfficeUser, uid)
    if (
        now - started > timedelta(minutes=SETUP_MINUTES)
        or user is None
        or user.session_epoch != epoch
        or user.setup_code_hash is None
    ):
        session.pop(SETUP_KEY, None)
        return None
    return user


def end_setup() -> None:
    session.pop(SETUP_KEY, None)
