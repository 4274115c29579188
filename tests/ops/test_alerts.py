"""``varsel-portal send-alerts`` against a real SMTP server on loopback (aiosmtpd) with
STARTTLS or implicit TLS and a certificate the client checks: what arrives is counts and
days, and no canary from any report."""

import os
import sqlite3
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from flask import Flask
from reporter_pages import post_report_form

from portal.clock import today
from portal.services import services

from .conftest import VENV_BIN, free_port, self_signed

CANARY = "KANARI-VARSLING-9c41"


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"kontoret"
        and auth_data.password == b"hemmelig-passord"
    )
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(
        tmp_path_factory.mktemp("smtp-cert"), "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    )


@pytest.fixture(params=["starttls", "tls"])
def smtp_server(
    request: pytest.FixtureRequest, certificate: tuple[Path, Path]
) -> Iterator[tuple[str, int, Inbox]]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    common = dict(hostname="127.0.0.1", port=port, authenticator=_authenticate, auth_required=True)
    if request.param == "starttls":
        controller = Controller(inbox, tls_context=context, require_starttls=True, **common)
    else:
        # The whole connection is TLS; aiosmtpd only counts STARTTLS as TLS for AUTH.
        controller = Controller(inbox, ssl_context=context, auth_require_tls=False, **common)
    controller.start()
    try:
        yield request.param, port, inbox
    finally:
        controller.stop()


def _send_report(app: Flask, text: str) -> None:
    response = post_report_form(
        app.test_client(),
        {"understood": "y", "what_happened": text},
        files=[],
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text


def _run(app: Flask, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    base["VARSEL_DATA_DIR"] = str(services(app).settings.data_dir)
    return subprocess.run(
        [str(VENV_BIN / "varsel-portal"), "send-alerts"],
        capture_output=True,
        text=True,
        timeout=120,
        env=base | env,
    )


def _smtp_env(security: str, port: int, cert: Path) -> dict[str, str]:
    return {
        "VARSEL_SMTP_HOST": "localhost",
        "VARSEL_SMTP_PORT": str(port),
        "VARSEL_SMTP_SECURITY": security,
        "VARSEL_SMTP_CA_FILE": str(cert),
        "VARSEL_SMTP_USER": "kontoret",
        "VARSEL_SMTP_PASSWORD": "hemmelig-passord",
        "VARSEL_ALERT_FROM": "varsel@example.org",
        "VARSEL_ALERT_TO": "partisekretaer@example.org, assisterende@example.org",
    }


@dataclass
class Alerting:
    """A portal app, the environment that points its ``send-alerts`` at the SMTP server,
    and what that server received."""

    app: Flask
    env: dict[str, str]
    inbox: Inbox


@pytest.fixture
def alerting(
    make_app: Callable[..., Flask],
    smtp_server: tuple[str, int, Inbox],
    certificate: tuple[Path, Path],
) -> Alerting:
    security, port, inbox = smtp_server
    return Alerting(make_app(), _smtp_env(security, port, certificate[0]), inbox)


def test_the_office_gets_counts_and_days_and_nothing_else(alerting: Alerting) -> None:
    app, env, inbox = alerting.app, alerting.env, alerting.inbox

    # Nothing waits: nothing is sent.
    result = _run(app, env)
    assert result.returncode == 0, result.stderr
    assert "no e-mail" in result.stdout and inbox.envelopes == []

    for n in range(3):
        _send_report(app, f"{CANARY} rapport {n}")
    # One report is five days old: its acknowledgement is due in two days.
    db = services(app).settings.data_dir / "varsel.sqlite3"
    with sqlite3.connect(db) as conn:
        (thread_id,) = conn.execute("SELECT id FROM threads LIMIT 1").fetchone()
        conn.execute(
            "UPDATE threads SET created_day = ? WHERE id = ?",
            ((today() - timedelta(days=5)).isoformat(), thread_id),
        )

    result = _run(app, env)
    assert result.returncode == 0, result.stderr
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "varsel@example.org"
    assert sorted(envelope.rcpt_tos) == ["assisterende@example.org", "partisekretaer@example.org"]
    raw = envelope.original_content or envelope.content
    assert isinstance(raw, bytes)
    message = message_from_bytes(raw, policy=policy.default)
    body = message.get_content()
    assert message["Subject"] == "Varsel: 3 varsler venter."
    assert body.splitlines()[0] == "3 varsler venter. 1 må bekreftes innen 2 dager."
    # No canary, thread id, receipt or day in anything that arrived.
    for secret in (CANARY.encode(), thread_id.encode(), today().isoformat().encode()):
        assert secret not in raw
    assert CANARY not in result.stdout + result.stderr


def test_wrong_password_or_untrusted_certificate_fail_with_one_line(alerting: Alerting) -> None:
    app, env, inbox = alerting.app, alerting.env, alerting.inbox
    _send_report(app, f"{CANARY} rapport")
    wrong = _run(app, env | {"VARSEL_SMTP_PASSWORD": "feil"})
    untrusted = _run(app, {k: v for k, v in env.items() if k != "VARSEL_SMTP_CA_FILE"})
    for result in (wrong, untrusted):
        assert result.returncode == 1
        assert result.stderr.startswith("Error: Could not send the alert")
        assert "Traceback" not in result.stderr
    assert inbox.envelopes == []


def test_missing_settings_are_named(make_app) -> None:  # type: ignore[no-untyped-def]
    result = _run(make_app(), {"VARSEL_SMTP_HOST": "localhost"})
    assert result.returncode == 1 and "VARSEL_ALERT_TO" in result.stderr
