"""What goes back to the portal: acknowledgements, replies and reporter-visible statuses,
threads to open for reporters who got a receipt outside the portal (inbox/receipts.py), and
the days of the accused's open time limits to reply (§10.2) for the office dashboard.

Entries are queued in the store and carried by every outbound bundle until an inbound
bundle confirms them: an entry first carried by bundle ``n`` is confirmed once the portal
reports ``last_outbound_sequence >= n``. So exports are cumulative -- if a USB stick is
lost, the next export still carries everything; the portal dedupes replies by id and
ignores repeated acknowledgements. Sequence numbers strictly increase (no replays).
"""

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crypto import bundle as bundles
from crypto.encoding import b64decode, b64encode
from crypto.envelope import seal
from crypto.payload import THREAD_STATUSES, Reply, encode_payload

from .deadlines import case_deadlines
from .errors import InboxError
from .files import new_file
from .home import Home, Unlocked
from .rotation import mark_carried, pending_rotation
from .store import LAST_CONFIRMED, Store

# Norwegian words the office may type (wire values stay English; the words shown for
# them: inbox/statuses.py).
STATUS_WORDS = {
    "mottatt": "received",
    "bekreftet": "acknowledged",
    "under-behandling": "in_progress",
    "avsluttet": "closed",
}
MAX_REPLY = 100_000


def parse_status(text: str) -> str:
    word = text.strip().lower().replace(" ", "-").replace("_", "-")
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    if word.replace("-", "_") in THREAD_STATUSES:
        return word.replace("-", "_")
    choices = ", ".join(STATUS_WORDS)
    raise InboxError(f"Ukjent status «{text}». Velg en av: {choices}.")


def has_portal_thread(store: Store, thread_id: str) -> bool:
    """False for a report received outside the portal (inbox.intake): it has no thread
    there, so no reply, status or acknowledgement is ever sent for it."""
    return store.thread_meta(thread_id).portal


def reporter_key(store: Store, thread_id: str) -> bytes:
    meta = store.thread_meta(thread_id)
    if not meta.portal:
        raise InboxError(
            f"Sak {thread_id[:8]} kom ikke via portalen, så varsleren har ingen tråd der. "
            "Hold varsleren orientert slik kontakten ble tatt, og før det i loggen med "
            "«varsel-inbox case note SAK --kind informert» (§9.4)."
        )
    if meta.reporter_public_key is None:
        raise InboxError(f"Sak {thread_id[:8]} er avsluttet og slettet (§6b).")
    return meta.reporter_public_key


def _check_reply(text: str) -> None:
    if not text.strip():
        raise InboxError("Svaret er tomt; ingenting er lagt i køen.")
    if len(text) > MAX_REPLY:
        raise InboxError(f"Svaret er for langt (høyst {MAX_REPLY} tegn).")


def queue_reply(store: Store, thread_id: str, text: str, *, today: date) -> str:
    """Seal ``text`` to the reporter's key and queue it; returns the reply id."""
    _check_reply(text)
    with store.transaction():
        return queue_reply_in(store, thread_id, text, today=today)


def queue_reply_in(store: Store, thread_id: str, text: str, *, today: date) -> str:
    """``queue_reply`` inside the caller's transaction."""
    _check_reply(text)
    envelope = seal(encode_payload(Reply(text)), [reporter_key(store, thread_id)])
    reply_id = secrets.token_urlsafe(16)
    content = json.dumps({"text": text, "envelope": b64encode(envelope)}).encode()
    store.queue_reply(thread_id, reply_id, today.isoformat(), content)
    return reply_id


# Without a case, the office can only acknowledge; every later status follows the case
# state (inbox.case.REPORTER_STATUS), so the two cannot disagree.
STATUS_WITHOUT_CASE = "acknowledged"


def queue_status(store: Store, thread_id: str, status: str, *, today: date) -> None:
    """The ``status`` command: acknowledge a report that is not (yet) a case."""
    if status not in THREAD_STATUSES:
        raise InboxError(f"Ukjent status «{status}».")
    case = store.case(thread_id)
    if case is not None:
        raise InboxError(
            f"Sak {thread_id[:8]} er til behandling (tilstand «{case.state}»): statusen varsleren "
            "ser, følger sakens tilstand. Bruk «varsel-inbox case state SAK TILSTAND "
            "[--tell TEKST]»."
        )
    if store.closed_day(thread_id) is not None:
        raise InboxError(f"Sak {thread_id[:8]} er avsluttet og slettet (§6b).")
    if status != STATUS_WITHOUT_CASE:
        raise InboxError(
            "Uten en sak kan statusen bare settes til «bekreftet». Ta varselet inn til "
            "behandling med «varsel-inbox case open SAK»; deretter følger statusen sakens "
            "tilstand («case state»)."
        )
    if store.thread(thread_id).status == status:
        return
    with store.transaction():
        queue_status_in(store, thread_id, status, today=today)


def queue_status_in(store: Store, thread_id: str, status: str, *, today: date) -> None:
    """Queue a reporter-visible status inside the caller's transaction (no checks). A
    report received outside the portal keeps its status in the inbox only."""
    if has_portal_thread(store, thread_id):
        store.queue_status(thread_id, status, today.isoformat())
    store.set_status(thread_id, status)


def reply_text(content: bytes) -> tuple[str, bytes]:
    """A queued reply's text and the envelope sealed to the reporter."""
    value = json.loads(content)
    return value["text"], b64decode(value["envelope"], what="reply envelope")


@dataclass(frozen=True)
class Pending:
    acks: int
    replies: int
    statuses: int
    openings: int = 0

    @property
    def total(self) -> int:
        return self.acks + self.replies + self.statuses + self.openings


def pending(store: Store) -> Pending:
    rows = store.unconfirmed_outbox()
    acks = {r.ref for r in rows if r.kind == "ack"}
    return Pending(
        acks=len(acks),
        replies=sum(1 for r in rows if r.kind == "reply"),
        statuses=sum(1 for r in rows if r.kind == "status"),
        openings=len(_pending_openings(store)),
    )


def _pending_openings(store: Store) -> list[bundles.OpenThread]:
    """Threads to open on the portal (inbox/receipts.py) that no inbound bundle has yet
    confirmed; their status is the thread's status now."""
    return [
        bundles.OpenThread(
            id=row.thread,
            status=row.status,
            reporter_public_key=b64decode(row.content["reporter_public_key"], length=32),
            sealed_login_key=b64decode(row.content["sealed_login_key"]),
            own_copy=b64decode(row.content["own_copy"]),
        )
        for row in store.unconfirmed_openings()
    ]


@dataclass(frozen=True)
class ExportSummary:
    sequence: int
    acks: int
    replies: int
    statuses: int
    path: Path
    reply_by: int = 0
    openings: int = 0


def export_outbound(
    home: Home, store: Store, unlocked: Unlocked, path: Path, *, today: date
) -> ExportSummary:
    """Write the next signed outbound bundle to ``path`` (never overwriting a file)."""
    pin = home.read_pin()
    if pin is None:
        raise InboxError(
            "Ingen portalnøkkel er festet ennå. Importer en pakke fra portalen før du eksporterer."
        )
    if path.exists():
        raise InboxError(f"{path} finnes allerede; velg et annet filnavn.")
    acks: list[str] = []
    replies: list[bundles.OutboundReply] = []
    statuses: list[bundles.StatusChange] = []
    for row in store.unconfirmed_outbox():
        if row.kind == "ack" and row.ref is not None and row.ref not in acks:
            acks.append(row.ref)
        elif row.kind == "reply" and row.ref is not None and row.content is not None:
            _, envelope = reply_text(row.content)
            replies.append(
                bundles.OutboundReply(id=row.ref, thread=row.thread, day=row.day, envelope=envelope)
            )
        elif row.kind == "status" and row.status is not None:
            statuses.append(bundles.StatusChange(thread=row.thread, status=row.status))
    sequence = store.next_outbound_sequence()
    rotation = pending_rotation(home, unlocked, store.get_meta(LAST_CONFIRMED))
    reply_by = open_reply_by_days(store, today)
    openings = _pending_openings(store)
    outbound = bundles.OutboundBundle(
        sequence=sequence,
        audience=bundles.signer_fingerprint(pin),
        created_day=today.isoformat(),
        acks=tuple(acks),
        replies=tuple(replies),
        statuses=tuple(statuses),
        key_rotation=rotation.statement if rotation else None,
        reply_by=reply_by,
        open_threads=tuple(openings),
    )
    # Until the portal has the new office key, only the old one can sign (inbox/rotation.py).
    data = bundles.write_outbound(outbound, rotation.old if rotation else unlocked.identity)
    with new_file(path) as f:
        f.write(data)
    try:
        store.mark_exported(sequence)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if rotation:
        mark_carried(home, rotation, sequence)
    return ExportSummary(
        sequence=sequence,
        acks=len(acks),
        replies=len(replies),
        statuses=len(statuses),
        path=path,
        reply_by=len(reply_by),
        openings=len(openings),
    )


def open_reply_by_days(store: Store, today: date) -> tuple[str, ...]:
    """The accused's time limits to reply (§10.2) that are still open, one day per case,
    ascending: every outbound bundle carries them for the portal's office dashboard, with
    nothing that ties a day to a case (docs/THREAT-MODEL.md, "What the portal learns")."""
    days = [
        d.due.isoformat()
        for case in store.cases()
        for d in case_deadlines(case.state, case.review_day, case.meta, today)
        if d.what == "uttalefrist" and not d.done
    ]
    return tuple(sorted(days))
