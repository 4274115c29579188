"""The encrypted store: one SQLite file in the home directory.

Plaintext columns hold only what listing needs: ids, days, states, counters and flags that
say nothing about a report (read/unread, which outbound bundle carried an entry). Every
value with report content -- decrypted payloads, the office's replies, case notes, case
metadata such as the handling level, flags and handler names -- is stored only as
``crypto.wrap.wrap(store_key, context || bytes)``. The context names the row
(``items/<id>``), so a wrapped value moved to another row does not open there.

A case closed out under the retention rule (§6b) keeps only a tombstone: the thread row
(id, day received, reporter-visible status), a ``closed_threads`` row (day closed, final
state, handed over) and the ids of its deleted items in ``deleted_items``, so a later
import recognises them and does not bring the content back. The connection runs with
``secure_delete`` and a rollback journal that is deleted after each commit, so deleted
rows are overwritten with zeros in the database file and no copy stays in a WAL.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crypto import wrap
from crypto.errors import CryptoError

from .errors import AmbiguousThread, ClosedOut, HomeError, UnknownThread
from .files import shred
from .home import Home

SCHEMA_VERSION = 4

SCHEMA = """
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    received_day TEXT NOT NULL,
    status TEXT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE items (
    id TEXT PRIMARY KEY,
    thread TEXT NOT NULL REFERENCES threads(id),
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    position INTEGER NOT NULL,
    read INTEGER NOT NULL DEFAULT 0,
    sealed BLOB NOT NULL
);
CREATE TABLE attachments (
    blob TEXT PRIMARY KEY,
    item TEXT NOT NULL REFERENCES items(id)
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('ack', 'reply', 'status')),
    thread TEXT NOT NULL REFERENCES threads(id),
    ref TEXT,
    status TEXT,
    day TEXT NOT NULL,
    position INTEGER NOT NULL,
    exported_in INTEGER,
    sealed BLOB
);
CREATE TABLE cases (
    thread TEXT PRIMARY KEY REFERENCES threads(id),
    state TEXT NOT NULL,
    opened_day TEXT NOT NULL,
    state_day TEXT NOT NULL,
    review_day TEXT,
    sealed BLOB NOT NULL
);
CREATE TABLE case_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    thread TEXT NOT NULL REFERENCES cases(thread),
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    sealed BLOB NOT NULL
);
"""

# Version 2: tombstones for cases closed out and deleted (§6b).
SCHEMA_V2 = """
CREATE TABLE closed_threads (
    thread TEXT PRIMARY KEY REFERENCES threads(id),
    received_day TEXT NOT NULL,
    closed_day TEXT NOT NULL,
    final_state TEXT NOT NULL,
    handed_over INTEGER NOT NULL
);
CREATE TABLE deleted_items (
    id TEXT PRIMARY KEY,
    thread TEXT NOT NULL REFERENCES threads(id)
);
"""

# Version 3: items set aside at import (docs/PROTOCOL.md, "Setting an item aside"): the
# envelope as received and the reason, wrapped; their attachment streams as blob files
# named ``aside.<item>.<n>``. And an index, so listing many threads stays fast.
SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS set_aside (
    id TEXT PRIMARY KEY,
    thread TEXT NOT NULL REFERENCES threads(id),
    kind TEXT NOT NULL,
    day TEXT NOT NULL,
    set_aside_day TEXT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS set_aside_blobs (
    blob TEXT PRIMARY KEY,
    item TEXT NOT NULL REFERENCES set_aside(id)
);
CREATE INDEX IF NOT EXISTS items_by_thread ON items(thread);
"""

# Version 4: threads to open on the portal for reports received outside it, whose reporter
# got a receipt (inbox/receipts.py): the login key sealed to the portal, the reporter's
# public key and own copy, wrapped; carried by every outbound bundle until confirmed.
SCHEMA_V4 = """
CREATE TABLE IF NOT EXISTS openings (
    thread TEXT PRIMARY KEY REFERENCES threads(id),
    day TEXT NOT NULL,
    exported_in INTEGER,
    sealed BLOB NOT NULL
);
"""

# meta counters
LAST_EXPORTED = "last_exported_sequence"
LAST_CONFIRMED = "last_confirmed_sequence"
NEXT_POSITION = "next_position"


class Store:
    def __init__(self, home: Home, key: bytes, db: sqlite3.Connection) -> None:
        self.home = home
        self._key = key
        self.db = db

    def __repr__(self) -> str:
        return f"Store({self.home.database})"

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, home: Home, key: bytes) -> "Store":
        if home.database.exists():
            raise HomeError(f"{home.database} finnes allerede.")
        store = cls(home, key, _connect(home.database))
        store.db.executescript(
            f"BEGIN;\n{SCHEMA}\n{SCHEMA_V2}\n{SCHEMA_V3}\n{SCHEMA_V4}\nCOMMIT;"
        )
        with store.transaction():
            for name, value in (
                ("schema_version", SCHEMA_VERSION),
                (LAST_EXPORTED, 0),
                (LAST_CONFIRMED, 0),
                (NEXT_POSITION, 1),
            ):
                store.db.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))
        home.database.chmod(0o600)
        return store

    @classmethod
    def open(cls, home: Home, key: bytes) -> "Store":
        home.require()
        store = cls(home, key, _connect(home.database))
        version = store.get_meta("schema_version")
        upgrades = {1: SCHEMA_V2 + SCHEMA_V3 + SCHEMA_V4, 2: SCHEMA_V3 + SCHEMA_V4, 3: SCHEMA_V4}
        if version in upgrades:
            store.db.executescript(
                f"BEGIN;\n{upgrades[version]}\n"
                f"UPDATE meta SET value = {SCHEMA_VERSION} WHERE name = 'schema_version';\n"
                "COMMIT;"
            )
            version = SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            store.close()
            raise HomeError(f"Ukjent versjon av lageret ({version}).")
        store.recover_blobs()
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction: everything inside commits together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- wrapped values --------------------------------------------------------------------

    def seal(self, context: str, data: bytes) -> bytes:
        return wrap.wrap(self._key, context.encode("utf-8") + b"\n" + data)

    def unseal(self, context: str, sealed: bytes) -> bytes:
        try:
            plain = wrap.unwrap(self._key, sealed)
        except CryptoError as exc:
            raise HomeError(f"Lageret er skadet ({context} åpner ikke).") from exc
        prefix = context.encode("utf-8") + b"\n"
        if not plain.startswith(prefix):
            raise HomeError(f"Lageret er skadet ({context} hører til en annen rad).")
        return plain[len(prefix) :]

    # -- counters --------------------------------------------------------------------------

    def get_meta(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise HomeError(f"Lageret mangler telleren {name}.")
        return int(row[0])

    def set_meta(self, name: str, value: int) -> None:
        self.db.execute("UPDATE meta SET value = ? WHERE name = ?", (value, name))

    def next_outbound_sequence(self) -> int:
        """The number the next outbound bundle will carry."""
        return self.get_meta(LAST_EXPORTED) + 1

    def next_position(self) -> int:
        """A strictly increasing number that orders a conversation (days are too coarse)."""
        position = self.get_meta(NEXT_POSITION)
        self.set_meta(NEXT_POSITION, position + 1)
        return position

    # -- threads ---------------------------------------------------------------------------

    def thread_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM threads ORDER BY received_day, id")]

    def closed_day(self, thread_id: str) -> str | None:
        """The day the thread was closed out and its content deleted (§6b), or None."""
        row = self.db.execute(
            "SELECT closed_day FROM closed_threads WHERE thread = ?", (thread_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def resolve_thread(self, prefix: str, *, deleted_ok: bool = False) -> str:
        """The one thread whose id starts with ``prefix``.

        A thread closed out under §6b has no content left; unless ``deleted_ok``, naming it
        is an error that says so.
        """
        prefix = prefix.strip()
        if not prefix:
            raise UnknownThread("Oppgi en sak (starten av saks-ID-en).")
        matches = [t for t in self.thread_ids() if t.startswith(prefix)]
        if not matches:
            raise UnknownThread(f"Ingen sak har en ID som begynner med «{prefix}».")
        if len(matches) > 1:
            raise AmbiguousThread(
                f"«{prefix}» passer til {len(matches)} saker; skriv flere tegn av ID-en."
            )
        closed = self.closed_day(matches[0])
        if closed is not None and not deleted_ok:
            raise ClosedOut(
                f"Sak {matches[0][:8]} er avsluttet, overlevert og slettet {closed} (§6b). "
                "Innholdet finnes ikke lenger i innboksen."
            )
        return matches[0]

    # -- blob files ------------------------------------------------------------------------

    def blob_path(self, blob_id: str) -> Path:
        return self.home.blobs / blob_id

    def knows_blob(self, name: str) -> bool:
        """Whether a blob file of this name belongs to an item or a set-aside item."""
        row = self.db.execute(
            "SELECT 1 FROM attachments WHERE blob = ? UNION ALL "
            "SELECT 1 FROM set_aside_blobs WHERE blob = ?",
            (name, name),
        ).fetchone()
        return row is not None

    def recover_blobs(self) -> None:
        """Finish or clean up blob files left by an interrupted import.

        Import writes ``.tmp-<token>-<blob>`` files, commits, then renames them. After a
        crash between commit and rename the store knows the blob, so the rename is finished
        here; temporary files the store does not know about are deleted.
        """
        if not self.home.blobs.is_dir():
            return
        for path in self.home.blobs.glob(".tmp-*"):
            parts = path.name.split("-", 2)
            blob_id = parts[2] if len(parts) == 3 else ""
            if self.knows_blob(blob_id) and not self.blob_path(blob_id).exists():
                path.rename(self.blob_path(blob_id))
            else:
                path.unlink()
        # A blob file the store no longer knows was left by a close-out interrupted after
        # its commit (§6b): finish deleting it.
        for path in self.home.blobs.iterdir():
            if path.name.startswith(".tmp-") or not path.is_file():
                continue
            if not self.knows_blob(path.name):
                shred(path)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")
    # A rollback journal that is deleted after each commit (no WAL keeping old pages).
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA temp_store = MEMORY")
    return db
