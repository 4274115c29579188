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

import itertools
import json
import os
import secrets
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from crypto import bundle as bundles
from crypto import stream
from crypto.encoding import b64encode
from crypto.envelope import MAX_PAYLOAD, open_envelope
from crypto.errors import CryptoError, MalformedError, TruncatedError
from crypto.padding import padded_size
from crypto.payload import AttachmentRef, Message, Payload, Report, decode_payload

from .errors import BundleRefused, PortalKeyChanged
from .files import create_new
from .home import Home, Unlocked
from .store import LAST_CONFIRMED, LAST_EXPORTED, NEXT_POSITION, Store, ThreadMeta

Progress = Callable[[int, int], None]

# How far the portal's ``last_outbound_sequence`` may run ahead of the last bundle this
# inbox made: an inbox restored from an old backup is behind by the bundles made since
# then, never by more than this (docs/PROTOCOL.md, "Bounds").
MAX_SEQUENCE_AHEAD = 10_000
# (public, secret) X25519 pairs of the office: the current key, then retired ones.
OfficeKeys = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class SetAside:
    """An item of the bundle that could not be read: kept encrypted, not imported."""

    item: bundles.InboundItemHead
    reason: str  # English, from the validator; no content of the item
    envelope: bytes = b""  # as the bundle carried it, still encrypted
    files: tuple[Path, ...] = ()  # its attachment streams, in temporary files

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
    item: bundles.InboundItemHead
    plaintext: bytes
    blobs: tuple[tuple[str, Path], ...]  # (blob id, temporary file)


def normalise_fingerprint(text: str) -> str:
    return "".join(text.split()).upper()


def import_bundle(
    home: Home,
    store: Store,
    unlocked: Unlocked,
    bundle: BinaryIO,
    *,
    today: date,
    expect_fingerprint: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the bundle in ``bundle`` (a binary file open for reading, seekable), read a
    piece at a time: memory does not grow with the bundle's size (docs/PERFORMANCE.md)."""
    source = _Source(bundle)
    try:
        prefix = source.read_at(0, bundles.PREFIX)
        signer = bundles.bundle_signer(prefix)
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
        head = source.read_at(0, bundles.head_length(prefix))
        inbound = bundles.read_inbound_head(head, source.length, signer, today=today)
        for item in inbound.items:
            if item.envelope.size > MAX_ENVELOPE_BLOB:
                raise MalformedError("an envelope blob is larger than any envelope can be")
    except CryptoError as exc:
        raise _refused(exc) from exc
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
    with _BlobFiles(store) as files:
        try:
            checked = _check_items(
                store, unlocked, inbound, source, files, summary, progress, skipped
            )
            files.wait()
        except CryptoError as exc:  # a blob's digest or size: the bundle was changed
            raise _refused(exc) from exc
        names = {blob: file for entry in checked for blob, file in entry.blobs}
        for aside in summary.set_aside:
            for n, file in enumerate(aside.files, start=1):
                names[set_aside_blob_name(aside.item.id, n)] = file
        files.settle(names)
        _commit(store, inbound, checked, summary, skipped, today)
        files.publish()
    if pinned is None:
        home.write_pin(signer)
    if inbound.portal is not None:
        home.write_portal_parameters(inbound.portal)
    return summary


def _refused(exc: CryptoError) -> BundleRefused:
    return BundleRefused(
        "Pakken ble avvist: den er endret, skadet, ufullstendig eller har verdier utenfor "
        f"det innboksen godtar ({exc}). Ingenting er importert."
    )


class _Source:
    """The bundle file: its length, and bytes read at an offset."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.length = file.seek(0, os.SEEK_END)

    def read_at(self, offset: int, size: int) -> bytes:
        self.file.seek(offset)
        return self.read(size)

    def read(self, size: int) -> bytes:
        data = self.file.read(size)
        while len(data) < size:  # a short read (never at the end: the length is known)
            more = self.file.read(size - len(data))
            if not more:
                raise TruncatedError("the bundle file got shorter while it was read")
            data += more
        return data


class _BlobFiles:
    """Attachment streams on their way into the inbox: written under temporary names
    (``.tmp-<token>-<name>``, see inbox.store.Store.recover_blobs), flushed to disk while
    the next blob is read, then, after the store's transaction, renamed into place.

    The caller's thread reads and decrypts; one helper thread checks the digests and
    another writes the files and flushes each finished one, both a few pieces behind (so
    they also overlap the envelopes that follow). Hashing, decrypting, writing and flushing
    all release the GIL. Nothing is final until :meth:`wait` has seen every digest check
    pass and every file flushed.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.paths: list[Path] = []
        self.final: dict[Path, str] = {}
        self.hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="varsel-hash")
        self.syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="varsel-sync")
        self.pending: deque[Future[None]] = deque()

    def __enter__(self) -> "_BlobFiles":
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        for future in self.pending:
            future.cancel()
        self.hasher.shutdown(wait=True)
        self.syncer.shutdown(wait=True)
        if error is not None:
            for path in self.paths:
                path.unlink(missing_ok=True)

    def copy(
        self,
        source: _Source,
        span: bundles.BlobSpan,
        name: str,
        decryptor: stream.StreamDecryptor | None = None,
    ) -> tuple[Path, CryptoError | None]:
        """Copy one blob from the bundle to a new temporary file, having its digest checked
        (a mismatch raises, here or in :meth:`wait`) and, with ``decryptor``, checking that
        it decrypts (a failure is returned: the item is set aside, the copy goes on)."""
        path = self.store.home.blobs / f".tmp-{secrets.token_hex(8)}-{name}"
        fd = create_new(path)
        self.paths.append(path)
        check = bundles.BlobCheck(span)
        failure: CryptoError | None = None
        try:
            source.file.seek(span.offset)
            remaining = span.size
            first = min(remaining, len(stream.MAGIC) + stream.HEADER_BYTES)
            while remaining:
                batch = []
                for _ in range(_BATCH):
                    if not remaining:
                        break
                    piece = source.read(first or min(stream.STEP, remaining))
                    first = 0
                    remaining -= len(piece)
                    batch.append(piece)
                self._behind(self.hasher.submit(_each, check.update, batch))
                self._behind(self.syncer.submit(_write, fd, batch))
                if decryptor is not None and failure is None:
                    try:
                        for piece in batch:
                            decryptor.update(piece)
                    except CryptoError as exc:
                        failure = exc
            self._behind(self.hasher.submit(check.finish))
            if decryptor is not None and failure is None:
                try:
                    decryptor.finish()
                except CryptoError as exc:
                    failure = exc
        except BaseException:
            self.syncer.submit(os.close, fd)  # after the writes queued for it
            raise
        self._behind(self.syncer.submit(_sync_and_close, fd))
        return path, failure

    def _behind(self, future: "Future[None]") -> None:
        self.pending.append(future)
        while len(self.pending) > _IN_FLIGHT:  # bounds the memory held for the helpers
            self.pending.popleft().result()

    def wait(self) -> None:
        """Until every digest is checked and every file is on disk (raising the first
        failure)."""
        while self.pending:
            self.pending.popleft().result()

    def settle(self, names: dict[str, Path]) -> None:
        """After :meth:`wait`: give each kept file its final name (in the temporary name,
        so a crash after the commit is finished by recover_blobs); delete the others."""
        kept = {path: name for name, path in names.items()}
        for path in list(self.paths):
            name = kept.get(path)
            if name is None:
                path.unlink()
                self.paths.remove(path)
                continue
            token = path.name.split("-", 2)[1]
            renamed = path.with_name(f".tmp-{token}-{name}")
            if renamed != path:
                path.rename(renamed)
                self.paths[self.paths.index(path)] = renamed
            self.final[renamed] = name
        _sync_directory(self.store.home.blobs)

    def publish(self) -> None:
        """After the commit: rename every file into place, then flush the directory."""
        for path in self.paths:
            path.rename(self.store.blob_path(self.final[path]))
        self.paths = []
        _sync_directory(self.store.home.blobs)


# Pieces (64 KiB chunks of a stream) handed to the helper threads at a time, and how many
# tasks they may be behind (together: at most 8 MiB held for them).
_BATCH = 16
_IN_FLIGHT = 8
# The largest envelope blob read into memory: an envelope carries at most
# crypto.envelope.MAX_PAYLOAD bytes, padded, plus a stanza per recipient.
MAX_ENVELOPE_BLOB = padded_size(4 + MAX_PAYLOAD) + 64 * 1024


def _each(step: Callable[[bytes], None], pieces: list[bytes]) -> None:
    for piece in pieces:
        step(piece)


def _write(fd: int, pieces: list[bytes]) -> None:
    for piece in pieces:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view) :]


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_items(
    store: Store,
    unlocked: Unlocked,
    inbound: bundles.InboundHead,
    source: _Source,
    files: _BlobFiles,
    summary: ImportSummary,
    progress: Progress | None,
    skipped: set[str],
) -> list[_CheckedItem]:
    thread_keys = {t.id: t.reporter_public_key for t in inbound.threads}
    # deleted under §6b: no reporter key is kept to compare with
    closed = store.closed_among(thread_keys)
    known_threads = store.thread_metas_among(thread_keys)
    for thread in inbound.threads:
        meta = known_threads.get(thread.id)
        if meta is not None and thread.id not in closed:
            if meta.reporter_public_key != thread.reporter_public_key:
                raise BundleRefused(
                    f"Sak {thread.id[:8]} har fått en annen varslernøkkel enn før. "
                    "Pakken er avvist og ingenting er importert."
                )
    checked: list[_CheckedItem] = []
    blob_ids: set[str] = set()
    total = len(inbound.items)
    # The current key first, then retired ones, newest first; each public key is derived
    # on each use: once here.
    office_keys: OfficeKeys = tuple(
        (identity.public.encryption_key, identity.encryption_secret)
        for identity in (unlocked.identity, *reversed(unlocked.retired))
    )
    ids = [item.id for item in inbound.items]
    known = store.item_threads_among(ids)  # already here, deleted or set aside
    for done, item in enumerate(inbound.items, start=1):
        if item.id in known:
            if known[item.id] != item.thread:
                raise BundleRefused(
                    f"Element {item.id[:8]} er flyttet til en annen sak. Pakken er avvist."
                )
            summary.duplicates += 1
            _verify_only(source, item)
        elif item.thread in closed:
            skipped.add(item.id)
            _verify_only(source, item)
        else:
            result = _check_item(store, office_keys, item, source, files, thread_keys, blob_ids)
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


def _open_with_office_keys(sealed: bytes, office_keys: OfficeKeys) -> bytes:
    """Open with the current office key, else a retired one (inbox/rotation.py); the last
    key's error is the one raised."""
    *others, last = office_keys
    for public, secret in others:
        try:
            return open_envelope(sealed, public, secret)
        except CryptoError:
            continue
    return open_envelope(sealed, *last)


def _verify_only(source: _Source, item: bundles.InboundItemHead) -> None:
    """An item not imported is still part of the signed bundle: check its blobs' digests."""
    for span in (item.envelope, *item.attachments):
        check = bundles.BlobCheck(span)
        source.file.seek(span.offset)
        remaining = span.size
        while remaining:
            piece = source.read(min(_VERIFY_PIECE, remaining))
            check.update(piece)
            remaining -= len(piece)
        check.finish()


_VERIFY_PIECE = 1024 * 1024


def _read_blob(source: _Source, span: bundles.BlobSpan) -> bytes:
    data = source.read_at(span.offset, span.size)
    check = bundles.BlobCheck(span)
    check.update(data)
    check.finish()
    return data


def _check_item(
    store: Store,
    office_keys: OfficeKeys,
    item: bundles.InboundItemHead,
    source: _Source,
    files: _BlobFiles,
    thread_keys: dict[str, bytes],
    blob_ids: set[str],
) -> "_CheckedItem | SetAside":
    """Decrypt and check one new item, copying its attachment streams to temporary files;
    a fault in its content sets it aside (with every stream it carries)."""
    sealed = _read_blob(source, item.envelope)
    reason: str | None = None
    refs: dict[str, tuple[int, AttachmentRef]] = {}
    plaintext = b""
    try:
        plaintext = _open_with_office_keys(sealed, office_keys)
        payload: Payload = decode_payload(plaintext)
    except CryptoError as exc:
        reason = f"the envelope does not open to a valid payload: {exc}"
    else:
        expected = "report" if isinstance(payload, Report) else "message"
        if not isinstance(payload, Report | Message) or item.kind != expected:
            reason = f"the bundle calls it a {item.kind}, its payload is not"
        elif payload.reporter_public_key != thread_keys[item.thread]:
            reason = "it was made with another reporter key than its case"
        else:
            reason = _check_refs(store, item, payload.attachments, blob_ids, refs)
    copies: list[Path] = []
    kept: list[tuple[str, Path]] = []
    for span in item.attachments:
        number, ref = refs.get(span.id, (0, None))
        decryptor = None
        if reason is None and ref is not None:
            decryptor = stream.StreamDecryptor(ref.key, ref.size)
        path, failure = files.copy(source, span, ref.blob if ref else "extra", decryptor)
        copies.append(path)
        if failure is not None and reason is None:
            reason = f"attachment {number} does not open: {failure}"
        if ref is not None:
            kept.append((ref.blob, path))
    if reason is not None:
        return SetAside(item, reason, sealed, tuple(copies))
    blob_ids.update(refs)
    return _CheckedItem(item=item, plaintext=plaintext, blobs=tuple(kept))


def _check_refs(
    store: Store,
    item: bundles.InboundItemHead,
    attachments: tuple[AttachmentRef, ...],
    blob_ids: set[str],
    refs: dict[str, tuple[int, AttachmentRef]],
) -> str | None:
    """Every attachment the payload names must be carried by the item, once, and be new
    to the inbox: the reason to set the item aside, or None (``refs`` filled)."""
    carried = {span.id for span in item.attachments}
    for number, ref in enumerate(attachments, start=1):
        if ref.blob not in carried:
            return f"attachment {number} is missing from the bundle"
        if ref.blob in blob_ids or ref.blob in refs or store.knows_attachment(ref.blob):
            return f"attachment {number} is already in the inbox"
        refs[ref.blob] = (number, ref)
    return None


def set_aside_blob_name(item_id: str, number: int) -> str:
    """The file name of a set-aside item's attachment stream. The dots keep it apart from
    every imported attachment's file, named by a payload's blob id (no dots)."""
    return f"aside.{item_id}.{number}"


def _commit(
    store: Store,
    inbound: bundles.InboundHead,
    checked: list[_CheckedItem],
    summary: ImportSummary,
    skipped: set[str],
    today: date,
) -> None:
    day = today.isoformat()
    with store.transaction():
        # Store.next_position, counted here and saved once (one transaction either way).
        first = store.get_meta(NEXT_POSITION)
        positions = itertools.count(first)

        def position() -> int:
            return next(positions)

        existing = store.threads_among(t.id for t in inbound.threads)
        new_threads: set[str] = set()
        for thread in inbound.threads:
            if thread.id not in existing:
                new_threads.add(thread.id)
                # The office, not the portal, decides a case's status: a new thread starts
                # as received whatever the portal says (see below).
                store.add_thread(
                    thread.id, thread.created_day, ThreadMeta(thread.reporter_public_key)
                )
                summary.new_threads += 1
        for entry in checked:
            item = entry.item
            store.add_item(item.id, item.thread, item.kind, item.day, position(), entry.plaintext)
            for blob_id, _ in entry.blobs:
                store.add_attachment(blob_id, item.id)
                summary.attachments += 1
            store.queue_ack(item.thread, item.id, day, position())
            summary.new_items += 1
        for aside in summary.set_aside:
            item = aside.item
            kept = {"reason": aside.reason, "envelope": b64encode(aside.envelope)}
            store.set_aside(
                item.id,
                item.thread,
                item.kind,
                item.day,
                day,
                json.dumps(kept).encode(),
                (set_aside_blob_name(item.id, n) for n in range(1, len(item.attachments) + 1)),
            )
            # Acknowledged like a new item: the portal deletes its ciphertext.
            store.queue_ack(item.thread, item.id, day, position())

        summary.newly_confirmed = store.confirm_outbound(inbound.last_outbound_sequence)
        confirmed = store.get_meta(LAST_CONFIRMED)
        summary.confirmed_sequence = confirmed
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
            if thread.id in new_threads:  # "received", and nothing of ours on its way
                ours, on_its_way = "received", False
            else:
                ours = store.thread(thread.id).status
                on_its_way = store.on_its_way("status", thread.id, confirmed)
            if ours != thread.status and not on_its_way:
                summary.warnings.append(
                    f"Portalen viser statusen «{thread.status}» for sak {thread.id[:8]}, "
                    f"men innboksen har «{ours}». Innboksens status gjelder; "
                    "sjekk portalen, og send statusen på nytt med «varsel-inbox status»."
                )

        new_ids = {entry.item.id for entry in checked} | {a.item.id for a in summary.set_aside}
        for item in inbound.items:
            if item.id in new_ids or item.id in skipped:
                continue
            # The portal had applied our acknowledgement when it made this bundle and
            # still carries the item: acknowledge it again (requirement 6).
            if not store.on_its_way("ack", item.id, inbound.last_outbound_sequence):
                store.queue_ack(item.thread, item.id, day, position())
        store.set_meta(NEXT_POSITION, position())
