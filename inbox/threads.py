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

    def days_on(self, today: date) -> int:
        """Days since the report was received."""
        return days_since(self.received_day, today)

    @property
    def attachments(self) -> list[AttachmentRef]:
        """Every attachment the reporter sent in this thread, in order."""
        return [
            ref
            for entry in self.entries
            if isinstance(entry, InboundEntry)
            for ref in entry.payload.attachments
        ]


def summaries(store: Store, today: date) -> list[ThreadSummary]:
    return [
        ThreadSummary(
            id=row.id,
            received_day=row.received_day,
            days=days_since(row.received_day, today),
            status=row.status,
            case_state=row.case_state,
            items=row.items,
            unread=row.unread,
            deadlines=[]
            if row.closed_day
            else thread_deadlines(row.received_day, row.status, row.replies, today)
            + (
                case_deadlines(row.case_state, row.review_day, row.case_meta, today)
                if row.case_meta is not None and row.case_state is not None
                else []
            ),
            closed_day=row.closed_day,
            set_aside=row.set_aside,
        )
        for row in store.summary_rows()
    ]


def load_thread(store: Store, thread_id: str) -> ThreadView:
    thread = store.thread(thread_id)
    entries: list[Entry] = []
    for item in store.items_of(thread_id):
        payload = decode_payload(item.plaintext)
        if not isinstance(payload, Report | Message):  # checked at import
            raise HomeError(f"Lageret er skadet (element {item.id[:8]}).")
        entries.append(
            InboundEntry(item.id, item.kind, item.day, item.position, item.read, payload)
        )
    confirmed = store.get_meta(LAST_CONFIRMED)
    for row in store.outbox_of(thread_id):
        entries.append(
            OutboundEntry(
                kind=row.kind,
                id=row.ref,
                day=row.day,
                position=row.position,
                text=reply_text(row.content)[0] if row.content is not None else None,
                status=row.status,
                exported_in=row.exported_in,
                confirmed=row.exported_in is not None and row.exported_in <= confirmed,
            )
        )
    entries.sort(key=lambda e: e.position)
    return ThreadView(
        id=thread_id,
        received_day=thread.received_day,
        status=thread.status,
        entries=entries,
        set_aside=set_aside_entries(store, thread_id),
    )


def set_aside_entries(store: Store, thread_id: str) -> list[SetAsideEntry]:
    return [
        SetAsideEntry(
            row.id, row.kind, row.day, row.set_aside_day, str(json.loads(row.content)["reason"])
        )
        for row in store.set_aside_of(thread_id)
    ]


def mark_read(store: Store, thread_id: str) -> None:
    store.mark_read(thread_id)


def open_deadlines(rows: list[ThreadSummary]) -> list[tuple[ThreadSummary, Deadline]]:
    """Every deadline not yet met, most urgent first (overdue the longest at the top)."""
    found = [
        (row, d) for row in rows if row.closed_day is None for d in row.deadlines if not d.done
    ]
    return sorted(found, key=lambda pair: (pair[1].days_left, pair[0].received_day))
