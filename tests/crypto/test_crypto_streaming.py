"""Bundles and streams a piece at a time (docs/PROTOCOL.md, "Bundles", "Streaming"): the
same bytes and the same refusals as the whole-bundle functions."""

import os
import random

import pytest

from crypto import bundle, stream
from crypto.errors import MalformedError, SignatureError, TamperedError, TruncatedError
from crypto.keys import SecretIdentity

PORTAL = SecretIdentity.generate()
DAY = "2025-02-01"


def sample() -> bundle.InboundBundle:
    return bundle.InboundBundle(
        DAY,
        3,
        (bundle.InboundThread("thread-00000001", bytes(32), DAY, "received"),),
        (
            bundle.InboundItem(
                "item-00000001",
                "thread-00000001",
                "report",
                DAY,
                b"envelope one",
                (bundle.Blob("blob-00000001", os.urandom(5000)), bundle.Blob("blob-2", b"")),
            ),
            bundle.InboundItem("item-00000002", "thread-00000001", "message", DAY, b"env 2"),
        ),
    )


def signed_head(b: bundle.InboundBundle) -> tuple[bytes, tuple[bundle.BlobInfo, ...]]:
    entries = [
        bundle.InboundEntry(
            i.id,
            i.thread,
            i.kind,
            i.day,
            bundle.blob_info(bundle.envelope_id(i.id), i.envelope),
            tuple(bundle.blob_info(a.id, a.data) for a in i.attachments),
        )
        for i in b.items
    ]
    return bundle.sign_inbound(b.created_day, b.last_outbound_sequence, b.threads, entries, PORTAL)


def test_a_signed_head_and_its_blobs_are_the_bundle_write_inbound_makes() -> None:
    b = sample()
    head, order = signed_head(b)
    blobs = {bundle.envelope_id(i.id): i.envelope for i in b.items}
    blobs.update({a.id: a.data for i in b.items for a in i.attachments})
    assert [info.id for info in order] == [
        "item-00000001.envelope",
        "blob-00000001",
        "blob-2",
        "item-00000002.envelope",
    ]
    streamed = head + b"".join(blobs[info.id] for info in order)
    assert streamed == bundle.write_inbound(b, PORTAL)
    assert bundle.read_inbound(streamed, PORTAL.public.verify_key) == b


def test_the_head_alone_is_verified_and_tells_where_each_blob_lies() -> None:
    b = sample()
    data = bundle.write_inbound(b, PORTAL)
    head = data[: bundle.head_length(data[: bundle.PREFIX])]
    parsed = bundle.read_inbound_head(head, len(data), PORTAL.public.verify_key)
    assert parsed.length == len(data) and parsed.threads == b.threads
    for item, original in zip(parsed.items, b.items, strict=True):
        span = item.envelope
        assert data[span.offset : span.offset + span.size] == original.envelope
        for a, blob in zip(item.attachments, original.attachments, strict=True):
            assert data[a.offset : a.offset + a.size] == blob.data
    for length in (len(data) - 1, len(data) + 1, len(head)):  # cut or extended
        with pytest.raises(MalformedError):
            bundle.read_inbound_head(head, length, PORTAL.public.verify_key)
    with pytest.raises(SignatureError):
        bundle.read_inbound_head(head, len(data), SecretIdentity.generate().public.verify_key)


def test_blob_check_refuses_a_changed_short_or_long_blob() -> None:
    data = bundle.write_inbound(sample(), PORTAL)
    head = data[: bundle.head_length(data[: bundle.PREFIX])]
    span = (
        bundle.read_inbound_head(head, len(data), PORTAL.public.verify_key).items[0].attachments[0]
    )
    blob = data[span.offset : span.offset + span.size]
    check = bundle.BlobCheck(span)
    for piece in (blob[:1], blob[1:4096], blob[4096:]):
        check.update(piece)
    check.finish()
    changed = bundle.BlobCheck(span)
    changed.update(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(SignatureError):
        changed.finish()
    short = bundle.BlobCheck(span)
    short.update(blob[:-1])
    with pytest.raises(MalformedError):
        short.finish()
    with pytest.raises(MalformedError):
        bundle.BlobCheck(span).update(blob + b"\0")


@pytest.mark.parametrize("size", [0, 1, stream.CHUNK - 1, stream.CHUNK, 3 * stream.CHUNK + 5])
def test_a_stream_decrypts_the_same_in_pieces_of_any_length(size: int) -> None:
    key, plain = stream.new_key(), os.urandom(size)
    cipher = b"".join(stream.encrypt_stream(key, [plain]))
    head = len(stream.MAGIC) + stream.HEADER_BYTES
    aligned = [cipher[:head]] + [
        cipher[i : i + stream.STEP] for i in range(head, len(cipher), stream.STEP)
    ]
    rng = random.Random(size)
    cuts = sorted(rng.sample(range(1, len(cipher)), min(20, len(cipher) - 1)))
    ragged = [cipher[a:b] for a, b in zip([0, *cuts], [*cuts, len(cipher)], strict=True)]
    for pieces in ([cipher], aligned, ragged):
        decryptor = stream.StreamDecryptor(key, size)
        out = [decryptor.update(p) for p in pieces]
        assert b"".join(out) + decryptor.finish() == plain
    broken = [aligned[:-1]]  # the last chunk cut off
    if len(aligned) > 2:
        broken.append(aligned[:1] + aligned[2:])  # a chunk left out
    for pieces in broken:
        decryptor = stream.StreamDecryptor(key, size)
        with pytest.raises((TamperedError, TruncatedError)):
            for p in pieces:
                decryptor.update(p)
            decryptor.finish()
