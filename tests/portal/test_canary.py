"""The canary: no plaintext at rest, anywhere the portal writes.

docs/THREAT-MODEL.md, requirement 1.

A unique marker goes into every text field, every file name and every file body of a
report and of a follow-up message, through the no-JavaScript path of a real server
process. Then every file the portal could have written is scanned for the marker in every
encoding below: the database (and its -wal/-shm), the whole data directory, the server's
captured stdout/stderr and its TMPDIR. Zero hits. Finally the test opens the stored
ciphertext with the office key and finds the marker there, proving that the scan would
have seen it had it been stored in the clear.

A thread opened by an outbound bundle for a report received outside the portal (the
receipt made on the offline machine) gets the same scan, for the marker, the receipt and
the login key.

To extend: add a place to ``places_to_scan`` or an encoding to ``ENCODINGS``. New form
fields are picked up on their own (the form is read from the served HTML).
"""

import base64
import binascii
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from conftest import LiveServer
from http_client import NoJsBrowser
from reporter_pages import FormSpec, filled, form, receipt_words

from crypto.bundle import OpenThread, OutboundBundle, signer_fingerprint, write_outbound
from crypto.envelope import open_envelope, seal
from crypto.keys import SecretIdentity
from crypto.payload import Message, OwnCopy, Report, decode_payload, encode_payload
from crypto.receipt import derive_receipt_keys, generate_receipt, seal_login_key
from crypto.stream import decrypt_stream
from portal.services import services


def _fragments(data: bytes, encode: Callable[[bytes], bytes], group: int = 3) -> list[bytes]:
    """Substrings found in any base64/base32 text that contains ``data`` at any alignment
    (``group``: input bytes per output block, 3 for base64, 5 for base32)."""
    block = len(encode(bytes(group)))
    return [encode(b"\0" * shift + data)[block:-block] for shift in range(group)]


ENCODINGS: dict[str, Callable[[bytes], list[bytes]]] = {
    "utf-8": lambda m: [m],
    "upper": lambda m: [m.upper()],
    "lower": lambda m: [m.lower()],
    "utf-16-le": lambda m: [m.decode().encode("utf-16-le")],
    "utf-16-be": lambda m: [m.decode().encode("utf-16-be")],
    "utf-32-le": lambda m: [m.decode().encode("utf-32-le")],
    "base64": lambda m: _fragments(m, base64.b64encode),
    "base64url": lambda m: _fragments(m, base64.urlsafe_b64encode),
    "base32": lambda m: _fragments(m, base64.b32encode, 5),
    "hex": lambda m: [binascii.hexlify(m), binascii.hexlify(m).upper()],
    "utf-16 base64": lambda m: _fragments(m.decode().encode("utf-16-le"), base64.b64encode),
}


def places_to_scan(server: LiveServer) -> Iterator[Path]:
    """Every file the portal process could have written to."""
    for root in (server.data_dir, server.tmp_dir):
        yield from (p for p in root.rglob("*") if p.is_file())
    yield server.output_path


def scan(server: LiveServer, marker: bytes) -> list[str]:
    needles = [(name, n) for name, enc in ENCODINGS.items() for n in enc(marker)]
    hits = []
    for path in places_to_scan(server):
        data = path.read_bytes()
        hits += [f"{path} ({name})" for name, needle in needles if needle in data]
    return hits


def fields_of(spec: FormSpec, marker: str) -> list[tuple[str, str]]:
    data = filled(spec, marker=marker)
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((name, str(v)))
    return pairs


def files_of(spec: FormSpec, marker: str) -> list[tuple[str, str, bytes]]:
    return [
        # Over Werkzeug's 500 kB spooling threshold, so a default spool would write to disk.
        (name, f"{marker}-{i}.txt", (f"{marker} body {i} æøå\n" * 20_000).encode())
        for name in spec.files
        for i in (1, 2)
    ]


def test_no_plaintext_reaches_disk_logs_or_temp(
    live_server: LiveServer, office_identity: SecretIdentity
) -> None:
    marker = "Kanarifugl" + secrets.token_hex(10)
    browser = NoJsBrowser(live_server.url)

    # A report: every text field, radio and checkbox, two files.
    spec = form(browser.get("/report").html, "/report")
    assert {"what_happened", "when", "contact_how", "identity"} <= set(spec.texts)
    assert {"county_party", "local_branch"} <= set(spec.texts)  # §8.2, Bergen rule 11
    assert spec.files == ["attachments"]
    page = browser.post_multipart("/report", fields_of(spec, marker), files_of(spec, marker))
    assert page.status == 200, page.html
    receipt = " ".join(receipt_words(page.html))

    # A follow-up message after logging in with the receipt.
    login = form(browser.get("/follow-up").html, "/follow-up")
    page = browser.post_form("/follow-up", [*login.hidden.items(), ("receipt", receipt)])
    assert page.url.endswith("/thread")
    spec = form(page.html, "/thread")
    assert spec.texts == ["text"]
    page = browser.post_multipart("/thread", fields_of(spec, marker), files_of(spec, marker))
    assert page.status == 200 and page.url.endswith("/thread")
    assert marker in page.html  # the reporter reads it back (decrypted in memory)
    assert all(marker not in (c.value or "") for c in browser.cookies)

    raw = marker.encode()
    assert scan(live_server, raw) == [], "plaintext while running"
    live_server.stop()
    assert scan(live_server, raw) == [], "plaintext after shutdown"
    assert scan(live_server, receipt.encode()) == [], "the receipt was written somewhere"

    # The report did arrive: the office key opens it to the marker (so the scan could see).
    database = live_server.data_dir / "varsel.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        envelopes = [row[0] for row in db.execute(
            "SELECT office_envelope FROM submissions ORDER BY position"
        )]
    assert len(envelopes) == 2
    opened = [
        decode_payload(
            open_envelope(e, office_identity.public.encryption_key,
                          office_identity.encryption_secret)
        )
        for e in envelopes
    ]
    report, message = opened
    assert isinstance(report, Report) and isinstance(message, Message)
    assert marker in str(report.answers["what_happened"])
    assert marker in str(report.answers["county_party"])
    assert marker in str(report.answers["local_branch"])
    assert marker in message.text
    for payload in (report, message):
        assert len(payload.attachments) == 2
        for ref in payload.attachments:
            assert ref.name.startswith(marker)
            blob = (live_server.data_dir / "blobs" / ref.blob).read_bytes()
            plain = b"".join(decrypt_stream(ref.key, ref.size, [blob]))
            assert plain.startswith(raw)


def test_the_scan_sees_every_encoding(tmp_path: Path) -> None:
    marker = b"Kanarifugl" + secrets.token_hex(10).encode()
    fake = LiveServer(
        "", tmp_path / "data", tmp_path / "tmp", {}, tmp_path / "out.log", None  # type: ignore[arg-type]
    )
    fake.data_dir.mkdir()
    fake.tmp_dir.mkdir()
    fake.output_path.write_bytes(b"")
    for name in ENCODINGS:
        target = fake.data_dir / f"{name.replace(' ', '_')}.bin"
        for prefix in (b"", b"x", b"xy", b"xyz", b"xyzw"):
            target.write_bytes(b"..." + _encode_like_a_leak(name, prefix + marker) + b"...")
            assert scan(fake, marker), (name, prefix)
            target.unlink()


def _encode_like_a_leak(name: str, data: bytes) -> bytes:
    text = data.decode()
    return {
        "utf-8": data,
        "upper": data.upper(),
        "lower": data.lower(),
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "utf-32-le": text.encode("utf-32-le"),
        "base64": base64.b64encode(data),
        "base64url": base64.urlsafe_b64encode(data),
        "base32": base64.b32encode(data),
        "hex": binascii.hexlify(data),
        "utf-16 base64": base64.b64encode(text.encode("utf-16-le")),
    }[name]


def test_uploads_never_use_a_temporary_file(monkeypatch, app, client) -> None:  # type: ignore[no-untyped-def]
    """Temp files may be unlinked at once (invisible to a scan): forbid them outright."""
    import tempfile

    from reporter_pages import post_report_form

    def forbidden(*_a: object, **_k: object) -> None:
        raise AssertionError("a temporary file was opened during an upload")

    import werkzeug.formparser

    for name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile", "mkstemp"):
        monkeypatch.setattr(tempfile, name, forbidden)
    for name in ("SpooledTemporaryFile", "default_stream_factory"):
        monkeypatch.setattr(werkzeug.formparser, name, forbidden)
    response = post_report_form(
        client,
        {"what_happened": "big file", "understood": "y"},
        files=[(b"z" * 2_000_000, "big.bin")],
    )
    assert response.status_code == 303  # to the receipt
    blobs = list(services(app).settings.blobs_dir.iterdir())
    assert len(blobs) == 1 and b"zzzz" not in blobs[0].read_bytes()


def test_a_thread_opened_for_an_oral_report_leaves_no_plaintext(
    live_server: LiveServer, office_identity: SecretIdentity
) -> None:
    """The open_threads path (docs/PROTOCOL.md, "Bundles"): the receipt made offline, the
    login key sealed to the portal, the reporter's own copy sealed to the reporter; then the
    reporter logs in and writes. Neither the marker, the receipt nor the login key is on
    the portal's disk, in its temp directory or its output."""
    marker = "Kanarifugl" + secrets.token_hex(10)
    instance = live_server.data_dir / "instance"
    browser = NoJsBrowser(live_server.url)
    browser.get("/follow-up")  # the portal has made its instance secrets
    portal = SecretIdentity(
        (instance / "portal.key").read_bytes()[:32], (instance / "portal.key").read_bytes()[32:]
    )
    receipt = generate_receipt()
    keys = derive_receipt_keys(receipt, (instance / "receipt_salt").read_bytes())
    copy = OwnCopy(f"Det du fortalte partikontoret: {marker}")
    data = write_outbound(
        OutboundBundle(
            sequence=1,
            audience=signer_fingerprint(portal.public.verify_key),
            created_day=date.today().isoformat(),
            open_threads=(
                OpenThread(
                    id="mOralCanary00001",
                    status="acknowledged",
                    reporter_public_key=keys.reporter_public_key,
                    sealed_login_key=seal_login_key(keys.login_key, portal.public.encryption_key),
                    own_copy=seal(encode_payload(copy), [keys.reporter_public_key]),
                ),
            ),
        ),
        office_identity,
    )
    bundle_file = live_server.tmp_dir.parent / "ut.bundle"
    bundle_file.write_bytes(data)
    applied = subprocess.run(
        [str(Path(sys.executable).parent / "varsel-portal"), "import-outbound", str(bundle_file)],
        env=live_server.env, capture_output=True, text=True, check=False,
    )
    assert applied.returncode == 0 and "1 threads opened" in applied.stdout, applied

    login = form(browser.get("/follow-up").html, "/follow-up")
    page = browser.post_form("/follow-up", [*login.hidden.items(), ("receipt", receipt)])
    assert page.url.endswith("/thread") and marker in page.html
    spec = form(page.html, "/thread")
    page = browser.post_multipart("/thread", fields_of(spec, marker), files_of(spec, marker))
    assert page.status == 200 and page.html.count(marker) >= 2

    live_server.stop()
    assert scan(live_server, marker.encode()) == []
    assert scan(live_server, receipt.encode()) == [], "the receipt was written somewhere"
    login_key = [keys.login_key, keys.login_key.hex().encode(), *_fragments(
        keys.login_key, base64.b64encode), *_fragments(keys.login_key, base64.urlsafe_b64encode)]
    for path in places_to_scan(live_server):
        content = path.read_bytes()
        assert not any(needle in content for needle in login_key), path
