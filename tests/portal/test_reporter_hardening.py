"""Findings of the security review (/work/REVIEW.md) on the reporter side: request memory
(F3), the submission limit (F4), the receipt on a failed login (F8), logs (F9), stray
uploads (F10) and blob file times."""

import io
import logging
import re
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token, form, receipt_words
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from test_reporter_flow import log_in, send_report

from crypto.payload import MAX_ATTACHMENTS, MAX_TEXT
from portal.db import make_engine
from portal.models import Attachment, Submission, Thread
from portal.services import services
from portal.store import midnight_utc
from portal.upload import FORM_MEMORY_BYTES, FORM_PARTS


def _count(app: Flask, model: type) -> int:
    with services(app).sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _blob_names(app: Flask) -> set[str]:
    return {p.name for p in services(app).settings.blobs_dir.iterdir()}


# --- F3: request memory is bounded before any check ------------------------------------


def test_form_limits_are_configured(app: Flask) -> None:
    assert app.config["MAX_FORM_MEMORY_SIZE"] == FORM_MEMORY_BYTES == 512 * 1024
    assert app.config["MAX_FORM_PARTS"] == FORM_PARTS == 150
    # The longest text, all four-byte UTF-8, fits in one field.
    assert MAX_TEXT * 4 <= FORM_MEMORY_BYTES
    assert app.config["MAX_CONTENT_LENGTH"] > 100 * 1024 * 1024  # uploads (multipart) only


def test_a_big_urlencoded_body_is_refused_unread(client: FlaskClient) -> None:
    body = b"receipt=" + b"a" * (5 * 1024 * 1024)
    tracemalloc.start()
    try:
        response = client.post(
            "/follow-up", data=body, content_type="application/x-www-form-urlencoded"
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert peak < 2 * 1024 * 1024, peak  # the 5 MB were not read into memory


def test_a_urlencoded_body_just_under_the_limit_is_read(client: FlaskClient) -> None:
    token = csrf_token(client.get("/follow-up").text)
    body = f"csrf_token={token}&receipt=".encode() + b"a" * (FORM_MEMORY_BYTES - 200)
    response = client.post(
        "/follow-up", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200  # parsed, validated, not found


def test_other_bodies_are_cut_as_well(client: FlaskClient) -> None:
    response = client.post(
        "/follow-up", data=b"x" * (FORM_MEMORY_BYTES + 1), content_type="application/json"
    )
    assert response.status_code == 413


def test_a_multipart_text_field_over_the_limit_is_refused(app: Flask, client: FlaskClient) -> None:
    page = client.get("/report").text
    response = client.post(
        "/report",
        data={"csrf_token": csrf_token(page), "understood": "y",
              "what_happened": "a" * (FORM_MEMORY_BYTES + 1)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert _count(app, Thread) == 0


def test_too_many_parts_are_refused(app: Flask, client: FlaskClient) -> None:
    page = client.get("/report").text
    data: dict[str, object] = {"csrf_token": csrf_token(page), "understood": "y",
                               "what_happened": "x"}
    data.update({f"f{i}": "v" for i in range(FORM_PARTS)})
    response = client.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert _count(app, Thread) == 0


def _full_report(page: str, files: int, what: str) -> dict[str, object]:
    """The real report form, every field filled and every box ticked, with ``files``."""
    spec = form(page, "/report")
    data: dict[str, object] = dict(spec.hidden)
    for name in spec.texts:
        data[name] = "tekst"
    for name, values in spec.radios.items():
        data[name] = values[0]
    for name, values in spec.checkboxes.items():
        data[name] = values
    data["what_happened"] = what
    data["attachments"] = [(io.BytesIO(b"evidence %d" % i), f"f{i}.txt") for i in range(files)]
    return data


def test_the_real_form_with_64_files_and_the_longest_text_goes_through(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/report").text
    # 4 bytes each; the questions and the other answers take the rest of the own copy's
    # MAX_TEXT (a text that leaves no room is refused: tests/security/test_reporter_input.py)
    data = _full_report(page, MAX_ATTACHMENTS, "\U0001d11e" * (MAX_TEXT - 3_000))
    response = client.post(
        "/report", data=data, content_type="multipart/form-data", follow_redirects=True
    )
    assert response.status_code == 200, response.text[:500]
    receipt_words(response.text)
    assert _count(app, Attachment) == MAX_ATTACHMENTS


def test_a_few_files_too_many_get_the_friendly_answer(app: Flask, client: FlaskClient) -> None:
    page = client.get("/report?lang=en").text
    data = _full_report(page, MAX_ATTACHMENTS + 10, "x")
    response = client.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert f"at most {MAX_ATTACHMENTS} files" in response.text
    assert _count(app, Attachment) == 0 and _blob_names(app) == set()


# --- F4: only a valid submission counts against the limit -------------------------------


def test_failed_validations_do_not_consume_the_submission_limit(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(client_submissions=1, rate_window_seconds=3600)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # a client of its own (not loopback)
    for _ in range(3):
        page = client.get("/report").text
        response = client.post(
            "/report", data={"csrf_token": csrf_token(page), "what_happened": ""}
        )
        assert response.status_code == 200 and "error-summary" in response.text
    html = send_report(client)  # the one allowed submission still goes through
    words = receipt_words(html)
    page = client.get("/report").text
    response = client.post(
        "/report", data={"csrf_token": csrf_token(page), "what_happened": "x", "understood": "y"}
    )
    assert response.status_code == 429
    # Messages share the bucket; an empty message is sent back without counting either.
    log_in(client, " ".join(words))
    page = client.get("/thread").text
    response = client.post("/thread", data={"csrf_token": csrf_token(page), "text": ""})
    assert response.status_code == 200, response.text
    response = client.post("/thread", data={"csrf_token": csrf_token(page), "text": "x"})
    assert response.status_code == 429, response.text


# --- F8: the typed receipt is not served back --------------------------------------------


def test_a_failed_login_does_not_echo_the_receipt(client: FlaskClient) -> None:
    typed = "magisk hjalp artig pund forening relevant unna hus"
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": typed})
    assert response.status_code == 200
    assert "error-summary" in response.text
    for word in typed.split():  # as a word: "hus" may be part of "husker" in the page
        assert not re.search(rf"\b{word}\b", response.text), word
    assert 'name="receipt"' in response.text and 'value=""' in response.text


# --- F9: no times, paths, messages or SQL parameters in logs -----------------------------


def test_exception_log_names_the_type_only(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # log and answer 500, as in production

    def boom(part: str) -> str:
        raise ValueError("secret-marker-in-message")

    app.add_url_rule("/boom/<part>", "boom", boom)
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        response = client.get("/boom/path-marker?q=query-marker")
    assert response.status_code == 500
    assert "Nothing you sent was stored" in response.text or response.text
    logged = caplog.text + "".join(str(r.exc_info) + str(r.args) for r in caplog.records)
    assert "ValueError" in logged and "boom" in logged
    for marker in ("secret-marker", "path-marker", "query-marker", "/boom/"):
        assert marker not in logged, marker
    assert all(r.exc_info is None for r in caplog.records)
    year = str(datetime.now(UTC).year)
    assert all(year not in r.getMessage() for r in caplog.records)


def test_the_app_log_handler_adds_no_time(app: Flask) -> None:
    formats = [
        h.formatter._fmt  # type: ignore[union-attr]
        for h in app.logger.handlers
        if h.formatter is not None
    ]
    assert all("asctime" not in (f or "") for f in formats)
    assert logging.getLogger("werkzeug").level == logging.CRITICAL


def test_sql_errors_hide_their_parameters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path}/x.sqlite3")
    assert engine.hide_parameters
    assert make_engine("postgresql+psycopg://user@localhost/db").hide_parameters
    with engine.connect() as connection, pytest.raises(SQLAlchemyError) as raised:
        connection.execute(text("SELECT * FROM nowhere WHERE x = :v"), {"v": "param-marker"})
    assert "param-marker" not in str(raised.value)


# --- F10: only stored uploads survive ----------------------------------------------------


def test_a_file_in_another_field_leaves_nothing_on_disk(app: Flask, client: FlaskClient) -> None:
    page = client.get("/report").text
    response = client.post(
        "/report",
        data={
            "csrf_token": csrf_token(page), "what_happened": "x", "understood": "y",
            "attachments": [(io.BytesIO(b"kept file"), "kept.txt")],
            "other": [(io.BytesIO(b"o" * 500_000), f"other{i}.bin") for i in range(3)],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _count(app, Thread) == 0 and _blob_names(app) == set()


def test_only_the_recorded_uploads_are_kept(app: Flask, client: FlaskClient) -> None:
    """Even when a view stores a submission, a blob it did not record is discarded."""
    from portal.upload import claim_uploads, uploaded_files

    def store_first() -> str:
        uploads = [up for _fs, up in uploaded_files("attachments")]
        claim_uploads(uploads[:1])
        return uploads[0].blob_id

    app.add_url_rule("/test-claim", "test_claim", store_first, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(
        "/test-claim",
        data={"attachments": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")],
              "other": [(io.BytesIO(b"c"), "c.txt")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert _blob_names(app) == {response.text}


def test_a_file_under_a_text_field_is_a_clear_400(app: Flask, client: FlaskClient) -> None:
    for path, field in (("/report", "what_happened"), ("/follow-up", "receipt")):
        page = client.get(path).text
        response = client.post(
            path,
            data={"csrf_token": csrf_token(page), "understood": "y",
                  field: [(io.BytesIO(b"not text"), "x.txt")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, path
    assert _count(app, Thread) == 0 and _count(app, Submission) == 0
    assert _blob_names(app) == set()


# --- blob file times -------------------------------------------------------------------


def test_stored_attachment_blobs_carry_midnight(app: Flask, client: FlaskClient) -> None:
    send_report(client, files=[(b"evidence", "e.txt")])
    with services(app).sessions() as db:
        (blob_id,) = db.scalars(select(Attachment.id)).all()
    stat = (services(app).settings.blobs_dir / blob_id).stat()
    assert stat.st_mtime == midnight_utc()
    when = datetime.fromtimestamp(stat.st_mtime, UTC)
    assert (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0)
