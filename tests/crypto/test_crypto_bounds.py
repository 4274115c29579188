"""Bounds a reader enforces on validly signed bundles, and what a writer normalises
(docs/PROTOCOL.md, "Payloads" and "Bounds"). Every bundle here verifies: only its
values are out of range."""

from datetime import date, timedelta

import pytest

from crypto import bundle, payload
from crypto.errors import MalformedError
from crypto.keys import SecretIdentity

PORTAL = SecretIdentity.generate()
TODAY = date(2026, 6, 15)
KEY = bytes(range(32))


def _thread(tid: str = "thread-0001", day: str = "2026-06-01") -> bundle.InboundThread:
    return bundle.InboundThread(tid, KEY, day, "received")


def _item(iid: str, tid: str = "thread-0001", day: str = "2026-06-14", refs: int = 0):  # type: ignore[no-untyped-def]
    blobs = tuple(bundle.Blob(f"{iid}-b{n}", b"x") for n in range(refs))
    return bundle.InboundItem(iid, tid, "report", day, b"envelope", blobs)


def _read(b: bundle.InboundBundle) -> bundle.InboundBundle:
    data = bundle.write_inbound(b, PORTAL)
    return bundle.read_inbound(data, PORTAL.public.verify_key, today=TODAY)


def _bundle(**changes: object) -> bundle.InboundBundle:
    fields: dict[str, object] = {
        "created_day": "2026-06-15",
        "last_outbound_sequence": 0,
        "threads": (_thread(),),
        "items": (_item("item-0001"),),
    }
    fields.update(changes)
    return bundle.InboundBundle(**fields)  # type: ignore[arg-type]


def test_a_bundle_within_the_bounds_reads() -> None:
    edge = (TODAY - timedelta(days=bundle.DAYS_BEFORE)).isoformat()
    b = _bundle(
        threads=(_thread(day=edge),),
        items=(_item("item-0001", day=(TODAY + timedelta(days=2)).isoformat(), refs=64),),
        last_outbound_sequence=bundle.MAX_SEQUENCE,
    )
    assert _read(b) == b


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"created_day": "9999-12-31"}, "9999-12-31 is outside"),
        ({"threads": (_thread(day="9999-12-31"),)}, "thread's day 9999-12-31"),
        ({"items": (_item("item-0001", day="2026-06-18"),)}, "item's day 2026-06-18"),
        ({"items": (_item("item-0001", day="2016-06-01"),)}, "item's day 2016-06-01"),
        ({"last_outbound_sequence": 2**53}, "outside 0"),
        ({"last_outbound_sequence": 2**63}, "outside 0"),
        ({"threads": (_thread(), _thread("thread-0002"))}, "none of its items"),
        ({"items": (_item("item-0001", refs=65),)}, "more than 64 attachments"),
    ],
)
def test_out_of_range_values_refuse_the_bundle(changes: dict[str, object], message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        _read(_bundle(**changes))


def test_more_items_than_a_bundle_may_carry_are_refused() -> None:
    items = tuple(_item(f"item-{n:05d}") for n in range(bundle.MAX_INBOUND_ITEMS + 1))
    with pytest.raises(MalformedError, match="more than 10000 items"):
        _read(_bundle(items=items))


def test_an_outbound_sequence_over_the_bound_is_refused() -> None:
    office = SecretIdentity.generate()
    out = bundle.OutboundBundle(sequence=2**53, audience="x", created_day="2026-06-15")
    with pytest.raises(MalformedError, match="outside 1"):
        bundle.read_outbound(bundle.write_outbound(out, office), office.public.verify_key)


def test_writers_refuse_what_readers_refuse() -> None:
    ref = payload.AttachmentRef("a.pdf", 1, "x/" + "y" * 300, bytes(32), "blob-0001")
    with pytest.raises(MalformedError, match="media type"):
        payload.encode_payload(payload.Message("t", KEY, (ref,)))
    with pytest.raises(MalformedError, match="lone surrogate"):
        payload.encode_payload(payload.Reply("a\ud800"))
    with pytest.raises(MalformedError, match="at most 100000"):
        payload.encode_payload(payload.OwnCopy("x" * 100_001))


def test_normalising_makes_input_fit() -> None:
    assert payload.normalise_media_type("x/" + "y" * 300) == "application/octet-stream"
    assert payload.normalise_media_type("text/plain\u009b") == "application/octet-stream"
    assert payload.normalise_media_type(None) == "application/octet-stream"
    assert payload.normalise_media_type("text/plain; charset=utf-8") == "text/plain; charset=utf-8"
    long = payload.normalise_name("r" * 400 + ".pdf")
    assert len(long) == 255 and long.endswith("\u2026.pdf")
    assert payload.normalise_name("  ") == "file"
    assert payload.normalise_name("a\ud800b") == "a\ufffdb"
    assert len(payload.fit_text("z" * 200_000)) == payload.MAX_TEXT
    ref = payload.AttachmentRef(long, 1, "text/plain", bytes(32), "blob-0001")
    payload.encode_payload(payload.Message("t", KEY, (ref,)))  # fits now
