"""Backups that restore: ``varsel-portal backup`` while gunicorn runs, ``restore`` into a
fresh data directory, and then a reporter logs in with the old receipt and reads the
thread, and the office exports what was waiting, signed by the same portal key.
``varsel-inbox backup`` copies the encrypted home, and the copy opens with the passphrase."""

import os
import subprocess
from pathlib import Path

from http_client import NoJsBrowser
from reporter_pages import form, receipt_words, send_filled_report

from crypto.bundle import bundle_signer, read_inbound
from crypto.envelope import open_envelope
from crypto.keys import SecretIdentity
from crypto.payload import decode_payload

from .conftest import VENV_BIN, Portal, start_portal, stop

CANARY = "KANARI-BACKUP-51be"


def portal_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [str(VENV_BIN / "varsel-portal"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def submit(portal: Portal) -> str:
    page = send_filled_report(
        NoJsBrowser(portal.url),
        {"what_happened": f"{CANARY} hendelsen", "when": "I mai"},
        [("attachments", "bevis.txt", f"{CANARY} vedlegg".encode())],
    )
    assert page.status == 200, page.html[:1000]
    return " ".join(receipt_words(page.html))


def test_restore_into_a_fresh_data_dir_keeps_receipts_and_waiting_reports(tmp_path: Path) -> None:
    office = SecretIdentity.generate()
    first = start_portal(tmp_path / "first", office=office)
    try:
        receipt = submit(first)
        before = portal_cli(first.data_dir, "export-inbound", str(tmp_path / "before.bundle"))
        assert before.returncode == 0, before.stderr
        # The backup is taken while gunicorn runs.
        result = portal_cli(first.data_dir, "backup", str(tmp_path / "backup"))
        assert result.returncode == 0, result.stderr
    finally:
        stop(first.process)
    backup = tmp_path / "backup"
    assert (backup / "MANIFEST.json").exists() and (backup / "instance" / "portal.key").exists()
    assert not list(backup.rglob("*-wal"))
    # What the backup holds is as unreadable as the data directory.
    assert not [p for p in backup.rglob("*") if p.is_file() and CANARY.encode() in p.read_bytes()]

    fresh = tmp_path / "second" / "data"
    result = portal_cli(fresh, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    second = start_portal(tmp_path / "second")
    try:
        reporter = NoJsBrowser(second.url)
        page = reporter.get("/follow-up?lang=en")
        page = reporter.post_form(
            "/follow-up", [*form(page.html, "/follow-up").hidden.items(), ("receipt", receipt)]
        )
        assert page.url.endswith("/thread"), page.html[:1000]
        assert f"{CANARY} hendelsen" in page.html
    finally:
        stop(second.process)

    after = tmp_path / "after.bundle"
    result = portal_cli(fresh, "export-inbound", str(after))
    assert result.returncode == 0, result.stderr
    data = after.read_bytes()
    signer = bundle_signer(data)
    assert signer == bundle_signer((tmp_path / "before.bundle").read_bytes())
    bundle = read_inbound(data, signer)
    (item,) = bundle.items
    payload = decode_payload(
        open_envelope(item.envelope, office.public.encryption_key, office.encryption_secret)
    )
    assert f"{CANARY} hendelsen" in str(payload)


def test_restore_refuses_a_damaged_backup_or_a_used_data_dir_and_writes_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert portal_cli(data, "show-config").returncode == 0  # creates a data directory
    backup = tmp_path / "backup"
    assert portal_cli(data, "backup", str(backup)).returncode == 0
    again = portal_cli(data, "backup", str(backup))
    assert again.returncode == 1 and "already exists" in again.stderr

    used = portal_cli(data, "restore", str(backup))
    assert used.returncode == 1 and "not empty" in used.stderr

    secret = backup / "instance" / "login_pepper"
    secret.write_bytes(b"\0" * len(secret.read_bytes()))
    fresh = tmp_path / "fresh"
    damaged = portal_cli(fresh, "restore", str(backup))
    assert damaged.returncode == 1 and "login_pepper" in damaged.stderr
    assert "Traceback" not in damaged.stderr
    assert not fresh.exists()


def test_inbox_backup_copies_the_encrypted_home_and_the_copy_opens(tmp_path: Path) -> None:
    home, copy = tmp_path / "home", tmp_path / "stick" / "varsel-inbox"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env.update(VARSEL_INBOX_HOME=str(home), VARSEL_INBOX_PASSPHRASE="korrekt hest batteri stift")

    def inbox(*args: str, home_dir: Path = home) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "varsel-inbox"), "--home", str(home_dir), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    assert inbox("init").returncode == 0
    result = inbox("backup", str(copy))
    assert result.returncode == 0, result.stderr
    assert (copy / "office.key").read_bytes() == (home / "office.key").read_bytes()
    assert (copy / "office.pub").read_text() == (home / "office.pub").read_text()
    # The copy opens with the passphrase (the store key inside is unwrapped) ...
    listed = inbox("list", "--json", home_dir=copy)
    assert listed.returncode == 0, listed.stderr
    # ... and with no other.
    env["VARSEL_INBOX_PASSPHRASE"] = "feil passordfrase her"
    assert inbox("list", "--json", home_dir=copy).returncode == 2
    env["VARSEL_INBOX_PASSPHRASE"] = "korrekt hest batteri stift"
    refused = inbox("backup", str(copy))
    assert refused.returncode == 1 and "finnes allerede" in refused.stderr
