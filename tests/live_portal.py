"""Real portals for the attack tests (tests/security): office users set up over HTTP as a
person would, gunicorn with several workers, raw HTTP requests with any Host header.

Every server listens on 127.0.0.1 only and is stopped by the test that started it.
"""

import http.client
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from conftest import BIN, ROOT, LiveServer, start_portal
from http_client import NoJsBrowser, Page

from crypto.keys import PublicIdentity, SecretIdentity


@dataclass
class OfficeUser:
    name: str
    password: str
    totp_secret: str
    setup_step: int  # the TOTP step the setup spent

    def code(self, step: int) -> str:
        return pyotp.TOTP(self.totp_secret).generate_otp(step)


def totp_step(at: datetime | None = None) -> int:
    return int((at or datetime.now(UTC)).timestamp()) // 30


def csrf(page: Page) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.html)
    assert found, f"no CSRF token on {page.url} ({page.status})"
    return found.group(1)


def add_office_user(server: LiveServer, name: str) -> str:
    """``varsel-portal add-office-user NAME`` against the server's data; the setup code."""
    result = subprocess.run(
        [str(BIN / "varsel-portal"), "add-office-user", name],
        env=server.env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    found = re.search(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*$", result.stdout, re.M)
    assert found, result.stdout
    return found.group(1)


def set_up_office_user(
    server: LiveServer, name: str = "kari", password: str = "et langt og godt passord"
) -> OfficeUser:
    """Create a user and go through the three setup pages over HTTP."""
    code = add_office_user(server, name)
    prefix = "/kontor"
    b = NoJsBrowser(server.url)
    page = b.post_form(
        f"{prefix}/oppsett",
        [("csrf_token", csrf(b.get(f"{prefix}/oppsett"))), ("name", name), ("setup_code", code)],
    )
    assert page.url.endswith("/oppsett/passord"), page.status
    page = b.post_form(
        f"{prefix}/oppsett/passord",
        [("csrf_token", csrf(page)), ("password", password), ("password_again", password)],
    )
    assert page.url.endswith("/oppsett/totp"), page.status
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page.html)
    assert secret
    totp_secret = secret.group(1).replace(" ", "")
    step = totp_step()
    page = b.post_form(
        f"{prefix}/oppsett/totp",
        [("csrf_token", csrf(page)), ("code", pyotp.TOTP(totp_secret).generate_otp(step))],
    )
    assert page.url.endswith("/logg-inn"), page.status
    return OfficeUser(name, password, totp_secret, step)


def office_login(server: LiveServer, name: str, password: str, code: str) -> Page:
    """One login from a fresh browser; a success lands on the dashboard."""
    b = NoJsBrowser(server.url)
    token = csrf(b.get("/kontor/logg-inn"))
    return b.post_form(
        "/kontor/logg-inn",
        [("csrf_token", token), ("name", name), ("password", password), ("code", code)],
    )


def logged_in(page: Page) -> bool:
    return page.status == 200 and page.url.rstrip("/").endswith("/kontor")


def office_row(server: LiveServer, name: str) -> dict[str, object]:
    """The user's row, read straight from the SQLite file."""
    with sqlite3.connect(server.data_dir / "varsel.sqlite3") as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM office_users WHERE name = ?", (name,)).fetchone()
        return dict(row)


def raw_request(
    url: str, path: str, host: str, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request with exactly this Host header (http.client, no redirects followed)."""
    hostport = url.split("//", 1)[1]
    address, port = hostport.rsplit(":", 1)
    connection = http.client.HTTPConnection(address, int(port), timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def start_gunicorn(
    base: Path,
    identity: SecretIdentity | PublicIdentity | None,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
) -> LiveServer:
    """The portal as the Dockerfile runs it (gunicorn with portal/gunicorn_conf.py), on
    127.0.0.1 with ``workers`` worker processes."""
    return start_portal(
        base,
        identity,
        lambda port: [
            str(BIN / "gunicorn"), "--config", "python:portal.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "portal:create_app()",
        ],
        "gunicorn",
        extra_env,
        seconds=60,
    )


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
