"""Fixtures for the party office's pages and commands: a real app on a real SQLite file,
real crypto, an office identity whose public key is installed as <data dir>/keys/office.pub.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
import nacl.utils
import pyotp
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from nacl.public import PrivateKey

import portal.cli as portal_cli
import portal.office
from crypto.envelope import seal
from crypto.keys import SecretIdentity
from crypto.payload import OwnCopy, encode_payload
from crypto.stream import encrypt_stream, new_key
from portal import create_app
from portal.config import Settings
from portal.db import session_scope
from portal.models import Attachment, Submission, Thread, new_id
from portal.services import services
from portal.store import BlobStore


@dataclass
class Clock:
    """The office pages' clock (naive UTC), moved by tests."""

    now: datetime

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class OfficeLogin:
    name: str
    password: str
    totp_secret: str


@pytest.fixture
def office_identity() -> SecretIdentity:
    return SecretIdentity.generate()


@pytest.fixture
def settings(tmp_path: Path, office_identity: SecretIdentity) -> Settings:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "office.pub").write_text(office_identity.public.to_text())
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/varsel.sqlite3")


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    services(app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    monkeypatch.setattr(portal.office, "utcnow", lambda: clock.now)
    return clock


def totp_code(secret: str, at: datetime, steps: int = 0) -> str:
    """The code for naive-UTC ``at`` shifted by ``steps`` time steps."""
    when = at.replace(tzinfo=UTC) + timedelta(seconds=30 * steps)
    return pyotp.TOTP(secret).at(int(when.timestamp()))


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def cli(app: Flask, *args: str) -> Result:
    """Run one ``varsel-portal`` command against ``app``."""
    command = portal_cli.main.get_command(click.Context(portal_cli.main), args[0])
    assert command is not None, args[0]
    return app.test_cli_runner().invoke(command, list(args[1:]))


def add_office_user(app: Flask, name: str) -> str:
    result = cli(app, "add-office-user", name)
    assert result.exit_code == 0, result.output
    found = re.search(r"^\s+([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)\s*$", result.output, re.M)
    assert found, result.output
    return found.group(1)


def set_up_user(
    app: Flask, client: FlaskClient, clock: Clock, name: str = "kari", password: str = ""
) -> OfficeLogin:
    """add-office-user, then the three setup pages, as a person would."""
    password = password or "et langt og godt passord"
    code = add_office_user(app, name)
    token = csrf_token(client, "/kontor/oppsett")
    r = client.post("/kontor/oppsett", data={"csrf_token": token, "name": name, "setup_code": code})
    assert r.status_code == 302 and r.location.endswith("/kontor/oppsett/passord")
    token = csrf_token(client, "/kontor/oppsett/passord")
    r = client.post(
        "/kontor/oppsett/passord",
        data={"csrf_token": token, "password": password, "password_again": password},
    )
    assert r.status_code == 302 and r.location.endswith("/kontor/oppsett/totp")
    page = client.get("/kontor/oppsett/totp").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page)
    assert secret
    totp_secret = secret.group(1).replace(" ", "")
    token = csrf_token(client, "/kontor/oppsett/totp")
    r = client.post(
        "/kontor/oppsett/totp",
        data={"csrf_token": token, "code": totp_code(totp_secret, clock.now)},
    )
    assert r.status_code == 302 and r.location.endswith("/kontor/logg-inn")
    return OfficeLogin(name, password, totp_secret)


def log_in(client: FlaskClient, login: OfficeLogin, code: str) -> int:
    token = csrf_token(client, "/kontor/logg-inn")
    r = client.post(
        "/kontor/logg-inn",
        data={"csrf_token": token, "name": login.name, "password": login.password, "code": code},
    )
    return r.status_code


@pytest.fixture
def office(app: Flask, client: FlaskClient, clock: Clock) -> OfficeLogin:
    """A client logged in as a fully set-up office user."""
    login = set_up_user(app, client, clock)
    clock.advance(seconds=30)  # the setup spent this time step's code
    assert log_in(client, login, totp_code(login.totp_secret, clock.now)) == 302
    return login


# --- seeding the database as the reporter pages would -----------------------------------


@dataclass
class Seeded:
    thread_id: str
    reporter_secret: PrivateKey
    submission_ids: list[str]
    attachment_ids: list[str]


def seed_thread(
    app: Flask,
    office: SecretIdentity,
    *,
    created: date,
    last_activity: date | None = None,
    submissions: list[tuple[date, bool]] | None = None,
    attachments_per_submission: int = 0,
    status: str = "received",
) -> Seeded:
    """A thread with submissions ``(day, acknowledged)``; unacknowledged ones keep their
    office envelope, and each gets ``attachments_per_submission`` real attachment streams."""
    reporter = PrivateKey.generate()
    reporter_pk = bytes(reporter.public_key)
    store = BlobStore(services(app).settings.blobs_dir)
    submissions = submissions if submissions is not None else [(created, False)]
    sub_ids: list[str] = []
    blob_ids: list[str] = []
    with session_scope(app) as db:
        thread = Thread(
            id=new_id(),
            login_hash=nacl.utils.random(32),
            reporter_public_key=reporter_pk,
            created_day=created,
            last_activity_day=last_activity or created,
            status=status,
            next_position=0,
        )
        db.add(thread)
        for i, (day, acknowledged) in enumerate(submissions):
            sub = Submission(
                id=new_id(),
                position=thread.take_position(),
                thread=thread,
                kind="report" if i == 0 else "message",
                day=day,
                office_envelope=None
                if acknowledged
                else seal(f"report {i}".encode(), [office.public.encryption_key]),
                own_copy=seal(encode_payload(OwnCopy(text=f"own copy {i}")), [reporter_pk]),
                acknowledged=acknowledged,
            )
            db.add(sub)
            sub_ids.append(sub.id)
            for j in range(attachments_per_submission if not acknowledged else 0):
                blob_id = new_id()
                writer = store.create(blob_id)
                for piece in encrypt_stream(new_key(), [f"evidence {i}.{j}".encode() * 100]):
                    writer.write(piece)
                writer.commit()
                db.add(Attachment(id=blob_id, submission=sub, stored_size=writer.size))
                blob_ids.append(blob_id)
        thread_id = thread.id
    return Seeded(thread_id, reporter, sub_ids, blob_ids)
