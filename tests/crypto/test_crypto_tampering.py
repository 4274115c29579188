"""Every change to an envelope, stream or bundle is refused, with a CryptoError subclass."""

import json
from typing import Any

import pytest
import spec_reader
from crypto_testkit import flip, identity, small_inbound_bundle

from crypto import bundle, envelope, payload, stream
from crypto.errors import (
    CryptoError,
    MalformedError,
    NotARecipientError,
    SignatureError,
    TamperedError,
    TooLargeError,
    TruncatedError,
)

OFFICE, COMMITTEE, OUTSIDER = identity("office"), identity("committee"), identity("outsider")
PORTAL = identity("portal")


def open_as(data: bytes, who: Any) -> bytes:
    return envelope.open_envelope(data, who.public.encryption_key, who.encryption_secret)


# -- envelopes -------------------------------------------------------------------------------


def test_every_bit_flip_of_an_envelope_is_refused() -> None:
    sealed = envelope.seal(b"hemmelig", [OFFICE.public.encryption_key])
    assert len(sealed) == 29 + 80 + 1024 + 16
    for bit in range(len(sealed) * 8):
        with pytest.raises(CryptoError):
            open_as(flip(sealed, bit), OFFICE)


def test_every_truncation_of_an_envelope_is_refused() -> None:
    sealed = envelope.seal(b"hemmelig", [OFFICE.public.encryption_key])
    for length in range(len(sealed)):
        with pytest.raises(CryptoError):
            open_as(sealed[:length], OFFICE)
    with pytest.raises(TamperedError):
        open_as(sealed + b"\0", OFFICE)


def test_a_changed_stanza_is_noticed_by_the_other_recipient_too() -> None:
    """The header is the AEAD's associated data: office's stanza flips break committee too."""
    sealed = envelope.seal(
        b"til begge", [OFFICE.public.encryption_key, COMMITTEE.public.encryption_key]
    )
    assert open_as(sealed, OFFICE) == open_as(sealed, COMMITTEE) == b"til begge"
    stanzas = range(5 * 8, (5 + 160) * 8)
    for bit in stanzas:
        bad = flip(sealed, bit)
        with pytest.raises(CryptoError):
            open_as(bad, OFFICE)
        with pytest.raises(CryptoError):
            open_as(bad, COMMITTEE)
    # Dropping or swapping a recipient is noticed as well.
    swapped = sealed[:5] + sealed[85:165] + sealed[5:85] + sealed[165:]
    with pytest.raises(TamperedError):
        open_as(swapped, OFFICE)
    dropped = sealed[:4] + b"\x01" + sealed[5:85] + sealed[165:]
    with pytest.raises(TamperedError):
        open_as(dropped, OFFICE)


def test_wrong_recipient_is_refused() -> None:
    sealed = envelope.seal(b"x", [OFFICE.public.encryption_key])
    with pytest.raises(NotARecipientError):
        open_as(sealed, OUTSIDER)


@pytest.mark.parametrize(
    "data",
    [b"", b"VSE", b"VSE2" + bytes(200), b"VSE1\x00" + bytes(2000), b"VSE1\x11" + bytes(2000)],
)
def test_malformed_envelopes_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedError):
        open_as(data, OFFICE)


# -- streams ---------------------------------------------------------------------------------


def encrypt(key: bytes, file: bytes) -> bytes:
    return b"".join(stream.encrypt_stream(key, [file]))


def decrypt(key: bytes, size: int, data: bytes) -> bytes:
    return b"".join(stream.decrypt_stream(key, size, [data]))


def test_every_bit_flip_of_a_single_chunk_stream_is_refused() -> None:
    key = stream.new_key()
    data = encrypt(key, b"bevis")
    assert len(data) == 4 + 24 + 1024 + 17
    for bit in range(len(data) * 8):
        with pytest.raises(CryptoError):
            decrypt(key, 5, flip(data, bit))


SIZE = 150_000  # padded to 262 144: four chunks (bucket sizes below 1 MiB are powers of two)
PIECE = stream.CHUNK + stream.OVERHEAD


@pytest.fixture(scope="module")
def multi() -> tuple[bytes, bytes, list[bytes]]:
    key = stream.new_key()
    data = encrypt(key, bytes(i % 256 for i in range(SIZE)))
    body = data[28:]
    chunks = [body[i : i + PIECE] for i in range(0, len(body), PIECE)]
    assert len(chunks) == 4 and all(len(c) == PIECE for c in chunks)
    return key, data, chunks


def test_a_bit_flip_in_every_64_byte_window_of_a_multi_chunk_stream_is_refused(
    multi: tuple[bytes, bytes, list[bytes]],
) -> None:
    key, data, _ = multi
    for window in range(0, len(data), 64):
        bit = window * 8 + (window * 37) % min(512, (len(data) - window) * 8)
        with pytest.raises(CryptoError):
            decrypt(key, SIZE, flip(data, bit))


def test_reordered_cut_or_extended_streams_are_refused(
    multi: tuple[bytes, bytes, list[bytes]],
) -> None:
    key, data, chunks = multi
    head = data[:28]
    assert decrypt(key, SIZE, data) == bytes(i % 256 for i in range(SIZE))
    cases = {
        "drop final": (head + b"".join(chunks[:-1]), TruncatedError),
        "drop middle": (head + chunks[0] + b"".join(chunks[2:]), TamperedError),
        "swap": (head + chunks[1] + chunks[0] + b"".join(chunks[2:]), TamperedError),
        "repeat a chunk": (head + chunks[0] + b"".join(chunks), TamperedError),
        "append a byte": (data + b"\0", TamperedError),
        "append a chunk": (data + chunks[0], TamperedError),
        "only the header": (head, TruncatedError),
        "nothing": (b"", TruncatedError),
        "wrong magic": (b"VSS2" + data[4:], MalformedError),
    }
    for name, (bad, error) in cases.items():
        with pytest.raises(error):
            decrypt(key, SIZE, bad)
        with pytest.raises(spec_reader.SpecError):
            spec_reader.decrypt_stream(key, SIZE, bad)
        assert name


def test_every_chunk_boundary_and_some_inner_truncations_are_refused(
    multi: tuple[bytes, bytes, list[bytes]],
) -> None:
    key, data, _ = multi
    boundaries = [28 + i * PIECE for i in range(4)]
    inside = [1, 5, 27, 29, 28 + 16, 28 + 17, 28 + PIECE // 2, len(data) - 1, len(data) - 17]
    for length in boundaries + inside:
        with pytest.raises(CryptoError):
            decrypt(key, SIZE, data[:length])


def test_wrong_key_and_wrong_size_are_refused(multi: tuple[bytes, bytes, list[bytes]]) -> None:
    key, data, _ = multi
    with pytest.raises(TamperedError):
        decrypt(stream.new_key(), SIZE, data)
    for size in (0, 1024, 131_072, 262_145, 10**7):  # another bucket
        with pytest.raises(TamperedError):
            decrypt(key, size, data)
    with pytest.raises(TamperedError):  # same bucket, but the "padding" is not zero
        decrypt(key, SIZE - 1, data)


def test_stream_size_is_not_bound_inside_its_bucket() -> None:
    """Documented (PROTOCOL.md, Attachment stream): the envelope authenticates the size; a
    larger claimed size within the same bucket reads the zero padding as file content."""
    key = stream.new_key()
    data = encrypt(key, b"abc")
    assert decrypt(key, 10, data) == b"abc" + bytes(7)


# -- bundles ---------------------------------------------------------------------------------


def small_inbound() -> bytes:
    return bundle.write_inbound(small_inbound_bundle(), PORTAL)


def read(data: bytes) -> bundle.InboundBundle:
    return bundle.read_inbound(data, PORTAL.public.verify_key)


def test_every_bit_flip_of_a_signed_bundle_is_refused() -> None:
    data = small_inbound()
    read(data)
    for bit in range(len(data) * 8):
        with pytest.raises(CryptoError):
            read(flip(data, bit))


def test_truncated_or_extended_bundles_are_refused() -> None:
    data = small_inbound()
    for length in range(len(data)):
        with pytest.raises(CryptoError):
            read(data[:length])
    with pytest.raises(MalformedError):
        read(data + b"x")


def test_a_bundle_signed_by_another_key_is_refused() -> None:
    b = bundle.InboundBundle("2025-02-01", 0, (), ())
    with pytest.raises(SignatureError):
        read(bundle.write_inbound(b, OUTSIDER))
    # Claiming the pinned key in the prefix does not help: the signature does not verify.
    forged = bundle.write_inbound(b, OUTSIDER)
    forged = forged[:8] + PORTAL.public.verify_key + forged[40:]
    with pytest.raises(SignatureError):
        read(forged)


@pytest.mark.parametrize(
    "data",
    [b"", b"VSBUNDL1", b"garbage" * 20, b"VSBUNDL2" + bytes(200), b"VSBUNDL1" + bytes(100)],
)
def test_garbage_and_unsigned_bundles_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedError):
        read(data)


def test_an_oversized_manifest_length_is_refused() -> None:
    data = small_inbound()
    for mlen in (0, 1, 16 * 1024 * 1024 + 1, 2**32 - 1):
        bad = data[:40] + mlen.to_bytes(4, "big") + data[44:]
        with pytest.raises(MalformedError):
            read(bad)
    with pytest.raises(MalformedError):  # in range, but longer than the bundle
        read(data[:40] + (len(data)).to_bytes(4, "big") + data[44:])


def test_bundles_over_4_gib_are_refused_before_anything_else() -> None:
    class Huge(bytes):
        def __len__(self) -> int:
            return 4 * 1024**3 + 1

    with pytest.raises(TooLargeError):
        read(Huge(small_inbound()))


# Hand-built bundles with a valid signature over hostile manifests.


def signed(manifest: dict[str, Any], blobs: list[tuple[str, bytes]], direction: str) -> bytes:
    body = {
        "format": "varsel-bundle/v1",
        "direction": direction,
        **manifest,
        "blobs": [spec_reader.blob_entry(i, d) for i, d in blobs],
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return spec_reader.write_bundle(text, [d for _, d in blobs], PORTAL.signing_seed)


THREAD = {
    "id": "thread-00000001",
    "reporter_public_key": "A" * 43 + "=",
    "created_day": "2025-02-01",
    "status": "received",
}


def item(
    item_id: str,
    envelope_blob: str,
    attachments: list[str] | None = None,
    thread: object = "thread-00000001",
) -> dict[str, Any]:
    return {
        "id": item_id,
        "thread": thread,
        "kind": "report",
        "day": "2025-02-01",
        "envelope": envelope_blob,
        "attachments": attachments or [],
    }


def inbound(threads: list[Any], items: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "created_day": "2025-02-01",
        "last_outbound_sequence": 0,
        "threads": threads,
        "items": items,
        **extra,
    }


def test_hand_signed_valid_manifest_is_accepted() -> None:
    data = signed(inbound([THREAD], [item("item-00000001", "e1")]), [("e1", b"x")], "inbound")
    assert read(data).items[0].envelope == b"x"


HOSTILE = {
    "duplicate thread ids": (inbound([THREAD, THREAD], []), []),
    "duplicate item ids": (
        inbound([THREAD], [item("item-00000001", "e1"), item("item-00000001", "e2")]),
        [("e1", b"1"), ("e2", b"2")],
    ),
    "duplicate blob ids": (
        inbound([THREAD], [item("item-00000001", "e1")]),
        [("e1", b"1"), ("e1", b"1")],
    ),
    "dangling envelope ref": (inbound([THREAD], [item("item-00000001", "nope")]), [("e1", b"1")]),
    "dangling attachment ref": (
        inbound([THREAD], [item("item-00000001", "e1", ["nope"])]),
        [("e1", b"1")],
    ),
    "blob referred twice": (
        inbound([THREAD], [item("item-00000001", "e1"), item("item-00000002", "e1")]),
        [("e1", b"1")],
    ),
    "unreferenced blob": (inbound([THREAD], []), [("e1", b"1")]),
    "unknown thread": (inbound([], [item("item-00000001", "e1")]), [("e1", b"1")]),
    "unhashable thread": (
        inbound([THREAD], [item("item-00000001", "e1", thread=[1])]),
        [("e1", b"1")],
    ),
    "extra field": (inbound([THREAD], [], extra=1), []),
    "missing field": ({"created_day": "2025-02-01", "threads": [], "items": []}, []),
    "bad day": (inbound([THREAD], [], created_day="2025-02-30"), []),
    "time in day": (inbound([THREAD], [], created_day="2025-02-01T10:00"), []),
    "negative sequence": (inbound([THREAD], [], last_outbound_sequence=-1), []),
    "boolean sequence": (inbound([THREAD], [], last_outbound_sequence=True), []),
    "bad status": (inbound([{**THREAD, "status": "deleted"}], []), []),
    "bad key": (inbound([{**THREAD, "reporter_public_key": "AAAA"}], []), []),
    "bad id": (inbound([{**THREAD, "id": "short"}], []), []),
    "bad kind": (
        inbound([THREAD], [{**item("item-00000001", "e1"), "kind": "reply"}]),
        [("e1", b"1")],
    ),
    "items not a list": (inbound([THREAD], {}), []),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_signed_manifests_are_refused(name: str) -> None:
    manifest, blobs = HOSTILE[name]
    with pytest.raises(MalformedError):
        read(signed(manifest, blobs, "inbound"))


def test_signed_blob_digest_mismatch_and_wrong_direction_are_refused() -> None:
    good = signed(inbound([THREAD], [item("item-00000001", "e1")]), [("e1", b"x")], "inbound")
    with pytest.raises(SignatureError):
        read(good[:-1] + b"y")
    with pytest.raises(MalformedError):
        read(signed(inbound([THREAD], []), [], "outbound"))


@pytest.mark.parametrize(
    "text",
    [b"[]", b"{", b"\xff", b'{"format":"varsel-bundle/v1","format":"x"}', b"NaN"],
)
def test_signed_non_json_or_ambiguous_manifests_are_refused(text: bytes) -> None:
    with pytest.raises(MalformedError):
        read(spec_reader.write_bundle(text, [], PORTAL.signing_seed))


def test_hostile_outbound_manifests_are_refused() -> None:
    office = OFFICE
    base = {
        "created_day": "2025-02-01",
        "sequence": 1,
        "audience": "X",
        "acks": [],
        "replies": [],
        "statuses": [],
    }

    def read_out(manifest: dict[str, Any], blobs: list[tuple[str, bytes]]) -> None:
        body = {
            "format": "varsel-bundle/v1",
            "direction": "outbound",
            **manifest,
            "blobs": [spec_reader.blob_entry(i, d) for i, d in blobs],
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        data = spec_reader.write_bundle(text, [d for _, d in blobs], office.signing_seed)
        bundle.read_outbound(data, office.public.verify_key)

    read_out(base, [])
    reply = {
        "id": "reply-00000001",
        "thread": "thread-00000001",
        "day": "2025-02-01",
        "envelope": "r1",
    }
    for manifest, blobs in [
        ({**base, "sequence": 0}, []),
        ({**base, "acks": ["item-00000001", "item-00000001"]}, []),
        ({**base, "replies": [reply, reply]}, [("r1", b"1")]),
        ({**base, "replies": [reply]}, []),
        ({**base, "replies": [{**reply, "extra": 1}]}, [("r1", b"1")]),
        ({**base, "statuses": [{"thread": "thread-00000001", "status": "gone"}]}, []),
        ({**base, "audience": 5}, []),
    ]:
        with pytest.raises(MalformedError):
            read_out(manifest, blobs)


@pytest.mark.parametrize(
    "text",
    [b"[" * 100_000, b'{"v":' + b"1" * 5000 + b"}", b'{"v":1,"v":1}', b"\xc3\x28", b"Infinity"],
)
def test_payload_parser_refuses_hostile_json_with_malformed_error(text: bytes) -> None:
    with pytest.raises(MalformedError):
        payload.decode_payload(text)


def test_a_bundle_over_4_gib_is_refused_when_written(monkeypatch) -> None:
    """Writers refuse what readers refuse (the limit is lowered so the test stays small)."""
    import pytest

    from crypto import bundle as bundles
    from crypto.errors import TooLargeError
    from crypto.keys import SecretIdentity

    monkeypatch.setattr(bundles, "MAX_BUNDLE", 10_000)
    outbound = bundles.OutboundBundle(
        sequence=1,
        audience="x",
        created_day="2026-11-23",
        replies=(bundles.OutboundReply("r" * 22, "t" * 22, "2026-11-23", bytes(20_000)),),
    )
    with pytest.raises(TooLargeError):
        bundles.write_outbound(outbound, SecretIdentity.generate())
