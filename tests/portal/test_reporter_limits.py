"""Rate limits, the argon2 bound and the upload limit (docs/THREAT-MODEL.md, requirement 7)."""

from collections.abc import Callable

from flask import Flask
from reporter_pages import csrf_token, post_report_form
from sqlalchemy import select
from test_reporter_flow import send_report

from portal.models import Attachment, Submission, Thread
from portal.ratelimit import Lane
from portal.services import services


def _login(client, receipt: str = "feil kvittering"):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/follow-up").text)
    return client.post("/follow-up?lang=en", data={"csrf_token": token, "receipt": receipt})


def test_receipt_logins_per_client_are_limited(make_app: Callable[..., Flask]) -> None:
    app = make_app(client_logins=3)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # loopback has only global limits
    for _ in range(3):
        assert _login(client).status_code == 200
    response = _login(client)
    assert response.status_code == 429
    # Shed until the end of the (one-minute) window, never for an hour.
    assert "try again in 1 minute" in response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_receipt_logins_are_limited_globally(make_app: Callable[..., Flask]) -> None:
    app = make_app(global_logins=2)
    a = app.test_client()
    b = app.test_client()
    b.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert _login(a).status_code == 200
    assert _login(b).status_code == 200
    response = _login(a)
    assert response.status_code == 429 and "1 minute" in response.text


def test_submissions_are_limited(make_app: Callable[..., Flask]) -> None:
    app = make_app(client_submissions=1, rate_window_seconds=3600)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"  # loopback has only global limits
    send_report(client)
    response = post_report_form(client, {"what_happened": "x", "understood": "y"})
    assert response.status_code == 429


def test_submissions_from_a_shared_address_meet_the_global_ceiling(
    make_app: Callable[..., Flask],
) -> None:
    """Behind Tor every client is 127.0.0.1: no per-client bucket, but a global one."""
    app = make_app(client_submissions=1, global_submissions=2, rate_window_seconds=3600)
    client = app.test_client()  # REMOTE_ADDR 127.0.0.1
    send_report(client)
    send_report(client)  # the per-client limit (1) does not apply to a shared address
    response = post_report_form(client, {"what_happened": "x", "understood": "y"})
    assert response.status_code == 429
    with services(app).sessions() as db:
        assert len(db.scalars(select(Thread)).all()) == 2


def test_argon2_work_is_bounded(make_app: Callable[..., Flask]) -> None:
    app = make_app(argon2_concurrency=1, argon2_wait_seconds=0.2)
    client = app.test_client()
    slots = services(app).limiter.slots
    slots.acquire(Lane.PLAIN, 1)  # someone else is deriving
    try:
        response = _login(client, " ".join(["hus"] * 8))
        assert response.status_code == 503
        assert "busy" in response.text
        response = post_report_form(client, {"what_happened": "x", "understood": "y"})
        assert response.status_code == 503
    finally:
        slots.release()
    with services(app).sessions() as db:
        assert db.scalars(select(Thread)).all() == []
    assert _login(client, " ".join(["hus"] * 8)).status_code == 200


def test_upload_over_the_limit_is_refused_and_nothing_is_kept(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(max_upload_bytes=50_000)
    client = app.test_client()
    response = post_report_form(
        client,
        {"what_happened": "too big", "understood": "y"},
        files=[(b"a" * 30_000, "one.bin"), (b"b" * 30_000, "two.bin")],
        action="/report?lang=en",
    )
    assert response.status_code == 413
    assert "too large" in response.text and "Nothing was stored" in response.text
    with services(app).sessions() as db:
        assert db.scalars(select(Thread)).all() == []
        assert db.scalars(select(Submission)).all() == []
        assert db.scalars(select(Attachment)).all() == []
    assert list(services(app).settings.blobs_dir.iterdir()) == []
    # Under the limit, the same form goes through.
    send_report(app.test_client(), files=[(b"a" * 30_000, "one.bin")])
