"""Office logins: setup code, password + TOTP, lockout, session expiry.

docs/THREAT-MODEL.md, requirement 7.
"""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.db import session_scope
from portal.models import OfficeUser
from portal.services import services

from .conftest import (
    Clock,
    OfficeLogin,
    add_office_user,
    cli,
    csrf_token,
    log_in,
    set_up_user,
    totp_code,
)


def user_row(app: Flask, name: str) -> OfficeUser:
    with session_scope(app) as db:
        user = db.scalar(select(OfficeUser).where(OfficeUser.name == name))
        assert user is not None
        db.expunge(user)
        return user


def dashboard_status(client: FlaskClient) -> int:
    return client.get("/kontor/").status_code


def test_add_office_user_stores_only_a_hash_of_the_setup_code(app: Flask) -> None:
    code = add_office_user(app, "Kari")
    user = user_row(app, "kari")
    assert user.setup_code_hash is not None and len(user.setup_code_hash) == 32
    assert code.replace("-", "").encode() not in user.setup_code_hash
    assert user.password_hash is None and user.totp_secret is None
    again = cli(app, "add-office-user", "kari")
    assert again.exit_code != 0 and "exists" in again.output


def test_setup_then_login_needs_all_three_factors(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    login = set_up_user(app, client, clock)
    user = user_row(app, "kari")
    assert user.setup_code_hash is None  # the setup code is spent
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert login.password not in user.password_hash
    assert dashboard_status(client) == 302  # setup does not log in

    clock.advance(seconds=30)
    good = totp_code(login.totp_secret, clock.now)
    wrong_password = OfficeLogin(login.name, login.password + "x", login.totp_secret)
    assert log_in(client, wrong_password, good) == 401
    wrong_code = f"{(int(good) + 1) % 1_000_000:06d}"
    assert log_in(client, login, wrong_code) == 401
    assert log_in(client, OfficeLogin("nobody", login.password, login.totp_secret), good) == 401
    assert dashboard_status(client) == 302

    assert log_in(client, login, good) == 302
    assert dashboard_status(client) == 200
    assert user_row(app, "kari").failed_logins == 0

    # The same time step cannot be used twice, nor an older one.
    client.post("/kontor/logg-ut", data={"csrf_token": csrf_token(client, "/kontor/")})
    assert log_in(client, login, good) == 401
    assert log_in(client, login, totp_code(login.totp_secret, clock.now, -1)) == 401
    assert log_in(client, login, totp_code(login.totp_secret, clock.now, 1)) == 302


def test_setup_code_works_once_and_wrong_codes_are_refused(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    code = add_office_user(app, "ola")
    token = csrf_token(client, "/kontor/oppsett")
    wrong = client.post(
        "/kontor/oppsett", data={"csrf_token": token, "name": "ola", "setup_code": "AAAA-BBBB"}
    )
    assert wrong.status_code == 401
    assert client.get("/kontor/oppsett/passord").status_code == 302  # no setup started

    set_up_user(app, client, clock, name="kari")
    token = csrf_token(client, "/kontor/oppsett")
    ok = client.post(
        "/kontor/oppsett", data={"csrf_token": token, "name": "ola", "setup_code": code}
    )
    assert ok.status_code == 302
    token = csrf_token(client, "/kontor/oppsett/passord")
    short = client.post(
        "/kontor/oppsett/passord",
        data={"csrf_token": token, "password": "kort", "password_again": "kort"},
    )
    assert short.status_code == 400
    assert user_row(app, "ola").password_hash is None


def test_a_user_in_setup_cannot_log_in(app: Flask, client: FlaskClient, clock: Clock) -> None:
    code = add_office_user(app, "ola")
    token = csrf_token(client, "/kontor/oppsett")
    client.post("/kontor/oppsett", data={"csrf_token": token, "name": "ola", "setup_code": code})
    token = csrf_token(client, "/kontor/oppsett/passord")
    password = "et langt og godt passord"
    client.post(
        "/kontor/oppsett/passord",
        data={"csrf_token": token, "password": password, "password_again": password},
    )
    page = client.get("/kontor/oppsett/totp").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page)
    assert secret
    login = OfficeLogin("ola", password, secret.group(1).replace(" ", ""))
    # Password chosen and secret shown, but not confirmed: still no login.
    assert log_in(client, login, totp_code(login.totp_secret, clock.now)) == 401


def test_lockout_after_five_failures_then_unlock(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    login = set_up_user(app, client, clock)
    statuses = [log_in(client, login, "000000") for _ in range(5)]
    assert statuses == [401] * 5
    user = user_row(app, "kari")
    assert user.locked_until is not None and user.locked_until > clock.now
    assert log_in(client, login, totp_code(login.totp_secret, clock.now, 1)) == 401
    assert dashboard_status(client) == 302

    clock.advance(minutes=16)
    assert log_in(client, login, totp_code(login.totp_secret, clock.now)) == 302
    assert dashboard_status(client) == 200
    assert user_row(app, "kari").failed_logins == 0


def test_wrong_passwords_do_not_lock_the_user_out(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    """Knowing a name is not enough to keep its owner out (review finding F7)."""
    login = set_up_user(app, client, clock)
    bad = OfficeLogin(login.name, "not the password at all", login.totp_secret)
    assert [log_in(client, bad, "000000") for _ in range(8)] == [401] * 8
    assert user_row(app, "kari").locked_until is None
    clock.advance(seconds=30)
    assert log_in(client, login, totp_code(login.totp_secret, clock.now)) == 302


def test_session_expires_when_idle_and_after_a_working_day(
    app: Flask, client: FlaskClient, clock: Clock, office: OfficeLogin
) -> None:
    idle = services(app).settings.office_session_minutes
    clock.advance(minutes=idle - 1)
    assert dashboard_status(client) == 200
    clock.advance(minutes=idle + 1)
    assert dashboard_status(client) == 302

    clock.advance(seconds=30)
    assert log_in(client, office, totp_code(office.totp_secret, clock.now)) == 302
    for _ in range(9):  # active all day long, still ends after 8 hours
        clock.advance(minutes=idle - 5)
        status = dashboard_status(client)
    assert status == 302


def test_logout_voids_a_copied_cookie(
    app: Flask, client: FlaskClient, clock: Clock, office: OfficeLogin
) -> None:
    cookie = client.get_cookie("session")
    assert cookie is not None
    copied = cookie.value
    client.post("/kontor/logg-ut", data={"csrf_token": csrf_token(client, "/kontor/")})
    assert dashboard_status(client) == 302
    client.set_cookie("session", copied)
    assert dashboard_status(client) == 302


def test_forms_without_csrf_token_are_refused(
    app: Flask, client: FlaskClient, clock: Clock, office: OfficeLogin
) -> None:
    assert client.post("/kontor/logg-inn", data={"name": "kari"}).status_code == 400
    assert client.post("/kontor/last-ned").status_code == 400
    assert client.post("/kontor/logg-ut").status_code == 400
    assert dashboard_status(client) == 200  # the refused logout did nothing


def test_office_pages_send_the_security_headers(client: FlaskClient) -> None:
    r = client.get("/kontor/logg-inn")
    assert r.status_code == 200
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    assert "<script" not in page and "style=" not in page
    assert re.search(r'href="/static/css/office\.[0-9a-f]{16}\.css"', page)


# --- No user enumeration, and no lockout for free (requirement 7) -------------------------

GENERIC_REFUSAL = (
    "The name, password or code is wrong — or the user is locked for a while after "
    "repeated failures."
)


def login_response(client: FlaskClient, name: str, password: str, code: str) -> tuple[int, str]:
    """Status and page of a login attempt, with the per-render CSRF token taken out."""
    token = csrf_token(client, "/kontor/logg-inn")
    r = client.post(
        "/kontor/logg-inn",
        data={"csrf_token": token, "name": name, "password": password, "code": code},
    )
    page = re.sub(r'name="csrf_token" value="[^"]*"', "", r.get_data(as_text=True))
    return r.status_code, page


def flash_text(page: str) -> str:
    found = re.search(r'class="office-flash office-flash-error"[^>]*>\s*([^<]*?)\s*<', page)
    assert found, page
    return found.group(1)


def lock(client: FlaskClient, login: OfficeLogin) -> None:
    """Five wrong codes after the right password: the second factor is being guessed."""
    for _ in range(5):
        assert login_response(client, login.name, login.password, "000000")[0] == 401


def test_a_locked_user_gets_the_same_answer_as_a_wrong_password(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    login = set_up_user(app, client, clock)
    client.get("/kontor/logg-inn?lang=en")  # the setup's session reset chose the default
    clock.advance(seconds=30)
    good = totp_code(login.totp_secret, clock.now)
    wrong = login_response(client, login.name, "not the password at all", good)
    assert wrong[0] == 401
    assert flash_text(wrong[1]) == GENERIC_REFUSAL
    lock(client, login)
    assert user_row(app, "kari").locked_until is not None
    # Even the right password and a fresh code: the generic answer, nothing about a lock.
    locked = login_response(client, login.name, login.password, good)
    assert locked[0] == wrong[0] == 401
    assert flash_text(locked[1]) == flash_text(wrong[1])
    assert locked[1] == wrong[1]
    assert "locked for 1" not in locked[1] and "minutes" not in locked[1]


def test_an_unknown_name_and_a_locked_name_are_indistinguishable(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    login = set_up_user(app, client, clock)
    lock(client, login)
    code = totp_code(login.totp_secret, clock.now)
    known = login_response(client, login.name, login.password, code)
    unknown = login_response(client, "nobody", login.password, code)
    assert known == unknown
    assert known[0] == 401


def test_the_locked_branch_does_the_same_password_work(
    app: Flask, client: FlaskClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = set_up_user(app, client, clock)
    lock(client, login)
    calls: list[str] = []
    auth = services(app).authenticator
    original = auth.verify_password

    def counting(user: OfficeUser | None, password: str) -> bool:
        calls.append(user.name if user is not None else "")
        return bool(original(user, password))

    monkeypatch.setattr(auth, "verify_password", counting)
    login_response(client, login.name, login.password, "000000")  # locked
    login_response(client, "nobody", login.password, "000000")  # unknown
    assert calls == ["kari", ""]  # argon2 for both, locked or not


def test_setup_page_failures_do_not_lock_an_active_user(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    login = set_up_user(app, client, clock)
    token = csrf_token(client, "/kontor/oppsett?lang=en")
    for _ in range(8):
        r = client.post(
            "/kontor/oppsett",
            data={"csrf_token": token, "name": login.name, "setup_code": "AAAA-BBBB-CCCC"},
        )
        assert r.status_code == 401
        assert flash_text(r.get_data(as_text=True)) == GENERIC_REFUSAL
    user = user_row(app, "kari")
    assert user.failed_logins == 0 and user.locked_until is None
    clock.advance(seconds=30)
    assert log_in(client, login, totp_code(login.totp_secret, clock.now)) == 302


def test_setup_code_failures_still_lock_a_user_whose_setup_is_open(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    code = add_office_user(app, "ola")
    token = csrf_token(client, "/kontor/oppsett")
    for _ in range(5):
        r = client.post(
            "/kontor/oppsett", data={"csrf_token": token, "name": "ola", "setup_code": "AAAA"}
        )
        assert r.status_code == 401
    assert user_row(app, "ola").locked_until is not None
    right = {"csrf_token": token, "name": "ola", "setup_code": code}
    r = client.post("/kontor/oppsett", data=right)
    assert r.status_code == 401  # locked: even the right code waits
    clock.advance(minutes=16)
    r = client.post("/kontor/oppsett", data=right)
    assert r.status_code == 302
