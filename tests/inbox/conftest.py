"""Fixtures for the inbox: a fast-KDF office home, a fake portal that builds real bundles
the way the portal will, and reporters with real X25519 key pairs."""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from nacl.public import PrivateKey

from crypto import bundle as bundles
from crypto import envelope, stream
from crypto.keys import PublicIdentity, SecretIdentity
from crypto.payload import AttachmentRef, Message, Report, encode_payload
from inbox.cli import main
from inbox.home import Home
from inbox.init import init_home

PASSPHRASE = "riktig hest batteri stift"
FAST_KDF = {"opslimit": 2, "memlimit": 64 * 1024 * 1024}
CANARY = "KANARI-7f3a9c-æøå-Trondheimsveien"


def day(days_ago: int = 0) -> str:
    return (date.today() - timedelta(days=days_ago)).isoformat()


@dataclass
class Reporter:
    key: PrivateKey = field(default_factory=PrivateKey.generate)

    @property
    def public(self) -> bytes:
        return bytes(self.key.public_key)

    def open(self, sealed: bytes) -> bytes:
        return envelope.open_envelope(sealed, self.public, bytes(self.key))


@dataclass
class Portal:
    """Builds inbound bundles exactly as the portal does: envelopes to the office key,
    attachment streams under per-file keys, signed with the portal identity."""

    office: PublicIdentity
    identity: SecretIdentity = field(default_factory=SecretIdentity.generate)
    threads: dict[str, bundles.InboundThread] = field(default_factory=dict)
    items: list[bundles.InboundItem] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return bundles.signer_fingerprint(self.identity.public.verify_key)

    def _attachments(
        self, files: list[tuple[str, bytes, str]]
    ) -> tuple[tuple[AttachmentRef, ...], tuple[bundles.Blob, ...]]:
        refs, blobs = [], []
        for name, data, media_type in files:
            key = stream.new_key()
            blob_id = secrets.token_urlsafe(12)
            cipher = b"".join(stream.encrypt_stream(key, [data]))
            refs.append(AttachmentRef(name, len(data), media_type, key, blob_id))
            blobs.append(bundles.Blob(blob_id, cipher))
        return tuple(refs), tuple(blobs)

    def report(
        self,
        reporter: Reporter,
        answers: dict[str, str | list[str]],
        files: list[tuple[str, bytes, str]] | None = None,
        *,
        received: str | None = None,
        thread_id: str | None = None,
        payload_key: bytes | None = None,
    ) -> str:
        # A leading "-" would read as an option on the command line (see OFFICE-GUIDE).
        thread_id = thread_id or "t" + secrets.token_urlsafe(12)
        received = received or day()
        refs, blobs = self._attachments(files or [])
        payload = Report(answers, payload_key or reporter.public, refs)
        self.threads[thread_id] = bundles.InboundThread(
            thread_id, reporter.public, received, "received"
        )
        self.items.append(
            bundles.InboundItem(
                id=secrets.token_urlsafe(12),
                thread=thread_id,
                kind="report",
                day=received,
                envelope=envelope.seal(encode_payload(payload), [self.office.encryption_key]),
                attachments=blobs,
            )
        )
        return thread_id

    def message(
        self,
        thread_id: str,
        reporter: Reporter,
        text: str,
        files: list[tuple[str, bytes, str]] | None = None,
    ) -> str:
        refs, blobs = self._attachments(files or [])
        item_id = secrets.token_urlsafe(12)
        self.items.append(
            bundles.InboundItem(
                id=item_id,
                thread=thread_id,
                kind="message",
                day=day(),
                envelope=envelope.seal(
                    encode_payload(Message(text, reporter.public, refs)),
                    [self.office.encryption_key],
                ),
                attachments=blobs,
            )
        )
        return item_id

    def bundle(self, last_outbound_sequence: int = 0, *, clear: bool = True) -> bytes:
        data = bundles.write_inbound(
            bundles.InboundBundle(
                created_day=day(),
                last_outbound_sequence=last_outbound_sequence,
                # As the portal does: only the threads of the items in this bundle.
                threads=tuple(
                    t for t in self.threads.values() if t.id in {i.thread for i in self.items}
                ),
                items=tuple(self.items),
            ),
            self.identity,
        )
        if clear:
            self.items = []
        return data


def answers(text: str = f"Han tok på meg på vorspielet. {CANARY}", **extra: object) -> dict:
    base: dict = {
        "what_happened": text,
        "when": "i mars",
        "where": "overnight_event",
        "kind": "sexual_harassment",
        "involved_roles": ["tillitsvalgt", "auf_medlem"],
        "reporter_relation": "witness",
        "party_employee_involved": "no",
        "ongoing": "yes",
        "central_office": "no",
        "contact_wanted": "yes",
        "contact_how": "via portalen",
    }
    base.update(extra)
    return base


@dataclass
class Office:
    home: Home
    public: PublicIdentity
    runner: CliRunner

    def run(
        self, *args: str, input: str | None = None, passphrase: str | None = PASSPHRASE
    ) -> Result:
        env = {
            "VARSEL_INBOX_HOME": str(self.home.path),
            "VARSEL_INBOX_PASSPHRASE": passphrase,
            "COLUMNS": "200",
        }
        return self.runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    def files(self) -> Iterator[Path]:
        return (p for p in self.home.path.rglob("*") if p.is_file())


@pytest.fixture
def office(tmp_path: Path) -> Office:
    home = Home(tmp_path / "innboks")
    public = init_home(home, PASSPHRASE, **FAST_KDF)
    return Office(home=home, public=public, runner=CliRunner())


@pytest.fixture
def portal(office: Office) -> Portal:
    return Portal(office=office.public)


@pytest.fixture
def reporter() -> Reporter:
    return Reporter()
