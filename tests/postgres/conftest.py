"""A throwaway PostgreSQL server for the suite, from Debian's binaries (package postgresql).

- ``postgres_server`` (session)  one cluster in a temporary directory: Unix socket only (no
  TCP), trust authentication, database ``varsel``; stopped and removed at the end.
- ``pg_url``                     a fresh, empty database per test (dropped afterwards), as
  ``postgresql+psycopg://postgres@/<name>?host=<socket dir>``.

PostgreSQL refuses to run as root: as root the cluster directory belongs to the
``postgres`` system user (or ``nobody``) and ``initdb``/``pg_ctl`` run through ``runuser``.
Without the binaries the tests FAIL (never skip): scripts/ensure-system-packages.sh
installs them (``make test`` runs it).
"""

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

SUPERUSER = "postgres"
DATABASE = "varsel"


@dataclass(frozen=True)
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    version: str

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir), user=SUPERUSER, dbname=database, autocommit=True
        )

    def create_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl."""
    found = [
        Path(p).parent
        for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")
        if Path(p).with_name("pg_ctl").exists()
    ]
    if not found:
        pytest.fail(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/<version>/bin/initdb). "
            "Install Debian's package: `sudo apt-get install postgresql` "
            "(scripts/ensure-system-packages.sh does this as root; `make test` runs it).",
            pytrace=False,
        )
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def server_user() -> str | None:
    """The unprivileged user to run the server as; None: the current (non-root) user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    pytest.fail("running as root, but there is no 'postgres' or 'nobody' user to run PostgreSQL")


def run_as(
    user: str | None, command: list[str], log: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a server binary as ``user`` (None: as ourselves); fail the tests if it fails."""
    full = ["runuser", "-u", user, "--", *command] if user else command
    result = subprocess.run(full, capture_output=True, text=True, timeout=60, cwd="/", check=False)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
        pytest.fail(
            f"{' '.join(full)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            f"\n{server_log}",
            pytrace=False,
        )
    return result


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    user = server_user()
    # Directly under /tmp, not pytest's tmp dir: that one is private to root (0700).
    base = Path(tempfile.mkdtemp(prefix="varsel-pg-"))
    data_dir, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (base, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    base.chmod(0o755)
    server = PostgresServer(bin_dir, data_dir, socket_dir, bin_dir.parent.name)
    started = False
    try:
        run_as(
            user,
            [
                str(bin_dir / "initdb"),
                "-D", str(data_dir),
                "-U", SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )  # fmt: skip
        options = " ".join(
            [
                "-c listen_addresses=''",  # no TCP at all
                f"-c unix_socket_directories={socket_dir}",
                "-c unix_socket_permissions=0777",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=50",
            ]
        )
        run_as(
            user,
            [
                str(bin_dir / "pg_ctl"),
                "-D", str(data_dir),
                "-l", str(base / "server.log"),
                "-o", options,
                "-w", "-t", "30",
                "start",
            ],
            log=base / "server.log",
        )  # fmt: skip
        started = True
        server.create_database(DATABASE)
        yield server
    finally:
        if started:
            subprocess.run(
                [
                    *(["runuser", "-u", user, "--"] if user else []),
                    str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop",
                ],
                capture_output=True, timeout=60, cwd="/", check=False,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database for one test; dropped (connections forced off) afterwards."""
    name = f"t_{secrets.token_hex(6)}"
    postgres_server.create_database(name)
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
