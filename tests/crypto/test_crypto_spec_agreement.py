"""The independent reader in spec_reader.py (written only from docs/PROTOCOL.md) agrees with
crypto/ on freshly produced data, in both directions, including which error a fault raises."""

import base64
import hashlib
import json
from typing import Any

import pytest
import spec_reader as spec
from crypto_testkit import (
    edit,
    flip,
    identity,
    read_casefile,
    small_inbound_bundle,
    vector,
    write_casefile,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import bundle, casefile, envelope, keys, payload, receipt, stream, wrap
from crypto.errors import CryptoError, MalformedError
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


def damaged(data: st.DataObject, good: bytes, fault: str, *, most_appended: int = 0) -> bytes:
    """``good`` with a ``fault`` drawn from ``data``: one bit flipped, cut short, or with 1
    to ``most_appended`` bytes appended."""
    if fault == "flip":
        return flip(good, data.draw(st.integers(0, len(good) * 8 - 1)))
    if fault == "truncate":
        return good[: data.draw(st.integers(0, len(good) - 1))]
    assert fault == "append"
    return good + data.draw(st.binary(min_size=1, max_size=most_appended))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_envelope_faults_raise_the_same_error(data: st.DataObject) -> None:
    r = identity("office")
    pk, sk = r.public.encryption_key, r.encryption_secret
    sealed = envelope.seal(b"kontradiksjon", [pk, identity("committee").public.encryption_key])
    fault = data.draw(st.sampled_from(["flip", "truncate"]))
    bad = damaged(data, sealed, fault)
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
    if fault == "size":
        bad = good
        claimed = data.draw(
            st.sampled_from([s for s in SIZES if padded_size(s) != padded_size(size)])
        )
    else:
        bad = damaged(data, good, fault, most_appended=70_000)
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
    data = bundle.write_inbound(small_inbound_bundle(), portal)
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


# -- Sealed case file ------------------------------------------------------------------------

CASEFILES = vector("casefile")


def _casefile_parties() -> tuple[keys.SecretIdentity, keys.SecretIdentity]:
    return identity("office"), identity("handler")


def _small_casefile(sizes: tuple[int, ...] = (100, 70_000, 0)) -> tuple[bytes, list[bytes]]:
    office, handler = _casefile_parties()
    files = [bytes((i * 13 + j) % 256 for j in range(size)) for i, size in enumerate(sizes)]
    manifest = casefile.Manifest(
        "thread-cccc0003",
        "2026-01-31",
        "Ola «Saksbehandler» Nordmann",
        tuple(
            casefile.ManifestFile(f"fil-{i}.bin", len(f), "application/octet-stream",
                                  stream.new_key())
            for i, f in enumerate(files)
        ),
    )  # fmt: skip
    return write_casefile(manifest, office, handler.public.encryption_key, files), files


def test_casefiles_agree_both_ways() -> None:
    office, handler = _casefile_parties()
    pk, sk = handler.public.encryption_key, handler.encryption_secret
    data, files = _small_casefile()
    fp, manifest, opened = spec.read_casefile(data, pk, sk)
    header, ours = read_casefile(data, handler)
    assert fp == office.public.fingerprint == header.signer.fingerprint
    assert opened == ours == files
    assert manifest["handler"] == header.manifest.handler
    assert [f["key"] for f in manifest["files"]] == [f.key for f in header.manifest.files]
    # The spec's writer, given crypto/'s manifest bytes, writes what crypto/ reads.
    theirs = spec.write_casefile(
        office.encryption_secret,
        office.signing_seed,
        pk,
        casefile.encode_manifest(header.manifest),
        [(f.key, file) for f, file in zip(header.manifest.files, files, strict=True)],
    )
    assert len(theirs) == len(data)
    again, again_files = read_casefile(theirs, handler)
    assert again.manifest == header.manifest and again_files == files
    assert [s.length for s in header.streams] == [
        spec.stream_length(len(f)) for f in files
    ]


@pytest.mark.parametrize("case", CASEFILES["cases"], ids=lambda c: c["name"])
def test_spec_reader_opens_the_casefile_vectors(case: dict[str, Any]) -> None:
    handler = CASEFILES["identities"]["handler"]
    fp, manifest, files = spec.read_casefile(
        base64.b64decode(case["casefile"]),
        bytes.fromhex(handler["encryption_key"]),
        bytes.fromhex(handler["encryption_secret"]),
    )
    assert fp == CASEFILES["identities"]["office"]["fingerprint"]
    assert manifest["handler"] == case["handler"]
    assert [hashlib.blake2b(f, digest_size=32).hexdigest() for f in files] == case[
        "plaintext_blake2b"
    ]


@pytest.mark.parametrize("case", CASEFILES["refused"], ids=lambda c: c["name"])
def test_spec_reader_refuses_the_casefile_vectors(case: dict[str, Any]) -> None:
    reader = CASEFILES["identities"][case["reader"]]
    with pytest.raises(spec.SpecError) as refused:
        spec.read_casefile(
            edit(base64.b64decode(CASEFILES["cases"][0]["casefile"]), case["edit"]),
            bytes.fromhex(reader["encryption_key"]),
            bytes.fromhex(reader["encryption_secret"]),
        )
    assert refused.value.kind == case["error"]


@pytest.mark.parametrize("case", CASEFILES["manifests"], ids=lambda c: c["name"])
def test_casefile_manifests_agree(case: dict[str, Any]) -> None:
    data = case["manifest"].encode("utf-8")
    if "error" in case:
        with pytest.raises(spec.SpecError) as refused:
            spec.casefile_manifest(data)
        assert refused.value.kind == case["error"]
    else:
        manifest = spec.casefile_manifest(data)
        ours = casefile.decode_manifest(data)
        assert [f["key"] for f in manifest["files"]] == [f.key for f in ours.files]
        assert spec.canonical_json(json.loads(data), ascii_only=False) == data


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_casefile_faults_raise_the_same_error(data: st.DataObject) -> None:
    _, handler = _casefile_parties()
    good, _ = _small_casefile((10, 2000))
    fault = data.draw(st.sampled_from(["flip", "truncate", "append", "reader"]))
    reader = handler
    if fault == "reader":
        bad, reader = good, identity("committee")
    else:
        bad = damaged(data, good, fault, most_appended=3000)
    with pytest.raises(CryptoError) as ours:
        read_casefile(bad, reader)
    with pytest.raises(spec.SpecError) as theirs:
        spec.read_casefile(bad, reader.public.encryption_key, reader.encryption_secret)
    assert theirs.value.kind == type(ours.value).__name__


@pytest.mark.parametrize("case", CASEFILES["manifests"], ids=lambda c: c["name"])
def test_signed_hostile_manifests_raise_the_same_error(case: dict[str, Any]) -> None:
    """Every vector manifest sealed and signed by the office, with no streams after it: a
    refused manifest fails step 6, an accepted one step 7 (the streams are missing)."""
    office, handler = _casefile_parties()
    pk = handler.public.encryption_key
    data = spec.write_casefile(
        office.encryption_secret, office.signing_seed, pk, case["manifest"].encode(), []
    )
    with pytest.raises(CryptoError) as ours:
        read_casefile(data, handler)
    with pytest.raises(spec.SpecError) as theirs:
        spec.read_casefile(data, pk, handler.encryption_secret)
    assert theirs.value.kind == type(ours.value).__name__ == case.get("error", "TruncatedError")


def test_a_blob_id_with_a_lone_surrogate_is_refused_by_both() -> None:
    portal = identity("portal")
    blob = spec.blob_entry("x", b"data")
    manifest = spec.canonical_json(
        {"blobs": [blob], "direction": "inbound", "format": "varsel-bundle/v1"}, ascii_only=True
    ).replace(b'"id":"x"', b'"id":"x\\ud800"')
    data = spec.write_bundle(manifest, [b"data"], portal.signing_seed)
    with pytest.raises(MalformedError, match="lone surrogate"):
        bundle.read_inbound(data, portal.public.verify_key)
    with pytest.raises(spec.SpecError) as theirs:
        spec.read_bundle(data, portal.public.verify_key, "inbound")
    assert theirs.value.kind == "MalformedError"
