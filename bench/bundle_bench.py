"""Inbound bundles: memory of export and import, and the import's rate. A script that
prints figures, not a test (docs/PERFORMANCE.md, "Export" and "Import").

    .venv/bin/python bench/bundle_bench.py [--sizes 1,100,250] [--runs 3]

Each figure is printed next to its anchor, measured in the same run:

- **Export memory**: a portal with N MiB of attachment streams waiting; a child process
  sets up the app, notes its resident memory (idle), then does what the office page's
  download does (``export_inbound`` and the response body) into a file. Printed: the
  child's peak resident memory (VmHWM) above idle, against the bundle's size.
- **Import memory**: that bundle imported by a child process with the real office key
  (argon2id at libsodium's MODERATE, 256 MiB). Printed: the peak above the child's memory
  once the key is unlocked (the import's own cost), and the whole ``varsel-inbox import``
  command's peak above ``varsel-inbox list`` (which unlocks the same key and reads nothing).
- **Import rate**: 500 small reports plus 5 reports with a 20 MiB file, imported into a
  fresh copy of an unlocked inbox, against a bare PyNaCl loop that opens the same envelopes
  and decrypts the same streams from memory. Medians of interleaved runs.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nacl.bindings as sodium

from crypto import bundle as bundles
from crypto import envelope, stream
from crypto.keys import PublicIdentity
from crypto.payload import AttachmentRef, Report, decode_payload, encode_payload

MIB = 1024 * 1024
BIN = Path(sys.executable).parent
PASSPHRASE = "benk hest batteri stift"
ANSWERS: dict[str, str | list[str]] = {
    "what_happened": "Han tok på meg på vorspielet, og fortsatte etter at jeg sa nei. " * 8,
    "when": "i mars",
    "where": "overnight_event",
    "kind": "sexual_harassment",
    "involved_roles": ["tillitsvalgt"],
    "reporter_relation": "witness",
    "party_employee_involved": "no",
    "ongoing": "yes",
    "central_office": "no",
    "contact_wanted": "yes",
    "contact_how": "via portalen",
}


def _day_of(import_bundle: Callable[..., object]) -> dict[str, date]:
    """``today=`` for an importer that takes the day as a parameter (older ones read it)."""
    import inspect

    return {"today": date.today()} if "today" in inspect.signature(import_bundle).parameters else {}


def status_kib(field: str, pid: int | str = "self") -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def reset_peak() -> None:
    """Start VmHWM again from the current resident size (Linux, /proc/PID/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


# -- building a portal with waiting submissions ---------------------------------------------


def seed_portal(base: Path, office: PublicIdentity, files: list[int], small: int) -> Path:
    """A portal data directory with ``small`` reports without files and one report per
    entry of ``files`` (bytes) with one attachment stream of that size, all waiting."""
    import nacl.utils
    from nacl.public import PrivateKey

    from portal import create_app
    from portal.config import Settings
    from portal.db import session_scope
    from portal.models import Attachment, Submission, Thread, new_id
    from portal.services import services
    from portal.store import BlobStore

    settings = Settings(data_dir=base, database_url=f"sqlite:///{base}/varsel.sqlite3")
    (base / "keys").mkdir(parents=True, mode=0o700)
    (base / "keys" / "office.pub").write_text(office.to_text())
    app = create_app(settings)
    store = BlobStore(settings.blobs_dir)
    has_digest = hasattr(Attachment, "blake2b")
    block = os.urandom(MIB)
    with session_scope(app) as db:
        for size in [0] * small + files:
            reporter = bytes(PrivateKey.generate().public_key)
            thread = Thread(
                id=new_id(),
                login_hash=nacl.utils.random(32),
                reporter_public_key=reporter,
                created_day=date.today(),
                last_activity_day=date.today(),
                status="received",
                next_position=0,
            )
            db.add(thread)
            refs, rows = [], []
            if size:
                key, blob_id = stream.new_key(), new_id()
                writer = store.create(blob_id)
                pieces = (block[: min(MIB, size - i)] for i in range(0, size, MIB))
                for piece in stream.encrypt_stream(key, pieces):
                    writer.write(piece)
                writer.commit()
                refs.append(AttachmentRef("bevis.pdf", size, "application/pdf", key, blob_id))
                extra = {"blake2b": writer.blake2b} if has_digest else {}
                rows.append(Attachment(id=blob_id, stored_size=writer.size, **extra))
            payload = encode_payload(Report(ANSWERS, reporter, tuple(refs)))
            sub = Submission(
                id=new_id(),
                position=thread.take_position(),
                thread=thread,
                kind="report",
                day=date.today(),
                office_envelope=envelope.seal(payload, [office.encryption_key]),
                own_copy=envelope.seal(b"own copy", [reporter]),
                acknowledged=False,
            )
            db.add(sub)
            for row in rows:
                row.submission = sub
                db.add(row)
    services(app).engine.dispose()
    return base


def child_export(data_dir: str, out: str) -> None:
    """In a child process: what the office page's download does, into ``out``."""
    from werkzeug.wrappers import Response

    from portal import create_app
    from portal.config import Settings
    from portal.db import session_scope
    from portal.services import services
    from portal.transfer import export_inbound

    base = Path(data_dir)
    app = create_app(Settings(data_dir=base, database_url=f"sqlite:///{base}/varsel.sqlite3"))
    with session_scope(app) as db:  # warm: the same queries once, nothing kept
        db.execute(bundles_text("SELECT COUNT(*) FROM submissions")).all()
    idle = status_kib("VmRSS")
    reset_peak()
    with session_scope(app) as db:
        export = export_inbound(
            db, services(app).settings, services(app).secrets.portal_identity, date.today()
        )
        body = export.chunks() if hasattr(export, "chunks") else export.data
        response = Response(body, mimetype="application/octet-stream")
        with open(out, "wb") as f:
            for chunk in response.iter_encoded():
                f.write(chunk)
        del export, body, response
    print(status_kib("VmHWM") - idle)


def bundles_text(sql: str) -> object:
    from sqlalchemy import text

    return text(sql)


def child_import(home: str, bundle: str) -> None:
    """In a child process: unlock, then import ``bundle``; the peak above the unlocked
    state."""
    import inspect

    from inbox.home import Home, unlock
    from inbox.importer import import_bundle
    from inbox.store import Store

    h = Home(Path(home))
    unlocked = unlock(h, PASSPHRASE)
    store = Store.open(h, unlocked.store_key)
    idle = status_kib("VmRSS")
    reset_peak()
    if "data" in inspect.signature(import_bundle).parameters:  # before streaming
        summary = import_bundle(h, store, unlocked, Path(bundle).read_bytes())  # type: ignore[arg-type]
    else:
        with open(bundle, "rb", buffering=0) as f:
            summary = import_bundle(h, store, unlocked, f, **_day_of(import_bundle))
    assert summary.new_items, "nothing imported"
    store.close()
    print(status_kib("VmHWM") - idle)


def run_child(*args: str) -> tuple[str, int]:
    """A child process's output and its peak resident memory (KiB, from wait4)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_INBOX_PASSPHRASE"] = PASSPHRASE
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{text}")
    return text.strip(), usage.ru_maxrss


def self_child(*args: str) -> tuple[str, int]:
    return run_child(sys.executable, __file__, *args)


def init_home(base: Path) -> tuple[Path, PublicIdentity]:
    home = base / "inbox"
    run_child(str(BIN / "varsel-inbox"), "--home", str(home), "init")
    return home, PublicIdentity.from_text((home / "office.pub").read_text())


def fresh_home(pristine: Path, where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(pristine, where)
    return where


def mib(kib: int) -> str:
    return f"{kib / 1024:7.1f} MiB"


# -- memory ---------------------------------------------------------------------------------


def memory(base: Path, pristine: Path, office: PublicIdentity, sizes: list[int]) -> None:
    _, list_peak = run_child(str(BIN / "varsel-inbox"), "--home", str(pristine), "list")
    print(f"{'bundle':>9}  {'export above idle':>18}  {'import above unlocked':>22}  "
          f"{'import command above list':>26}")
    for size_mib in sizes:
        files = [20 * MIB] * (size_mib // 20) + ([size_mib % 20 * MIB] if size_mib % 20 else [])
        data = seed_portal(base / f"portal-{size_mib}", office, files, small=5)
        bundle = base / f"inn-{size_mib}.bundle"
        export_kib = int(self_child("_export", str(data), str(bundle))[0])
        real = bundle.stat().st_size
        home = fresh_home(pristine, base / "home-a")
        import_kib = int(self_child("_import", str(home), str(bundle))[0])
        home = fresh_home(pristine, base / "home-b")
        _, command_peak = run_child(
            str(BIN / "varsel-inbox"), "--home", str(home), "import", str(bundle)
        )
        print(
            f"{real / MIB:6.0f} MiB  {mib(export_kib)} ({export_kib * 1024 / real:5.2f}×)  "
            f"{mib(import_kib)} ({import_kib * 1024 / real:5.2f}×)    "
            f"{mib(command_peak - list_peak)} ({(command_peak - list_peak) * 1024 / real:5.2f}×)"
        )
        shutil.rmtree(data)
        bundle.unlink()
    print(f"(varsel-inbox list, the unlocked baseline, peaks at {mib(list_peak).strip()}; "
          "× is the figure over the bundle's size; goal: < 64 MiB, not growing)")


# -- import rate ----------------------------------------------------------------------------


def bare_loop(items: list[tuple[bytes, list[tuple[bytes, int, list[bytes]]]]], pk: bytes,
              sk: bytes) -> None:
    """Open every envelope and decrypt every stream, from memory, with nothing else."""
    for sealed, streams in items:
        decode_payload(envelope.open_envelope(sealed, pk, sk))
        for key, _size, chunks in streams:
            state = sodium.crypto_secretstream_xchacha20poly1305_state()
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, chunks[0], key)
            for chunk in chunks[1:]:
                sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, None)


def rate(base: Path, pristine: Path, office: PublicIdentity, runs: int) -> None:
    import inspect

    from inbox.home import Home, unlock
    from inbox.importer import import_bundle
    from inbox.store import Store

    data = seed_portal(base / "portal-rate", office, [20 * MIB] * 5, small=500)
    bundle = base / "rate.bundle"
    self_child("_export", str(data), str(bundle))
    shutil.rmtree(data)
    raw = bundle.read_bytes()
    unlocked = unlock(Home(pristine), PASSPHRASE)
    identity = unlocked.identity
    pk, sk = identity.public.encryption_key, identity.encryption_secret
    parsed = bundles.read_inbound(raw, bundles.bundle_signer(raw))
    items = []
    step = stream.CHUNK + stream.OVERHEAD
    for item in parsed.items:
        payload = decode_payload(envelope.open_envelope(item.envelope, pk, sk))
        carried = {b.id: b.data for b in item.attachments}
        streams = []
        for ref in payload.attachments:  # type: ignore[union-attr]
            blob = carried[ref.blob]
            head = len(stream.MAGIC) + stream.HEADER_BYTES
            chunks = [blob[len(stream.MAGIC) : head]]
            chunks += [blob[i : i + step] for i in range(head, len(blob), step)]
            streams.append((ref.key, ref.size, chunks))
        items.append((item.envelope, streams))
    del parsed, raw
    wants_bytes = "data" in inspect.signature(import_bundle).parameters
    anchor, imports = [], []
    for run in range(runs):
        start = time.perf_counter()
        bare_loop(items, pk, sk)
        anchor.append(time.perf_counter() - start)
        home = Home(fresh_home(pristine, base / f"home-rate-{run}"))
        store = Store.open(home, unlocked.store_key)
        start = time.perf_counter()
        if wants_bytes:  # before streaming
            summary = import_bundle(home, store, unlocked, bundle.read_bytes())  # type: ignore[arg-type]
        else:
            with bundle.open("rb", buffering=0) as f:
                summary = import_bundle(home, store, unlocked, f, **_day_of(import_bundle))
        imports.append(time.perf_counter() - start)
        store.close()
        assert summary.new_items == 505, summary
        shutil.rmtree(home.path)
    size = bundle.stat().st_size
    a, i = statistics.median(anchor), statistics.median(imports)
    print(f"bundle: 505 items, {size / MIB:.0f} MiB; medians of {runs} interleaved runs")
    print(f"bare PyNaCl loop (anchor)   {a * 1000:8.0f} ms  {size / MIB / a:7.0f} MiB/s")
    print(f"import_bundle               {i * 1000:8.0f} ms  {size / MIB / i:7.0f} MiB/s")
    print(f"ratio import / anchor rate  {a / i:8.2f}×   (goal ≥ 0.5×)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_export":
        return child_export(*sys.argv[2:])
    if len(sys.argv) > 1 and sys.argv[1] == "_import":
        return child_import(*sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,100,250", help="bundle sizes in MiB")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs for the rate")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-rate", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        base = Path(tmp)
        pristine, office = init_home(base)
        if not args.skip_memory:
            print("\n== Peak resident memory (KiB figures from /proc and wait4) ==")
            memory(base, pristine, office, [int(s) for s in args.sizes.split(",")])
        if not args.skip_rate:
            print("\n== Import rate ==")
            rate(base, pristine, office, args.runs)


if __name__ == "__main__":
    main()
