"""Backups with PostgreSQL, the way docs/OPERATOR-GUIDE.md ("Back up") says: pg_dump in
custom format beside ``varsel-portal backup``, pg_restore into a new database and
``varsel-portal restore`` into a new data directory; a reporter's receipt still opens
the thread. Uses the suite's throwaway PostgreSQL cluster (tests/postgres/conftest.py)."""

import os
import subprocess
from pathlib import Path

from postgres.conftest import PostgresServer, postgres_server  # noqa: F401 (fixture)
from reporter_pages import csrf_token, post_report_form, receipt_words

from crypto.keys import SecretIdentity
from portal import create_app
from portal.config import Settings

from .conftest import VENV_BIN

CANARY = "KANARI-PGDUMP-0d7e"


def _app(data_dir: Path, url: str):  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=data_dir, database_url=url))
    app.config["TESTING"] = True
    return app


def _libpq(url: str) -> str:
    """VARSEL_DATABASE_URL without SQLAlchemy's driver name, as pg_dump takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _portal(data_dir: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``varsel-portal`` on ``data_dir`` with the database at ``url``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env.update(VARSEL_DATA_DIR=str(data_dir), VARSEL_DATABASE_URL=url)
    return subprocess.run(
        [str(VENV_BIN / "varsel-portal"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pg_dump_and_restore_keep_the_receipt_working(
    tmp_path: Path,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    postgres_server.create_database("backup_a")
    postgres_server.create_database("backup_b")
    url_a, url_b = postgres_server.url("backup_a"), postgres_server.url("backup_b")
    data_a = tmp_path / "a"
    data_a.mkdir()
    (data_a / "keys").mkdir()
    (data_a / "keys" / "office.pub").write_text(SecretIdentity.generate().public.to_text())
    client = _app(data_a, url_a).test_client()
    response = post_report_form(
        client,
        {"understood": "y", "what_happened": f"{CANARY} hendelsen"},
        files=[],
        follow_redirects=True,
    )
    assert response.status_code == 200, response.text
    receipt = " ".join(receipt_words(response.text))

    backup = _portal(data_a, url_a, "backup", str(tmp_path / "files"))
    assert backup.returncode == 0, backup.stderr
    assert "PostgreSQL and is not in this backup" in backup.stdout
    dump = tmp_path / "varsel.pgdump"
    subprocess.run(
        [
            str(postgres_server.bin_dir / "pg_dump"),
            "--format=custom",
            f"--file={dump}",
            _libpq(url_a),
        ],
        check=True,
        timeout=120,
    )
    subprocess.run(
        [
            str(postgres_server.bin_dir / "pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--dbname={_libpq(url_b)}",
            str(dump),
        ],
        check=True,
        timeout=120,
    )

    data_b = tmp_path / "b"
    restore = _portal(data_b, url_b, "restore", str(tmp_path / "files"))
    assert restore.returncode == 0, restore.stderr

    client = _app(data_b, url_b).test_client()
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": receipt})
    assert response.status_code == 303 and response.headers["Location"] == "/thread"
    assert f"{CANARY} hendelsen" in client.get("/thread").text
