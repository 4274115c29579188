"""Bundles move in bounded memory (docs/PERFORMANCE.md, "Export" and "Import").

A bundle larger than the memory a process may use still goes from the portal to the
inbox: ``varsel-portal export-inbound`` and ``varsel-inbox import`` run as their own
processes with an address-space limit (RLIMIT_AS) of what they use once loaded plus
``BUDGET``, and the bundle is ``BUNDLE`` bytes, more than the budget. Code that held the
bundle in memory (reading it whole, or joining its blobs) fails here with MemoryError.
"""

import os
import secrets
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import nacl.utils
from nacl.public import PrivateKey

from crypto import envelope, stream
from crypto.keys import PublicIdentity
from crypto.payload import AttachmentRef, Report, encode_payload
from inbox.home import Home
from inbox.init import init_home
from portal import create_app
from portal.config import Settings
from portal.db import session_scope
from portal.models import new_id
from portal.services import services
from portal.store import BlobStore
from portal.submission import SealedBlob, create_sealed_report

MIB = 1024 * 1024
BUNDLE = 200 * MIB  # one attachment stream of about this size
# What each command may add to its address space once its modules are loaded: room for
# the inbox's argon2id unlock (64 MiB with the tests' key), a helper thread's stack and
# malloc arena, SQLite and buffers, and far less than the bundle.
BUDGET = 160 * MIB
PASSPHRASE = "riktig hest batteri stift"

LIMITED = textwrap.dedent(
    """
    import re, resource, sys
    from pathlib import Path
    from {module} import main
    status = Path("/proc/self/status").read_text()
    size = int(re.search(r"VmSize:\\s+(\\d+) kB", status).group(1)) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + {budget}, size + {budget}))
    sys.argv = ["{name}", *sys.argv[1:]]
    main()
    """
)


def run_limited(module: str, name: str, *args: str, env: dict[str, str]) -> str:
    code = LIMITED.format(module=module, name=name, budget=BUDGET)
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def seed_portal(data_dir: Path, office: PublicIdentity) -> str:
    """A portal with one waiting report carrying a ``BUNDLE``-byte attachment stream."""
    (data_dir / "keys").mkdir(parents=True, mode=0o700)
    (data_dir / "keys" / "office.pub").write_text(office.to_text())
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir}/varsel.sqlite3")
    app = create_app(settings)
    reporter = bytes(PrivateKey.generate().public_key)
    key, blob_id = stream.new_key(), new_id()
    writer = BlobStore(settings.blobs_dir).create(blob_id)
    block = secrets.token_bytes(MIB)
    for piece in stream.encrypt_stream(key, (block for _ in range(BUNDLE // MIB))):
        writer.write(piece)
    writer.commit()
    answers: dict[str, str | list[str]] = {
        "what_happened": "Han tok på meg på vorspielet.",
        "where": "overnight_event",
        "kind": "sexual_harassment",
    }
    ref = AttachmentRef("opptak.mp4", BUNDLE, "video/mp4", key, blob_id)
    with session_scope(app) as db:  # stored as the portal stores a report from the browser
        create_sealed_report(
            db,
            login_hash=nacl.utils.random(32),
            reporter_public_key=reporter,
            office_envelope=envelope.seal(
                encode_payload(Report(answers, reporter, (ref,))), [office.encryption_key]
            ),
            own_copy=envelope.seal(b"own copy", [reporter]),
            blobs=[SealedBlob(blob_id, writer.size, writer.blake2b)],
        )
    services(app).engine.dispose()
    return blob_id


def test_a_bundle_larger_than_the_memory_budget_is_exported_and_imported(
    tmp_path: Path,
) -> None:
    home = Home(tmp_path / "inbox")
    office = init_home(home, PASSPHRASE, opslimit=2, memlimit=64 * MIB)
    blob_id = seed_portal(tmp_path / "portal", office)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env.update(VARSEL_DATA_DIR=str(tmp_path / "portal"), VARSEL_INBOX_PASSPHRASE=PASSPHRASE)

    bundle = tmp_path / "inn.bundle"
    run_limited("portal.cli", "varsel-portal", "export-inbound", str(bundle), env=env)
    assert bundle.stat().st_size > BUNDLE > BUDGET

    output = run_limited("inbox.cli", "varsel-inbox", "--home", str(home.path), "import",
                         str(bundle), env=env)
    assert "1 nytt element (1 vedlegg)" in output
    stored = home.blobs / blob_id
    assert stored.stat().st_size == (tmp_path / "portal" / "blobs" / blob_id).stat().st_size
    with sqlite3.connect(home.path / "inbox.sqlite3") as db:
        assert db.execute("SELECT blob FROM attachments").fetchall() == [(blob_id,)]
    assert not [p for p in home.blobs.iterdir() if p.name.startswith(".tmp-")]
