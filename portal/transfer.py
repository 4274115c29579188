"""Moving ciphertext between the portal and the offline inbox (DESIGN.md requirements 5, 6).

- :func:`export_inbound` builds an inbound bundle, signed by the portal's key, with every
  submission the inbox has not yet acknowledged, its attachment streams and its thread.
  Exporting changes nothing.
- :func:`apply_outbound` verifies an outbound bundle under the office key *before* looking
  at any of it, checks that it is addressed to this portal and newer than the last one
  applied, then applies acknowledgements, replies and status changes in one transaction.
  Acknowledged attachment streams are shredded only after that transaction commits.

The office pages and the ``varsel-portal`` commands both call these two functions.
"""

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto.bundle import (
    Blob,
    InboundBundle,
    InboundItem,
    InboundThread,
    OutboundBundle,
    read_outbound,
    signer_fingerprint,
    write_inbound,
)
from crypto.errors import CryptoError
from crypto.keys import SecretIdentity

from .config import Settings
from .db import release_deleted
from .models import Reply, Submission, Thread, TransferState
from .recipients import RecipientError, load_office
from .store import BlobStore

log = logging.getLogger("varsel.transfer")

# The largest outbound bundle the portal reads (replies are short sealed texts).
MAX_OUTBOUND_BYTES = 64 * 1024 * 1024


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
    data: bytes
    items: int
    threads: int
    attachments: int
    filename: str


@dataclass(frozen=True)
class ApplySummary:
    sequence: int
    acknowledged: int
    replies: int
    status_changes: int
    skipped: int  # entries about threads or items no longer here, or already applied
    shredded: int  # attachment streams deleted from disk


def portal_fingerprint(portal: SecretIdentity) -> str:
    return signer_fingerprint(portal.public.verify_key)


def transfer_state(db: Session) -> TransferState:
    """The single TransferState row, created (unflushed) when missing."""
    state = db.get(TransferState, 1, populate_existing=True)
    if state is None:
        state = TransferState(id=1, last_outbound_sequence=0)
        db.add(state)
    return state


def last_outbound_sequence(db: Session) -> int:
    state = db.get(TransferState, 1)
    return state.last_outbound_sequence if state is not None else 0


def export_inbound(
    db: Session, settings: Settings, portal: SecretIdentity, today: date
) -> InboundExport:
    """Every unacknowledged submission with its attachments and threads, signed."""
    store = BlobStore(settings.blobs_dir)
    submissions = db.scalars(
        select(Submission)
        .where(Submission.office_envelope.is_not(None))
        .order_by(Submission.thread_id, Submission.position)
    ).all()
    threads: dict[str, InboundThread] = {}
    items: list[InboundItem] = []
    attachments = 0
    for sub in submissions:
        thread = sub.thread
        if thread.id not in threads:
            threads[thread.id] = InboundThread(
                id=thread.id,
                reporter_public_key=thread.reporter_public_key,
                created_day=thread.created_day.isoformat(),
                status=thread.status,
            )
        blobs = []
        for attachment in sorted(sub.attachments, key=lambda a: a.id):
            try:
                blobs.append(Blob(attachment.id, store.read(attachment.id)))
            except FileNotFoundError as exc:
                raise TransferRefused(
                    N_(
                        "An attachment file is missing from the portal's storage (%(blob)s). "
                        "The operator must restore it from a backup before the next download."
                    ),
                    blob=attachment.id,
                ) from exc
        attachments += len(blobs)
        assert sub.office_envelope is not None
        items.append(
            InboundItem(
                id=sub.id,
                thread=thread.id,
                kind=sub.kind,
                day=sub.day.isoformat(),
                envelope=sub.office_envelope,
                attachments=tuple(blobs),
            )
        )
    bundle = InboundBundle(
        created_day=today.isoformat(),
        last_outbound_sequence=last_outbound_sequence(db),
        threads=tuple(threads.values()),
        items=tuple(items),
    )
    data = write_inbound(bundle, portal)
    return InboundExport(
        data=data,
        items=len(items),
        threads=len(threads),
        attachments=attachments,
        filename=f"varsel-inn-{today.isoformat()}.bundle",
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


def verify_outbound(data: bytes, settings: Settings, portal: SecretIdentity) -> OutboundBundle:
    """Authenticate the whole bundle and check its audience; touches no database."""
    if len(data) > MAX_OUTBOUND_BYTES:
        raise TransferRefused(N_("The file is too large to be an outbound bundle."))
    verify_key = office_verify_key(settings)
    try:
        bundle = read_outbound(data, verify_key)
    except CryptoError as exc:
        raise TransferRefused(
            N_("The bundle was refused and nothing was applied: %(reason)s"), reason=str(exc)
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
    db: Session, settings: Settings, portal: SecretIdentity, data: bytes, today: date
) -> ApplySummary:
    """Verify, then apply everything in one transaction, then shred acknowledged blobs."""
    bundle = verify_outbound(data, settings, portal)
    try:
        summary, shred_ids = _apply(db, bundle, today)
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
    store = BlobStore(settings.blobs_dir)
    for blob_id in shred_ids:
        store.delete(blob_id)
    log.info("applied outbound bundle %d", bundle.sequence)
    return summary


def _apply(db: Session, bundle: OutboundBundle, today: date) -> tuple[ApplySummary, list[str]]:
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

    skipped = 0
    acknowledged = 0
    shred_ids: list[str] = []
    for item_id in bundle.acks:
        sub = db.get(Submission, item_id)
        if sub is None or (sub.acknowledged and sub.office_envelope is None):
            skipped += 1
            continue
        for attachment in list(sub.attachments):
            shred_ids.append(attachment.id)
            db.delete(attachment)
        sub.office_envelope = None
        sub.acknowledged = True
        acknowledged += 1

    replies = 0
    for reply in bundle.replies:
        thread = db.get(Thread, reply.thread)
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
        thread = db.get(Thread, change.thread)
        if thread is None:
            skipped += 1
            continue
        if thread.status != change.status:
            thread.status = change.status
            thread.last_activity_day = today
            status_changes += 1

    db.flush()
    summary = ApplySummary(
        sequence=bundle.sequence,
        acknowledged=acknowledged,
        replies=replies,
        status_changes=status_changes,
        skipped=skipped,
        shredded=len(shred_ids),
    )
    return summary, shred_ids
