"""Moving ciphertext between the portal and the offline inbox.

docs/THREAT-MODEL.md, requirements 5 and 6.

- :func:`export_inbound` builds an inbound bundle, signed by the portal's key, with the
  submissions the inbox has not yet acknowledged, their attachment streams and threads.
  Exporting changes nothing (but may store an attachment digest missing from an older
  row). The bundle is streamed: the signed head needs only each blob's size and digest
  (computed when the blob was stored), and the attachment files follow it, read from disk
  a piece at a time, so memory does not grow with the bundle (docs/PERFORMANCE.md).
  The waiting submissions are cut into parts of at most
  ``BATCH_BYTES`` (and ``BATCH_ITEMS``), oldest first (:func:`plan_inbound`), so no
  amount of waiting data, however large, makes a bundle the portal cannot build or the
  inbox cannot read. Part 1 is the normal download; since only an
  acknowledgement removes a submission, downloading again after the inbox's answer has
  been applied gives the next part, and ``part=2, 3, ...`` can be fetched at once.
- :func:`apply_outbound` verifies an outbound bundle under the office key *before* looking
  at any of it, checks that it is addressed to this portal and newer than the last one
  applied, then opens the threads the office asks for (reports received outside the
  portal whose reporter got a receipt on paper), and applies acknowledgements, replies and
  status changes, in one transaction. A thread that cannot be opened is refused alone,
  with a reason, and the rest of the bundle is applied. Acknowledged attachment streams
  are shredded only after that transaction commits.

The office pages and the ``varsel-portal`` commands both call these two functions, with
the app's settings and instance secrets (:func:`export_for`, :func:`apply_for`).
"""

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crypto.bundle import (
    MAX_BUNDLE,
    MAX_MANIFEST,
    BlobInfo,
    InboundEntry,
    InboundThread,
    OpenThread,
    OutboundBundle,
    PortalParameters,
    blob_hasher,
    blob_info,
    envelope_id,
    read_outbound,
    sign_inbound,
    signer_fingerprint,
)
from crypto.envelope import check_sealed_shape
from crypto.errors import (
    CryptoError,
    SignatureError,
    TamperedError,
    TooLargeError,
    TruncatedError,
)
from crypto.keys import SecretIdentity
from crypto.receipt import login_hash, open_login_key
from crypto.rotation import read_rotation

from .config import Settings
from .db import release_deleted
from .models import (
    Attachment,
    Reply,
    ReplyByDay,
    ShredPending,
    Submission,
    Thread,
    TransferState,
)
from .purge import shred_pending
from .recipients import RecipientError, load_office
from .services import Services
from .store import READ_CHUNK, BlobStore

log = logging.getLogger("varsel.transfer")

# The largest outbound bundle the portal reads (replies are short sealed texts).
MAX_OUTBOUND_BYTES = 64 * 1024 * 1024

# One inbound bundle carries at most this many bytes of envelopes and attachment streams,
# unless a single submission is larger (it always goes, alone; one submission is at most
# the upload limit, far below crypto.bundle.MAX_BUNDLE). It bounds what the inbox imports
# in one go; memory does not depend on it (attachment streams are streamed from disk).
BATCH_BYTES = 256 * 1024 * 1024
# ... and at most this many bytes of envelopes (they come from the database and are held
# in memory while the part is sent; a part always takes one submission, whose envelope is
# at most portal.sealed_upload.MAX_ENVELOPE).
BATCH_ENVELOPE_BYTES = 16 * 1024 * 1024
# ... and at most this many submissions, and blobs (envelopes plus attachments): keeps the
# signed manifest far below crypto.bundle.MAX_MANIFEST (16 MiB) and MAX_ENTRIES.
BATCH_ITEMS = 5_000
BATCH_BLOBS = 20_000
# Ids per "IN (...)" query (old SQLite builds allow 999 parameters).
_IN_CHUNK = 500


def N_(msgid: str) -> str:
    """Marks a message for extraction; translated where it is shown (see TransferRefused)."""
    return msgid


class TransferRefused(Exception):
    """A bundle was refused, or one could not be built; nothing was changed.

    ``msgid`` is an English message with ``%(name)s`` placeholders: web pages translate it
    with ``gettext(msgid, **params)``, the command line prints ``str(error)``.
    """

    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(msgid % params if params else msgid)
        self.msgid = msgid
        self.params = params


@dataclass(frozen=True)
class InboundExport:
    """A signed inbound bundle, ready to stream: :meth:`chunks` yields its bytes."""

    head: bytes  # the signed head (crypto.bundle.sign_inbound)
    # Envelopes in memory; attachment files on disk, each with what the head says of it.
    blobs: tuple[bytes | tuple[Path, BlobInfo], ...]
    size: int  # the bundle's length in bytes
    items: int
    threads: int
    attachments: int
    filename: str
    part: int = 1  # which part of the waiting submissions this bundle is (1 = oldest)
    parts: int = 1  # how many parts the waiting submissions make now
    remaining: int = 0  # waiting submissions not in this bundle (in the other parts)

    def chunks(self) -> Iterator[bytes]:
        """The bundle's bytes, the head and then each blob, at most ``READ_CHUNK`` at a
        time from disk. A file that changed since the export was made ends the stream
        early with TransferRefused, so the receiver gets a cut bundle and refuses it."""
        yield self.head
        for blob in self.blobs:
            if isinstance(blob, bytes):
                yield blob
            else:
                path, info = blob
                yield from _file_chunks(path, info.size, info.id)


@dataclass(frozen=True)
class InboundPlan:
    """The waiting submissions cut into bundle-sized parts, oldest first (ids only)."""

    parts: tuple[tuple[str, ...], ...]
    sizes: tuple[int, ...]  # bytes of envelopes and attachment streams per part

    @property
    def waiting(self) -> int:
        return sum(len(part) for part in self.parts)

    def remaining_after(self, part: int) -> int:
        """Waiting submissions that a bundle of ``part`` does not carry."""
        return self.waiting - len(self.parts[part - 1])


@dataclass(frozen=True)
class ApplySummary:
    sequence: int
    acknowledged: int
    replies: int
    status_changes: int
    skipped: int  # entries about threads or items no longer here, or already applied
    shredded: int  # attachment streams deleted from disk
    new_office_key: str | None = None  # fingerprint, when the bundle rotated the office key
    threads_opened: int = 0  # threads for reports received outside the portal
    refused: tuple["ThreadRefused", ...] = ()  # threads the bundle asked for, not opened


@dataclass(frozen=True)
class ThreadRefused:
    """A thread to open that was refused, alone: ``msgid`` names the thread as
    ``%(thread)s`` and is translated where it is shown (like TransferRefused)."""

    thread: str
    msgid: str

    def __str__(self) -> str:
        return self.msgid % {"thread": self.thread}


def portal_fingerprint(portal: SecretIdentity) -> str:
    return signer_fingerprint(portal.public.verify_key)


def transfer_state(db: Session) -> TransferState:
    """The single TransferState row, created (unflushed) when missing."""
    state = db.get(TransferState, 1, populate_existing=True)
    if state is None:
        state = TransferState(id=1, last_outbound_sequence=0, inbound_downloads=0)
        db.add(state)
    return state


def next_download_number(db: Session) -> int:
    """Count one more inbound download and return its number (caller commits)."""
    state = transfer_state(db)
    state.inbound_downloads = (state.inbound_downloads or 0) + 1
    return state.inbound_downloads


def inbound_filename(today: date, part: int, parts: int, number: int | None = None) -> str:
    """``varsel-inn-DAY[-nr-N][-del-P-av-Q].bundle``: the download's number keeps two
    downloads on one day apart."""
    numbered = f"-nr-{number}" if number is not None else ""
    suffix = f"-del-{part}-av-{parts}" if parts > 1 else ""
    return f"varsel-inn-{today.isoformat()}{numbered}{suffix}.bundle"


def last_outbound_sequence(db: Session) -> int:
    state = db.get(TransferState, 1)
    return state.last_outbound_sequence if state is not None else 0


def plan_inbound(
    db: Session, max_bytes: int | None = None, max_items: int | None = None
) -> InboundPlan:
    """Cut the unacknowledged submissions into parts, oldest first.

    Order: submissions of threads the office has closed last (an inbox that deleted the
    case does not import or acknowledge them, so they must not hold up everything
    else), then by the thread's creation day, then the submission's place in its thread.
    A part takes submissions while their envelopes and attachment streams stay within
    ``max_bytes`` (default ``BATCH_BYTES``) and ``max_items`` (default ``BATCH_ITEMS``),
    and their envelopes within ``BATCH_ENVELOPE_BYTES``; a part always takes at least one.
    Reads sizes only, never ciphertext.
    """
    max_bytes = BATCH_BYTES if max_bytes is None else max_bytes
    max_items = BATCH_ITEMS if max_items is None else max_items
    per_submission = (
        select(
            Attachment.submission_id.label("submission_id"),
            func.sum(Attachment.stored_size).label("size"),
            func.count().label("count"),
        )
        .group_by(Attachment.submission_id)
        .subquery()
    )
    rows = db.execute(
        select(
            Submission.id,
            func.length(Submission.office_envelope),
            func.coalesce(per_submission.c.size, 0),
            func.coalesce(per_submission.c.count, 0),
        )
        .join(Thread, Submission.thread_id == Thread.id)
        .outerjoin(per_submission, per_submission.c.submission_id == Submission.id)
        .where(Submission.office_envelope.is_not(None))
        .order_by(
            Thread.status == "closed",
            Thread.created_day,
            Submission.position,
            Thread.id,
        )
    ).all()
    parts: list[tuple[str, ...]] = []
    sizes: list[int] = []
    current: list[str] = []
    current_bytes = current_blobs = current_envelopes = 0
    for sub_id, envelope_size, attachment_bytes, attachment_count in rows:
        envelope = int(envelope_size or 0)
        size = envelope + int(attachment_bytes)
        blobs = 1 + int(attachment_count)
        if current and (
            current_bytes + size > max_bytes
            or len(current) >= max_items
            or current_blobs + blobs > BATCH_BLOBS
            or current_envelopes + envelope > BATCH_ENVELOPE_BYTES
        ):
            parts.append(tuple(current))
            sizes.append(current_bytes)
            current, current_bytes, current_blobs, current_envelopes = [], 0, 0, 0
        current.append(sub_id)
        current_bytes += size
        current_blobs += blobs
        current_envelopes += envelope
    if current or not parts:  # nothing waiting: one empty part (it still confirms acks)
        parts.append(tuple(current))
        sizes.append(current_bytes)
    return InboundPlan(parts=tuple(parts), sizes=tuple(sizes))


def _submissions(db: Session, ids: tuple[str, ...]) -> list[Submission]:
    """The submissions with these ids, in this order (missing ones left out)."""
    found: dict[str, Submission] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        for sub in db.scalars(select(Submission).where(Submission.id.in_(chunk))):
            found[sub.id] = sub
    return [found[i] for i in ids if i in found]


def _missing_blob(blob_id: str) -> TransferRefused:
    return TransferRefused(
        N_(
            "An attachment file is missing from the portal's storage (%(blob)s). "
            "The operator must restore it from a backup before the next download."
        ),
        blob=blob_id,
    )


def _wrong_size(blob_id: str) -> TransferRefused:
    return TransferRefused(
        N_(
            "An attachment file on the portal does not have the size the database "
            "records (%(blob)s). The operator must restore it from a backup before "
            "the next download."
        ),
        blob=blob_id,
    )


def _attachment_info(store: BlobStore, attachment: Attachment) -> tuple[Path, BlobInfo]:
    """Size and digest of an attachment stream for the signed head, without reading it
    (the digest was stored with the blob; a row from before migration 0006 gets it now, by
    reading the file once)."""
    path = store.path(attachment.id)
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise _missing_blob(attachment.id) from exc
    if size != attachment.stored_size:
        raise _wrong_size(attachment.id)
    if attachment.blake2b is None:
        hasher = blob_hasher()
        for chunk in _file_chunks(path, size, attachment.id):
            hasher.update(chunk)
        attachment.blake2b = hasher.digest()
    return path, BlobInfo(attachment.id, size, attachment.blake2b)


def _file_chunks(path: Path, size: int, blob_id: str) -> Iterator[bytes]:
    """Exactly ``size`` bytes of the file at ``path``, a piece at a time."""
    try:
        with path.open("rb") as f:
            remaining = size
            while remaining:
                chunk = f.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise _wrong_size(blob_id)
                remaining -= len(chunk)
                yield chunk
            if os.fstat(f.fileno()).st_size != size:
                raise _wrong_size(blob_id)
    except FileNotFoundError as exc:
        raise _missing_blob(blob_id) from exc


def export_inbound(
    db: Session,
    settings: Settings,
    portal: SecretIdentity,
    today: date,
    *,
    receipt_salt: bytes | None = None,
    part: int = 1,
    max_bytes: int | None = None,
    max_items: int | None = None,
) -> InboundExport:
    """One part of the unacknowledged submissions, with attachments and threads, signed.

    Part 1 holds the oldest (:func:`plan_inbound`). Nothing is read from the attachment
    files here (their digests are in the database; each file's size is checked): the
    caller streams the bundle with :meth:`InboundExport.chunks`. The bundle is refused
    before it could exceed MAX_BUNDLE. The caller commits (a digest missing from an older
    row is stored then).
    """
    plan = plan_inbound(db, max_bytes, max_items)
    if not 1 <= part <= len(plan.parts):
        raise TransferRefused(
            N_(
                "There is no part %(part)d: what is waiting now makes %(parts)d bundles. "
                "Nothing was downloaded."
            ),
            part=part,
            parts=len(plan.parts),
        )
    if plan.sizes[part - 1] > MAX_BUNDLE - MAX_MANIFEST:  # one submission over 4 GiB
        raise TransferRefused(
            N_("A submission is too large for a bundle. The operator must check the portal.")
        )
    store = BlobStore(settings.blobs_dir)
    threads: dict[str, InboundThread] = {}
    entries: list[InboundEntry] = []
    blobs: list[bytes | tuple[Path, BlobInfo]] = []
    attachments = 0
    for sub in _submissions(db, plan.parts[part - 1]):
        if sub.office_envelope is None:  # acknowledged since the plan was made
            continue
        thread = sub.thread
        if thread.id not in threads:
            threads[thread.id] = InboundThread(
                id=thread.id,
                reporter_public_key=thread.reporter_public_key,
                created_day=thread.created_day.isoformat(),
                status=thread.status,
            )
        blobs.append(sub.office_envelope)
        infos = []
        for attachment in sorted(sub.attachments, key=lambda a: a.id):
            path, info = _attachment_info(store, attachment)
            infos.append(info)
            blobs.append((path, info))
        attachments += len(infos)
        entries.append(
            InboundEntry(
                id=sub.id,
                thread=thread.id,
                kind=sub.kind,
                day=sub.day.isoformat(),
                envelope=blob_info(envelope_id(sub.id), sub.office_envelope),
                attachments=tuple(infos),
            )
        )
    head, order = sign_inbound(
        today.isoformat(),
        last_outbound_sequence(db),
        tuple(threads.values()),
        entries,
        portal,
        # What the inbox needs to issue receipts for reports received outside the portal.
        parameters=None
        if receipt_salt is None
        else PortalParameters(portal.public.encryption_key, receipt_salt),
    )
    parts = len(plan.parts)
    return InboundExport(
        head=head,
        blobs=tuple(blobs),
        size=len(head) + sum(info.size for info in order),
        items=len(entries),
        threads=len(threads),
        attachments=attachments,
        filename=inbound_filename(today, part, parts),
        part=part,
        parts=parts,
        remaining=plan.remaining_after(part),
    )


def export_for(app: Services, db: Session, today: date, part: int = 1) -> InboundExport:
    """:func:`export_inbound` with the app's settings, portal key and receipt salt."""
    return export_inbound(
        db,
        app.settings,
        app.secrets.portal_identity,
        today,
        receipt_salt=app.secrets.receipt_salt,
        part=part,
    )


def apply_for(app: Services, db: Session, data: bytes, today: date) -> ApplySummary:
    """:func:`apply_outbound` with the app's settings, portal key and login pepper."""
    return apply_outbound(
        db,
        app.settings,
        app.secrets.portal_identity,
        data,
        today,
        login_pepper=app.secrets.login_pepper,
    )


def office_verify_key(settings: Settings) -> bytes:
    try:
        office = load_office(settings.keys_dir)
    except RecipientError as exc:
        raise TransferRefused(
            N_("The office key file cannot be read: %(reason)s"), reason=str(exc)
        ) from exc
    if office is None:
        raise TransferRefused(
            N_("The portal has no office key (office.pub), so it cannot check the bundle.")
        )
    return office.identity.verify_key


def refusal_reason(exc: CryptoError) -> str:
    """Why crypto/ refused a bundle, as a message for people (an English msgid that the
    pages translate; crypto/'s own messages are for developers and logs)."""
    if isinstance(exc, SignatureError | TamperedError):
        return N_(
            "it is not signed with the party office's key, or it was changed or damaged "
            "on the way"
        )
    if isinstance(exc, TruncatedError) or "truncated" in str(exc):
        return N_("the file is incomplete (it was cut off)")
    if isinstance(exc, TooLargeError):
        return N_("the file is too large")
    if str(exc) == "not a Varsel bundle":
        return N_("the file is not a Varsel bundle")
    return N_("its content is not in the form the portal expects")


def verify_outbound(data: bytes, settings: Settings, portal: SecretIdentity) -> OutboundBundle:
    """Authenticate the whole bundle and check its audience; touches no database."""
    if len(data) > MAX_OUTBOUND_BYTES:
        raise TransferRefused(N_("The file is too large to be an outbound bundle."))
    verify_key = office_verify_key(settings)
    try:
        bundle = read_outbound(data, verify_key)
    except CryptoError as exc:
        raise TransferRefused(
            N_("The bundle was refused and nothing was applied: %(reason)s"),
            reason=refusal_reason(exc),
        ) from exc
    expected = portal_fingerprint(portal)
    if bundle.audience != expected:
        raise TransferRefused(
            N_(
                "The bundle is addressed to another portal (%(audience)s, this portal is "
                "%(expected)s). Nothing was applied."
            ),
            audience=bundle.audience,
            expected=expected,
        )
    return bundle


def apply_outbound(
    db: Session,
    settings: Settings,
    portal: SecretIdentity,
    data: bytes,
    today: date,
    *,
    login_pepper: bytes,
) -> ApplySummary:
    """Verify, then apply everything in one transaction, then shred acknowledged blobs."""
    bundle = verify_outbound(data, settings, portal)
    try:
        summary, shred_ids = _apply(db, bundle, today, _Opener(portal, login_pepper))
        db.commit()
    except TransferRefused:
        db.rollback()
        raise
    except Exception as exc:
        db.rollback()
        # The type only: a database error's text can quote thread and item identifiers.
        log.error("applying outbound bundle %d failed: %s", bundle.sequence, type(exc).__name__)
        raise TransferRefused(
            N_("The bundle could not be applied, and nothing of it was: %(reason)s"),
            reason=type(exc).__name__,
        ) from exc
    release_deleted(db)
    shred_pending(db, BlobStore(settings.blobs_dir), shred_ids)
    log.info("applied outbound bundle %d", bundle.sequence)
    if bundle.key_rotation is not None:
        summary = replace(summary, new_office_key=_rotate_office_key(settings, bundle.key_rotation))
    return summary


def _rotate_office_key(settings: Settings, statement: bytes) -> str:
    """Install the new office key that the current one signed (crypto/rotation.py): new
    reports are sealed to it, and the next outbound bundles must be signed by it."""
    new = read_rotation(statement, office_verify_key(settings))
    path = settings.office_key_file
    partial = path.with_name(path.name + ".new")
    partial.write_text(new.to_text(), encoding="utf-8")
    os.replace(partial, path)
    log.info("office key rotated to %s", new.fingerprint)
    return new.fingerprint


@dataclass(frozen=True)
class _Opener:
    """What opening a thread needs: the portal's X25519 key pair and the login pepper."""

    portal: SecretIdentity
    pepper: bytes

    def check(self, db: Session, opening: OpenThread) -> tuple[bytes | None, str | None]:
        """The login hash for a thread to open, or why it is refused (``None`` and
        ``None``: the same thread was opened by an earlier bundle)."""
        try:
            login_key = open_login_key(
                opening.sealed_login_key,
                self.portal.public.encryption_key,
                self.portal.encryption_secret,
            )
            check_sealed_shape(opening.own_copy, 1)
        except CryptoError:
            return None, N_(
                "Thread %(thread)s was not opened: its login key is not sealed to this "
                "portal's key, or its copy for the reporter is damaged. The receipt given "
                "for it does not work."
            )
        lookup = login_hash(login_key, self.pepper)
        existing = db.get(Thread, opening.id)
        if existing is not None:
            if (
                existing.login_hash == lookup
                and existing.reporter_public_key == opening.reporter_public_key
            ):
                return None, None
            return None, N_(
                "Thread %(thread)s was not opened: the portal already has another thread "
                "with this id. The receipt given for it does not work."
            )
        if db.scalar(select(Thread.id).where(Thread.login_hash == lookup)) is not None:
            return None, N_(
                "Thread %(thread)s was not opened: its receipt already belongs to another "
                "thread. The receipt given for it does not work."
            )
        return lookup, None


def _open_threads(
    db: Session, bundle: OutboundBundle, today: date, opener: _Opener
) -> tuple[int, int, list[ThreadRefused]]:
    """Open the threads the bundle asks for: (opened, already open, refused)."""
    opened = already = 0
    refused: list[ThreadRefused] = []
    for opening in bundle.open_threads:
        lookup, problem = opener.check(db, opening)
        if problem is not None:
            refused.append(ThreadRefused(opening.id, problem))
            continue
        if lookup is None:
            already += 1
            continue
        thread = Thread(
            id=opening.id,
            login_hash=lookup,
            reporter_public_key=opening.reporter_public_key,
            created_day=today,
            last_activity_day=today,
            status=opening.status,
            next_position=0,
        )
        db.add(thread)
        # The reporter's own copy of what they told the office; nothing for the office to
        # download (the inbox has the report), so it counts as acknowledged.
        thread.submissions.append(
            Submission(
                position=thread.take_position(),
                kind="report",
                day=today,
                office_envelope=None,
                own_copy=opening.own_copy,
                acknowledged=True,
            )
        )
        db.flush()
        opened += 1
    return opened, already, refused


def _apply(
    db: Session, bundle: OutboundBundle, today: date, opener: _Opener
) -> tuple[ApplySummary, list[str]]:
    state = transfer_state(db)
    db.flush()
    last = state.last_outbound_sequence
    if bundle.sequence <= last:
        raise TransferRefused(
            N_(
                "This bundle has sequence number %(sequence)d, but bundle %(last)d has "
                "already been applied. It is a replay or an old bundle; nothing was applied. "
                "Make a new outbound bundle in the inbox."
            ),
            sequence=bundle.sequence,
            last=last,
        )
    # The first write, conditional: two imports at once cannot both pass the check above.
    moved = db.execute(
        update(TransferState)
        .where(TransferState.id == 1, TransferState.last_outbound_sequence < bundle.sequence)
        .values(last_outbound_sequence=bundle.sequence)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise TransferRefused(
            N_("Another bundle was applied at the same moment; nothing of this one was.")
        )
    db.refresh(state)

    opened, skipped, refused = _open_threads(db, bundle, today, opener)
    # Nothing addressed to a thread that was refused reaches the thread of that id.
    not_ours = {r.thread for r in refused}
    acknowledged = 0
    shred_ids: list[str] = []
    for item_id in bundle.acks:
        sub = db.get(Submission, item_id)
        if sub is None or (sub.acknowledged and sub.office_envelope is None):
            skipped += 1
            continue
        for attachment in list(sub.attachments):
            shred_ids.append(attachment.id)
            db.add(ShredPending(id=attachment.id))  # in this transaction: see purge.py
            db.delete(attachment)
        sub.office_envelope = None
        sub.acknowledged = True
        acknowledged += 1

    replies = 0
    for reply in bundle.replies:
        thread = None if reply.thread in not_ours else db.get(Thread, reply.thread)
        if thread is None or db.get(Reply, reply.id) is not None:
            skipped += 1
            continue
        db.add(
            Reply(
                id=reply.id,
                thread=thread,
                day=date.fromisoformat(reply.day),
                envelope=reply.envelope,
                position=thread.take_position(),
            )
        )
        thread.last_activity_day = today
        replies += 1

    status_changes = 0
    for change in bundle.statuses:
        thread = None if change.thread in not_ours else db.get(Thread, change.thread)
        if thread is None:
            skipped += 1
            continue
        if thread.status != change.status:
            thread.status = change.status
            thread.last_activity_day = today
            status_changes += 1

    # The office dashboard's time limits to reply: what the inbox knows now, replacing the
    # last bundle's (an old bundle cannot get here: its sequence was refused above).
    db.execute(delete(ReplyByDay))
    for day in sorted(set(bundle.reply_by)):
        db.add(ReplyByDay(day=date.fromisoformat(day), cases=bundle.reply_by.count(day)))

    db.flush()
    summary = ApplySummary(
        sequence=bundle.sequence,
        acknowledged=acknowledged,
        replies=replies,
        status_changes=status_changes,
        skipped=skipped,
        shredded=len(shred_ids),
        threads_opened=opened,
        refused=tuple(refused),
    )
    return summary, shred_ids
