"""Expiry (DESIGN.md requirement 6): threads without activity for a configured period go.

A thread expires when ``last_activity_day + settings.thread_expiry_days < today``. It is
deleted with its submissions (including the reporter's own copies), replies, attachment
rows and reporter sessions in one transaction; the attachment streams on disk are shredded
after that transaction commits. Reporter sessions past their idle deadline are deleted too.

Run it daily: ``varsel-portal purge-expired`` (docs/operator/expiry-and-transfer.md).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from .config import Settings
from .db import release_deleted
from .models import Attachment, Reply, ReporterSession, Submission, Thread
from .office_auth import utcnow
from .store import BlobStore


@dataclass(frozen=True)
class PurgeResult:
    threads: int
    submissions: int
    replies: int
    attachments: int
    sessions: int


def purge_expired(
    session: Session, settings: Settings, today: date, now: datetime | None = None
) -> PurgeResult:
    """Delete expired threads and expired reporter sessions; commit; then shred blobs.

    ``now`` is naive UTC (as ``ReporterSession.expires_at``); it defaults to the clock.
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
        reporter_sessions = _delete(session, ReporterSession.thread_id.in_(thread_ids))
        for thread in session.scalars(select(Thread).where(Thread.id.in_(thread_ids))):
            session.delete(thread)  # cascades to submissions, attachments and replies
    reporter_sessions += _delete(session, ReporterSession.expires_at < now)
    session.commit()
    release_deleted(session)
    store = BlobStore(settings.blobs_dir)
    for blob_id in blob_ids:
        store.delete(blob_id)
    return PurgeResult(
        threads=len(thread_ids),
        submissions=submissions,
        replies=replies,
        attachments=len(blob_ids),
        sessions=reporter_sessions,
    )


def _count(session: Session, model: type, condition: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


def _delete(session: Session, condition: ColumnElement[bool]) -> int:
    result = session.execute(
        delete(ReporterSession).where(condition).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
