"""The reporter's whole path through the Flask test client, without JavaScript."""

import io
import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token, form, post_report_form, receipt_words
from sqlalchemy import select

from crypto.envelope import open_envelope, recipient_count
from crypto.keys import SecretIdentity
from crypto.payload import Message, Report, decode_payload
from crypto.stream import decrypt_stream
from portal.models import Attachment, Submission, Thread
from portal.services import services
from portal.store import BlobStore


def _db(app: Flask):  # type: ignore[no-untyped-def]
    return services(app).sessions()


def send_report(
    client: FlaskClient, *, files: list[tuple[bytes, str]] = (), **answers: object
) -> str:
    """Post a report; return the receipt page's HTML."""
    response = post_report_form(
        client,
        {"understood": "y", "what_happened": "Something happened."} | answers,
        files=list(files),
        follow_redirects=True,
    )
    assert response.status_code == 200 and response.request.path == "/report/receipt"
    return response.text


def log_in(client: FlaskClient, receipt: str) -> None:
    token = csrf_token(client.get("/follow-up").text)
    response = client.post("/follow-up", data={"csrf_token": token, "receipt": receipt})
    assert response.status_code == 303 and response.headers["Location"] == "/thread"


def office_open(envelope: bytes, office: SecretIdentity):  # type: ignore[no-untyped-def]
    return decode_payload(
        open_envelope(envelope, office.public.encryption_key, office.encryption_secret)
    )


def test_report_receipt_login_thread_and_follow_up(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    html = send_report(
        client,
        files=[(b"first file body", "first.txt"), (b"x" * 70_000, "second.pdf")],
        when="last spring",
        where="overnight_event",
        kind="sexual_harassment",
        involved_roles=["tillitsvalgt", "auf_medlem"],
        reporter_relation="witness",
        central_office="yes",
    )
    words = receipt_words(html)
    assert "kan ikke gjenopprettes" in html  # bokmål by default
    # No link leads away from the receipt (it exists only in this response).
    hrefs = re.findall(r'<a [^>]*href="([^"]*)"', html)
    assert all(h.startswith("#") for h in hrefs), hrefs
    # The confirmation form leads on to the login page.
    confirm = form(html, "/report/written-down")
    response = client.post("/report/written-down", data={"csrf_token": confirm.csrf_token})
    assert response.status_code == 303 and response.headers["Location"] == "/follow-up"

    # The office can open the report: answers, files and the reporter's key are inside.
    with _db(app) as db:
        thread = db.scalars(select(Thread)).one()
        submission = db.scalars(select(Submission)).one()
        report = office_open(submission.office_envelope, office_identity)
        attachments = db.scalars(select(Attachment)).all()
    assert isinstance(report, Report)
    assert report.answers["where"] == "overnight_event"
    assert report.answers["involved_roles"] == ["tillitsvalgt", "auf_medlem"]
    assert report.reporter_public_key == thread.reporter_public_key
    assert [a.name for a in report.attachments] == ["first.txt", "second.pdf"]
    assert {a.blob for a in report.attachments} == {a.id for a in attachments}
    store = BlobStore(services(app).settings.blobs_dir)
    first = report.attachments[0]
    plain = b"".join(decrypt_stream(first.key, first.size, store.iter_chunks(first.blob)))
    assert plain == b"first file body"
    assert thread.status == "received" and submission.position == 0

    # Log in with the receipt (typed differently: capitals and hyphens).
    log_in(client, "-".join(words).upper())
    page = client.get("/thread").text
    assert "first.txt" in page and "second.pdf" in page
    assert "Something happened." in page  # the own copy, decrypted with the reporter key

    # Follow-up message with a file.
    spec = form(page, "/thread")
    response = client.post(
        "/thread",
        data={
            "csrf_token": spec.csrf_token,
            "text": "One more thing.",
            "attachments": [(io.BytesIO(b"third"), "third.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get("/thread").text
    assert "One more thing." in page and "third.txt" in page
    assert page.index("Something happened.") < page.index("One more thing.")
    with _db(app) as db:
        message = db.scalars(select(Submission).where(Submission.kind == "message")).one()
        assert message.position == 1
        opened = office_open(message.office_envelope, office_identity)
    assert isinstance(opened, Message) and opened.text == "One more thing."
    assert [a.name for a in opened.attachments] == ["third.txt"]


def test_validation_keeps_what_was_typed_and_asks_for_files_again(
    app: Flask, client: FlaskClient
) -> None:
    response = post_report_form(
        client,
        {"what_happened": "", "when": "typed when", "contact_how": "typed contact"},
        files=[(b"data", "kept.txt")],
        page="/report?lang=en",
    )
    assert response.status_code == 200
    html = response.text
    assert "typed when" in html and "typed contact" in html
    assert 'class="error-summary"' in html
    assert "Please describe what happened." in html
    assert "please choose them again" in html
    # Nothing stored: no thread, and the encrypted upload was discarded.
    with _db(app) as db:
        assert db.scalars(select(Thread)).all() == []
    assert list(services(app).settings.blobs_dir.iterdir()) == []


def test_empty_file_input_is_ignored(app: Flask, client: FlaskClient) -> None:
    send_report(client)
    with _db(app) as db:
        assert db.scalars(select(Attachment)).all() == []
    assert list(services(app).settings.blobs_dir.iterdir()) == []


def test_honeypot_refuses_naive_bots(app: Flask, client: FlaskClient) -> None:
    response = post_report_form(
        client, {"what_happened": "spam", "understood": "y", "website": "http://spam.example"}
    )
    assert response.status_code == 400
    with _db(app) as db:
        assert db.scalars(select(Thread)).all() == []


def test_wrong_receipt_gives_one_generic_message(client: FlaskClient) -> None:
    token = csrf_token(client.get("/follow-up").text)
    messages = set()
    for typed in ("not a receipt", " ".join(["hus"] * 8), "abc " * 8):
        response = client.post("/follow-up", data={"csrf_token": token, "receipt": typed})
        assert response.status_code == 200
        assert "varsel_reporter" not in response.headers.get("Set-Cookie", "")
        start = response.text.index('class="error-summary"')
        messages.add(response.text[start : response.text.index("</div>", start)])
    assert len(messages) == 1


def test_committee_receives_the_report_only_when_chosen(
    make_app: Callable[..., Flask], office_identity: SecretIdentity
) -> None:
    app = make_app()
    committee = SecretIdentity.generate()
    keys = services(app).settings.keys_dir
    (keys / "committee").mkdir()
    (keys / "committee" / "utvalget.pub").write_text(committee.public.to_text())
    client = app.test_client()
    page = client.get("/report").text
    assert 'name="send_to_committee"' in page
    assert "varslingsutvalget" in page
    send_report(client, send_to_committee="y")
    send_report(client)
    with _db(app) as db:
        envelopes = [s.office_envelope for s in db.scalars(select(Submission)).all()]
    counts = sorted(recipient_count(e) for e in envelopes)
    assert counts == [1, 2]
    chosen = next(e for e in envelopes if recipient_count(e) == 2)
    opened = open_envelope(chosen, committee.public.encryption_key, committee.encryption_secret)
    assert isinstance(decode_payload(opened), Report)


def test_follow_up_without_an_office_key_is_refused_and_nothing_kept(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client, " ".join(receipt_words(send_report(client))))
    page = client.get("/thread").text
    services(app).settings.office_key_file.unlink()
    response = client.post(
        "/thread",
        data={
            "csrf_token": csrf_token(page),
            "text": "Are you there?",
            "attachments": [(io.BytesIO(b"late"), "late.txt")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    with _db(app) as db:
        assert len(db.scalars(select(Submission)).all()) == 1
    assert list(services(app).settings.blobs_dir.iterdir()) == []
