"""The outbound bundle's optional parts (docs/PROTOCOL.md, "Bundles", Outbound): the
accused's time limits to reply (``reply_by``). crypto/ and the independent spec reader
agree on what is accepted and what is refused."""

import json
from collections.abc import Callable
from typing import Any

import pytest
import spec_reader as spec

from crypto import bundle
from crypto.errors import MalformedError
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
