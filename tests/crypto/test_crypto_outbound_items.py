"""The bundles' optional parts (docs/PROTOCOL.md, "Bundles"): the accused's time limits to
reply (``reply_by``), threads to open for reports received outside the portal
(``open_threads``, with the login key sealed to the portal) and the portal's parameters
in inbound bundles. crypto/ and the independent spec reader agree on what is accepted and
what is refused."""

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import nacl.utils
import pytest
import spec_reader as spec
from nacl.public import PrivateKey

from crypto import bundle, envelope, payload, receipt
from crypto.errors import MalformedError, NotARecipientError
from crypto.keys import SecretIdentity

OFFICE = SecretIdentity.generate()
PORTAL = SecretIdentity.generate()
AUDIENCE = bundle.signer_fingerprint(PORTAL.public.verify_key)


def outbound(**fields: Any) -> bundle.OutboundBundle:
    return bundle.OutboundBundle(sequence=1, audience=AUDIENCE, created_day="2025-03-01", **fields)


def resigned(data: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The bundle with its manifest changed, signed again by the office (a signed but
    hostile or buggy writer)."""
    mlen = int.from_bytes(data[40:44], "big")
    manifest = json.loads(data[44 : 44 + mlen])
    edit(manifest)
    text = spec.canonical_json(manifest, ascii_only=True)
    return spec.write_bundle(text, [data[108 + mlen :]] if len(data) > 108 + mlen else [],
                             OFFICE.signing_seed)


def both_read(data: bytes) -> list[str]:
    """What crypto/ and the spec reader make of the bundle's ``reply_by``; both must agree."""
    try:
        ours: list[str] | str = list(bundle.read_outbound(data, OFFICE.public.verify_key).reply_by)
    except MalformedError:
        ours = "MalformedError"
    try:
        manifest, _ = spec.read_bundle(data, OFFICE.public.verify_key, "outbound")
        theirs: list[str] | str = spec.outbound_reply_by(manifest)
    except spec.SpecError as exc:
        theirs = exc.kind
    assert ours == theirs
    return [] if isinstance(ours, str) else ours


def test_reply_by_round_trips_sorted_and_is_left_out_when_empty() -> None:
    days = ("2025-03-02", "2025-03-02", "2025-04-30")
    data = bundle.write_outbound(outbound(reply_by=days), OFFICE)
    assert both_read(data) == list(days)
    assert b'"reply_by":["2025-03-02","2025-03-02","2025-04-30"]' in data
    empty = bundle.write_outbound(outbound(), OFFICE)
    assert b"reply_by" not in empty and both_read(empty) == []


def test_a_writer_never_writes_reply_by_a_reader_refuses() -> None:
    for days in (("2025-04-30", "2025-03-02"), ("2025-02-30",), ("30.04.2025",)):
        with pytest.raises(MalformedError):
            bundle.write_outbound(outbound(reply_by=days), OFFICE)


@pytest.mark.parametrize(
    "value",
    [[], ["2025-04-30", "2025-03-02"], ["2025-02-30"], "2025-03-02", [20250302], None,
     ["2025-03-02T00:00"]],
)
def test_a_hostile_reply_by_is_refused_whole(value: object) -> None:
    good = bundle.write_outbound(outbound(acks=("item-00000001",)), OFFICE)

    def edit(manifest: dict[str, Any]) -> None:
        manifest["reply_by"] = value

    bad = resigned(good, edit)
    with pytest.raises(MalformedError):
        bundle.read_outbound(bad, OFFICE.public.verify_key)
    with pytest.raises(spec.SpecError):
        spec.outbound_reply_by(spec.read_bundle(bad, OFFICE.public.verify_key, "outbound")[0])


def test_open_threads_agree_with_the_spec_and_the_login_key_opens_only_for_the_portal() -> None:
    login_key = nacl.utils.random(32)
    reporter = PrivateKey.generate()
    own_copy = envelope.seal(
        payload.encode_payload(payload.OwnCopy("Det du fortalte.")), [bytes(reporter.public_key)]
    )
    opening = bundle.OpenThread(
        id="mCaseThread00001",
        status="acknowledged",
        reporter_public_key=bytes(reporter.public_key),
        sealed_login_key=receipt.seal_login_key(login_key, PORTAL.public.encryption_key),
        own_copy=own_copy,
    )
    data = bundle.write_outbound(outbound(open_threads=(opening,), reply_by=("2025-03-09",)),
                                 OFFICE)
    assert bundle.read_outbound(data, OFFICE.public.verify_key).open_threads == (opening,)
    manifest, blobs = spec.read_bundle(data, OFFICE.public.verify_key, "outbound")
    (theirs,) = spec.outbound_open_threads(manifest, blobs)
    assert theirs == {
        "id": opening.id,
        "status": "acknowledged",
        "reporter_public_key": opening.reporter_public_key,
        "sealed_login_key": opening.sealed_login_key,
        "own_copy": own_copy,
    }
    assert set(blobs) == {"mCaseThread00001.own-copy"}
    portal_pair = (PORTAL.public.encryption_key, PORTAL.encryption_secret)
    assert receipt.open_login_key(opening.sealed_login_key, *portal_pair) == login_key
    assert spec.open_sealed_login_key(opening.sealed_login_key, *portal_pair) == login_key
    other = SecretIdentity.generate()
    with pytest.raises(NotARecipientError):
        receipt.open_login_key(
            opening.sealed_login_key, other.public.encryption_key, other.encryption_secret
        )
    with pytest.raises(spec.SpecError):
        spec.open_sealed_login_key(
            opening.sealed_login_key, other.public.encryption_key, other.encryption_secret
        )


@pytest.mark.parametrize(
    "fault",
    ["empty", "short key", "long sealed key", "repeated id", "extra field", "status",
     "missing blob", "blob twice"],
)
def test_a_hostile_open_thread_is_refused_whole_by_both(fault: str) -> None:
    reporter_key = bytes(PrivateKey.generate().public_key)

    def make(thread: str) -> bundle.OpenThread:
        return bundle.OpenThread(
            id=thread, status="received", reporter_public_key=reporter_key,
            sealed_login_key=receipt.seal_login_key(bytes(32), PORTAL.public.encryption_key),
            own_copy=b"VSE1 own copy " + thread.encode(),
        )

    good = bundle.write_outbound(
        outbound(open_threads=(make("mThreadOne0001"), make("mThreadTwo0002"))), OFFICE
    )

    def edit(manifest: dict[str, Any]) -> None:
        first, second = manifest["open_threads"]
        if fault == "empty":
            manifest["open_threads"] = []
        elif fault == "short key":
            first["reporter_public_key"] = base64.b64encode(bytes(31)).decode()
        elif fault == "long sealed key":
            first["sealed_login_key"] = base64.b64encode(bytes(81)).decode()
        elif fault == "repeated id":
            second["id"] = first["id"]
        elif fault == "extra field":
            first["login_hash"] = "x"
        elif fault == "status":
            first["status"] = "open"
        elif fault == "missing blob":
            first["own_copy"] = "nothing.own-copy"
        else:
            second["own_copy"] = first["own_copy"]

    bad = resigned(good, edit)
    with pytest.raises(MalformedError):
        bundle.read_outbound(bad, OFFICE.public.verify_key)
    with pytest.raises(spec.SpecError):
        manifest, blobs = spec.read_bundle(bad, OFFICE.public.verify_key, "outbound")
        spec.outbound_open_threads(manifest, blobs)
        if set(blobs) != {e["own_copy"] for e in manifest["open_threads"]}:
            raise spec.SpecError("MalformedError")  # every blob referred to (step 12)


def test_inbound_portal_parameters_round_trip_and_agree() -> None:
    params = bundle.PortalParameters(PORTAL.public.encryption_key, nacl.utils.random(16))
    inbound = bundle.InboundBundle(
        "2025-03-01", 0,
        (bundle.InboundThread("thread-0000001", bytes(32), "2025-03-01", "received"),),
        (bundle.InboundItem("item-00000001", "thread-0000001", "report", "2025-03-01", b"e"),),
        portal=params,
    )
    data = bundle.write_inbound(inbound, PORTAL)
    assert bundle.read_inbound(data, PORTAL.public.verify_key).portal == params
    manifest, _ = spec.read_bundle(data, PORTAL.public.verify_key, "inbound")
    assert spec.inbound_portal(manifest) == {
        "encryption_key": params.encryption_key, "receipt_salt": params.receipt_salt
    }
    without = bundle.write_inbound(replace(inbound, portal=None), PORTAL)
    assert bundle.read_inbound(without, PORTAL.public.verify_key).portal is None
    assert b'"portal"' not in without


def test_the_sealed_login_key_vector_opens_in_the_spec_reader() -> None:
    vectors = json.loads(
        (Path(__file__).resolve().parents[1] / "vectors" / "bundle.json").read_text()
    )
    for case in vectors["sealed_login_key"]:
        sealed = base64.b64decode(case["sealed_login_key"])
        opened = spec.open_sealed_login_key(
            sealed,
            bytes.fromhex(case["portal_encryption_key"]),
            bytes.fromhex(case["portal_encryption_secret"]),
        )
        assert opened == bytes.fromhex(case["login_key"])
