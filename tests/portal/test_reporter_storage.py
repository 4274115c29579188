"""What the server keeps about a reporter (docs/THREAT-MODEL.md, requirements 1 and 2)."""

import hashlib
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import receipt_words
from sqlalchemy import Date, DateTime, Time, inspect, select
from test_reporter_flow import log_in, send_report

from portal.clock import today
from portal.models import Attachment, ReporterSession, Submission, Thread
from portal.services import services

# Every column of the reporter's tables. A new column fails this test on purpose: decide
# whether it identifies anyone before adding it here.
EXPECTED_COLUMNS = {
    "threads": {
        "id", "login_hash", "reporter_public_key", "created_day", "last_activity_day",
        "status", "next_position",
    },
    "submissions": {
        "id", "position", "thread_id", "kind", "day", "office_envelope", "own_copy",
        "acknowledged",
    },
    # blake2b: the digest of the ciphertext stream (for inbound bundles); of random-keyed
    # ciphertext, it says nothing about the file or who sent it.
    "attachments": {"id", "submission_id", "stored_size", "blake2b"},
    "replies": {"id", "position", "thread_id", "day", "envelope"},
    "reporter_sessions": {"id_hash", "thread_id", "wrapped_secret_key", "purge_day"},
}
FORBIDDEN = ("ip", "addr", "agent", "browser", "time", "created_at", "updated_at", "name")


def test_schema_holds_no_identifying_metadata(app: Flask) -> None:
    inspector = inspect(services(app).engine)
    for table, expected in EXPECTED_COLUMNS.items():
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert set(columns) == expected, table
        for name, column in columns.items():
            parts = name.split("_")
            assert not any(word in parts for word in FORBIDDEN), f"{table}.{name}"
            # No clock value at all, not even a session's idle deadline (it lives only
            # inside the wrapped blob): days only.
            assert not isinstance(column["type"], DateTime | Time), f"{table}.{name}"
            assert "TIME" not in str(column["type"]).upper(), f"{table}.{name}"
    days = {c["name"]: c["type"] for c in inspector.get_columns("threads")}
    assert isinstance(days["created_day"], Date) and isinstance(days["last_activity_day"], Date)
    sessions = {c["name"]: c["type"] for c in inspector.get_columns("reporter_sessions")}
    assert isinstance(sessions["purge_day"], Date)


def test_rows_hold_only_ciphertext_hashes_and_days(app: Flask, client: FlaskClient) -> None:
    words = receipt_words(send_report(client, files=[(b"abc", "a.txt")]))
    log_in(client, " ".join(words))
    receipt = " ".join(words).encode()
    with services(app).sessions() as db:
        thread = db.scalars(select(Thread)).one()
        submission = db.scalars(select(Submission)).one()
        attachment = db.scalars(select(Attachment)).one()
        session = db.scalars(select(ReporterSession)).one()
    assert len(thread.login_hash) == 32 and len(thread.reporter_public_key) == 32
    assert thread.created_day == thread.last_activity_day == today()
    assert type(thread.created_day) is date and type(submission.day) is date
    assert thread.status == "received"
    assert submission.office_envelope is not None
    assert submission.office_envelope.startswith(b"VSE1")
    assert submission.own_copy.startswith(b"VSE1")
    # Padded: the stored size is a bucket, not the 3-byte file.
    assert attachment.stored_size > 1024
    for value in (thread.login_hash, submission.own_copy, session.wrapped_secret_key):
        assert receipt not in value
        assert b"Something happened" not in value


def test_an_attachment_digest_is_stored_with_the_blob(app: Flask, client: FlaskClient) -> None:
    """The digest an inbound bundle signs for an attachment stream is computed once, while
    the stream is written (portal.store.BlobWriter), so an export never re-reads a file."""
    send_report(client, files=[(b"abc" * 50_000, "a.txt")])
    with services(app).sessions() as db:
        attachment = db.scalars(select(Attachment)).one()
    stored = (services(app).settings.blobs_dir / attachment.id).read_bytes()
    assert attachment.blake2b == hashlib.blake2b(stored, digest_size=32).digest()
