"""Helpers for the intake attacks: a reporter without JavaScript who controls every byte
of the multipart body, the real ``varsel-inbox`` and ``varsel-portal`` as processes."""

import json
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

from conftest import LiveServer
from http_client import NoJsBrowser, Page
from reporter_pages import field_pairs, filled, form, receipt_words

from crypto import bundle as bundles
from crypto import envelope, stream
from crypto.encoding import b64encode
from crypto.keys import PublicIdentity, SecretIdentity

BIN = Path(sys.executable).parent


def run_portal(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``varsel-portal`` command on the live server's data directory."""
    result = subprocess.run(
        [str(BIN / "varsel-portal"), *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def export_inbound(server: LiveServer, path: Path) -> bytes:
    run_portal(server, "export-inbound", str(path))
    return path.read_bytes()


def portal_identity(server: LiveServer) -> SecretIdentity:
    """The portal's real signing identity, as it keeps it in its instance directory."""
    seeds = (server.data_dir / "instance" / "portal.key").read_bytes()
    return SecretIdentity(encryption_secret=seeds[:32], signing_seed=seeds[32:])


def post_report(
    server: LiveServer,
    what_happened: str,
    files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> Page:
    """Submit the report form over HTTP; ``files`` are (file name, Content-Type, body),
    sent byte for byte as a hostile client would."""
    browser = NoJsBrowser(server.url)
    page = browser.get("/report?lang=en")
    fields = filled(form(page.html, "/report"), {"what_happened": what_happened})
    return browser.post_multipart_typed(
        "/report",
        field_pairs(fields),
        [("attachments", name, media_type, body) for name, media_type, body in files],
    )


def submit(server: LiveServer, what_happened: str, files: list[tuple[str, str, bytes]] = ()) -> str:  # type: ignore[assignment]
    page = post_report(server, what_happened, files)
    assert page.status == 200, page.html
    return " ".join(receipt_words(page.html))


FAST_KDF = {"opslimit": 2, "memlimit": 64 * 1024 * 1024}


class HostilePortal:
    """A portal whose signing key the inbox pins, sending whatever it likes, validly signed.

    The identity is made by the portal's own code (``InstanceSecrets``), as on a server.
    """

    def __init__(self, instance_dir: Path, office: PublicIdentity) -> None:
        from portal.instance import InstanceSecrets

        self.identity = InstanceSecrets.load_or_create(instance_dir).portal_identity
        self.office = office

    def item(
        self,
        thread: str,
        payload: bytes,
        *,
        kind: str = "report",
        day: str | None = None,
        blobs: tuple[bundles.Blob, ...] = (),
    ) -> bundles.InboundItem:
        return bundles.InboundItem(
            id="i" + secrets.token_urlsafe(12),
            thread=thread,
            kind=kind,
            day=day or date.today().isoformat(),
            envelope=envelope.seal(payload, [self.office.encryption_key]),
            attachments=blobs,
        )

    def sign(
        self,
        threads: list[bundles.InboundThread],
        items: list[bundles.InboundItem],
        *,
        last_outbound_sequence: int = 0,
        created_day: str | None = None,
    ) -> bytes:
        return bundles.write_inbound(
            bundles.InboundBundle(
                created_day=created_day or date.today().isoformat(),
                last_outbound_sequence=last_outbound_sequence,
                threads=tuple(threads),
                items=tuple(items),
            ),
            self.identity,
        )


def new_thread(reporter_public_key: bytes, day: str | None = None) -> bundles.InboundThread:
    return bundles.InboundThread(
        id="t" + secrets.token_urlsafe(12),
        reporter_public_key=reporter_public_key,
        created_day=day or date.today().isoformat(),
        status="received",
    )


def raw_payload(obj: dict[str, object]) -> bytes:
    """Payload bytes as any writer could make them (no validation on the way)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def attachment(
    name: str, data: bytes, media_type: str = "text/plain"
) -> tuple[dict[str, object], bundles.Blob]:
    key = stream.new_key()
    blob_id = "b" + secrets.token_urlsafe(12)
    ref: dict[str, object] = {
        "blob": blob_id,
        "key": b64encode(key),
        "media_type": media_type,
        "name": name,
        "size": len(data),
    }
    return ref, bundles.Blob(blob_id, b"".join(stream.encrypt_stream(key, [data])))
