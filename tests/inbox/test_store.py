"""The store's own boundaries: one thread-metadata codec for every writer and reader, the
day passed in rather than read from the clock, and the SQL, the clock and exclusive file
creation each in one module of the inbox."""

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

from crypto.encoding import b64encode
from inbox.handover import close_out
from inbox.home import unlock
from inbox.importer import import_bundle
from inbox.outbox import queue_reply
from inbox.store import Store, ThreadMeta
from inbox.threads import load_thread, summaries

from .conftest import PASSPHRASE, Office, Portal, Reporter, answers

INBOX = Path(__file__).resolve().parents[2] / "inbox"
KEY = bytes(range(32))


def test_thread_metadata_is_written_as_before_and_every_earlier_shape_reads() -> None:
    # What the importer and the intake wrote before the codec: stores keep these bytes.
    from_portal = json.dumps({"reporter_public_key": b64encode(KEY)}).encode()
    by_hand = json.dumps({"reporter_public_key": None, "portal": False}).encode()
    assert ThreadMeta(KEY).encode() == from_portal
    assert ThreadMeta(None, portal=False).encode() == by_hand
    assert ThreadMeta.decode(from_portal) == ThreadMeta(KEY)
    assert ThreadMeta.decode(by_hand) == ThreadMeta(None, portal=False)
    # A receipt given later (inbox/receipts.py) wrote "portal": true beside the key.
    receipt = json.dumps({"reporter_public_key": b64encode(KEY), "portal": True}).encode()
    assert ThreadMeta.decode(receipt) == ThreadMeta(KEY)
    closed = ThreadMeta(None, closed_out="2031-05-17")
    assert closed.encode() == b'{"closed_out": "2031-05-17"}'
    assert ThreadMeta.decode(closed.encode()) == closed


def test_a_command_uses_the_day_it_is_given(
    office: Office, portal: Portal, reporter: Reporter
) -> None:
    """Nothing below the command line reads the clock: a day three days ahead shows up in
    the acknowledgement, the reply, the thread list and the tombstone."""
    later = date.today() + timedelta(days=3)
    thread = portal.report(reporter, answers())
    unlocked = unlock(office.home, PASSPHRASE)
    with Store.open(office.home, unlocked.store_key) as store:
        import_bundle(office.home, store, unlocked, io.BytesIO(portal.bundle()), today=later)
        reply = queue_reply(store, thread, "Takk, vi ser på saken.", today=later)
        (ack,) = [r for r in store.unconfirmed_outbox() if r.kind == "ack"]
        assert ack.day == later.isoformat()
        (sent,) = [e for e in load_thread(store, thread).entries if e.id == reply]
        assert sent.day == later.isoformat()
        (row,) = summaries(store, later)
        assert row.days == 3
        assert load_thread(store, thread).days_on(later) == 3
    office.ok("case", "open", thread)
    for state in ("bekreftet", "anklagedes-versjon", "omforent-losning", "avsluttet"):
        office.ok("case", "state", thread, state)
    office.ok("export-outbound", str(office.home.path / "ut.vsb"))
    office.ok("import", _confirming(portal, office))
    with Store.open(office.home, unlocked.store_key) as store:
        assert close_out(store, thread, today=later).closed_day == later.isoformat()


def _confirming(portal: Portal, office: Office) -> str:
    path = office.home.path / "bekreft.vsb"
    path.write_bytes(portal.bundle(last_outbound_sequence=1))
    return str(path)


def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(INBOX)): path.read_text("utf-8") for path in INBOX.rglob("*.py")
    }


def test_only_the_store_runs_sql_on_the_inbox_database() -> None:
    found = {
        name
        for name, text in _sources().items()
        if re.search(r"\.execute(many|script)?\(", text)
    }
    # backup.py runs one PRAGMA on a fresh copy of any SQLite file (portal's or inbox's).
    assert found == {"store.py", "backup.py"}
    assert _sources()["backup.py"].count(".execute(") == 1


def test_only_the_clock_reads_the_day() -> None:
    found = {
        name
        for name, text in _sources().items()
        if re.search(r"date\.today\(|datetime\.now\(|time\.time\(", text)
    }
    assert found == {"clock.py"}


def test_only_files_creates_files_exclusively() -> None:
    found = {
        name
        for name, text in _sources().items()
        if "os.O_EXCL" in text or re.search(r"""open\([^)]*["']x""", text)
    }
    assert found == {"files.py"}
