"""Reporter sessions without JavaScript (docs/THREAT-MODEL.md, requirements 2 and 4)."""

import base64
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token, receipt_words
from sqlalchemy import select
from test_reporter_flow import log_in, send_report

from crypto import wrap
from portal import reporter_session
from portal.clock import utcnow
from portal.models import ReporterSession
from portal.services import services

IDLE = 30


def _logged_in(client: FlaskClient) -> str:
    words = receipt_words(send_report(client))
    log_in(client, " ".join(words))
    cookie = client.get_cookie("varsel_reporter")
    assert cookie is not None
    return cookie.value


def _rows(app: Flask) -> list[ReporterSession]:
    with services(app).sessions() as db:
        return list(db.scalars(select(ReporterSession)))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _cookie_key(value: str) -> bytes:
    return _unb64(value.split(".")[1])


def _deadline_in(app: Flask, cookie_key: bytes) -> int:
    (row,) = _rows(app)
    opened = reporter_session.open_secret(cookie_key, row.wrapped_secret_key)
    assert opened is not None
    return opened[0]


def _set_deadline(app: Flask, cookie_key: bytes, deadline_seconds: int) -> None:
    """Rewrite the row's wrapped blob with another deadline, as the module would."""
    with services(app).sessions() as db:
        row = db.scalars(select(ReporterSession)).one()
        opened = reporter_session.open_secret(cookie_key, row.wrapped_secret_key)
        assert opened is not None
        row.wrapped_secret_key = reporter_session.seal_secret(
            cookie_key, deadline_seconds, opened[1]
        )
        db.commit()


def _now_seconds() -> int:
    return reporter_session.deadline(utcnow(), 0)


def test_cookie_holds_only_the_session_id_and_the_wrap_key(
    app: Flask, client: FlaskClient
) -> None:
    value = _logged_in(client)
    session_id, cookie_key = (_unb64(p) for p in value.split("."))
    assert len(session_id) == 32 and len(cookie_key) == 32
    (row,) = _rows(app)
    assert row.id_hash == reporter_session.id_hash(session_id)
    assert session_id not in row.id_hash
    # The row's blob opens only with the cookie's key: the deadline and the secret key.
    opened = reporter_session.open_secret(cookie_key, row.wrapped_secret_key)
    assert opened is not None
    deadline_seconds, secret = opened
    assert len(secret) == 32 and secret not in row.wrapped_secret_key
    assert 0 < deadline_seconds - _now_seconds() <= IDLE * 60
    assert reporter_session.open_secret(wrap.new_key(), row.wrapped_secret_key) is None


def test_no_time_of_reporter_activity_on_disk(app: Flask, client: FlaskClient) -> None:
    """F1: the row keeps a day (the day after the request's), never a time."""
    _logged_in(client)
    (row,) = _rows(app)
    assert set(ReporterSession.__table__.columns.keys()) == {
        "id_hash", "thread_id", "wrapped_secret_key", "purge_day"
    }
    assert type(row.purge_day) is date
    assert row.purge_day == utcnow().date() + timedelta(days=1)


def test_purge_day_is_always_after_the_deadline() -> None:
    """A row is purged from midnight after its purge_day; the session ends before that."""
    for idle in (1, 5, 30, 23 * 60 + 59, 24 * 60, 36 * 60):
        for now in (
            datetime(2026, 3, 1, 0, 0),
            datetime(2026, 3, 1, 12, 0),
            datetime(2026, 3, 1, 23, 59, 59),
        ):
            day = reporter_session.purge_day(now, idle)
            first_purge = datetime(day.year, day.month, day.day) + timedelta(days=1)
            assert now + timedelta(minutes=idle) < first_purge, (idle, now)
            # It depends only on the request's day: nothing finer is on disk.
            assert day == reporter_session.purge_day(now.replace(hour=0, minute=0), idle)


def test_session_cookie_flags(app: Flask, client: FlaskClient) -> None:
    words = receipt_words(send_report(client))
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": " ".join(words)})
    header = next(h for h in response.headers.getlist("Set-Cookie") if "varsel_reporter" in h)
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Expires" not in header and "Max-Age" not in header


def test_requests_slide_the_idle_deadline(app: Flask, client: FlaskClient) -> None:
    key = _cookie_key(_logged_in(client))
    _set_deadline(app, key, _now_seconds() + 120)
    before = _rows(app)[0].wrapped_secret_key
    assert client.get("/thread").status_code == 200
    assert _deadline_in(app, key) > _now_seconds() + (IDLE - 1) * 60
    assert _rows(app)[0].wrapped_secret_key != before  # re-wrapped


def test_idle_session_expires_and_is_deleted(app: Flask, client: FlaskClient) -> None:
    key = _cookie_key(_logged_in(client))
    _set_deadline(app, key, _now_seconds() - 60)
    (row,) = _rows(app)
    assert row.purge_day > utcnow().date()  # not yet purgeable by day
    response = client.get("/thread")
    assert response.status_code == 303 and response.headers["Location"] == "/follow-up"
    assert _rows(app) == []
    assert client.get_cookie("varsel_reporter") is None


def test_load_refuses_a_session_past_its_deadline(app: Flask, client: FlaskClient) -> None:
    """The clock passed to ``load``: within the idle time it opens (and slides), after it
    not."""
    value = _logged_in(client)
    now = utcnow()
    with services(app).sessions() as db:
        opened = reporter_session.load(db, value, now + timedelta(minutes=IDLE - 1), IDLE)
        assert opened is not None
        db.commit()  # slid: the deadline is now 29 + 30 minutes ahead
    with services(app).sessions() as db:
        later = now + timedelta(minutes=2 * IDLE - 2)
        assert reporter_session.load(db, value, later, IDLE) is not None
        db.rollback()
    with services(app).sessions() as db:
        much_later = now + timedelta(minutes=2 * IDLE)
        assert reporter_session.load(db, value, much_later, IDLE) is None
        db.commit()
    assert _rows(app) == []


def test_an_open_session_never_shows_its_secret_key(app: Flask, client: FlaskClient) -> None:
    """A log line or a traceback that prints the session shows no key (raw, hex or base64)."""
    value = _logged_in(client)
    with services(app).sessions() as db:
        opened = reporter_session.load(db, value, utcnow(), IDLE)
        assert opened is not None
        shown = repr(opened) + str(opened)
        key = opened.secret_key
        db.rollback()
    assert len(key) == 32
    for form in (key.hex(), base64.b64encode(key).decode(), base64.urlsafe_b64encode(key).decode(),
                 repr(key)):
        assert form.rstrip("=") not in shown


def test_idle_minutes_are_configurable(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(session_idle_minutes=5)
    client = app.test_client()
    value = _logged_in(client)
    assert _deadline_in(app, _cookie_key(value)) <= _now_seconds() + 5 * 60
    with services(app).sessions() as db:
        later = utcnow() + timedelta(minutes=6)
        assert reporter_session.load(db, value, later, 5) is None


def _wal(app: Flask) -> Path:
    return services(app).settings.data_dir / "varsel.sqlite3-wal"


def test_logout_destroys_row_and_cookie_and_checkpoints_the_log(
    app: Flask, client: FlaskClient
) -> None:
    value = _logged_in(client)
    id_hash = reporter_session.id_hash(_unb64(value.split(".")[0]))
    page = client.get("/thread").text
    assert _wal(app).stat().st_size > 0
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert _rows(app) == []
    assert client.get_cookie("varsel_reporter") is None
    # The write-ahead log was checkpointed and truncated: the deleted row is not in it,
    # and secure_delete zeroed it in the database file.
    assert _wal(app).stat().st_size == 0
    database = services(app).settings.data_dir / "varsel.sqlite3"
    assert id_hash not in database.read_bytes()
    assert client.get("/thread").status_code == 303


def test_a_forged_or_stale_cookie_opens_nothing(app: Flask, client: FlaskClient) -> None:
    value = _logged_in(client)
    session_part = value.split(".")[0]
    other_key = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    client.set_cookie("varsel_reporter", f"{session_part}.{other_key}")
    assert client.get("/thread").status_code == 303
    client.set_cookie("varsel_reporter", "garbage")
    assert client.get("/thread").status_code == 303
    assert len(_rows(app)) == 1  # a wrong key deletes nobody's session


def test_abandoned_sessions_are_purged_by_day(app: Flask, client: FlaskClient) -> None:
    _logged_in(client)
    today = utcnow().date()
    with services(app).sessions() as db:
        assert reporter_session.purge_abandoned_sessions(db, today) == 0
        assert reporter_session.purge_abandoned_sessions(db, today + timedelta(days=1)) == 0
        assert reporter_session.purge_abandoned_sessions(db, today + timedelta(days=2)) == 1
        db.commit()
    assert _rows(app) == []


def test_every_reporter_request_purges_abandoned_rows(app: Flask, client: FlaskClient) -> None:
    """A reporter who closed the tab yesterday leaves a row; the next visitor's request
    (any reporter page) deletes it and checkpoints the log."""
    _logged_in(client)
    with services(app).sessions() as db:
        row = db.scalars(select(ReporterSession)).one()
        row.purge_day = utcnow().date() - timedelta(days=1)
        db.commit()
    assert app.test_client().get("/").status_code == 200
    assert _rows(app) == []
    assert _wal(app).stat().st_size == 0
