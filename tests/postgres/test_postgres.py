"""The portal on a real PostgreSQL server: migrations, the reporter pages, the office
transfer and expiry run through the same code as on SQLite (README: VARSEL_DATABASE_URL).

Each test gets its own empty database on the session's throwaway cluster (conftest.py).
"""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from office_bundles import outbound_bundle
from reporter_pages import csrf_token, post_report_form, receipt_words
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.orm import Session

from crypto.bundle import (
    read_inbound,
)
from crypto.envelope import open_envelope
from crypto.keys import SecretIdentity
from crypto.payload import Report, decode_payload
from crypto.stream import decrypt_stream
from portal import create_app
from portal.clock import utcnow
from portal.config import Settings
from portal.db import alembic_config, session_scope
from portal.models import (
    Attachment,
    Base,
    Reply,
    ReporterSession,
    Submission,
    Thread,
    TransferState,
    new_id,
)
from portal.purge import purge_expired
from portal.services import services
from portal.store import BlobStore
from portal.transfer import TransferRefused, apply_outbound, export_inbound

TODAY = date.today()


def make_pg_app(data_dir: Path, url: str, office: SecretIdentity) -> Flask:
    keys = data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "office.pub").write_text(office.public.to_text(), encoding="utf-8")
    app = create_app(Settings(data_dir=data_dir, database_url=url))
    app.config["TESTING"] = True
    return app


@pytest.fixture
def pg_app(tmp_path: Path, pg_url: str, office_identity: SecretIdentity) -> Iterator[Flask]:
    app = make_pg_app(tmp_path / "data", pg_url, office_identity)
    try:
        yield app
    finally:
        services(app).engine.dispose()


def db_of(app: Flask) -> Session:
    session: Session = services(app).sessions()
    return session


def blobs_of(app: Flask) -> BlobStore:
    return BlobStore(services(app).settings.blobs_dir)


def send_report(client: FlaskClient, files: list[tuple[bytes, str]], what: str) -> list[str]:
    """Fill in and post the report form as a browser without JavaScript; the receipt."""
    answers: dict[str, object] = {
        "understood": "y",
        "what_happened": what,
        "when": "last spring",
        "where": "overnight_event",
        "kind": "sexual_harassment",
        "involved_roles": ["tillitsvalgt", "auf_medlem"],
        "reporter_relation": "witness",
        "central_office": "yes",
    }
    response = post_report_form(client, answers, files=files, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/report/receipt"
    return receipt_words(response.text)


def log_in(client: FlaskClient, words: list[str]) -> None:
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": " ".join(words)})
    assert response.status_code == 303, response.text
    assert response.headers["Location"] == "/thread"


def thread_ids(app: Flask) -> set[str]:
    with db_of(app) as db:
        return set(db.scalars(select(Thread.id)))


def report_thread(app: Flask, client: FlaskClient, what: str, files: int) -> tuple[str, list[str]]:
    """Send a report with ``files`` attachments; (its thread id, its receipt)."""
    before = thread_ids(app)
    words = send_report(
        client, [(f"evidence {i} ".encode() * 500, f"file{i}.txt") for i in range(files)], what
    )
    (thread_id,) = thread_ids(app) - before
    return thread_id, words


# --- (a) migrations ------------------------------------------------------------------------


def test_migrations_on_postgresql_match_the_models(
    pg_app: Flask, pg_url: str, office_identity: SecretIdentity
) -> None:
    engine = services(pg_app).engine
    assert engine.dialect.name == "postgresql"
    data_dir = services(pg_app).settings.data_dir
    assert not list(data_dir.glob("*.sqlite3*"))  # nothing fell back to SQLite

    config = alembic_config(pg_url)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diffs == [], diffs
        # Alembic's own "would autogenerate anything?" check, on this connection: no.
        config.attributes["connection"] = conn
        command.check(config)

    # A second start on the migrated database changes nothing and still works.
    again = make_pg_app(data_dir, pg_url, office_identity)
    try:
        with services(again).engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        services(again).engine.dispose()


# --- (b) the reporter's path ---------------------------------------------------------------


def test_reporter_flow_on_postgresql(pg_app: Flask, office_identity: SecretIdentity) -> None:
    client = pg_app.test_client()
    words = send_report(client, [(b"the attached evidence", "bevis.txt")], "It happened here.")

    with db_of(pg_app) as db:
        thread = db.scalars(select(Thread)).one()
        submission = db.scalars(select(Submission)).one()
        attachment = db.scalars(select(Attachment)).one()
        assert submission.thread_id == thread.id and submission.position == 0
        assert attachment.submission_id == submission.id
        assert thread.status == "received" and thread.next_position == 1
        assert thread.created_day == TODAY and isinstance(thread.login_hash, bytes)
    assert submission.office_envelope is not None
    report = decode_payload(
        open_envelope(
            submission.office_envelope,
            office_identity.public.encryption_key,
            office_identity.encryption_secret,
        )
    )
    assert isinstance(report, Report)
    assert report.answers["involved_roles"] == ["tillitsvalgt", "auf_medlem"]
    (described,) = report.attachments
    assert described.name == "bevis.txt" and described.blob == attachment.id
    store = blobs_of(pg_app)
    plain = b"".join(
        decrypt_stream(described.key, described.size, store.iter_chunks(described.blob))
    )
    assert plain == b"the attached evidence"

    # A new browser logs in with the receipt and reads its thread.
    reader = pg_app.test_client()
    log_in(reader, words)
    page = reader.get("/thread").text
    assert "It happened here." in page and "bevis.txt" in page
    with db_of(pg_app) as db:
        assert db.scalar(select(func.count()).select_from(ReporterSession)) == 1

    # A wrong receipt does not log in.
    token = csrf_token(reader.get("/follow-up").text)
    wrong = list(reversed(words))
    response = reader.post("/follow-up", data={"csrf_token": token, "receipt": " ".join(wrong)})
    assert response.status_code != 303


# --- (c) the office transfer ---------------------------------------------------------------


def outbound(
    app: Flask, office: SecretIdentity, sequence: int, thread: Thread, acks: tuple[str, ...]
) -> tuple[bytes, str]:
    reply_id = new_id()
    data = outbound_bundle(
        app,
        office,
        sequence,
        TODAY,
        acks=acks,
        replies=((reply_id, thread.id, thread.reporter_public_key),),
        statuses=((thread.id, "acknowledged"),),
    )
    return data, reply_id


def test_office_transfer_on_postgresql(pg_app: Flask, office_identity: SecretIdentity) -> None:
    settings = services(pg_app).settings
    portal = services(pg_app).secrets.portal_identity
    client = pg_app.test_client()
    thread_id, words = report_thread(pg_app, client, "Transfer me.", files=2)

    with db_of(pg_app) as db:
        exported = export_inbound(db, settings, portal, TODAY)
        submission = db.scalars(select(Submission)).one()
        thread = db.get(Thread, thread_id)
        assert thread is not None
        blob_ids = sorted(db.scalars(select(Attachment.id)))
    assert (exported.items, exported.threads, exported.attachments) == (1, 1, 2)
    inbound = read_inbound(b"".join(exported.chunks()), portal.public.verify_key)
    (item,) = inbound.items
    assert item.id == submission.id and item.thread == thread_id
    assert item.envelope == submission.office_envelope
    assert sorted(b.id for b in item.attachments) == blob_ids
    store = blobs_of(pg_app)
    for blob in item.attachments:
        assert blob.data == store.read(blob.id)
    assert inbound.last_outbound_sequence == 0

    data, reply_id = outbound(pg_app, office_identity, 1, thread, acks=(submission.id,))
    with db_of(pg_app) as db:
        summary = apply_outbound(db, settings, portal, data, TODAY, login_pepper=bytes(32))
    assert (summary.sequence, summary.acknowledged, summary.replies) == (1, 1, 1)
    assert (summary.status_changes, summary.skipped, summary.shredded) == (1, 0, 2)

    with db_of(pg_app) as db:
        acked = db.get(Submission, submission.id)
        assert acked is not None
        assert acked.office_envelope is None and acked.acknowledged
        assert acked.own_copy  # the reporter keeps their copy
        assert db.scalar(select(func.count()).select_from(Attachment)) == 0
        # The envelope really is NULL in PostgreSQL, not just in the session.
        raw = db.execute(
            text("SELECT office_envelope IS NULL, acknowledged FROM submissions WHERE id = :id"),
            {"id": submission.id},
        ).one()
        assert tuple(raw) == (True, True)
        reply = db.get(Reply, reply_id)
        assert reply is not None and reply.position == 1
        changed = db.get(Thread, thread_id)
        assert changed is not None and changed.status == "acknowledged"
        assert db.scalar(select(TransferState.last_outbound_sequence)) == 1
    for blob_id in blob_ids:
        assert not store.path(blob_id).exists()
    assert not any(store.directory.iterdir())

    # Replaying the same bundle is refused and changes nothing.
    with db_of(pg_app) as db, pytest.raises(TransferRefused, match="replay"):
        apply_outbound(db, settings, portal, data, TODAY, login_pepper=bytes(32))
    # So is an older sequence number in a freshly signed bundle.
    older, _ = outbound(pg_app, office_identity, 1, thread, acks=())
    with db_of(pg_app) as db, pytest.raises(TransferRefused):
        apply_outbound(db, settings, portal, older, TODAY, login_pepper=bytes(32))
    with db_of(pg_app) as db:
        assert db.scalar(select(TransferState.last_outbound_sequence)) == 1
        assert db.scalar(select(func.count()).select_from(Reply)) == 1
        nothing = export_inbound(db, settings, portal, TODAY)
    assert nothing.items == 0 and nothing.attachments == 0

    # The reporter sees the office's reply.
    reader = pg_app.test_client()
    log_in(reader, words)
    page = reader.get("/thread").text
    assert "Takk, vi har mottatt varselet." in page and "Transfer me." in page


# --- (d) expiry ----------------------------------------------------------------------------


def test_purge_expired_on_postgresql(pg_app: Flask) -> None:
    settings = services(pg_app).settings
    expiry = settings.thread_expiry_days
    store = blobs_of(pg_app)
    expired_id, expired_words = report_thread(pg_app, pg_app.test_client(), "Old.", files=2)
    kept_id, kept_words = report_thread(pg_app, pg_app.test_client(), "Recent.", files=1)
    log_in(pg_app.test_client(), expired_words)  # a live session on the expiring thread
    log_in(pg_app.test_client(), kept_words)
    with session_scope(pg_app) as db:
        for thread_id, days in ((expired_id, expiry + 1), (kept_id, expiry)):
            db.execute(
                update(Thread)
                .where(Thread.id == thread_id)
                .values(last_activity_day=TODAY - timedelta(days=days))
            )
    with db_of(pg_app) as db:
        doomed_blobs = list(
            db.scalars(
                select(Attachment.id).join(Submission).where(Submission.thread_id == expired_id)
            )
        )
        kept_blobs = list(
            db.scalars(
                select(Attachment.id).join(Submission).where(Submission.thread_id == kept_id)
            )
        )
    assert len(doomed_blobs) == 2 and len(kept_blobs) == 1

    with db_of(pg_app) as db:
        result = purge_expired(db, settings, TODAY)
    assert (result.threads, result.submissions, result.replies) == (1, 1, 0)
    assert (result.attachments, result.sessions) == (2, 1)
    with db_of(pg_app) as db:
        assert list(db.scalars(select(Thread.id))) == [kept_id]
        assert list(db.scalars(select(Submission.thread_id))) == [kept_id]
        assert list(db.scalars(select(Attachment.id))) == kept_blobs
        assert list(db.scalars(select(ReporterSession.thread_id))) == [kept_id]
    assert all(not store.path(b).exists() for b in doomed_blobs)
    assert all(store.path(b).exists() for b in kept_blobs)

    # Abandoned reporter sessions go too, by day (the exact idle deadline lives only inside
    # the wrapped key): two days on, the row is gone; the thread stays.
    later = utcnow() + timedelta(days=2)
    with db_of(pg_app) as db:
        result = purge_expired(db, settings, TODAY, now=later)
    assert (result.threads, result.sessions) == (0, 1)
    with db_of(pg_app) as db:
        assert db.scalar(select(func.count()).select_from(ReporterSession)) == 0
        assert list(db.scalars(select(Thread.id))) == [kept_id]

    # The expired receipt no longer logs in; the kept one does.
    client = pg_app.test_client()
    token = csrf_token(client.get("/follow-up").text)
    response = client.post(
        "/follow-up", data={"csrf_token": token, "receipt": " ".join(expired_words)}
    )
    assert response.status_code != 303
    log_in(pg_app.test_client(), kept_words)
