"""Expiry: inactive threads go with everything they hold (docs/THREAT-MODEL.md, requirement 6)."""

import os
import time
from datetime import UTC, date, datetime, timedelta

import nacl.utils
from flask import Flask
from sqlalchemy import func, select

from crypto.keys import SecretIdentity
from portal.db import session_scope
from portal.models import Attachment, Reply, ReporterSession, Submission, Thread
from portal.purge import purge_expired
from portal.services import services
from portal.store import BlobStore, midnight_utc

from .conftest import Seeded, cli, seed_thread

TODAY = date.today()


def add_reporter_session(app: Flask, thread_id: str, purge_day: date) -> None:
    with session_scope(app) as db:
        db.add(
            ReporterSession(
                id_hash=nacl.utils.random(32),
                thread_id=thread_id,
                wrapped_secret_key=b"wrapped",
                purge_day=purge_day,
            )
        )


def add_reply(app: Flask, thread_id: str) -> None:
    with session_scope(app) as db:
        thread = db.get(Thread, thread_id)
        assert thread is not None
        db.add(
            Reply(
                id=f"reply-{thread_id}",
                thread=thread,
                day=TODAY,
                envelope=b"sealed",
                position=thread.take_position(),
            )
        )


def seed_pair(app: Flask, office: SecretIdentity, expiry: int) -> tuple[Seeded, Seeded]:
    expired = seed_thread(
        app,
        office,
        created=TODAY - timedelta(days=expiry + 30),
        last_activity=TODAY - timedelta(days=expiry + 1),
        submissions=[(TODAY - timedelta(days=expiry + 30), False)],
        attachments_per_submission=2,
    )
    kept = seed_thread(
        app,
        office,
        created=TODAY - timedelta(days=expiry + 30),
        last_activity=TODAY - timedelta(days=expiry),  # exactly at the limit: kept
        submissions=[(TODAY - timedelta(days=expiry + 30), False)],
        attachments_per_submission=1,
    )
    return expired, kept


def counts(app: Flask) -> dict[str, int]:
    with session_scope(app) as db:
        return {
            model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Thread, Submission, Attachment, Reply, ReporterSession)
        }


def test_purge_removes_exactly_the_expired_threads_and_their_blobs(
    app: Flask, office_identity: SecretIdentity
) -> None:
    settings = services(app).settings
    store = BlobStore(settings.blobs_dir)
    expired, kept = seed_pair(app, office_identity, settings.thread_expiry_days)
    add_reply(app, expired.thread_id)
    add_reply(app, kept.thread_id)
    now = datetime(2030, 1, 1, 12, 0)
    add_reporter_session(app, expired.thread_id, date(2030, 1, 2))
    add_reporter_session(app, kept.thread_id, date(2030, 1, 2))  # used today: kept
    add_reporter_session(app, kept.thread_id, date(2030, 1, 1))  # used yesterday: kept
    add_reporter_session(app, kept.thread_id, date(2029, 12, 31))  # abandoned: purged

    with session_scope(app) as db:
        result = purge_expired(db, settings, TODAY, now)

    assert (result.threads, result.submissions, result.replies) == (1, 1, 1)
    assert (result.attachments, result.sessions) == (2, 2)
    assert counts(app) == {
        "threads": 1,
        "submissions": 1,
        "attachments": 1,
        "replies": 1,
        "reporter_sessions": 2,
    }
    with session_scope(app) as db:
        assert db.get(Thread, expired.thread_id) is None
        assert db.get(Thread, kept.thread_id) is not None
    for blob_id in expired.attachment_ids:
        assert not store.path(blob_id).exists()
    for blob_id in kept.attachment_ids:
        assert store.path(blob_id).exists()


def test_purge_with_nothing_expired_changes_nothing(
    app: Flask, office_identity: SecretIdentity
) -> None:
    seed_thread(app, office_identity, created=TODAY)
    before = counts(app)
    with session_scope(app) as db:
        result = purge_expired(db, services(app).settings, TODAY)
    assert result.threads == 0 and result.sessions == 0
    assert counts(app) == before


def test_purge_expired_command_prints_counts_only(
    app: Flask, office_identity: SecretIdentity
) -> None:
    settings = services(app).settings
    expired, kept = seed_pair(app, office_identity, settings.thread_expiry_days)
    result = cli(app, "purge-expired")
    assert result.exit_code == 0, result.output
    assert "Deleted 1 threads" in result.output
    assert expired.thread_id not in result.output and kept.thread_id not in result.output
    assert counts(app)["threads"] == 1


def _age(path: os.PathLike[str], mtime: float) -> None:
    os.utime(path, (mtime, mtime))


def test_purge_sweeps_partials_and_orphan_blobs(
    app: Flask, office_identity: SecretIdentity
) -> None:
    """Leftovers of crashed uploads and interrupted shreds go; everything else stays."""
    settings = services(app).settings
    store = BlobStore(settings.blobs_dir)
    kept = seed_thread(app, office_identity, created=TODAY, attachments_per_submission=1)
    (referenced,) = kept.attachment_ids
    day = 24 * 3600
    today_midnight = midnight_utc()

    def blob(name: str, mtime: float) -> str:
        store.path(name).write_bytes(b"ciphertext")
        _age(store.path(name), mtime)
        return name

    def partial(name: str, mtime: float) -> str:
        path = store.path(name).with_name(name + ".partial")
        path.write_bytes(b"half")
        _age(path, mtime)
        return path.name

    old_orphan = blob("orphanOld01", today_midnight - 2 * day)
    young_orphan = blob("orphanNew01", today_midnight - 1 * day)  # may be mid-commit
    _age(store.path(referenced), today_midnight - 30 * day)  # old, but referenced
    stale_partial = partial("partialOld1", time.time() - day - 60)
    fresh_partial = partial("partialNew1", time.time() - 3600)
    other = settings.blobs_dir / "README"  # not a blob name: never touched
    other.write_text("x")
    _age(other, today_midnight - 30 * day)

    with session_scope(app) as db:
        result = purge_expired(db, settings, TODAY)

    assert result.swept == 2
    names = {p.name for p in settings.blobs_dir.iterdir()}
    assert old_orphan not in names and stale_partial not in names
    assert {young_orphan, fresh_partial, referenced, "README"} <= names
    assert counts(app)["attachments"] == 1


def test_committed_blobs_carry_midnight_as_their_times(
    app: Flask, office_identity: SecretIdentity
) -> None:
    store = BlobStore(services(app).settings.blobs_dir)
    seeded = seed_thread(app, office_identity, created=TODAY, attachments_per_submission=1)
    stat = store.path(seeded.attachment_ids[0]).stat()
    midnight = midnight_utc()
    assert stat.st_mtime == stat.st_atime == midnight
    assert datetime.fromtimestamp(stat.st_mtime, UTC).time().isoformat() == "00:00:00"
    assert store.directory.stat().st_mtime == midnight
