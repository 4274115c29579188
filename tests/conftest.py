"""Shared fixtures (generic: used by every area's tests).

- ``office_identity``  a fresh office key pair (its public key is installed by ``app``)
- ``make_app``         factory: an app on a fresh data dir, with Settings overrides
- ``app`` / ``client`` the Flask test app and client (CSRF stays ON, as in production)
- ``live_server``      the real ``varsel-portal run`` in a subprocess (see :class:`LiveServer`),
                       with the settings of ``live_server_env`` (a module may override it)
- ``browser``          a real Chromium, one per test module (tests/chromium.py)
- ``office_home`` / ``server``  an inbox home and a live portal with its key
                       (tests/inbox_process.py)
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from crypto.keys import PublicIdentity, SecretIdentity
from portal import create_app
from portal.config import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Property tests check behaviour, not speed: a per-example deadline only fails them on a
# loaded machine. Timing targets live in bench/.
settings.register_profile("varsel", deadline=None)
settings.load_profile("varsel")

pytest_plugins = ["inbox_process"]

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile stale .mo catalogues (what `make translations` does), so tests see them."""
    for po_path in [
        *TRANSLATIONS.glob("*/LC_MESSAGES/*.po"),
        *(ROOT / "inbox" / "translations").glob("*/LC_MESSAGES/*.po"),
        *(ROOT / "inbox" / "desk" / "translations").glob("*/LC_MESSAGES/*.po"),
    ]:
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as f:
            catalog = read_po(f)
        with mo_path.open("wb") as f:
            write_mo(f, catalog)


def install_office_key(data_dir: Path, identity: SecretIdentity | PublicIdentity) -> Path:
    keys = data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    path = keys / "office.pub"
    public = identity.public if isinstance(identity, SecretIdentity) else identity
    path.write_text(public.to_text(), encoding="utf-8")
    return path


@pytest.fixture
def office_identity() -> SecretIdentity:
    return SecretIdentity.generate()


@pytest.fixture
def make_app(
    tmp_path_factory: pytest.TempPathFactory, office_identity: SecretIdentity
) -> Callable[..., Flask]:
    """``make_app(office_key=True, **settings_overrides)`` -> a Flask app on a new data dir."""

    def factory(office_key: bool = True, **overrides: Any) -> Flask:
        data_dir = tmp_path_factory.mktemp("data")
        settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir}/varsel.sqlite3")
        settings = replace(settings, **overrides)
        if office_key:
            install_office_key(data_dir, office_identity)
        app = create_app(settings)
        app.config["TESTING"] = True
        return app

    return factory


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class LiveServer:
    """A real portal process: ``url`` (no trailing slash), its data dir, its TMPDIR, the
    environment it runs with and the file its stdout and stderr go to."""

    url: str
    data_dir: Path
    tmp_dir: Path
    env: dict[str, str]
    output_path: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        stop_process(self.process)

    @property
    def output(self) -> str:
        return self.output_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def stop_process(process: "subprocess.Popen[Any]") -> None:
    """Terminate (then kill) a process the test started, and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_portal(
    base: Path,
    identity: SecretIdentity | PublicIdentity | None,
    command: Callable[[int], list[str]],
    name: str,
    extra_env: dict[str, str] | None = None,
    seconds: float = 30,
) -> LiveServer:
    """Start the portal as ``command(port)`` runs it, with its own data dir and TMPDIR
    under ``base``, and wait (``seconds`` at most) until its front page answers 200; its
    output goes to ``base/<name>-output.log``."""
    data_dir, tmp_dir = base / "data", base / "tmp"
    data_dir.mkdir(parents=True)
    tmp_dir.mkdir()
    if identity is not None:
        install_office_key(data_dir, identity)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env.update(
        VARSEL_DATA_DIR=str(data_dir), TMPDIR=str(tmp_dir), PYTHONDONTWRITEBYTECODE="1"
    )
    env.update(extra_env or {})
    output_path = base / f"{name}-output.log"
    with output_path.open("wb") as out:
        process = subprocess.Popen(
            command(port), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    server = LiveServer(f"http://127.0.0.1:{port}", data_dir, tmp_dir, env, output_path, process)
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{server.output}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{name} did not start:\n{server.output}")
        time.sleep(0.1)


def start_live_server(
    base: Path,
    identity: SecretIdentity | PublicIdentity | None,
    extra_env: dict[str, str] | None = None,
) -> LiveServer:
    """Start ``varsel-portal run`` with its own data dir and TMPDIR under ``base``."""
    return start_portal(
        base,
        identity,
        lambda port: [str(BIN / "varsel-portal"), "run", "--port", str(port)],
        "server",
        extra_env,
    )


@pytest.fixture
def live_server_env() -> dict[str, str]:
    """Extra environment for ``live_server``: a test module overrides this fixture to run
    the portal with its own settings."""
    return {}


@pytest.fixture
def live_server(
    tmp_path: Path, office_identity: SecretIdentity, live_server_env: dict[str, str]
) -> Iterator[LiveServer]:
    server = start_live_server(tmp_path / "live", office_identity, live_server_env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    from chromium import launched  # Playwright only where a test asks for a browser

    with launched() as chromium:
        yield chromium
