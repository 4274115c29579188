"""Issue 7, item 12: nothing on disk orders threads, submissions or replies; the office
user's row keeps no login time past the replay window; an interrupted shred is finished at
the next start."""

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import post_report_form

from portal import create_app
from portal.db import session_scope
from portal.models import OfficeUser, ShredPending
from portal.office_users import TOTP_WINDOW, create_office_user, current_step, forget_spent_steps
from portal.services import services
from portal.store import BlobStore


def send_report(client: FlaskClient) -> None:
    response = post_report_form(
        client, {"what_happened": "x", "understood": "y"}, follow_redirects=True
    )
    assert response.status_code == 200 and "receipt" in response.text


def _db(app: Flask) -> sqlite3.Connection:
    return sqlite3.connect(services(app).settings.data_dir / "varsel.sqlite3")


def test_no_table_has_a_rowid(app: Flask, client: FlaskClient) -> None:
    for _ in range(3):
        send_report(client)
    with _db(app) as db:
        tables = [
            name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'"
            )
        ]
        assert {"threads", "submissions", "attachments", "replies", "office_users"} <= set(tables)
        for name in tables:
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
            assert sql[0].rstrip().endswith("WITHOUT ROWID"), name
            try:
                db.execute(f"SELECT rowid FROM {name}")
                raise AssertionError(f"{name} has a rowid")
            except sqlite3.OperationalError as error:
                assert "rowid" in str(error)
        ids = [i for (i,) in db.execute("SELECT id FROM threads")]
        assert len(ids) == 3 and all(len(i) == 22 for i in ids)


def test_the_last_totp_step_is_forgotten_after_the_window(app: Flask) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with session_scope(app) as db:
        create_office_user(db, "kari")
    with session_scope(app) as db:
        user = db.query(OfficeUser).one()
        user.last_totp_step = current_step(now)
    with session_scope(app) as db:
        forget_spent_steps(db, now + timedelta(seconds=30))  # still inside the window
    with session_scope(app) as db:
        assert db.query(OfficeUser).one().last_totp_step == current_step(now)
    with session_scope(app) as db:
        forget_spent_steps(db, now + timedelta(seconds=30 * (TOTP_WINDOW + 2)))
    with session_scope(app) as db:
        assert db.query(OfficeUser).one().last_totp_step == 0


def test_an_interrupted_shred_is_finished_at_the_next_start(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    settings = services(app).settings
    store = BlobStore(settings.blobs_dir)
    for blob_id in ("acknowledgedblob1", "inflightupload1"):
        writer = store.create(blob_id)
        writer.write(b"ciphertext" * 1000)
        writer.commit()
    # The state a worker killed after the commit that deleted the attachment row leaves:
    # the record of what to shred, and the file.
    with session_scope(app) as db:
        db.add(ShredPending(id="acknowledgedblob1"))
    services(app).engine.dispose()
    restarted = create_app(settings)
    assert not store.path("acknowledgedblob1").exists()
    assert store.path("inflightupload1").exists()  # not recorded: not touched
    with session_scope(restarted) as db:
        assert db.query(ShredPending).count() == 0
