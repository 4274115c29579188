"""Threads as the office reads them: the report, follow-ups, replies and status changes.

Everything here is decrypted in memory from the store; nothing is written back except the
read markers.
"""

import json
from dataclasses import dataclass, field
from datetime import date

from crypto.payload import AttachmentRef, Message, Report, decode_payload

from .deadlines import Deadline, case_deadlines, days_since, thread_deadlines
from .errors import HomeError
from .outbox import reply_text
from .store import LAST_CONFIRMED, Store


@dataclass(frozen=True)
class InboundEntry:
    id: str
    kind: str  # "report" | "message"
    day: str
    position: int
    read: bool
    payload: Report | Message


@dataclass(frozen=True)
class OutboundEntry:
    kind: str  # "reply" | "status"
    id: str | None
    day: str
    position: int
    text: str | None  # reply text
    status: str | None  # status wire value
    exported_in: int | None
    confirmed: bool


Entry = InboundEntry | OutboundEntry


@dataclass(frozen=True)
class SetAsideEntry:
    """An item that could not be read at import; kept encrypted (docs/PROTOCOL.md)."""

    id: str
    kind: str
    day: str
    set_aside_day: str
    reason: str


@dataclass(frozen=True)
class ThreadSummary:
    id: str
    received_day: str
    days: int
    status: str
    case_state: str | None
    items: int
    unread: int
    deadlines: list[Deadline]
    closed_day: str | None = None  # closed out and content deleted (§6b)
    set_aside: int = 0  # items that could not be read at import


@dataclass(frozen=True)
class ThreadView:
    id: str
    received_day: str
    status: str
    entries: list[Entry]
    set_aside: list[SetAsideEntry] = field(default_factory=list)

    @property
    def report(self) -> Report | None:
        for entry in self.entries:
            if isinstance(entry, InboundEntry) and isinstance(entry.payload, Report):
                return entry.payload
        return None

    @property
    def days(self) -> int:
        return days_since(self.received_day)

    @property
    def attachments(self) -> list[AttachmentRef]:
        """Every attachment the reporter sent in this thread, in order."""
        return [
            ref
            for entry in self.entries
            if isinstance(entry, InboundEntry)
            for ref in entry.payload.attachments
        ]


def summaries(store: Store, today: date | None = None) -> list[ThreadSummary]:
    rows = store.db.execute(
        "SELECT t.id, t.received_day, t.status, COALESCE(c.state, z.final_state), "
        "(SELECT COUNT(*) FROM items i WHERE i.thread = t.id), "
        "(SELECT COUNT(*) FROM items i WHERE i.thread = t.id AND i.read = 0), z.closed_day, "
        "(SELECT COUNT(*) FROM outbox o WHERE o.thread = t.id AND o.kind = 'reply') + "
        # A report received outside the portal (no acknowledgement to the portal, ever) is
        # answered the way it came: a note that the reporter was informed counts (§9.4).
        "(SELECT COUNT(*) FROM case_log l WHERE l.thread = t.id AND l.kind = 'informert' "
        " AND NOT EXISTS (SELECT 1 FROM outbox a WHERE a.thread = t.id AND a.kind = 'ack')), "
        "c.review_day, c.sealed, "
        "(SELECT COUNT(*) FROM set_aside s WHERE s.thread = t.id) "
        "FROM threads t LEFT JOIN cases c ON c.thread = t.id "
        "LEFT JOIN closed_threads z ON z.thread = t.id "
        "ORDER BY t.received_day, t.id"
    )
    return [
        ThreadSummary(
            id=tid,
            received_day=day,
            days=days_since(day, today),
            status=status,
            case_state=state,
            items=items,
            unread=unread,
            deadlines=[]
            if closed
            else thread_deadlines(day, status, replies, today)
            + (
                case_deadlines(
                    state, review, json.loads(store.unseal(f"cases/{tid}", sealed)), today
                )
                if sealed is not None
                else []
            ),
            closed_day=closed,
            set_aside=aside,
        )
        for tid, day, status, state, items, unread, closed, replies, review, sealed, aside in rows
    ]


def load_thread(store: Store, thread_id: str) -> ThreadView:
    received_day, status = store.db.execute(
        "SELECT received_day, status FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    entries: list[Entry] = []
    for item_id, kind, day, position, read, sealed in store.db.execute(
        "SELECT id, kind, day, position, read, sealed FROM items WHERE thread = ?", (thread_id,)
    ):
        payload = decode_payload(store.unseal(f"items/{item_id}", sealed))
        if not isinstance(payload, Report | Message):  # checked at import
            raise HomeError(f"Lageret er skadet (element {item_id[:8]}).")
        entries.append(InboundEntry(item_id, kind, day, position, bool(read), payload))
    confirmed = store.get_meta(LAST_CONFIRMED)
    for kind, ref, status_value, day, position, exported_in, sealed in store.db.execute(
        "SELECT kind, ref, status, day, position, exported_in, sealed FROM outbox "
        "WHERE thread = ? AND kind IN ('reply', 'status')",
        (thread_id,),
    ):
        text = reply_text(store, ref, sealed)[0] if kind == "reply" else None
        entries.append(
            OutboundEntry(
                kind=kind,
                id=ref,
                day=day,
                position=position,
                text=text,
                status=status_value,
                exported_in=exported_in,
                confirmed=exported_in is not None and exported_in <= confirmed,
            )
        )
    entries.sort(key=lambda e: e.position)
    return ThreadView(
        id=thread_id,
        received_day=received_day,
        status=status,
        entries=entries,
        set_aside=set_aside_entries(store, thread_id),
    )


def set_aside_entries(store: Store, thread_id: str) -> list[SetAsideEntry]:
    found = []
    for item_id, kind, day, aside_day, sealed in store.db.execute(
        "SELECT id, kind, day, set_aside_day, sealed FROM set_aside WHERE thread = ? "
        "ORDER BY day, id",
        (thread_id,),
    ):
        kept = json.loads(store.unseal(f"set_aside/{item_id}", sealed))
        found.append(SetAsideEntry(item_id, kind, day, aside_day, str(kept["reason"])))
    return found


def mark_read(store: Store, thread_id: str) -> None:
    with store.transaction() as db:
        db.execute("UPDATE items SET read = 1 WHERE thread = ?", (thread_id,))


def open_deadlines(rows: list[ThreadSummary]) -> list[tuple[ThreadSummary, Deadline]]:
    """Every deadline not yet met, most urgent first (overdue the longest at the top)."""
    found = [
        (row, d) for row in rows if row.closed_day is None for d in row.deadlines if not d.done
    ]
    return sorted(found, key=lambda pair: (pair[1].days_left, pair[0].received_day))
