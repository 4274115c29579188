"""The whole loop (issue 4), with every part real.

A reporter without JavaScript submits a report with an attachment to ``varsel-portal run``
over HTTP; the office logs in with password and TOTP and downloads the inbound bundle; the
real ``varsel-inbox`` (a separate process, its own home, a 256 MiB argon2 key file)
imports it, shows the exact text and attachment bytes, replies and sets a status, exports a
signed outbound bundle; the office uploads it; the reporter logs in with the receipt and
reads the reply and the new status; the acknowledged ciphertext is gone from the portal.
Then the refusals: a flipped bit (both directions), a replay, another signer.
"""

import json
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyotp
import pytest
from conftest import LiveServer
from http_client import NoJsBrowser
from inbox_process import run_inbox
from reporter_pages import csrf_token, form, receipt_words, send_filled_report

from crypto.bundle import (
    OutboundBundle,
    bundle_signer,
    read_inbound,
    read_outbound,
    signer_fingerprint,
    write_outbound,
)
from crypto.keys import PublicIdentity, SecretIdentity

BIN = Path(sys.executable).parent
REPORT_TEXT = "Ved middagen på landsmøtet kom han med gjentatte kommentarer om kroppen min."
ATTACHMENT = ("skjermbilde av meldinger.txt", "Melding kl 23:14: «du vet hva jeg vil»\n" * 40)
REPLY_TEXT = "Takk for varselet. Vi tar kontakt innen en uke, slik retningslinjene §9.1 sier."


@dataclass
class Office:
    """The party office: an offline inbox home, and a browser logged in to /kontor."""

    home: Path
    public: PublicIdentity
    browser: NoJsBrowser
    name: str = "kari"

    def inbox(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_inbox(self.home, *args, check=check)

    def dashboard_token(self) -> str:
        page = self.browser.get("/kontor/")
        assert page.status == 200 and page.url.endswith("/kontor/"), page.url
        return csrf_token(page.html)

    def download(self) -> bytes:
        page = self.browser.post_form("/kontor/last-ned", [("csrf_token", self.dashboard_token())])
        assert page.status == 200, page.html
        assert "attachment" in page.headers.get("Content-Disposition", "")
        return page.body

    def upload(self, bundle: bytes) -> str:
        page = self.browser.post_multipart(
            "/kontor/last-opp",
            [("csrf_token", self.dashboard_token())],
            [("bundle", "svar.bundle", bundle)],
        )
        return page.html


def _db_rows(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "varsel.sqlite3") as db:
        return db.execute(sql).fetchall()


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _enrol_office_user(server: LiveServer, browser: NoJsBrowser, name: str) -> None:
    """add-office-user, then the setup pages, then a login with password + TOTP."""
    made = subprocess.run(
        [str(BIN / "varsel-portal"), "add-office-user", name],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    code = re.search(r"^\s+(\S+)\s*$", made.stdout, flags=re.M)
    assert code, made.stdout
    page = browser.get("/kontor/oppsett")
    page = browser.post_form(
        "/kontor/oppsett",
        [("csrf_token", csrf_token(page.html)), ("name", name), ("setup_code", code.group(1))],
    )
    password = "et langt og godt passord"
    page = browser.post_form(
        "/kontor/oppsett/passord",
        [("csrf_token", csrf_token(page.html)), ("password", password),
         ("password_again", password)],
    )
    secret = re.search(r'class="office-secret"><code>([A-Z2-7 ]+)</code>', page.html)
    assert secret, "the TOTP page shows the secret for manual entry"
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    page = browser.post_form(
        "/kontor/oppsett/totp", [("csrf_token", csrf_token(page.html)), ("code", totp.now())]
    )
    assert page.url.endswith("/kontor/logg-inn"), page.html
    # The setup used this time step; a login must use the next one (reuse is refused).
    page = browser.post_form(
        "/kontor/logg-inn",
        [("csrf_token", csrf_token(page.html)), ("name", name), ("password", password),
         ("code", totp.at(int(time.time()) + 30))],
    )
    assert page.url.endswith("/kontor/"), page.html


@pytest.fixture
def office(server: LiveServer, office_home: Path) -> Office:
    browser = NoJsBrowser(server.url)
    browser.get("/kontor/?lang=en")
    _enrol_office_user(server, browser, "kari")
    public = PublicIdentity.from_text((office_home / "office.pub").read_text())
    return Office(office_home, public, browser)


def _submit_report(server: LiveServer) -> tuple[NoJsBrowser, str]:
    reporter = NoJsBrowser(server.url)
    page = send_filled_report(
        reporter,
        {"what_happened": REPORT_TEXT, "when": "I mai"},
        [("attachments", ATTACHMENT[0], ATTACHMENT[1].encode())],
    )
    assert page.status == 200, page.html
    return reporter, " ".join(receipt_words(page.html))


def _reporter_thread(server: LiveServer, receipt: str) -> str:
    reporter = NoJsBrowser(server.url)
    page = reporter.get("/follow-up?lang=en")
    page = reporter.post_form(
        "/follow-up", [*form(page.html, "/follow-up").hidden.items(), ("receipt", receipt)]
    )
    assert page.url.endswith("/thread"), page.html
    return page.html


def test_report_travels_to_the_offline_inbox_and_the_reply_comes_back(
    server: LiveServer, office: Office, tmp_path: Path
) -> None:
    _, receipt = _submit_report(server)

    # The office downloads; the bundle carries ciphertext only.
    inbound = office.download()
    assert REPORT_TEXT.encode() not in inbound and ATTACHMENT[1].encode() not in inbound
    portal_fp = office.browser.get("/kontor/").html
    fingerprint = re.search(r'id="portal-fingerprint">([A-Z2-7 ]+)<', portal_fp)
    assert fingerprint
    bundle_file = tmp_path / "inn.bundle"
    bundle_file.write_bytes(inbound)
    imported = office.inbox("import", str(bundle_file), "--expect-fingerprint",
                            fingerprint.group(1))
    assert "1" in imported.stdout

    # One portal fingerprint everywhere it is printed: the office page, show-config, the
    # inbox's pin (first import and pubkey), and the audience of outbound bundles.
    shown_config = subprocess.run(
        [str(BIN / "varsel-portal"), "show-config"],
        env=server.env, capture_output=True, text=True, check=True,
    ).stdout
    config_fp = re.search(r"portal signing key \(pinned by the inbox\): ([A-Z2-7 ]+)$",
                          shown_config, flags=re.M)
    assert config_fp and config_fp.group(1) == fingerprint.group(1), shown_config
    pinned = re.search(r"Festet portalnøkkel\s+((?:[A-Z2-7]{4} ){7}[A-Z2-7]{4})",
                       imported.stdout)
    assert pinned and pinned.group(1) == fingerprint.group(1), imported.stdout
    pubkey = office.inbox("pubkey").stdout
    assert f"Festet portalnøkkel: {fingerprint.group(1)}" in pubkey, pubkey
    assert signer_fingerprint(bundle_signer(inbound)) == fingerprint.group(1)

    threads = json.loads(office.inbox("list", "--json").stdout)
    assert len(threads) == 1 and threads[0]["status"] == "received"
    thread_id = threads[0]["id"]
    shown = json.loads(office.inbox("show", thread_id, "--json").stdout)
    report = shown["entries"][0] if "entries" in shown else shown
    assert json.dumps(shown, ensure_ascii=False).count(REPORT_TEXT) >= 1
    assert report["answers"]["what_happened"] == REPORT_TEXT
    out = tmp_path / "vedlegg"
    office.inbox("attachments", thread_id, "--out", str(out))
    written = list(out.iterdir())
    assert [p.read_bytes() for p in written] == [ATTACHMENT[1].encode()]
    assert written[0].name == ATTACHMENT[0]

    office.inbox("reply", thread_id, "--message", REPLY_TEXT)
    office.inbox("status", thread_id, "acknowledged")
    outbound_file = tmp_path / "svar.bundle"
    office.inbox("export-outbound", str(outbound_file))
    outbound = outbound_file.read_bytes()
    assert REPLY_TEXT.encode() not in outbound
    audience = read_outbound(outbound, office.public.verify_key).audience
    assert audience == fingerprint.group(1)

    envelope_head = read_inbound(inbound, bundle_signer(inbound)).items[0].envelope[:64]
    assert _files_containing(server.data_dir, envelope_head), "stored before the upload"

    result = office.upload(outbound)
    assert 'id="acknowledged">1<' in result and 'id="replies">1<' in result, result
    assert _db_rows(server.data_dir, "SELECT status FROM threads") == [
        ("acknowledged",)
    ]

    # The reporter reads the reply and the status; the office copy is gone from the portal.
    thread_page = _reporter_thread(server, receipt)
    assert REPLY_TEXT in thread_page
    assert "Receipt confirmed" in thread_page
    assert REPORT_TEXT in thread_page  # the reporter's own copy stays until expiry
    assert _db_rows(server.data_dir, "SELECT office_envelope, acknowledged FROM submissions") == [
        (None, 1)
    ]
    assert _db_rows(server.data_dir, "SELECT count(*) FROM attachments") == [(0,)]
    assert list((server.data_dir / "blobs").iterdir()) == []
    assert _files_containing(server.data_dir, envelope_head) == []

    # Canary for the office path: after the download, the upload and the reporter reading
    # the reply, no plaintext of the report, its attachment or the reply is on the portal's
    # disk, in its temp directory or in its output.
    for canary in (REPORT_TEXT, ATTACHMENT[1], REPLY_TEXT):
        needle = canary.encode()
        assert _files_containing(server.data_dir, needle) == [], canary
        assert _files_containing(server.tmp_dir, needle) == [], canary
        assert canary not in server.output, canary

    # Replaying the same outbound bundle is refused and changes nothing.
    before = _db_rows(server.data_dir, "SELECT id, position FROM replies")
    refused = office.upload(outbound)
    assert 'id="upload-error"' in refused and "1" in refused
    assert _db_rows(server.data_dir, "SELECT id, position FROM replies") == before

    # Until the next inbound bundle says the outbound one arrived, the inbox keeps it queued
    # (a lost USB stick loses nothing); after, the queue is empty.
    assert "Venter: 1 kvittering, 1 svar, 1 status." in office.inbox("outbox").stdout
    confirm_file = tmp_path / "inn2.bundle"
    confirm_file.write_bytes(office.download())
    office.inbox("import", str(confirm_file))
    assert "Venter: 0 kvitteringer, 0 svar, 0 statuser" in office.inbox("outbox").stdout


def test_tampered_and_foreign_bundles_are_refused_whole(
    server: LiveServer, office: Office, tmp_path: Path
) -> None:
    _submit_report(server)
    inbound = bytearray(office.download())

    # Inbound: one flipped bit in the middle of the bundle; the inbox stores nothing.
    inbound[len(inbound) // 2] ^= 0x01
    flipped = tmp_path / "flipped.bundle"
    flipped.write_bytes(bytes(inbound))
    refused = office.inbox("import", str(flipped), check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert json.loads(office.inbox("list", "--json").stdout) == []
    inbound[len(inbound) // 2] ^= 0x01
    good = tmp_path / "good.bundle"
    good.write_bytes(bytes(inbound))
    office.inbox("import", str(good))
    thread_id = json.loads(office.inbox("list", "--json").stdout)[0]["id"]
    office.inbox("case", "open", thread_id)
    for state in ("bekreftet", "anklagedes-versjon"):  # the reporter's status follows
        office.inbox("case", "state", thread_id, state)
    outbound_file = tmp_path / "svar.bundle"
    office.inbox("export-outbound", str(outbound_file))
    outbound = bytearray(outbound_file.read_bytes())

    snapshot = _db_rows(server.data_dir, "SELECT id, office_envelope FROM submissions")
    blobs = sorted(p.name for p in (server.data_dir / "blobs").iterdir())

    # Outbound: a flipped bit anywhere → refused, nothing applied.
    for position in (20, len(outbound) // 2, len(outbound) - 1):
        outbound[position] ^= 0x80
        page = office.upload(bytes(outbound))
        outbound[position] ^= 0x80
        assert 'id="upload-error"' in page, page
        assert _db_rows(server.data_dir, "SELECT status FROM threads") == [("received",)]

    # Outbound signed by a key that is not the office's → refused, nothing applied.
    stranger = SecretIdentity.generate()
    portal_key = bundle_signer(bytes(inbound))
    forged = write_outbound(
        OutboundBundle(
            sequence=99,
            audience=signer_fingerprint(portal_key),
            created_day=date.today().isoformat(),
            acks=tuple(str(row[0]) for row in snapshot),
        ),
        stranger,
    )
    page = office.upload(forged)
    assert 'id="upload-error"' in page, page
    assert _db_rows(server.data_dir, "SELECT id, office_envelope FROM submissions") == snapshot
    assert sorted(p.name for p in (server.data_dir / "blobs").iterdir()) == blobs

    # The genuine bundle still applies afterwards.
    assert 'id="status-changes">2<' in office.upload(bytes(outbound))  # bekreftet, in_progress
    assert _db_rows(server.data_dir, "SELECT status FROM threads") == [("in_progress",)]
