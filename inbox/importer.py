"""Inbound bundles: verify, decrypt and check everything, then commit in one transaction.

Order of work (docs/THREAT-MODEL.md, requirement 5; docs/PROTOCOL.md, "Bundles"):

1. the signer key is compared with the pinned portal key (pinned on first use);
2. ``crypto.bundle.read_inbound`` verifies the signature and every blob digest;
3. every new item is decrypted with the office key and decoded; its reporter key must equal
   the bundle thread's (and a known thread's); every attachment stream must decrypt;
4. attachment streams are written under temporary names, the store is updated in one
   transaction, and only then are the files renamed. Any failure leaves nothing behind.

An item whose content fails step 3 is **set aside**, not a reason to refuse the bundle:
its content comes from an anonymous sender, and one bad item must never hold back the
others (docs/PROTOCOL.md, "Setting an item aside"). Its envelope and attachment streams
are kept, still encrypted, with the reason; the office is told; and it is acknowledged
like any new item, so the portal deletes its ciphertext. What the portal itself vouches for
(the signature, the threads, ids, days and counts) still refuses the whole bundle.

Items already in the store are skipped (idempotent import), and so are items of a case
that was closed out and deleted (§6b): their ids are kept in ``deleted_items``, so an old
bundle imported again does not bring the content back. A new item for a deleted case is
not imported and not acknowledged (it stays encrypted on the portal) and the office is
warned. Every new item gets an acknowledgement queued, so the portal can delete its
ciphertext (docs/THREAT-MODEL.md, requirement 6).
"""

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from crypto import bundle as bundles
from crypto import stream
from crypto.encoding import b64encode
from crypto.envelope import open_envelope
from crypto.errors import CryptoError
from crypto.payload import Message, Payload, Report, decode_payload

from .errors import BundleRefused, PortalKeyChanged
from .home import Home, Unlocked
from .store import LAST_CONFIRMED, LAST_EXPORTED, Store

Progress = Callable[[int, int], None]

# How far the portal's ``last_outbound_sequence`` may run ahead of the last bundle this
# inbox made: an inbox restored from an old backup is behind by the bundles made since
# then, never by more than this (docs/PROTOCOL.md, "Bounds").
MAX_SEQUENCE_AHEAD = 10_000


@dataclass(frozen=True)
class SetAside:
    """An item of the bundle that could not be read: kept encrypted, not imported."""

    item: bundles.InboundItem
    reason: str  # English, from the validator; no content of the item

    def report(self) -> str:
        """What the office reads (bokmål, then English)."""
        item, thread = self.item.id[:8], self.item.thread[:8]
        return (
            f"Lagt til side: element {item} i sak {thread} (mottatt {self.item.day}) kan ikke "
            f"leses ({self.reason}). Resten av pakken er importert. Elementet er tatt vare på "
            "kryptert i innboksen og kvitteres til portalen, som da sletter sin kopi; svar "
            "gjerne varsleren og be om å få det sendt på nytt.\n"
            f"Set aside: item {item} in case {thread} cannot be read ({self.reason}). "
            "The rest of the bundle was imported."
        )


@dataclass
class ImportSummary:
    portal_fingerprint: str
    pinned_now: bool = False
    new_threads: int = 0
    new_items: int = 0
    duplicates: int = 0
    attachments: int = 0
    confirmed_sequence: int = 0
    newly_confirmed: int = 0
    warnings: list[str] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        return self.new_items == 0 and self.new_threads == 0 and not self.set_aside


@dataclass(frozen=True)
class _CheckedItem:
    item: bundles.InboundItem
    plaintext: bytes
    blobs: tuple[bundles.Blob, ...]


def normalise_fingerprint(text: str) -> str:
    return "".join(text.split()).upper()


def thread_meta(reporter_public_key: bytes) -> bytes:
    return json.dumps({"reporter_public_key": b64encode(reporter_public_key)}).encode()


def import_bundle(
    home: Home,
    store: Store,
    unlocked: Unlocked,
    data: bytes,
    *,
    expect_fingerprint: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    try:
        signer = bundles.bundle_signer(data)
    except CryptoError as exc:
        raise BundleRefused(f"Filen er ikke en gyldig Varsel-pakke ({exc}).") from exc
    found = bundles.signer_fingerprint(signer)
    pinned = home.read_pin()
    if pinned is not None and pinned != signer:
        raise PortalKeyChanged(bundles.signer_fingerprint(pinned), found)
    if expect_fingerprint is not None and normalise_fingerprint(
        expect_fingerprint
    ) != normalise_fingerprint(found):
        raise BundleRefused(
            f"Pakken er signert med {found}, ikke med det forventede fingeravtrykket. "
            "Ingenting er importert."
        )
    try:
        inbound = bundles.read_inbound(data, signer, today=date.today())
    except CryptoError as exc:
        raise BundleRefused(
            "Pakken ble avvist: den er endret, skadet, ufullstendig eller har verdier utenfor "
            f"det innboksen godtar ({exc}). Ingenting er importert."
        ) from exc
    exported = store.get_meta(LAST_EXPORTED)
    if inbound.last_outbound_sequence > exported + MAX_SEQUENCE_AHEAD:
        raise BundleRefused(
            "Pakken ble avvist: portalen sier at den har tatt imot utgående pakke nr. "
            f"{inbound.last_outbound_sequence}, men denne innboksen har bare laget "
            f"{exported}. Det kan ikke stemme. Ingenting er importert; kontakt "
            "driftsansvarlig."
        )

    summary = ImportSummary(portal_fingerprint=found, pinned_now=pinned is None)
    skipped: set[str] = set()
    checked = _check_items(store, unlocked, inbound, summary, progress, skipped)
    temporary = _write_blobs(store, _blob_files(checked, summary.set_aside))
    try:
        _commit(store, inbound, checked, summary, skipped)
    except BaseException:
        for path in temporary.values():
            path.unlink(missing_ok=True)
        raise
    for name, path in temporary.items():
        path.rename(store.blob_path(name))
    if pinned is None:
        home.write_pin(signer)
    if inbound.portal is not None:
        home.write_portal_parameters(inbound.portal)
    return summary


def _check_items(
    store: Store,
    unlocked: Unlocked,
    inbound: bundles.InboundBundle,
    summary: ImportSummary,
    progress: Progress | None,
    skipped: set[str],
) -> list[_CheckedItem]:
    thread_keys = {t.id: t.reporter_public_key for t in inbound.threads}
    closed = {
        t.id for t in inbound.threads if store.closed_day(t.id) is not None
    }  # deleted under §6b: no reporter key is kept to compare with
    for thread in inbound.threads:
        row = store.db.execute("SELECT sealed FROM threads WHERE id = ?", (thread.id,)).fetchone()
        if row is not None and thread.id not in closed:
            meta = json.loads(store.unseal(f"threads/{thread.id}", row[0]))
            if meta["reporter_public_key"] != b64encode(thread.reporter_public_key):
                raise BundleRefused(
                    f"Sak {thread.id[:8]} har fått en annen varslernøkkel enn før. "
                    "Pakken er avvist og ingenting er importert."
                )
    checked: list[_CheckedItem] = []
    blob_ids: set[str] = set()
    total = len(inbound.items)
    for done, item in enumerate(inbound.items, start=1):
        row = store.db.execute(
            "SELECT thread FROM items WHERE id = ? UNION ALL "
            "SELECT thread FROM deleted_items WHERE id = ? UNION ALL "
            "SELECT thread FROM set_aside WHERE id = ?",
            (item.id, item.id, item.id),
        ).fetchone()
        if row is not None:
            if row[0] != item.thread:
                raise BundleRefused(
                    f"Element {item.id[:8]} er flyttet til en annen sak. Pakken er avvist."
                )
            summary.duplicates += 1
        elif item.thread in closed:
            skipped.add(item.id)
        else:
            result = _check_item(store, unlocked, item, thread_keys, blob_ids)
            if isinstance(result, SetAside):
                summary.set_aside.append(result)
            else:
                checked.append(result)
        if progress is not None:
            progress(done, total)
    if skipped:
        threads = sorted({i.thread[:8] for i in inbound.items if i.id in skipped})
        summary.warnings.append(
            f"{len(skipped)} ny(e) melding(er) gjelder sak(er) som er avsluttet og slettet "
            f"({', '.join(threads)}, §6b). De er ikke importert og blir liggende kryptert "
            "på portalen."
        )
    return checked


def _open_with_office_keys(sealed: bytes, unlocked: Unlocked) -> bytes:
    """Open with the current office key, else a retired one (inbox/rotation.py); the last
    key's error is the one raised."""
    *others, last = (unlocked.identity, *reversed(unlocked.retired))
    for identity in others:
        try:
            return open_envelope(sealed, identity.public.encryption_key, identity.encryption_secret)
        except CryptoError:
            continue
    return open_envelope(sealed, last.public.encryption_key, last.encryption_secret)


def _check_item(
    store: Store,
    unlocked: Unlocked,
    item: bundles.InboundItem,
    thread_keys: dict[str, bytes],
    blob_ids: set[str],
) -> "_CheckedItem | SetAside":
    """Decrypt and check one new item; a fault in its content sets it aside."""
    try:
        plaintext = _open_with_office_keys(item.envelope, unlocked)
        payload: Payload = decode_payload(plaintext)
    except CryptoError as exc:
        return SetAside(item, f"the envelope does not open to a valid payload: {exc}")
    expected = "report" if isinstance(payload, Report) else "message"
    if not isinstance(payload, Report | Message) or item.kind != expected:
        return SetAside(item, f"the bundle calls it a {item.kind}, its payload is not")
    if payload.reporter_public_key != thread_keys[item.thread]:
        return SetAside(item, "it was made with another reporter key than its case")
    carried = {b.id: b for b in item.attachments}
    kept: list[bundles.Blob] = []
    mine: set[str] = set()
    for number, ref in enumerate(payload.attachments, start=1):
        blob = carried.get(ref.blob)
        if blob is None:
            return SetAside(item, f"attachment {number} is missing from the bundle")
        known = store.db.execute("SELECT 1 FROM attachments WHERE blob = ?", (ref.blob,))
        if ref.blob in blob_ids or ref.blob in mine or known.fetchone() is not None:
            return SetAside(item, f"attachment {number} is already in the inbox")
        mine.add(ref.blob)
        try:
            for _ in stream.decrypt_stream(ref.key, ref.size, _pieces(blob.data)):
                pass
        except CryptoError as exc:
            return SetAside(item, f"attachment {number} does not open: {exc}")
        kept.append(blob)
    blob_ids.update(mine)
    return _CheckedItem(item=item, plaintext=plaintext, blobs=tuple(kept))


def set_aside_blob_name(item_id: str, number: int) -> str:
    """The file name of a set-aside item's attachment stream. The dots keep it apart from
    every imported attachment's file, named by a payload's blob id (no dots)."""
    return f"aside.{item_id}.{number}"


def _blob_files(checked: list[_CheckedItem], aside: list[SetAside]) -> list[bundles.Blob]:
    files = [blob for entry in checked for blob in entry.blobs]
    for entry in aside:
        files += [
            bundles.Blob(set_aside_blob_name(entry.item.id, n), blob.data)
            for n, blob in enumerate(entry.item.attachments, start=1)
        ]
    return files


def _pieces(data: bytes, size: int = 1 << 20) -> list[bytes]:
    view = memoryview(data)
    return [bytes(view[i : i + size]) for i in range(0, len(data), size)] or [b""]


def _write_blobs(store: Store, files: list[bundles.Blob]) -> dict[str, Path]:
    temporary: dict[str, Path] = {}
    try:
        for blob in files:
            token = secrets.token_hex(8)
            path = store.home.blobs / f".tmp-{token}-{blob.id}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            temporary[blob.id] = path
            with os.fdopen(fd, "wb") as f:
                f.write(blob.data)
                f.flush()
                os.fsync(f.fileno())
    except BaseException:
        for path in temporary.values():
            path.unlink(missing_ok=True)
        raise
    return temporary


def _commit(
    store: Store,
    inbound: bundles.InboundBundle,
    checked: list[_CheckedItem],
    summary: ImportSummary,
    skipped: set[str],
) -> None:
    today = date.today().isoformat()
    with store.transaction() as db:
        for thread in inbound.threads:
            exists = db.execute("SELECT 1 FROM threads WHERE id = ?", (thread.id,)).fetchone()
            if exists is None:
                db.execute(
                    "INSERT INTO threads (id, received_day, status, sealed) VALUES (?, ?, ?, ?)",
                    (
                        thread.id,
                        thread.created_day,
                        # The office, not the portal, decides a case's status: a new thread
                        # starts as received whatever the portal says (see below).
                        "received",
                        store.seal(f"threads/{thread.id}", thread_meta(thread.reporter_public_key)),
                    ),
                )
                summary.new_threads += 1
        for entry in checked:
            item = entry.item
            db.execute(
                "INSERT INTO items (id, thread, kind, day, position, read, sealed) "
                "VALUES (?, ?, ?, ?, ?, 0, ?)",
                (
                    item.id,
                    item.thread,
                    item.kind,
                    item.day,
                    store.next_position(),
                    store.seal(f"items/{item.id}", entry.plaintext),
                ),
            )
            for blob in entry.blobs:
                db.execute("INSERT INTO attachments (blob, item) VALUES (?, ?)", (blob.id, item.id))
                summary.attachments += 1
            db.execute(
                "INSERT INTO outbox (kind, thread, ref, day, position) VALUES ('ack', ?, ?, ?, ?)",
                (item.thread, item.id, today, store.next_position()),
            )
            summary.new_items += 1
        for aside in summary.set_aside:
            item = aside.item
            kept = {"reason": aside.reason, "envelope": b64encode(item.envelope)}
            db.execute(
                "INSERT INTO set_aside (id, thread, kind, day, set_aside_day, sealed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    item.id,
                    item.thread,
                    item.kind,
                    item.day,
                    today,
                    store.seal(f"set_aside/{item.id}", json.dumps(kept).encode()),
                ),
            )
            for n in range(1, len(item.attachments) + 1):
                db.execute(
                    "INSERT INTO set_aside_blobs (blob, item) VALUES (?, ?)",
                    (set_aside_blob_name(item.id, n), item.id),
                )
            # Acknowledged like a new item: the portal deletes its ciphertext.
            db.execute(
                "INSERT INTO outbox (kind, thread, ref, day, position) VALUES ('ack', ?, ?, ?, ?)",
                (item.thread, item.id, today, store.next_position()),
            )

        old_confirmed = store.get_meta(LAST_CONFIRMED)
        confirmed = max(old_confirmed, inbound.last_outbound_sequence)
        store.set_meta(LAST_CONFIRMED, confirmed)
        summary.confirmed_sequence = confirmed
        summary.newly_confirmed = db.execute(
            "SELECT COUNT(*) FROM outbox WHERE exported_in > ? AND exported_in <= ?",
            (old_confirmed, confirmed),
        ).fetchone()[0]
        if inbound.last_outbound_sequence > store.get_meta(LAST_EXPORTED):
            store.set_meta(LAST_EXPORTED, inbound.last_outbound_sequence)
            summary.warnings.append(
                "Portalen har tatt imot en utgående pakke med høyere nummer "
                f"({inbound.last_outbound_sequence}) enn denne innboksen har laget. "
                "Er innboksen gjenopprettet fra en gammel sikkerhetskopi?"
            )

        for thread in inbound.threads:
            # The inbox's status is authoritative: deadlines are computed from it, and a
            # compromised portal must not be able to close cases here. A portal that shows
            # something else (and has no newer status from us on its way) is reported.
            ours = db.execute("SELECT status FROM threads WHERE id = ?", (thread.id,)).fetchone()
            pending_status = db.execute(
                "SELECT 1 FROM outbox WHERE kind = 'status' AND thread = ? "
                "AND (exported_in IS NULL OR exported_in > ?)",
                (thread.id, confirmed),
            ).fetchone()
            if ours is not None and ours[0] != thread.status and pending_status is None:
                summary.warnings.append(
                    f"Portalen viser statusen «{thread.status}» for sak {thread.id[:8]}, "
                    f"men innboksen har «{ours[0]}». Innboksens status gjelder; "
                    "sjekk portalen, og send statusen på nytt med «varsel-inbox status»."
                )

        new_ids = {entry.item.id for entry in checked} | {a.item.id for a in summary.set_aside}
        for item in inbound.items:
            if item.id in new_ids or item.id in skipped:
                continue
            # The portal had applied our acknowledgement when it made this bundle and
            # still carries the item: acknowledge it again (requirement 6).
            pending_ack = db.execute(
                "SELECT 1 FROM outbox WHERE kind = 'ack' AND ref = ? "
                "AND (exported_in IS NULL OR exported_in > ?)",
                (item.id, inbound.last_outbound_sequence),
            ).fetchone()
            if pending_ack is None:
                db.execute(
                    "INSERT INTO outbox (kind, thread, ref, day, position) "
                    "VALUES ('ack', ?, ?, ?, ?)",
                    (item.thread, item.id, today, store.next_position()),
                )
