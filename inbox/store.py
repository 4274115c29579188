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

Every SQL statement of the inbox is here. The other modules call methods named after what
they do (``thread``, ``items_of``, ``queue_reply``, ``confirm_outbound``, ``close_out``...),
which wrap and unwrap on the way; look-ups over a bundle's many ids run as batched
``IN (...)`` queries. A thread's wrapped metadata has one codec, :class:`ThreadMeta`, for
the importer, the intake and receipts that write it and the outbox that reads it.
"""

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

from crypto import wrap
from crypto.encoding import b64decode, b64encode
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

# "Feedback given" (inbox.deadlines): a case note that the reporter was informed (§9.4)
# counts only for a report with no thread on the portal -- no acknowledgement ever goes
# there and no thread was opened for it with a receipt. Where the portal has the thread,
# only a reply counts, as on the portal's office dashboard. The condition is written out
# in ``summary_rows`` and ``first_feedback_day`` (``l`` is the case log row).

# Parameters per ``IN (...)`` query: old SQLite builds allow 999.
_BATCH = 500


@dataclass(frozen=True)
class ThreadMeta:
    """What a thread row keeps wrapped: the reporter's public key (replies are sealed to
    it), whether the thread exists on the portal (a report received outside it does not,
    inbox/intake.py), and, once closed out under §6b, only the day it was."""

    reporter_public_key: bytes | None
    portal: bool = True
    closed_out: str | None = None

    def encode(self) -> bytes:
        if self.closed_out is not None:
            return json.dumps({"closed_out": self.closed_out}).encode()
        key = None if self.reporter_public_key is None else b64encode(self.reporter_public_key)
        value: dict[str, object] = {"reporter_public_key": key}
        if not self.portal:
            value["portal"] = False
        return json.dumps(value).encode()

    @classmethod
    def decode(cls, data: bytes) -> "ThreadMeta":
        value = json.loads(data)
        key = value.get("reporter_public_key")
        return cls(
            reporter_public_key=None
            if key is None
            else b64decode(str(key), length=32, what="reporter public key"),
            portal=value.get("portal", True) is not False,
            closed_out=value.get("closed_out"),
        )


class ThreadRow(NamedTuple):
    id: str
    received_day: str
    status: str


class ItemRow(NamedTuple):
    id: str
    kind: str
    day: str
    position: int
    read: bool
    plaintext: bytes


class OutboxRow(NamedTuple):
    kind: str  # "ack" | "reply" | "status"
    thread: str
    ref: str | None  # the item acknowledged, or the reply's id
    status: str | None
    day: str
    position: int
    exported_in: int | None
    content: bytes | None  # a reply's wrapped content, unwrapped


class SetAsideRow(NamedTuple):
    id: str
    kind: str
    day: str
    set_aside_day: str
    content: bytes


class CaseRow(NamedTuple):
    thread: str
    state: str
    opened_day: str
    state_day: str
    review_day: str | None
    meta: dict[str, Any]


class LogRow(NamedTuple):
    day: str
    kind: str
    text: str


class OpeningRow(NamedTuple):
    thread: str
    status: str
    content: dict[str, Any]


class SummaryRow(NamedTuple):
    """One line of the thread list: counters only, and the case metadata for deadlines."""

    id: str
    received_day: str
    status: str
    case_state: str | None  # or the final state of a thread closed out
    items: int
    unread: int
    closed_day: str | None
    replies: int
    review_day: str | None
    case_meta: dict[str, Any] | None
    set_aside: int


class Tombstone(NamedTuple):
    """What stays of a thread closed out under §6b."""

    thread: str
    received_day: str
    closed_day: str
    final_state: str
    handed_over: bool


class Store:
    def __init__(self, home: Home, key: bytes, db: sqlite3.Connection) -> None:
        self.home = home
        self._key = key
        self._db = db

    def __repr__(self) -> str:
        return f"Store({self.home.database})"

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, home: Home, key: bytes) -> "Store":
        if home.database.exists():
            raise HomeError(f"{home.database} finnes allerede.")
        store = cls(home, key, _connect(home.database))
        store._db.executescript(
            f"BEGIN;\n{SCHEMA}\n{SCHEMA_V2}\n{SCHEMA_V3}\n{SCHEMA_V4}\nCOMMIT;"
        )
        with store.transaction():
            for name, value in (
                ("schema_version", SCHEMA_VERSION),
                (LAST_EXPORTED, 0),
                (LAST_CONFIRMED, 0),
                (NEXT_POSITION, 1),
            ):
                store._db.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))
        home.database.chmod(0o600)
        return store

    @classmethod
    def open(cls, home: Home, key: bytes) -> "Store":
        home.require()
        store = cls(home, key, _connect(home.database))
        version = store.get_meta("schema_version")
        upgrades = {1: SCHEMA_V2 + SCHEMA_V3 + SCHEMA_V4, 2: SCHEMA_V3 + SCHEMA_V4, 3: SCHEMA_V4}
        if version in upgrades:
            store._db.executescript(
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
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction: everything inside commits together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

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

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row the query returns, or None."""
        return self._db.execute(sql, params).fetchone()

    # -- counters --------------------------------------------------------------------------

    def get_meta(self, name: str) -> int:
        row = self._one("SELECT value FROM meta WHERE name = ?", (name,))
        if row is None:
            raise HomeError(f"Lageret mangler telleren {name}.")
        return int(row[0])

    def set_meta(self, name: str, value: int) -> None:
        self._db.execute("UPDATE meta SET value = ? WHERE name = ?", (value, name))

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
        return [r[0] for r in self._db.execute("SELECT id FROM threads ORDER BY received_day, id")]

    def closed_day(self, thread_id: str) -> str | None:
        """The day the thread was closed out and its content deleted (§6b), or None."""
        row = self._one(
            "SELECT closed_day FROM closed_threads WHERE thread = ?", (thread_id,)
        )
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

    def thread(self, thread_id: str) -> ThreadRow:
        row = self._one(
            "SELECT id, received_day, status FROM threads WHERE id = ?", (thread_id,)
        )
        if row is None:
            raise UnknownThread(f"Ingen sak har ID-en «{thread_id}».")
        return ThreadRow(*row)

    def thread_meta(self, thread_id: str) -> ThreadMeta:
        row = self._one("SELECT sealed FROM threads WHERE id = ?", (thread_id,))
        if row is None:
            raise UnknownThread(f"Ingen sak har ID-en «{thread_id}».")
        return ThreadMeta.decode(self.unseal(f"threads/{thread_id}", row[0]))

    def thread_metas_among(self, ids: Iterable[str]) -> dict[str, ThreadMeta]:
        """The metadata of those of ``ids`` that are threads here (one query per batch)."""
        return {
            thread: ThreadMeta.decode(self.unseal(f"threads/{thread}", sealed))
            for thread, sealed in self._among(
                "SELECT id, sealed FROM threads WHERE id IN", ids
            ).items()
        }

    def threads_among(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are threads here."""
        return set(self._among("SELECT id, 1 FROM threads WHERE id IN", ids))

    def closed_among(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are threads closed out under §6b."""
        return set(self._among("SELECT thread, 1 FROM closed_threads WHERE thread IN", ids))

    def add_thread(self, thread_id: str, received_day: str, meta: ThreadMeta) -> None:
        """A new thread, status ``received`` (inside the caller's transaction)."""
        self._db.execute(
            "INSERT INTO threads (id, received_day, status, sealed) VALUES (?, ?, 'received', ?)",
            (thread_id, received_day, self.seal(f"threads/{thread_id}", meta.encode())),
        )

    def set_thread_meta(self, thread_id: str, meta: ThreadMeta) -> None:
        self._db.execute(
            "UPDATE threads SET sealed = ? WHERE id = ?",
            (self.seal(f"threads/{thread_id}", meta.encode()), thread_id),
        )

    def set_status(self, thread_id: str, status: str) -> None:
        """The reporter-visible status as the inbox keeps it (see ``queue_status``)."""
        self._db.execute("UPDATE threads SET status = ? WHERE id = ?", (status, thread_id))

    def remove_thread(self, thread_id: str) -> None:
        """Undo a thread made by hand (inbox/intake.py): its case, log, items and row."""
        with self.transaction():
            self._db.execute("DELETE FROM case_log WHERE thread = ?", (thread_id,))
            self._db.execute("DELETE FROM cases WHERE thread = ?", (thread_id,))
            self._db.execute("DELETE FROM items WHERE thread = ?", (thread_id,))
            self._db.execute("DELETE FROM threads WHERE id = ?", (thread_id,))

    def summary_rows(self) -> list[SummaryRow]:
        rows = self._db.execute(
            "SELECT t.id, t.received_day, t.status, COALESCE(c.state, z.final_state), "
            "(SELECT COUNT(*) FROM items i WHERE i.thread = t.id), "
            "(SELECT COUNT(*) FROM items i WHERE i.thread = t.id AND i.read = 0), z.closed_day, "
            "(SELECT COUNT(*) FROM outbox o WHERE o.thread = t.id AND o.kind = 'reply') + "
            # "Feedback given" (see above the class ThreadMeta): a reply, or a note off the portal.
            "(SELECT COUNT(*) FROM case_log l WHERE l.thread = t.id AND l.kind = 'informert' "
            "AND NOT EXISTS (SELECT 1 FROM outbox a WHERE a.thread = l.thread AND a.kind = 'ack') "
            "AND NOT EXISTS (SELECT 1 FROM openings p WHERE p.thread = l.thread)), "
            "c.review_day, c.sealed, "
            "(SELECT COUNT(*) FROM set_aside s WHERE s.thread = t.id) "
            "FROM threads t LEFT JOIN cases c ON c.thread = t.id "
            "LEFT JOIN closed_threads z ON z.thread = t.id "
            "ORDER BY t.received_day, t.id"
        )
        return [
            SummaryRow(
                tid,
                day,
                status,
                state,
                items,
                unread,
                closed,
                replies,
                review,
                None if sealed is None else self._case_meta(tid, sealed),
                aside,
            )
            for (tid, day, status, state, items, unread, closed, replies, review, sealed, aside)
            in rows
        ]

    def thread_days(self) -> list[tuple[str, str, str | None]]:
        """(thread, day received, day closed out or None) of every thread."""
        return self._db.execute(
            "SELECT t.id, t.received_day, z.closed_day FROM threads t "
            "LEFT JOIN closed_threads z ON z.thread = t.id"
        ).fetchall()

    # -- items -----------------------------------------------------------------------------

    def items_of(self, thread_id: str, kind: str | None = None) -> list[ItemRow]:
        """The thread's items (of ``kind``, if given), unwrapped, in conversation order."""
        query = "SELECT id, kind, day, position, read, sealed FROM items WHERE thread = ?"
        args: tuple[str, ...] = (thread_id,)
        if kind is not None:
            query += " AND kind = ?"
            args += (kind,)
        return [
            ItemRow(item, k, day, position, bool(read), self.unseal(f"items/{item}", sealed))
            for item, k, day, position, read, sealed in self._db.execute(
                query + " ORDER BY position", args
            )
        ]

    def add_item(
        self,
        item_id: str,
        thread_id: str,
        kind: str,
        day: str,
        position: int,
        plaintext: bytes,
        *,
        read: bool = False,
    ) -> None:
        self._db.execute(
            "INSERT INTO items (id, thread, kind, day, position, read, sealed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                item_id,
                thread_id,
                kind,
                day,
                position,
                int(read),
                self.seal(f"items/{item_id}", plaintext),
            ),
        )

    def add_attachment(self, blob_id: str, item_id: str) -> None:
        self._db.execute("INSERT INTO attachments (blob, item) VALUES (?, ?)", (blob_id, item_id))

    def knows_attachment(self, blob_id: str) -> bool:
        row = self._one("SELECT 1 FROM attachments WHERE blob = ?", (blob_id,))
        return row is not None

    def item_threads_among(self, ids: Iterable[str]) -> dict[str, str]:
        """``{item: thread}`` for those of ``ids`` the inbox has seen: imported, deleted
        under §6b, or set aside."""
        ids = list(ids)
        return {
            **self._among("SELECT id, thread FROM items WHERE id IN", ids),
            **self._among("SELECT id, thread FROM deleted_items WHERE id IN", ids),
            **self._among("SELECT id, thread FROM set_aside WHERE id IN", ids),
        }

    def mark_read(self, thread_id: str) -> None:
        with self.transaction():
            self._db.execute("UPDATE items SET read = 1 WHERE thread = ?", (thread_id,))

    def set_aside(
        self,
        item_id: str,
        thread_id: str,
        kind: str,
        day: str,
        today: str,
        content: bytes,
        blobs: Iterable[str],
    ) -> None:
        """Keep an item that could not be read, with its attachment streams' file names."""
        self._db.execute(
            "INSERT INTO set_aside (id, thread, kind, day, set_aside_day, sealed) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, thread_id, kind, day, today, self.seal(f"set_aside/{item_id}", content)),
        )
        for blob in blobs:
            self._db.execute(
                "INSERT INTO set_aside_blobs (blob, item) VALUES (?, ?)", (blob, item_id)
            )

    def set_aside_of(self, thread_id: str) -> list[SetAsideRow]:
        return [
            SetAsideRow(item, kind, day, aside_day, self.unseal(f"set_aside/{item}", sealed))
            for item, kind, day, aside_day, sealed in self._db.execute(
                "SELECT id, kind, day, set_aside_day, sealed FROM set_aside WHERE thread = ? "
                "ORDER BY day, id",
                (thread_id,),
            )
        ]

    # -- the outbox ------------------------------------------------------------------------

    def queue_ack(self, thread_id: str, item_id: str, day: str, position: int) -> None:
        self._db.execute(
            "INSERT INTO outbox (kind, thread, ref, day, position) VALUES ('ack', ?, ?, ?, ?)",
            (thread_id, item_id, day, position),
        )

    def queue_reply(self, thread_id: str, reply_id: str, day: str, content: bytes) -> None:
        self._db.execute(
            "INSERT INTO outbox (kind, thread, ref, day, position, sealed) "
            "VALUES ('reply', ?, ?, ?, ?, ?)",
            (
                thread_id,
                reply_id,
                day,
                self.next_position(),
                self.seal(f"outbox/reply/{reply_id}", content),
            ),
        )

    def queue_status(self, thread_id: str, status: str, day: str) -> None:
        self._db.execute(
            "INSERT INTO outbox (kind, thread, status, day, position) "
            "VALUES ('status', ?, ?, ?, ?)",
            (thread_id, status, day, self.next_position()),
        )

    def _outbox_row(self, row: tuple[Any, ...]) -> OutboxRow:
        kind, thread, ref, status, day, position, exported_in, sealed = row
        content = None
        if kind == "reply" and sealed is not None:
            content = self.unseal(f"outbox/reply/{ref}", sealed)
        return OutboxRow(kind, thread, ref, status, day, position, exported_in, content)

    _OUTBOX = "SELECT kind, thread, ref, status, day, position, exported_in, sealed FROM outbox "

    def outbox_of(self, thread_id: str) -> list[OutboxRow]:
        """The thread's replies and statuses (acknowledgements say nothing to read)."""
        return [
            self._outbox_row(row)
            for row in self._db.execute(
                self._OUTBOX + "WHERE thread = ? AND kind IN ('reply', 'status')", (thread_id,)
            )
        ]

    def unconfirmed_outbox(self) -> list[OutboxRow]:
        """Entries no inbound bundle has confirmed yet, in order: every export carries them."""
        return [
            self._outbox_row(row)
            for row in self._db.execute(
                self._OUTBOX + "WHERE exported_in IS NULL OR exported_in > ? ORDER BY position",
                (self.get_meta(LAST_CONFIRMED),),
            )
        ]

    def unconfirmed_replies(self, thread_id: str) -> int:
        return int(
            self._one(
                "SELECT COUNT(*) FROM outbox WHERE thread = ? AND kind = 'reply' "
                "AND (exported_in IS NULL OR exported_in > ?)",
                (thread_id, self.get_meta(LAST_CONFIRMED)),
            )[0]
        )

    # Whether an outbox entry is in no bundle up to a sequence number: a status change, by
    # its thread, or an acknowledgement, by the item it acknowledges.
    _ON_ITS_WAY: ClassVar[dict[str, str]] = {
        "status": "SELECT 1 FROM outbox WHERE kind = 'status' AND thread = ? "
        "AND (exported_in IS NULL OR exported_in > ?)",
        "ack": "SELECT 1 FROM outbox WHERE kind = 'ack' AND ref = ? "
        "AND (exported_in IS NULL OR exported_in > ?)",
    }

    def on_its_way(self, kind: Literal["status", "ack"], about: str, upto: int) -> bool:
        """Whether a status change for the thread ``about`` (``kind`` "status") or an
        acknowledgement of the item ``about`` ("ack") is in no bundle up to ``upto``."""
        return self._one(self._ON_ITS_WAY[kind], (about, upto)) is not None

    def confirm_outbound(self, sequence: int) -> int:
        """Record that the portal has applied outbound bundles up to ``sequence`` (inside
        the caller's transaction); the number of outbox entries newly confirmed."""
        old = self.get_meta(LAST_CONFIRMED)
        confirmed = max(old, sequence)
        self.set_meta(LAST_CONFIRMED, confirmed)
        return int(
            self._one(
                "SELECT COUNT(*) FROM outbox WHERE exported_in > ? AND exported_in <= ?",
                (old, confirmed),
            )[0]
        )

    def mark_exported(self, sequence: int) -> None:
        """Everything not yet carried is carried by outbound bundle ``sequence``."""
        with self.transaction():
            self.set_meta(LAST_EXPORTED, sequence)
            self._db.execute(
                "UPDATE outbox SET exported_in = ? WHERE exported_in IS NULL", (sequence,)
            )
            self._db.execute(
                "UPDATE openings SET exported_in = ? WHERE exported_in IS NULL", (sequence,)
            )

    def first_acknowledged_day(self, thread_id: str) -> str | None:
        """The day of the first status that acknowledged the report: every status but
        "received" does (inbox.deadlines.ACKNOWLEDGED)."""
        row = self._one(
            "SELECT MIN(day) FROM outbox WHERE thread = ? AND kind = 'status' "
            "AND status != 'received'",
            (thread_id,),
        )
        return None if row[0] is None else str(row[0])

    def first_feedback_day(self, thread_id: str) -> str | None:
        """The day feedback was first given, by the one rule (inbox.deadlines): a reply,
        or, for a report with no thread on the portal, a note that the reporter was
        informed."""
        row = self._one(
            "SELECT MIN(d) FROM (SELECT day AS d FROM outbox WHERE thread = ? AND kind = 'reply' "
            "UNION ALL SELECT l.day FROM case_log l WHERE l.thread = ? AND l.kind = 'informert' "
            "AND NOT EXISTS (SELECT 1 FROM outbox a WHERE a.thread = l.thread AND a.kind = 'ack') "
            "AND NOT EXISTS (SELECT 1 FROM openings p WHERE p.thread = l.thread))",
            (thread_id, thread_id),
        )
        return None if row[0] is None else str(row[0])

    # -- threads to open on the portal (inbox/receipts.py) ---------------------------------

    def opening_waiting(self, thread_id: str) -> bool:
        """Whether the thread waits to be opened and no outbound bundle has carried it yet."""
        row = self._one(
            "SELECT exported_in FROM openings WHERE thread = ?", (thread_id,)
        )
        return row is not None and row[0] is None

    def queue_opening(self, thread_id: str, day: str, content: dict[str, Any]) -> None:
        """Replace the thread's opening (inside the caller's transaction)."""
        self._db.execute("DELETE FROM openings WHERE thread = ?", (thread_id,))
        self._db.execute(
            "INSERT INTO openings (thread, day, sealed) VALUES (?, ?, ?)",
            (thread_id, day, self.seal(f"openings/{thread_id}", json.dumps(content).encode())),
        )

    def opening_unconfirmed(self, thread_id: str) -> bool:
        """Whether the thread waits to be opened on the portal and no inbound bundle has
        confirmed an outbound bundle that carried it."""
        row = self._one(
            "SELECT exported_in FROM openings WHERE thread = ?", (thread_id,)
        )
        return row is not None and (row[0] is None or row[0] > self.get_meta(LAST_CONFIRMED))

    def unconfirmed_openings(self) -> list[OpeningRow]:
        """Threads to open that no inbound bundle has confirmed; with the status now."""
        return [
            OpeningRow(thread, status, json.loads(self.unseal(f"openings/{thread}", sealed)))
            for thread, status, sealed in self._db.execute(
                "SELECT o.thread, t.status, o.sealed FROM openings o "
                "JOIN threads t ON t.id = o.thread "
                "WHERE o.exported_in IS NULL OR o.exported_in > ? ORDER BY o.day, o.thread",
                (self.get_meta(LAST_CONFIRMED),),
            )
        ]

    # -- cases and the case log ------------------------------------------------------------

    def _case_meta(self, thread_id: str, sealed: bytes) -> dict[str, Any]:
        meta: dict[str, Any] = json.loads(self.unseal(f"cases/{thread_id}", sealed))
        return meta

    def _seal_case_meta(self, thread_id: str, meta: dict[str, Any]) -> bytes:
        return self.seal(f"cases/{thread_id}", json.dumps(meta).encode())

    def has_case(self, thread_id: str) -> bool:
        row = self._one("SELECT 1 FROM cases WHERE thread = ?", (thread_id,))
        return row is not None

    def case(self, thread_id: str) -> CaseRow | None:
        row = self._one(
            "SELECT thread, state, opened_day, state_day, review_day, sealed FROM cases "
            "WHERE thread = ?",
            (thread_id,),
        )
        return None if row is None else _case_row(row, self._case_meta(row[0], row[5]))

    def cases(self) -> list[CaseRow]:
        return [
            _case_row(row, self._case_meta(row[0], row[5]))
            for row in self._db.execute(
                "SELECT thread, state, opened_day, state_day, review_day, sealed FROM cases"
            )
        ]

    def add_case(self, thread_id: str, state: str, day: str, meta: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO cases (thread, state, opened_day, state_day, review_day, sealed) "
            "VALUES (?, ?, ?, ?, NULL, ?)",
            (thread_id, state, day, day, self._seal_case_meta(thread_id, meta)),
        )

    def set_case_state(self, thread_id: str, state: str, day: str, review_day: str | None) -> None:
        self._db.execute(
            "UPDATE cases SET state = ?, state_day = ?, review_day = ? WHERE thread = ?",
            (state, day, review_day, thread_id),
        )

    def set_case_meta(self, thread_id: str, meta: dict[str, Any]) -> None:
        self._db.execute(
            "UPDATE cases SET sealed = ? WHERE thread = ?",
            (self._seal_case_meta(thread_id, meta), thread_id),
        )

    def set_review_day(self, thread_id: str, day: str) -> None:
        self._db.execute("UPDATE cases SET review_day = ? WHERE thread = ?", (day, thread_id))

    def add_log(self, thread_id: str, day: str, kind: str, text: str) -> None:
        """One case log entry (inside the caller's transaction)."""
        row_id = self._one("SELECT COALESCE(MAX(id), 0) + 1 FROM case_log")[0]
        self._db.execute(
            "INSERT INTO case_log (id, thread, day, kind, sealed) VALUES (?, ?, ?, ?, ?)",
            (
                row_id,
                thread_id,
                day,
                kind,
                self.seal(f"case_log/{row_id}/{thread_id}", text.encode("utf-8")),
            ),
        )

    def log_of(self, thread_id: str) -> list[LogRow]:
        return [
            LogRow(day, kind, self.unseal(f"case_log/{row_id}/{thread_id}", sealed).decode())
            for row_id, day, kind, sealed in self._db.execute(
                "SELECT id, day, kind, sealed FROM case_log WHERE thread = ? ORDER BY id",
                (thread_id,),
            )
        ]

    # -- close-out (§6b) -------------------------------------------------------------------

    def tombstone(self, thread_id: str) -> Tombstone | None:
        row = self._one(
            "SELECT received_day, closed_day, final_state, handed_over FROM closed_threads "
            "WHERE thread = ?",
            (thread_id,),
        )
        if row is None:
            return None
        return Tombstone(thread_id, row[0], row[1], row[2], bool(row[3]))

    def close_out(self, thread_id: str, day: str, final_state: str) -> None:
        """Delete every piece of the thread's content and leave a tombstone, in one
        transaction; then shred its blob files and compact the database file."""
        received_day, status = self._one(
            "SELECT received_day, status FROM threads WHERE id = ?", (thread_id,)
        )
        blobs = [
            row[0]
            for row in self._db.execute(
                "SELECT a.blob FROM attachments a JOIN items i ON a.item = i.id "
                "WHERE i.thread = ? UNION ALL SELECT b.blob FROM set_aside_blobs b "
                "JOIN set_aside s ON b.item = s.id WHERE s.thread = ?",
                (thread_id, thread_id),
            )
        ]
        with self.transaction():
            self._db.execute(
                "INSERT INTO closed_threads (thread, received_day, closed_day, final_state, "
                "handed_over) VALUES (?, ?, ?, ?, 1)",
                (thread_id, received_day, day, final_state),
            )
            self._db.execute(
                "INSERT INTO deleted_items (id, thread) "
                "SELECT id, thread FROM items WHERE thread = ?",
                (thread_id,),
            )
            self._db.execute(
                "DELETE FROM attachments WHERE item IN (SELECT id FROM items WHERE thread = ?)",
                (thread_id,),
            )
            self._db.execute("DELETE FROM items WHERE thread = ?", (thread_id,))
            # Items set aside at import go the same way (docs/PROTOCOL.md, "Setting an item
            # aside").
            self._db.execute(
                "INSERT INTO deleted_items (id, thread) SELECT id, thread FROM set_aside "
                "WHERE thread = ?",
                (thread_id,),
            )
            self._db.execute(
                "DELETE FROM set_aside_blobs WHERE item IN "
                "(SELECT id FROM set_aside WHERE thread = ?)",
                (thread_id,),
            )
            self._db.execute("DELETE FROM set_aside WHERE thread = ?", (thread_id,))
            self._db.execute("DELETE FROM case_log WHERE thread = ?", (thread_id,))
            self._db.execute("DELETE FROM cases WHERE thread = ?", (thread_id,))
            self._db.execute("DELETE FROM openings WHERE thread = ?", (thread_id,))
            # Replies are all confirmed (checked before); acks and statuses carry no content.
            self._db.execute("DELETE FROM outbox WHERE thread = ? AND kind = 'reply'", (thread_id,))
            # The reporter's public key goes too: nothing more can be sealed to this thread.
            self.set_thread_meta(thread_id, ThreadMeta(None, closed_out=day))
            if status != "closed":
                # The reporter sees that the case is finished (§9.4).
                self.queue_status(thread_id, "closed", day)
                self.set_status(thread_id, "closed")
        for blob_id in blobs:
            shred(self.blob_path(blob_id))
        # The rollback journal is deleted after commit; make sure no WAL holds old pages.
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.execute("VACUUM")

    # -- batched look-ups ------------------------------------------------------------------

    def _among(self, query: str, keys: Iterable[str]) -> dict[str, Any]:
        """``{first column: second column}`` of ``query`` + `` (?, ?, ...)`` over ``keys``,
        a few hundred at a time."""
        keys = list(keys)
        found: dict[str, Any] = {}
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]
            marks = ", ".join("?" * len(batch))
            # Only "?" placeholders are added to the fixed query: the keys are parameters.
            found.update(self._db.execute(f"{query} ({marks})", batch).fetchall())
        return found

    # -- blob files ------------------------------------------------------------------------

    def blob_path(self, blob_id: str) -> Path:
        return self.home.blobs / blob_id

    def knows_blob(self, name: str) -> bool:
        """Whether a blob file of this name belongs to an item or a set-aside item."""
        row = self._one(
            "SELECT 1 FROM attachments WHERE blob = ? UNION ALL "
            "SELECT 1 FROM set_aside_blobs WHERE blob = ?",
            (name, name),
        )
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


def _case_row(row: tuple[Any, ...], meta: dict[str, Any]) -> CaseRow:
    thread, state, opened_day, state_day, review_day = row[:5]
    return CaseRow(thread, state, opened_day, state_day, review_day, meta)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")
    # A rollback journal that is deleted after each commit (no WAL keeping old pages).
    db.execute("PRAGMA journal_mode = DELETE")
    db.execute("PRAGMA temp_store = MEMORY")
    return db
