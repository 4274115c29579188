"""Expiry: threads without activity for a configured period go.

docs/THREAT-MODEL.md, requirement 6.

A thread expires when ``last_activity_day + settings.thread_expiry_days < today``. It is
deleted with its submissions (including the reporter's own copies), replies, attachment
rows and reporter sessions in one transaction; the attachment streams on disk are shredded
after that transaction commits. Abandoned reporter sessions (``purge_day`` before today,
UTC) are deleted too (the reporter pages also do this on every request).

It then sweeps the blob directory: ``.partial`` files older than a day (a worker that died
mid-upload) and committed blob files that no attachment row refers to and that were written
at least :data:`ORPHAN_MIN_DAYS` days ago (an upload whose transaction never committed).
Younger ones may belong to a submission being stored right now.

**Shredding survives a crash.** Whoever deletes attachment rows (an acknowledgement from
the office, expiry) records each stream in ``shred_pending`` in the same transaction, and
shreds the files after the commit (:func:`shred_pending`). A worker killed in between
leaves the record, and the next start of the portal (:func:`init_app`), the next transfer
and ``purge-expired`` shred what it names: an acknowledged stream does not wait days for
the orphan sweep.

Run it daily: ``varsel-portal purge-expired`` (docs/OPERATOR-GUIDE.md, "Expiry").
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from flask import Flask
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from inbox.files import shred

from . import receipt_handoff
from .clock import utcnow
from .config import Settings
from .db import delete_where, release_deleted, session_scope
from .models import Attachment, Reply, ReporterSession, ShredPending, Submission, Thread
from .office_users import forget_spent_steps
from .reporter_session import purge_abandoned_sessions
from .services import services
from .store import BlobStore, midnight_utc

T = TypeVar("T")
PARTIAL_MAX_AGE = timedelta(days=1)
ORPHAN_MIN_DAYS = 2


@dataclass(frozen=True)
class PurgeResult:
    threads: int
    submissions: int
    replies: int
    attachments: int
    sessions: int
    swept: int = 0  # leftover .partial files and orphan blob files removed


def purge_expired(
    session: Session, settings: Settings, today: date, now: datetime | None = None
) -> PurgeResult:
    """Delete expired threads and abandoned reporter sessions; commit; shred their blobs;
    then sweep leftovers from the blob directory.

    ``now`` is naive UTC; it defaults to the clock. Sessions are purged by its (UTC) day.
    """
    now = now or utcnow()
    cutoff = today - timedelta(days=settings.thread_expiry_days)
    thread_ids = list(session.scalars(select(Thread.id).where(Thread.last_activity_day < cutoff)))
    blob_ids: list[str] = []
    submissions = replies = 0
    reporter_sessions = 0
    if thread_ids:
        blob_ids = list(
            session.scalars(
                select(Attachment.id)
                .join(Submission, Attachment.submission_id == Submission.id)
                .where(Submission.thread_id.in_(thread_ids))
            )
        )
        submissions = _count(session, Submission, Submission.thread_id.in_(thread_ids))
        replies = _count(session, Reply, Reply.thread_id.in_(thread_ids))
        reporter_sessions = delete_where(
            session, ReporterSession, ReporterSession.thread_id.in_(thread_ids)
        )
        for thread in session.scalars(select(Thread).where(Thread.id.in_(thread_ids))):
            session.delete(thread)  # cascades to submissions, attachments and replies
        session.add_all(ShredPending(id=blob_id) for blob_id in blob_ids)
    reporter_sessions += purge_abandoned_sessions(session, now.date())
    receipt_handoff.purge(session, now.date())  # sent forms and unshown receipts
    forget_spent_steps(session, now)
    session.commit()
    release_deleted(session)
    store = BlobStore(settings.blobs_dir)
    shred_pending(session, store)
    return PurgeResult(
        threads=len(thread_ids),
        submissions=submissions,
        replies=replies,
        attachments=len(blob_ids),
        sessions=reporter_sessions,
        swept=sweep_blobs(session, store, now),
    )


def sweep_blobs(session: Session, store: BlobStore, now: datetime) -> int:
    """Remove stale ``.partial`` files and unreferenced old blob files; returns how many.

    ``now`` is naive UTC. Committed blobs carry midnight as their mtime (store.py), so
    "written at least ORPHAN_MIN_DAYS days ago" is a comparison with a midnight.
    """
    now_utc = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    partial_cutoff = (now_utc - PARTIAL_MAX_AGE).timestamp()
    orphan_cutoff = midnight_utc(now_utc - timedelta(days=ORPHAN_MIN_DAYS))
    swept = 0
    for path, mtime in list(store.partials()):
        if mtime < partial_cutoff:
            swept += _gone(shred, path)
    candidates = [blob_id for blob_id, mtime in store.committed() if mtime <= orphan_cutoff]
    if candidates:
        referenced = set(session.scalars(select(Attachment.id)))
        session.rollback()  # end the read transaction (nothing was written)
        for blob_id in candidates:
            if blob_id not in referenced:
                swept += _gone(store.delete, blob_id)
    return swept


def _gone(remove: Callable[[T], None], what: T) -> int:
    """1 if ``remove(what)`` removed it; 0 if someone else (a transfer) was faster."""
    try:
        remove(what)
    except FileNotFoundError:
        return 0
    return 1


def _count(session: Session, model: type, condition: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


def shred_pending(session: Session, store: BlobStore, ids: Iterable[str] | None = None) -> int:
    """Shred the streams recorded in ``shred_pending`` (only ``ids`` of them, if given),
    then forget the records; returns how many files were removed. Call after the commit
    that deleted their rows."""
    query = select(ShredPending.id)
    if ids is not None:
        query = query.where(ShredPending.id.in_(list(ids)))
    pending = list(session.scalars(query))
    removed = sum(_gone(store.delete, blob_id) for blob_id in pending)
    if pending:
        session.execute(delete(ShredPending).where(ShredPending.id.in_(pending)))
        session.commit()
        release_deleted(session)
    return removed


def init_app(app: Flask) -> None:
    """At start: shred what an interrupted shred left behind."""
    settings: Settings = services(app).settings
    with session_scope(app) as session:
        shred_pending(session, BlobStore(settings.blobs_dir))
