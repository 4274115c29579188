"""The independent reader in spec_reader.py (written only from docs/PROTOCOL.md) agrees with
crypto/ on freshly produced data, in both directions, including which error a fault raises."""

import json

import pytest
import spec_reader as spec
from crypto_testkit import flip, identity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import bundle, envelope, keys, payload, receipt, stream, wrap
from crypto.errors import CryptoError
from crypto.padding import padded_size
from crypto.wordlist import WORDS

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(st.integers(min_value=0, max_value=1 << 34))
def test_padding_agrees(length: int) -> None:
    assert spec.padded_size(length) == padded_size(length)


def test_key_files_and_fingerprints_agree() -> None:
    ident = keys.SecretIdentity.generate()
    pub = ident.public
    assert spec.public_from_secret(ident.encryption_secret, ident.signing_seed) == (
        pub.encryption_key,
        pub.verify_key,
    )
    assert spec.write_public_file(pub.encryption_key, pub.verify_key) == pub.to_text()
    assert spec.read_public_file(pub.to_text()) == (pub.encryption_key, pub.verify_key)
    assert spec.fingerprint(pub.encryption_key + pub.verify_key) == pub.fingerprint
    assert spec.fingerprint(pub.verify_key) == bundle.signer_fingerprint(pub.verify_key)
    locked = keys.lock_identity(ident, "passord æøå", opslimit=2, memlimit=64 << 20)
    assert spec.unlock_secret_file(locked, "passord æøå") == (
        ident.encryption_secret,
        ident.signing_seed,
    )


@FAST
@given(payload=st.binary(max_size=5000), count=st.integers(min_value=1, max_value=16))
def test_envelopes_agree_both_ways(payload: bytes, count: int) -> None:
    recipients = [identity(f"r{i}") for i in range(count)]
    pks = [r.public.encryption_key for r in recipients]
    last = recipients[-1]
    sealed = envelope.seal(payload, pks)
    assert spec.open_envelope(sealed, pks[-1], last.encryption_secret) == payload
    by_spec = spec.seal_envelope(payload, pks)
    assert len(by_spec) == len(sealed)
    assert envelope.open_envelope(by_spec, pks[0], recipients[0].encryption_secret) == payload


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_envelope_faults_raise_the_same_error(data: st.DataObject) -> None:
    r = identity("office")
    pk, sk = r.public.encryption_key, r.encryption_secret
    sealed = envelope.seal(b"kontradiksjon", [pk, identity("committee").public.encryption_key])
    fault = data.draw(st.sampled_from(["flip", "truncate"]))
    if fault == "flip":
        bad = flip(sealed, data.draw(st.integers(0, len(sealed) * 8 - 1)))
    else:
        bad = sealed[: data.draw(st.integers(0, len(sealed) - 1))]
    with pytest.raises(CryptoError) as ours:
        envelope.open_envelope(bad, pk, sk)
    with pytest.raises(spec.SpecError) as theirs:
        spec.open_envelope(bad, pk, sk)
    assert theirs.value.kind == type(ours.value).__name__


SIZES = [0, 1, 1023, 1024, 1025, 65535, 65536, 65537, 131072, 131073, 200_000]


@pytest.mark.parametrize("size", SIZES)
def test_streams_agree_both_ways(size: int) -> None:
    key = stream.new_key()
    file = bytes((i * 7) % 256 for i in range(size))
    ours = b"".join(stream.encrypt_stream(key, [file]))
    assert spec.decrypt_stream(key, size, ours) == file
    theirs = spec.encrypt_stream(key, file)
    assert len(theirs) == len(ours) == stream.encrypted_size(size)
    assert b"".join(stream.decrypt_stream(key, size, [theirs])) == file


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_stream_faults_raise_the_same_error(data: st.DataObject) -> None:
    key = stream.new_key()
    size = data.draw(st.sampled_from([0, 10, 70_000]))
    good = spec.encrypt_stream(key, bytes(range(256)) * (size // 256) + bytes(size % 256))
    fault = data.draw(st.sampled_from(["flip", "truncate", "append", "size"]))
    claimed = size
    if fault == "flip":
        bad = flip(good, data.draw(st.integers(0, len(good) * 8 - 1)))
    elif fault == "truncate":
        bad = good[: data.draw(st.integers(0, len(good) - 1))]
    elif fault == "append":
        bad = good + data.draw(st.binary(min_size=1, max_size=70_000))
    else:
        bad = good
        claimed = data.draw(
            st.sampled_from([s for s in SIZES if padded_size(s) != padded_size(size)])
        )
    with pytest.raises(CryptoError) as ours:
        b"".join(stream.decrypt_stream(key, claimed, [bad]))
    with pytest.raises(spec.SpecError) as theirs:
        spec.decrypt_stream(key, claimed, bad)
    assert theirs.value.kind == type(ours.value).__name__


def test_receipt_derivation_agrees_on_fresh_receipts() -> None:
    pepper = bytes(range(32))
    for _ in range(2):
        text = receipt.generate_receipt()
        salt = stream.new_key()[:16]
        ours = receipt.derive_receipt_keys(text.upper().replace(" ", "-"), salt)
        theirs = spec.derive_receipt(text, salt)
        assert theirs["login_key"] == ours.login_key
        assert theirs["pk"] == ours.reporter_public_key
        assert theirs["sk"] == ours.reporter_secret_key
        assert spec.login_hash(ours.login_key, pepper) == receipt.login_hash(ours.login_key, pepper)


@given(st.lists(st.sampled_from(WORDS), min_size=0, max_size=10), st.text(max_size=3))
def test_receipt_normalisation_agrees(words: list[str], glue: str) -> None:
    typed = (glue or " ").join(words)
    try:
        ours: str | Exception = receipt.normalise_receipt(typed)
    except CryptoError as exc:
        ours = exc
    try:
        theirs: str | Exception = spec.normalise_receipt(typed)
    except spec.SpecError as exc:
        theirs = exc
    if isinstance(ours, str):
        assert theirs == ours
    else:
        assert isinstance(theirs, spec.SpecError) and theirs.kind == type(ours).__name__


@given(st.binary(max_size=200))
def test_wrap_agrees(plaintext: bytes) -> None:
    key = wrap.new_key()
    assert spec.unwrap(key, wrap.wrap(key, plaintext)) == plaintext


def test_payload_canonical_form_agrees() -> None:
    for p in (
        payload.Reply("Svar: «æøå» \u2028 \x7f \x01 😀"),
        payload.OwnCopy("t", ("a", "b")),
        payload.Report({"what_happened": "x", "involved_roles": ["ansatt"]}, bytes(32)),
    ):
        data = payload.encode_payload(p)
        assert spec.canonical_json(json.loads(data), ascii_only=False) == data


def test_bundles_agree() -> None:
    portal, office = identity("portal"), identity("office")
    inbound = bundle.InboundBundle(
        "2025-01-02",
        3,
        (bundle.InboundThread("thread-0000001", bytes(32), "2025-01-01", "received"),),
        (
            bundle.InboundItem(
                "item-00000001",
                "thread-0000001",
                "report",
                "2025-01-02",
                b"env",
                (bundle.Blob("blob-00000001", b"stream"),),
            ),
        ),
    )
    data = bundle.write_inbound(inbound, portal)
    manifest, blobs = spec.read_bundle(data, portal.public.verify_key, "inbound")
    assert manifest["last_outbound_sequence"] == 3
    assert blobs == {"item-00000001.envelope": b"env", "blob-00000001": b"stream"}
    # The spec's writer, given crypto/'s manifest bytes and blobs, writes identical bytes.
    mlen = int.from_bytes(data[40:44], "big")
    again = spec.write_bundle(data[44 : 44 + mlen], [b"env", b"stream"], portal.signing_seed)
    assert again == data
    full = json.loads(data[44 : 44 + mlen])
    assert spec.canonical_json(full, ascii_only=True) == data[44 : 44 + mlen]

    outbound = bundle.OutboundBundle(
        5, bundle.signer_fingerprint(portal.public.verify_key), "2025-01-03", ("item-00000001",)
    )
    data = bundle.write_outbound(outbound, office)
    manifest, blobs = spec.read_bundle(data, office.public.verify_key, "outbound")
    assert manifest["sequence"] == 5 and blobs == {}
    with pytest.raises(spec.SpecError):
        spec.read_bundle(data, portal.public.verify_key, "outbound")
