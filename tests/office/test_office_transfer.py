"""Dashboard counts, inbound download, outbound upload.

docs/THREAT-MODEL.md, requirements 5 and 6.
"""

import hashlib
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient
from office_bundles import outbound_bundle
from sqlalchemy import select

import portal.transfer
from crypto.bundle import (
    InboundBundle,
    read_inbound,
    signer_fingerprint,
)
from crypto.envelope import open_envelope
from crypto.errors import SignatureError
from crypto.keys import SecretIdentity
from crypto.payload import Reply as ReplyPayload
from crypto.payload import decode_payload
from portal.db import session_scope
from portal.models import Attachment, Reply, Submission, Thread, TransferState, new_id
from portal.services import services
from portal.store import BlobStore
from portal.transfer import InboundExport, TransferRefused, export_inbound, plan_inbound

from .conftest import Clock, OfficeLogin, Seeded, cli, csrf_token, seed_thread

TODAY = date.today()


def portal_key(app: Flask) -> bytes:
    return services(app).secrets.portal_identity.public.verify_key


def audience(app: Flask) -> str:
    return signer_fingerprint(portal_key(app))


def blob_path(app: Flask, blob_id: str) -> Path:
    return BlobStore(services(app).settings.blobs_dir).path(blob_id)


def outbound(
    app: Flask,
    office: SecretIdentity,
    sequence: int,
    *,
    acks: tuple[str, ...] = (),
    replies: tuple[tuple[str, Seeded], ...] = (),
    statuses: tuple[tuple[str, str], ...] = (),
    to: str | None = None,
) -> bytes:
    return outbound_bundle(
        app,
        office,
        sequence,
        TODAY,
        acks=acks,
        replies=tuple(
            (reply_id, seeded.thread_id, bytes(seeded.reporter_secret.public_key))
            for reply_id, seeded in replies
        ),
        statuses=statuses,
        to=to,
    )


def upload(client: FlaskClient, data: bytes, *, token: bool = True) -> tuple[int, str]:
    form: dict[str, object] = {"bundle": (io.BytesIO(data), "varsel-ut-1.bundle")}
    if token:
        form["csrf_token"] = csrf_token(client, "/kontor/")
    r = client.post("/kontor/last-opp", data=form, content_type="multipart/form-data")
    return r.status_code, r.get_data(as_text=True)


def download(client: FlaskClient, part: int | None = None, of: int = 1) -> bytes:
    form = {"csrf_token": csrf_token(client, "/kontor/")}
    if part is not None:
        form["part"] = str(part)
    r = client.post("/kontor/last-ned", data=form)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    suffix = rf"-del-{part or 1}-av-{of}" if of > 1 else ""
    assert re.search(
        rf'filename="varsel-inn-\d{{4}}-\d{{2}}-\d{{2}}-nr-\d+{suffix}\.bundle"', disposition
    )
    return bytes(r.data)


def snapshot(app: Flask) -> dict[str, object]:
    """Everything an outbound bundle could change."""
    with session_scope(app) as db:
        blobs = BlobStore(services(app).settings.blobs_dir).directory
        return {
            "envelopes": sorted(
                (s.id, s.office_envelope is None, s.acknowledged)
                for s in db.scalars(select(Submission))
            ),
            "attachments": sorted(db.scalars(select(Attachment.id))),
            "replies": sorted(db.scalars(select(Reply.id))),
            "statuses": sorted(
                (t.id, t.status, t.last_activity_day) for t in db.scalars(select(Thread))
            ),
            "sequence": db.scalar(select(TransferState.last_outbound_sequence)) or 0,
            "blob_files": sorted(p.name for p in blobs.iterdir()),
        }


@pytest.fixture
def two_threads(app: Flask, office_identity: SecretIdentity) -> tuple[Seeded, Seeded]:
    first = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=2),
        submissions=[(TODAY - timedelta(days=2), False)],
        attachments_per_submission=2,
    )
    second = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=30),
        submissions=[(TODAY - timedelta(days=30), True), (TODAY - timedelta(days=1), False)],
        attachments_per_submission=1,
    )
    return first, second


class Transfer(NamedTuple):
    """The office logged in (``client``) on ``app``, signing with ``office_identity``, and
    the two threads of ``two_threads``."""

    app: Flask
    client: FlaskClient
    office_identity: SecretIdentity
    first: Seeded
    second: Seeded


@pytest.fixture
def transfer(
    app: Flask,
    client: FlaskClient,
    office: OfficeLogin,
    office_identity: SecretIdentity,
    two_threads: tuple[Seeded, Seeded],
) -> Transfer:
    return Transfer(app, client, office_identity, *two_threads)


# --- dashboard -----------------------------------------------------------------------------


def count_on_page(page: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">(\d+)<', page)
    assert found, element_id
    return int(found.group(1))


def test_dashboard_counts_deadlines_without_content(
    app: Flask, client: FlaskClient, office: OfficeLogin, office_identity: SecretIdentity
) -> None:
    # Acknowledgement deadline: 7 days. Day 7 is still in time, day 8 is late.
    seed_thread(app, office_identity, created=TODAY - timedelta(days=7))
    seed_thread(app, office_identity, created=TODAY - timedelta(days=8))
    # A late follow-up in an old thread that already has its first item acknowledged.
    seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=20),
        submissions=[(TODAY - timedelta(days=20), True), (TODAY - timedelta(days=10), False)],
    )
    # Feedback deadline: 3 months without any reply.
    old = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=100),
        submissions=[(TODAY - timedelta(days=100), True)],
    )
    answered = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=120),
        submissions=[(TODAY - timedelta(days=120), True)],
    )
    seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=80),
        submissions=[(TODAY - timedelta(days=80), True)],
    )
    with session_scope(app) as db:
        thread = db.get(Thread, answered.thread_id)
        assert thread is not None
        db.add(Reply(id=new_id(), thread=thread, day=TODAY, envelope=b"x", position=9))
        db.add(TransferState(id=1, last_outbound_sequence=4))

    page = client.get("/kontor/").get_data(as_text=True)
    assert count_on_page(page, "waiting-items") == 3
    assert count_on_page(page, "oldest-waiting-days") == 10
    assert count_on_page(page, "ack-overdue") == 2
    assert count_on_page(page, "feedback-overdue") == 1
    assert count_on_page(page, "total-threads") == 6
    assert count_on_page(page, "last-sequence") == 4
    assert signer_fingerprint(portal_key(app)) in page
    assert office_identity.public.fingerprint in page
    assert old.thread_id not in page  # counts only: no identifiers, no content


def test_dashboard_needs_login(client: FlaskClient) -> None:
    r = client.get("/kontor/")
    assert r.status_code == 302 and r.location.endswith("/kontor/logg-inn")


# --- download ------------------------------------------------------------------------------


def test_download_contains_exactly_the_unacknowledged_items(transfer: Transfer) -> None:
    app, client, office_identity, first, second = transfer
    before = snapshot(app)
    bundle = read_inbound(download(client), portal_key(app))

    expected_items = {first.submission_ids[0], second.submission_ids[1]}
    assert {item.id for item in bundle.items} == expected_items
    assert {t.id for t in bundle.threads} == {first.thread_id, second.thread_id}
    assert bundle.last_outbound_sequence == 0
    assert bundle.created_day == TODAY.isoformat()
    store = BlobStore(services(app).settings.blobs_dir)
    attachment_ids = set()
    for item in bundle.items:
        assert open_envelope(
            item.envelope,
            office_identity.public.encryption_key,
            office_identity.encryption_secret,
        ).startswith(b"report")
        for blob in item.attachments:
            assert blob.data == store.read(blob.id)
            attachment_ids.add(blob.id)
    assert attachment_ids == set(first.attachment_ids) | set(second.attachment_ids)
    for thread in bundle.threads:
        seeded = first if thread.id == first.thread_id else second
        assert thread.reporter_public_key == bytes(seeded.reporter_secret.public_key)
    assert snapshot(app) == before  # downloading deletes nothing


def test_download_streams_the_files_and_keeps_digests_it_had_to_compute(
    app: Flask, client: FlaskClient, office: OfficeLogin, two_threads: tuple[Seeded, Seeded]
) -> None:
    """Rows stored before attachment digests existed (the seeded ones) get theirs at the
    first download, from the file; the response is the head and then the files, streamed,
    with its length announced."""
    with session_scope(app) as db:
        assert {a.blake2b for a in db.scalars(select(Attachment))} == {None}
    form = {"csrf_token": csrf_token(client, "/kontor/")}
    r = client.post("/kontor/last-ned", data=form, buffered=False)
    assert r.status_code == 200
    pieces = list(r.response)  # the head, then each envelope and file: not one joined body
    r.close()
    assert len(pieces) > 1 + len(two_threads)
    body = b"".join(pieces)
    assert int(r.headers["Content-Length"]) == len(body)
    assert read_inbound(body, portal_key(app)).items
    store = BlobStore(services(app).settings.blobs_dir)
    with session_scope(app) as db:
        attachments = db.scalars(select(Attachment)).all()
    assert attachments
    for a in attachments:
        assert a.blake2b == hashlib.blake2b(store.read(a.id), digest_size=32).digest()


def test_a_file_changed_after_the_export_cuts_the_stream_short(
    app: Flask, office_identity: SecretIdentity, two_threads: tuple[Seeded, Seeded]
) -> None:
    """The files are read while the bundle is sent: one that shrank since the head was
    signed ends the stream with TransferRefused (the receiver holds a cut bundle, which
    every reader refuses), never with bytes the head does not describe."""
    first, _ = two_threads
    exported = export(app)
    path = blob_path(app, first.attachment_ids[0])
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(TransferRefused):
        b"".join(exported.chunks())


def test_download_is_refused_by_another_pinned_key(
    app: Flask, client: FlaskClient, office: OfficeLogin, two_threads: tuple[Seeded, Seeded]
) -> None:
    with pytest.raises(SignatureError):
        read_inbound(download(client), SecretIdentity.generate().public.verify_key)


def test_download_needs_login(client: FlaskClient) -> None:
    token = csrf_token(client, "/kontor/logg-inn")
    r = client.post("/kontor/last-ned", data={"csrf_token": token})
    assert r.status_code == 302 and r.location.endswith("/kontor/logg-inn")


# --- upload --------------------------------------------------------------------------------


def test_upload_applies_acks_replies_statuses_and_sequence(transfer: Transfer) -> None:
    app, client, office_identity, first, second = transfer
    gone = "g0neThreadIdentifier"
    data = outbound(
        app,
        office_identity,
        1,
        acks=(first.submission_ids[0], "unknownItem0001"),
        replies=(("reply0000000001", first),),
        statuses=((first.thread_id, "acknowledged"), (gone, "closed")),
    )
    status, page = upload(client, data)
    assert status == 200, page
    assert count_on_page(page, "acknowledged") == 1
    assert count_on_page(page, "replies") == 1
    assert count_on_page(page, "status-changes") == 1
    assert count_on_page(page, "skipped") == 2

    with session_scope(app) as db:
        sub = db.get(Submission, first.submission_ids[0])
        assert sub is not None
        assert sub.office_envelope is None and sub.acknowledged
        assert sub.own_copy  # the reporter's own copy stays until the thread expires
        assert not sub.attachments
        thread = db.get(Thread, first.thread_id)
        assert thread is not None
        assert thread.status == "acknowledged" and thread.last_activity_day == TODAY
        reply = db.get(Reply, "reply0000000001")
        assert reply is not None and reply.thread_id == first.thread_id
        text = decode_payload(
            open_envelope(
                reply.envelope,
                bytes(first.reporter_secret.public_key),
                bytes(first.reporter_secret),
            )
        )
        assert isinstance(text, ReplyPayload)
        assert reply.position == 1  # after the report
        assert db.scalar(select(TransferState.last_outbound_sequence)) == 1
        other = db.get(Submission, second.submission_ids[1])
        assert other is not None and other.office_envelope is not None
    for blob_id in first.attachment_ids:
        assert not blob_path(app, blob_id).exists()  # shredded
    for blob_id in second.attachment_ids:
        assert blob_path(app, blob_id).exists()

    # The next download carries only what is still unacknowledged.
    bundle = read_inbound(download(client), portal_key(app))
    assert [i.id for i in bundle.items] == [second.submission_ids[1]]
    assert bundle.last_outbound_sequence == 1


def test_replay_and_older_bundles_are_refused_and_change_nothing(transfer: Transfer) -> None:
    app, client, office_identity, first, second = transfer
    bundle5 = outbound(app, office_identity, 5, statuses=((first.thread_id, "in_progress"),))
    assert upload(client, bundle5)[0] == 200
    with session_scope(app) as db:  # the office could change a status back later
        thread = db.get(Thread, first.thread_id)
        assert thread is not None
        thread.status = "received"
    before = snapshot(app)

    status, page = upload(client, bundle5)
    assert status == 400 and "5" in page
    older = outbound(app, office_identity, 3, acks=(second.submission_ids[1],))
    status, page = upload(client, older)
    assert status == 400
    assert re.search(r"\b3\b", page) and re.search(r"\b5\b", page)  # names both numbers
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "fault", ["other key", "flipped bit", "flipped manifest bit", "wrong audience", "garbage"]
)
def test_bad_bundles_are_refused_whole(transfer: Transfer, fault: str) -> None:
    app, client, office_identity, first, second = transfer

    def make(signer: SecretIdentity, to: str | None = None) -> bytes:
        return outbound(
            app,
            signer,
            1,
            acks=(first.submission_ids[0], second.submission_ids[1]),
            replies=(("reply0000000001", first),),
            statuses=((first.thread_id, "closed"),),
            to=to,
        )

    if fault == "other key":
        data = make(SecretIdentity.generate())
    elif fault == "wrong audience":
        data = make(
            office_identity, to=signer_fingerprint(SecretIdentity.generate().public.verify_key)
        )
    elif fault == "garbage":
        data = b"not a bundle at all"
    else:  # a bit in a blob, or in the signed manifest
        flipped = bytearray(make(office_identity))
        flipped[len(flipped) // 2 if fault == "flipped bit" else 60] ^= 0x10
        data = bytes(flipped)
    before = snapshot(app)
    status, page = upload(client, data)
    assert status == 400
    assert 'id="upload-error"' in page
    assert snapshot(app) == before


def test_upload_needs_login_and_csrf(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity, clock: Clock
) -> None:
    data = outbound(app, office_identity, 1)
    token = csrf_token(client, "/kontor/logg-inn")
    r = client.post(
        "/kontor/last-opp",
        data={"csrf_token": token, "bundle": (io.BytesIO(data), "b.bundle")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and r.location.endswith("/kontor/logg-inn")
    assert snapshot(app)["sequence"] == 0  # no bundle applied


def test_upload_without_csrf_token_is_refused(
    app: Flask, client: FlaskClient, office: OfficeLogin, office_identity: SecretIdentity
) -> None:
    status, _page = upload(client, outbound(app, office_identity, 1), token=False)
    assert status == 400
    assert snapshot(app)["sequence"] == 0  # no bundle applied
    assert snapshot(app)["blob_files"] == []  # the upload's encrypted spool was discarded


def test_the_upload_leaves_no_file_behind(transfer: Transfer) -> None:
    app, client, office_identity, first, _second = transfer
    data = outbound(app, office_identity, 1, replies=(("reply0000000001", first),))
    files_before = set(blob_path(app, "x" * 8).parent.iterdir())
    assert upload(client, data)[0] == 200
    assert set(blob_path(app, "x" * 8).parent.iterdir()) == files_before


# --- command line --------------------------------------------------------------------------


def test_cli_export_and_import(
    app: Flask,
    tmp_path: Path,
    office_identity: SecretIdentity,
    two_threads: tuple[Seeded, Seeded],
) -> None:
    first, second = two_threads
    target = tmp_path / "inn.bundle"
    result = cli(app, "export-inbound", str(target))
    assert result.exit_code == 0, result.output
    bundle = read_inbound(target.read_bytes(), portal_key(app))
    assert {i.id for i in bundle.items} == {first.submission_ids[0], second.submission_ids[1]}
    assert target.stat().st_mode & 0o077 == 0
    assert cli(app, "export-inbound", str(target)).exit_code != 0  # no silent overwrite

    out = tmp_path / "ut.bundle"
    out.write_bytes(
        outbound(
            app,
            office_identity,
            2,
            acks=(second.submission_ids[1],),
            statuses=((second.thread_id, "in_progress"),),
        )
    )
    result = cli(app, "import-outbound", str(out))
    assert result.exit_code == 0, result.output
    assert "1 acknowledged" in result.output
    for blob_id in second.attachment_ids:
        assert not blob_path(app, blob_id).exists()

    before = snapshot(app)
    replay = cli(app, "import-outbound", str(out))
    assert replay.exit_code != 0
    assert "sequence number 2" in replay.output
    assert len(replay.output.strip().splitlines()) == 1
    tampered = tmp_path / "tampered.bundle"
    raw = bytearray(out.read_bytes())
    raw[-1] ^= 1
    tampered.write_bytes(bytes(raw))
    assert cli(app, "import-outbound", str(tampered)).exit_code != 0
    assert snapshot(app) == before


def test_cli_import_refuses_without_office_key(
    app: Flask, tmp_path: Path, office_identity: SecretIdentity
) -> None:
    out = tmp_path / "ut.bundle"
    out.write_bytes(outbound(app, office_identity, 1))
    (tmp_path / "keys" / "office.pub").unlink()
    result = cli(app, "import-outbound", str(out))
    assert result.exit_code != 0 and "office.pub" in result.output


# --- Bounded inbound bundles, oldest first --------------------------------------------------


def part_size(bundle: InboundBundle) -> int:
    return sum(len(i.envelope) + sum(len(b.data) for b in i.attachments) for i in bundle.items)


@pytest.fixture
def two_large(app: Flask, office_identity: SecretIdentity) -> tuple[Seeded, Seeded, int]:
    """Two submissions with attachments, the newer one seeded first; and a cap that holds
    either one but not both."""
    newer = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=1),
        attachments_per_submission=3,
    )
    older = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=5),
        attachments_per_submission=3,
    )
    with session_scope(app) as db:
        sizes = plan_inbound(db, max_bytes=1).sizes
    assert len(sizes) == 2
    return older, newer, max(sizes) + min(sizes) - 1


@pytest.fixture
def two_batches(
    two_large: tuple[Seeded, Seeded, int], monkeypatch: pytest.MonkeyPatch
) -> tuple[Seeded, Seeded, int]:
    """``two_large`` with the portal's bundle size set to its cap: they leave in two."""
    monkeypatch.setattr(portal.transfer, "BATCH_BYTES", two_large[2])
    return two_large


def bundle_bytes(export: InboundExport) -> bytes:
    return b"".join(export.chunks())


def export(app: Flask, **kwargs: int) -> InboundExport:
    with session_scope(app) as db:
        return export_inbound(
            db,
            services(app).settings,
            services(app).secrets.portal_identity,
            TODAY,
            **kwargs,
        )


def test_export_comes_in_bounded_parts_oldest_first(
    app: Flask, office_identity: SecretIdentity, two_large: tuple[Seeded, Seeded, int]
) -> None:
    older, newer, cap = two_large
    first = export(app, max_bytes=cap)
    assert (first.part, first.parts, first.items, first.remaining) == (1, 2, 1, 1)
    assert first.filename == f"varsel-inn-{TODAY.isoformat()}-del-1-av-2.bundle"
    bundle1 = read_inbound(bundle_bytes(first), portal_key(app))
    assert [i.id for i in bundle1.items] == older.submission_ids
    assert [t.id for t in bundle1.threads] == [older.thread_id]
    assert {b.id for i in bundle1.items for b in i.attachments} == set(older.attachment_ids)
    assert part_size(bundle1) <= cap

    # Until the inbox's answer is applied, downloading again repeats the same part.
    again = read_inbound(bundle_bytes(export(app, max_bytes=cap)), portal_key(app))
    assert [i.id for i in again.items] == older.submission_ids
    second = export(app, max_bytes=cap, part=2)
    assert (second.part, second.parts, second.items, second.remaining) == (2, 2, 1, 1)
    bundle2 = read_inbound(bundle_bytes(second), portal_key(app))
    assert [i.id for i in bundle2.items] == newer.submission_ids
    assert part_size(bundle2) <= cap
    with pytest.raises(TransferRefused, match="no part 3"):
        export(app, max_bytes=cap, part=3)

    # A cap big enough for both: one bundle, nothing remains.
    whole = export(app, max_bytes=2 * cap)
    assert (whole.parts, whole.items, whole.remaining) == (1, 2, 0)
    assert whole.filename == f"varsel-inn-{TODAY.isoformat()}.bundle"
    # A cap smaller than any submission: still one submission per bundle, never none.
    tiny = export(app, max_bytes=1)
    assert (tiny.parts, tiny.items, tiny.remaining) == (2, 1, 1)


def test_a_part_reads_only_its_own_attachment_files(
    app: Flask, two_large: tuple[Seeded, Seeded, int]
) -> None:
    _older, newer, cap = two_large
    for blob_id in newer.attachment_ids:  # part 2's files: part 1 must not need them
        blob_path(app, blob_id).unlink()
    assert read_inbound(bundle_bytes(export(app, max_bytes=cap)), portal_key(app)).items
    with pytest.raises(TransferRefused, match="missing"):
        export(app, max_bytes=cap, part=2)


def test_an_attachment_file_of_the_wrong_size_is_refused(
    app: Flask, two_large: tuple[Seeded, Seeded, int]
) -> None:
    older, _newer, cap = two_large
    path = blob_path(app, older.attachment_ids[0])
    path.write_bytes(path.read_bytes() + b"more than the database says")
    with pytest.raises(TransferRefused, match="size"):
        export(app, max_bytes=cap)


def test_closed_threads_go_last_and_item_count_is_capped(
    app: Flask, office_identity: SecretIdentity
) -> None:
    closed = seed_thread(app, office_identity, created=TODAY - timedelta(days=50), status="closed")
    old = seed_thread(
        app,
        office_identity,
        created=TODAY - timedelta(days=9),
        submissions=[(TODAY - timedelta(days=9), False), (TODAY - timedelta(days=2), False)],
    )
    new = seed_thread(app, office_identity, created=TODAY - timedelta(days=3))
    with session_scope(app) as db:
        plan = plan_inbound(db, max_items=2)
    assert plan.parts == (
        tuple(old.submission_ids),  # the oldest thread first, in its own order
        (new.submission_ids[0], closed.submission_ids[0]),  # a closed case's items last
    )
    bundle = read_inbound(bundle_bytes(export(app, max_items=2, part=2)), portal_key(app))
    assert [i.id for i in bundle.items] == [new.submission_ids[0], closed.submission_ids[0]]


def test_dashboard_and_download_in_parts_then_the_answer_moves_on(
    app: Flask,
    client: FlaskClient,
    office: OfficeLogin,
    office_identity: SecretIdentity,
    two_batches: tuple[Seeded, Seeded, int],
) -> None:
    older, newer, _cap = two_batches
    page = client.get("/kontor/?lang=en").get_data(as_text=True)
    assert count_on_page(page, "waiting-items") == 2
    assert count_on_page(page, "next-bundle-items") == 1
    assert count_on_page(page, "remaining-items") == 1
    assert "comes in 2 bundles" in page
    assert "upload its answer here, then download again" in page

    bundle1 = read_inbound(download(client, of=2), portal_key(app))
    assert [i.id for i in bundle1.items] == older.submission_ids
    bundle2 = read_inbound(download(client, part=2, of=2), portal_key(app))
    assert [i.id for i in bundle2.items] == newer.submission_ids
    token = csrf_token(client, "/kontor/")
    r = client.post("/kontor/last-ned", data={"csrf_token": token, "part": "7"})
    assert r.status_code == 302
    assert "no part 7" in client.get("/kontor/").get_data(as_text=True)

    # The inbox acknowledges part 1: the next download carries the next items.
    answer = outbound(app, office_identity, 1, acks=tuple(older.submission_ids))
    status, page = upload(client, answer)
    assert status == 200
    assert "1 item is still waiting" in page and "1 items" not in page
    page = client.get("/kontor/").get_data(as_text=True)
    assert count_on_page(page, "waiting-items") == 1
    assert 'id="remaining-items"' not in page and 'name="part"' not in page
    bundle = read_inbound(download(client), portal_key(app))
    assert [i.id for i in bundle.items] == newer.submission_ids


def test_cli_export_says_how_many_remain(
    app: Flask,
    tmp_path: Path,
    two_batches: tuple[Seeded, Seeded, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    older, newer, cap = two_batches
    first = tmp_path / "inn-1.bundle"
    result = cli(app, "export-inbound", str(first))
    assert result.exit_code == 0, result.output
    assert "bundle 1 of 2" in result.output
    assert "1 items remain" in result.output and "--part 2" in result.output
    assert [i.id for i in read_inbound(first.read_bytes(), portal_key(app)).items] == (
        older.submission_ids
    )
    second = tmp_path / "inn-2.bundle"
    result = cli(app, "export-inbound", "--part", "2", str(second))
    assert result.exit_code == 0, result.output
    assert [i.id for i in read_inbound(second.read_bytes(), portal_key(app)).items] == (
        newer.submission_ids
    )
    result = cli(app, "export-inbound", "--part", "3", str(tmp_path / "inn-3.bundle"))
    assert result.exit_code != 0 and "no part 3" in result.output
    assert not (tmp_path / "inn-3.bundle").exists()

    monkeypatch.setattr(portal.transfer, "BATCH_BYTES", 2 * cap)
    result = cli(app, "export-inbound", str(tmp_path / "all.bundle"))
    assert result.exit_code == 0, result.output
    assert "bundle 1 of 1" in result.output and "0 items remain" in result.output
