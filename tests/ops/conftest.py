"""Real processes for the deployment tests: gunicorn as deploy/systemd/varsel.service runs
it, nginx with deploy/nginx/, Tor with the torrc lines of docs/OPERATOR-GUIDE.md.

Everything listens on 127.0.0.1 with ports chosen here; every wait has a deadline. The
deployed files are used as they are, with only paths and ports replaced (``deployed``).
"""

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import free_port, install_office_key
from conftest import stop_process as stop

from crypto.keys import SecretIdentity

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent
NGINX = "/usr/sbin/nginx"
TOR = "/usr/sbin/tor"


def wait_until_http(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 30
) -> None:
    """Poll ``url`` until it answers (any HTTP status) or fail with the process's output."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def unit_exec_start(unit: str) -> list[str]:
    """The ExecStart command of a unit in deploy/systemd/, with this venv's bin directory
    in place of /opt/varsel/.venv/bin."""
    text = (DEPLOY / "systemd" / unit).read_text()
    match = re.search(r"^ExecStart=(.+)$", text, flags=re.M)
    assert match, f"{unit} has an ExecStart"
    return [
        arg.replace("/opt/varsel/.venv/bin", str(VENV_BIN)) for arg in shlex.split(match.group(1))
    ]


@dataclass
class Portal:
    """gunicorn serving the portal, started with the ExecStart of varsel.service."""

    port: int
    data_dir: Path
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_portal(
    base: Path, extra_env: dict[str, str] | None = None, office: SecretIdentity | None = None
) -> Portal:
    data_dir = base / "data"
    if not (data_dir / "keys" / "office.pub").exists():  # not a restored data directory
        data_dir.mkdir(parents=True)
        install_office_key(data_dir, office or SecretIdentity.generate())
    port = free_port()
    command = [
        arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        for arg in unit_exec_start("varsel.service")
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env.update(
        VARSEL_DATA_DIR=str(data_dir),
        VARSEL_TRUSTED_HOSTS="varsel.example.org,127.0.0.1,localhost",
        TMPDIR=str(base),
        **(extra_env or {}),
    )
    log = base / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    portal = Portal(port, data_dir, env, log, process)
    try:
        wait_until_http(portal.url + "/", process, log)
    except RuntimeError:
        stop(process)
        raise
    return portal


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    p = start_portal(tmp_path / "portal")
    try:
        yield p
    finally:
        stop(p.process)


@dataclass
class Nginx:
    """nginx running deploy/nginx/varsel.conf: ``https_port`` is the public HTTPS server,
    ``http_port`` the redirecting one, ``onion_port`` the onion service's target."""

    https_port: int
    http_port: int
    onion_port: int
    prefix: Path
    process: subprocess.Popen[bytes]
    error_log: Path
    site: str = field(repr=False)


def self_signed(directory: Path, subject: str, *extra: str) -> tuple[Path, Path]:
    """A one-day self-signed P-256 certificate and its key (openssl), in ``directory``."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", subject, *extra, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def deployed_site(prefix: Path, upstream_port: int) -> tuple[str, dict[str, int]]:
    """deploy/nginx/ laid out under ``prefix`` the way the operator guide installs it, with
    ports, certificate and log paths replaced; returns the site text and the ports."""
    conf = prefix / "conf"
    (conf / "snippets").mkdir(parents=True)
    proxy = (DEPLOY / "nginx" / "varsel-proxy.conf").read_text()
    assert "proxy_pass http://127.0.0.1:8000;" in proxy
    (conf / "snippets" / "varsel-proxy.conf").write_text(
        proxy.replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
    )
    ports = {"https": free_port(), "http": free_port(), "onion": free_port()}
    cert, key = self_signed(conf, "/CN=varsel.example.org")
    site = (DEPLOY / "nginx" / "varsel.conf").read_text()
    replacements = [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{ports['https']} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{ports['http']};"),
        ("listen [::]:80;", ""),
        ("listen 127.0.0.1:8081;", f"listen 127.0.0.1:{ports['onion']};"),
        ("/etc/letsencrypt/live/varsel.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/varsel.example.org/privkey.pem", str(key)),
        ("/var/log/nginx/error.log", str(prefix / "error.log")),
    ]
    for old, new in replacements:
        assert old in site, old
        site = site.replace(old, new)
    return site, ports


def start_nginx(prefix: Path, upstream_port: int) -> Nginx:
    site, ports = deployed_site(prefix, upstream_port)
    conf = prefix / "conf"
    (conf / "varsel.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {name}_temp_path {prefix / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (conf / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} crit;
events {{ worker_connections 512; }}
http {{
{temp}
    gzip on;  # as Debian's /etc/nginx/nginx.conf has it; the site turns it off
    include varsel.conf;
}}
"""
    )
    log = prefix / "nginx.out"
    command = [
        NGINX,
        "-p",
        str(prefix),
        "-c",
        str(conf / "nginx.conf"),
        "-e",
        str(prefix / "error.log"),
        "-g",
        "daemon off;",
    ]
    check = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    nginx = Nginx(
        ports["https"], ports["http"], ports["onion"], prefix, process, prefix / "error.log", site
    )
    try:
        wait_until_http(f"http://127.0.0.1:{nginx.onion_port}/", process, log)
    except RuntimeError:
        stop(process)
        raise
    return nginx


@pytest.fixture
def nginx(tmp_path: Path, portal: Portal) -> Iterator[Nginx]:
    n = start_nginx(tmp_path / "nginx", portal.port)
    try:
        yield n
    finally:
        stop(n.process)
