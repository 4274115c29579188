"""Threads opened by an outbound bundle for reports received outside the portal
(docs/PROTOCOL.md, "Bundles", ``open_threads``), uploaded on the office page of a real
app with a real SQLite file: forged or reused ones are refused alone with a reason, a
malformed one refuses the bundle whole, and nothing of a refused thread is left."""

import json
from datetime import date, timedelta

import nacl.signing
import nacl.utils
import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl.public import PrivateKey
from sqlalchemy import select

from crypto.bundle import OpenThread, OutboundBundle, StatusChange, write_outbound
from crypto.envelope import open_envelope, seal
from crypto.keys import SecretIdentity
from crypto.payload import OwnCopy, decode_payload, encode_payload
from crypto.receipt import login_hash, seal_login_key
from portal.db import session_scope
from portal.models import Reply, Submission, Thread
from portal.services import services

from .conftest import OfficeLogin, seed_thread
from .test_office_transfer import audience, count_on_page, snapshot, upload

TODAY = date.today()
OWN_COPY = "Det du fortalte partikontoret: kommentarene på landsmøtet."


def opening(app: Flask, thread: str, login_key: bytes, *, to: bytes | None = None) -> OpenThread:
    reporter = PrivateKey.generate()
    portal_key = services(app).secrets.portal_identity.public.encryption_key
    return OpenThread(
        id=thread,
        status="acknowledged",
        reporter_public_key=bytes(reporter.public_key),
        sealed_login_key=seal_login_key(login_key, to or portal_key),
        own_copy=seal(encode_payload(OwnCopy(OWN_COPY)), [bytes(reporter.public_key)]),
    )


def bundle(
    app: Flask,
    office: SecretIdentity,
    sequence: int,
    openings: tuple[OpenThread, ...],
    statuses: tuple[StatusChange, ...] = (),
) -> bytes:
    return write_outbound(
        OutboundBundle(
            sequence=sequence,
            audience=audience(app),
            created_day=TODAY.isoformat(),
            statuses=statuses,
            open_threads=openings,
        ),
        office,
    )


def threads(app: Flask) -> dict[str, bytes]:
    with session_scope(app) as db:
        return {t.id: t.login_hash for t in db.scalars(select(Thread))}


def test_a_forged_opening_is_refused_alone_and_the_good_one_is_opened(
    app: Flask, client: FlaskClient, office: OfficeLogin, office_identity: SecretIdentity
) -> None:
    client.get("/kontor/?lang=en")
    login_key = nacl.utils.random(32)
    good = opening(app, "mGoodThread000001", login_key)
    forged = opening(
        app, "mForgedThread0001", nacl.utils.random(32),
        to=SecretIdentity.generate().public.encryption_key,  # sealed to another key
    )
    data = bundle(
        app, office_identity, 1, (forged, good),
        statuses=(StatusChange(forged.id, "closed"),),
    )
    status, page = upload(client, data)
    assert status == 200, page
    assert count_on_page(page, "threads-opened") == 1
    assert 'id="thread-refused-1"' in page and forged.id in page
    assert "not sealed to this portal" in page and 'id="thread-refused-2"' not in page

    pepper = services(app).secrets.login_pepper
    assert threads(app) == {good.id: login_hash(login_key, pepper)}
    with session_scope(app) as db:
        thread = db.get(Thread, good.id)
        assert thread is not None and thread.status == "acknowledged"
        assert thread.created_day == TODAY and thread.last_activity_day == TODAY
        (sub,) = thread.submissions
        assert sub.kind == "report" and sub.acknowledged and sub.office_envelope is None
        assert sub.own_copy == good.own_copy
    # Nothing waits for download: the inbox already has the report.
    assert 'id="waiting-items">0<' in client.get("/kontor/").get_data(as_text=True)


def test_a_reused_login_or_thread_id_is_refused_and_a_repeat_is_skipped(
    app: Flask, client: FlaskClient, office: OfficeLogin, office_identity: SecretIdentity
) -> None:
    client.get("/kontor/?lang=en")
    web = seed_thread(app, office_identity, created=TODAY - timedelta(days=3))
    login_key = nacl.utils.random(32)
    first = opening(app, "mFirstThread00001", login_key)
    assert upload(client, bundle(app, office_identity, 1, (first,)))[0] == 200
    before = threads(app)

    reused = opening(app, "mReusedLogin00001", login_key)  # the same receipt's login key
    taken = opening(app, web.thread_id, nacl.utils.random(32))  # a web thread's id
    data = bundle(
        app, office_identity, 2, (first, reused, taken),  # outbound bundles are cumulative
        statuses=(StatusChange(web.thread_id, "closed"),),
    )
    status, page = upload(client, data)
    assert status == 200, page
    assert count_on_page(page, "threads-opened") == 0
    # The first one is already open; the status for the refused id does not reach the
    # web thread of that id.
    assert count_on_page(page, "skipped") == 2
    assert "already belongs to another thread" in page and reused.id in page
    assert "already has another thread with this id" in page
    assert threads(app) == before  # nothing new, the web thread's login untouched
    with session_scope(app) as db:
        web_thread = db.get(Thread, web.thread_id)
        assert web_thread is not None and web_thread.status == "received"
        assert len(web_thread.submissions) == 1
        assert db.scalars(select(Reply)).all() == []


def _resigned(data: bytes, office: SecretIdentity, edit: object) -> bytes:
    """The bundle with its manifest changed and signed again by the office key."""
    mlen = int.from_bytes(data[40:44], "big")
    manifest = json.loads(data[44 : 44 + mlen])
    edit(manifest)  # type: ignore[operator]
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    head = data[:40] + len(text).to_bytes(4, "big") + text
    signature = nacl.signing.SigningKey(office.signing_seed).sign(head).signature
    return head + signature + data[108 + mlen :]


@pytest.mark.parametrize(
    "fault", ["short sealed key", "extra field", "empty list", "unknown status", "no own copy"]
)
def test_a_malformed_opening_refuses_the_bundle_whole(
    app: Flask,
    client: FlaskClient,
    office: OfficeLogin,
    office_identity: SecretIdentity,
    fault: str,
) -> None:
    good = bundle(app, office_identity, 1, (opening(app, "mThreadToOpen0001", bytes(32)),))

    def edit(manifest: dict) -> None:
        entry = manifest["open_threads"][0]
        if fault == "short sealed key":
            entry["sealed_login_key"] = entry["sealed_login_key"][:-4]
        elif fault == "extra field":
            entry["day"] = TODAY.isoformat()
        elif fault == "empty list":
            manifest["open_threads"] = []
        elif fault == "unknown status":
            entry["status"] = "opened"
        else:
            entry["own_copy"] = "missing.own-copy"

    before = snapshot(app)
    status, page = upload(client, _resigned(good, office_identity, edit))
    assert status == 400 and 'id="upload-error"' in page
    assert snapshot(app) == before and threads(app) == {}


def test_the_reporter_key_opens_the_stored_own_copy(
    app: Flask, client: FlaskClient, office: OfficeLogin, office_identity: SecretIdentity
) -> None:
    reporter = PrivateKey.generate()
    made = OpenThread(
        id="mOwnCopyThread001",
        status="received",
        reporter_public_key=bytes(reporter.public_key),
        sealed_login_key=seal_login_key(
            nacl.utils.random(32), services(app).secrets.portal_identity.public.encryption_key
        ),
        own_copy=seal(encode_payload(OwnCopy(OWN_COPY)), [bytes(reporter.public_key)]),
    )
    assert upload(client, bundle(app, office_identity, 1, (made,)))[0] == 200
    with session_scope(app) as db:
        (sub,) = db.scalars(select(Submission)).all()
        copy = decode_payload(
            open_envelope(sub.own_copy, bytes(reporter.public_key), bytes(reporter))
        )
    assert copy == OwnCopy(OWN_COPY)
