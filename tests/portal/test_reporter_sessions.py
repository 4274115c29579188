"""Reporter sessions without JavaScript (DESIGN.md requirement 4)."""

import base64
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token, receipt_words
from sqlalchemy import select
from test_reporter_flow import log_in, send_report

from crypto import wrap
from portal import reporter_session
from portal.models import ReporterSession


def _logged_in(client: FlaskClient) -> str:
    words = receipt_words(send_report(client))
    log_in(client, " ".join(words))
    cookie = client.get_cookie("varsel_reporter")
    assert cookie is not None
    return cookie.value


def _rows(app: Flask) -> list[ReporterSession]:
    with app.extensions["varsel.sessionmaker"]() as db:
        return list(db.scalars(select(ReporterSession)))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_cookie_holds_only_the_session_id_and_the_wrap_key(
    app: Flask, client: FlaskClient
) -> None:
    value = _logged_in(client)
    session_id, cookie_key = (_unb64(p) for p in value.split("."))
    assert len(session_id) == 32 and len(cookie_key) == 32
    (row,) = _rows(app)
    assert row.id_hash == reporter_session.id_hash(session_id)
    assert session_id not in row.id_hash
    # The row's key opens only with the cookie's key and is the reporter's secret key.
    secret = wrap.unwrap(cookie_key, row.wrapped_secret_key)
    assert len(secret) == 32 and secret not in row.wrapped_secret_key
    assert row.expires_at.second == 0 and row.expires_at.microsecond == 0


def test_session_cookie_flags(app: Flask, client: FlaskClient) -> None:
    words = receipt_words(send_report(client))
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": " ".join(words)})
    header = next(h for h in response.headers.getlist("Set-Cookie") if "varsel_reporter" in h)
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Expires" not in header and "Max-Age" not in header


def test_requests_slide_the_idle_deadline(app: Flask, client: FlaskClient) -> None:
    _logged_in(client)
    with app.extensions["varsel.sessionmaker"]() as db:
        row = db.scalars(select(ReporterSession)).one()
        row.expires_at = reporter_session.utcnow() + timedelta(minutes=2)
        db.commit()
    assert client.get("/thread").status_code == 200
    (row,) = _rows(app)
    assert row.expires_at > reporter_session.utcnow() + timedelta(minutes=29)


def test_idle_session_expires_and_is_deleted(app: Flask, client: FlaskClient) -> None:
    _logged_in(client)
    with app.extensions["varsel.sessionmaker"]() as db:
        row = db.scalars(select(ReporterSession)).one()
        row.expires_at = reporter_session.utcnow() - timedelta(minutes=1)
        db.commit()
    response = client.get("/thread")
    assert response.status_code == 303 and response.headers["Location"] == "/follow-up"
    assert _rows(app) == []
    assert client.get_cookie("varsel_reporter") is None


def test_idle_minutes_are_configurable(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(session_idle_minutes=5)
    client = app.test_client()
    _logged_in(client)
    (row,) = _rows(app)
    assert row.expires_at <= reporter_session.utcnow() + timedelta(minutes=6)


def test_logout_destroys_row_and_cookie(app: Flask, client: FlaskClient) -> None:
    _logged_in(client)
    page = client.get("/thread").text
    response = client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert _rows(app) == []
    assert client.get_cookie("varsel_reporter") is None
    assert client.get("/thread").status_code == 303


def test_a_forged_or_stale_cookie_opens_nothing(app: Flask, client: FlaskClient) -> None:
    value = _logged_in(client)
    session_part = value.split(".")[0]
    other_key = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    client.set_cookie("varsel_reporter", f"{session_part}.{other_key}")
    assert client.get("/thread").status_code == 303
    client.set_cookie("varsel_reporter", "garbage")
    assert client.get("/thread").status_code == 303


def test_purge_expired_sessions(app: Flask, client: FlaskClient) -> None:
    _logged_in(client)
    now = reporter_session.utcnow()
    with app.extensions["varsel.sessionmaker"]() as db:
        assert reporter_session.purge_expired_sessions(db, now) == 0
        assert reporter_session.purge_expired_sessions(db, now + timedelta(hours=1)) == 1
        db.commit()
    assert _rows(app) == []


def test_deadline_rounds_up_to_the_minute() -> None:
    now = datetime(2026, 3, 1, 10, 0, 1)
    assert reporter_session.deadline(now, 30) == datetime(2026, 3, 1, 10, 31)
    assert reporter_session.deadline(datetime(2026, 3, 1, 10, 0), 30) == datetime(
        2026, 3, 1, 10, 30
    )
