"""tests/vectors/*.json in both directions: crypto/ reads every vector, and where the format
is deterministic crypto/ writes the same bytes again."""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from crypto_testkit import edit, read_casefile, vector

from crypto import bundle, casefile, envelope, keys, payload, receipt, stream, wrap
from crypto.errors import (
    CryptoError,
    MalformedError,
    NotARecipientError,
    ReceiptFormatError,
    WrongPassphraseError,
)
from crypto.padding import padded_size
from inbox import sealed_casefile

ENVELOPES = vector("envelope")
STREAMS = vector("stream")
RECEIPTS = vector("receipt")
KEYS = vector("keys")
BUNDLES = vector("bundle")
PAYLOADS = vector("payload")


def pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def test_padding_vectors() -> None:
    for case in vector("padding")["cases"]:
        assert padded_size(case["length"]) == case["padded"], case


@pytest.mark.parametrize("case", KEYS["identities"], ids=lambda c: c["label"])
def test_identity_vectors(case: dict[str, str]) -> None:
    ident = keys.SecretIdentity(
        bytes.fromhex(case["encryption_secret"]), bytes.fromhex(case["signing_seed"])
    )
    pub = ident.public
    assert pub.encryption_key.hex() == case["encryption_key"]
    assert pub.verify_key.hex() == case["verify_key"]
    assert pub.to_text() == case["public_text"]
    assert pub.fingerprint == case["fingerprint"]
    assert bundle.signer_fingerprint(pub.verify_key) == case["verify_key_fingerprint"]
    assert keys.PublicIdentity.from_text(case["public_text"]) == pub


def test_locked_secret_key_vector() -> None:
    case = KEYS["locked"][0]
    ident = keys.unlock_identity(case["secret_text"], case["passphrase"])
    assert ident.encryption_secret.hex() == case["encryption_secret"]
    assert ident.signing_seed.hex() == case["signing_seed"]
    assert "ops=2 mem=67108864" in case["secret_text"]
    with pytest.raises(WrongPassphraseError):
        keys.unlock_identity(case["secret_text"], KEYS["wrong_passphrase"])


@pytest.mark.parametrize("case", ENVELOPES["cases"], ids=lambda c: c["name"])
def test_envelope_vectors(case: dict[str, Any]) -> None:
    data = base64.b64decode(str(case["envelope"]))
    assert len(data) == case["length"]
    assert envelope.recipient_count(data) == len(case["recipient_secret_keys"])
    for sk_hex, pk_hex in zip(
        case["recipient_secret_keys"], case["recipient_public_keys"], strict=True
    ):
        sk, pk = bytes.fromhex(sk_hex), bytes.fromhex(pk_hex)
        assert keys.SecretIdentity(sk, bytes(32)).public.encryption_key == pk
        assert envelope.open_envelope(data, pk, sk).hex() == case["payload"]
    outsider = keys.SecretIdentity(bytes.fromhex(ENVELOPES["outsider_secret_key"]), bytes(32))
    with pytest.raises(NotARecipientError):
        envelope.open_envelope(data, outsider.public.encryption_key, outsider.encryption_secret)


@pytest.mark.parametrize("case", STREAMS["cases"], ids=lambda c: c["name"])
def test_stream_vectors(case: dict[str, Any]) -> None:
    key, size = bytes.fromhex(str(case["key"])), int(case["size"])
    data = base64.b64decode(str(case["ciphertext"]))
    assert len(data) == stream.encrypted_size(size)
    plain = b"".join(stream.decrypt_stream(key, size, [data]))
    assert plain == pattern(size)
    assert hashlib.blake2b(plain, digest_size=32).hexdigest() == case["plaintext_blake2b"]
    # Write direction: fresh randomness, so compare shape and round trip.
    fresh = b"".join(stream.encrypt_stream(key, [pattern(size)]))
    assert len(fresh) == len(data)
    assert b"".join(stream.decrypt_stream(key, size, [fresh])) == plain


def test_stream_vectors_include_two_chunks() -> None:
    assert any(c["chunks"] == 2 for c in STREAMS["cases"])


@pytest.mark.parametrize("case", RECEIPTS["cases"], ids=lambda c: c["receipt"][:12])
def test_receipt_vectors(case: dict[str, str]) -> None:
    derived = receipt.derive_receipt_keys(case["receipt"], bytes.fromhex(case["salt"]))
    assert derived.login_key.hex() == case["login_key"]
    assert derived.reporter_public_key.hex() == case["reporter_public_key"]
    assert derived.reporter_secret_key.hex() == case["reporter_secret_key"]
    pepper = bytes.fromhex(case["pepper"])
    assert receipt.login_hash(derived.login_key, pepper).hex() == case["login_hash"]


def test_receipt_normalisation_vectors() -> None:
    for case in RECEIPTS["normalise"]:
        assert receipt.normalise_receipt(case["typed"]) == case["canonical"], case["typed"]
    for typed in RECEIPTS["rejected"]:
        with pytest.raises(ReceiptFormatError):
            receipt.normalise_receipt(typed)


def test_wrap_vectors() -> None:
    for case in vector("wrap")["cases"]:
        key = bytes.fromhex(case["key"])
        assert wrap.unwrap(key, bytes.fromhex(case["wrapped"])).hex() == case["plaintext"]


@pytest.mark.parametrize("case", PAYLOADS["cases"], ids=lambda c: c["name"])
def test_payload_vectors(case: dict[str, str]) -> None:
    data = case["bytes"].encode("utf-8")
    decoded = payload.decode_payload(data)
    assert payload.encode_payload(decoded) == data


def test_payload_vectors_cover_every_type() -> None:
    types = {json.loads(c["bytes"])["type"] for c in PAYLOADS["cases"]}
    assert types == {"report", "message", "reply", "own_copy"}


@pytest.mark.parametrize("text", PAYLOADS["rejected"])
def test_rejected_payload_vectors(text: str) -> None:
    with pytest.raises(MalformedError):
        payload.decode_payload(text.encode("utf-8"))


def _inbound_from_vector(parsed: dict[str, Any]) -> bundle.InboundBundle:
    return bundle.InboundBundle(
        created_day=parsed["created_day"],
        last_outbound_sequence=parsed["last_outbound_sequence"],
        threads=tuple(
            bundle.InboundThread(
                t["id"], bytes.fromhex(t["reporter_public_key"]), t["created_day"], t["status"]
            )
            for t in parsed["threads"]
        ),
        items=tuple(
            bundle.InboundItem(
                i["id"],
                i["thread"],
                i["kind"],
                i["day"],
                i["envelope"].encode(),
                tuple(bundle.Blob(a["id"], a["data"].encode()) for a in i["attachments"]),
            )
            for i in parsed["items"]
        ),
        portal=bundle.PortalParameters(
            bytes.fromhex(parsed["portal"]["encryption_key"]),
            bytes.fromhex(parsed["portal"]["receipt_salt"]),
        ),
    )


def _outbound_from_vector(parsed: dict[str, Any]) -> bundle.OutboundBundle:
    return bundle.OutboundBundle(
        sequence=parsed["sequence"],
        audience=parsed["audience"],
        created_day=parsed["created_day"],
        acks=tuple(parsed["acks"]),
        replies=tuple(
            bundle.OutboundReply(r["id"], r["thread"], r["day"], r["envelope"].encode())
            for r in parsed["replies"]
        ),
        statuses=tuple(bundle.StatusChange(s["thread"], s["status"]) for s in parsed["statuses"]),
        reply_by=tuple(parsed["reply_by"]),
        open_threads=tuple(
            bundle.OpenThread(
                t["id"],
                t["status"],
                bytes.fromhex(t["reporter_public_key"]),
                t["sealed_login_key"].encode(),
                t["own_copy"].encode(),
            )
            for t in parsed["open_threads"]
        ),
    )


def test_sealed_login_key_vector_opens_with_the_portal_key_only() -> None:
    for case in BUNDLES["sealed_login_key"]:
        sealed = base64.b64decode(case["sealed_login_key"])
        pair = (
            bytes.fromhex(case["portal_encryption_key"]),
            bytes.fromhex(case["portal_encryption_secret"]),
        )
        assert receipt.open_login_key(sealed, *pair) == bytes.fromhex(case["login_key"])
        assert len(sealed) == receipt.SEALED_LOGIN_KEY_BYTES


@pytest.mark.parametrize(
    ("direction", "from_vector", "read", "write"),
    [
        ("inbound", _inbound_from_vector, bundle.read_inbound, bundle.write_inbound),
        ("outbound", _outbound_from_vector, bundle.read_outbound, bundle.write_outbound),
    ],
    ids=["inbound", "outbound"],
)
def test_bundle_vector_both_directions(
    direction: str, from_vector: Any, read: Any, write: Any
) -> None:
    case = BUNDLES[direction]
    data = base64.b64decode(case["bundle"])
    expected = from_vector(case["parsed"])
    verify = bytes.fromhex(case["verify_key"])
    assert read(data, verify) == expected
    assert bundle.bundle_signer(data) == verify
    signer = keys.SecretIdentity(bytes(32), bytes.fromhex(case["signer_seed"]))
    assert write(expected, signer) == data
    mlen = int.from_bytes(data[40:44], "big")
    assert data[44 : 44 + mlen].decode() == case["manifest"]
    assert data[44 + mlen : 108 + mlen].hex() == case["signature"]


def test_outbound_bundle_vector_is_addressed_to_the_portal() -> None:
    audience = _outbound_from_vector(BUNDLES["outbound"]["parsed"]).audience
    assert audience == vector("keys")["identities"][2]["verify_key_fingerprint"]


def test_vectors_refuse_the_other_direction() -> None:
    inbound, outbound = BUNDLES["inbound"], BUNDLES["outbound"]
    with pytest.raises(CryptoError):
        bundle.read_outbound(
            base64.b64decode(inbound["bundle"]), bytes.fromhex(inbound["verify_key"])
        )
    with pytest.raises(CryptoError):
        bundle.read_inbound(
            base64.b64decode(outbound["bundle"]), bytes.fromhex(outbound["verify_key"])
        )


CASEFILES = vector("casefile")


def _casefile_identity(label: str) -> keys.SecretIdentity:
    ident = CASEFILES["identities"][label]
    return keys.SecretIdentity(
        bytes.fromhex(ident["encryption_secret"]), bytes.fromhex(ident["signing_seed"])
    )


@pytest.mark.parametrize("case", CASEFILES["cases"], ids=lambda c: c["name"])
def test_casefile_vector_opens_in_the_inbox(case: dict[str, Any], tmp_path: Path) -> None:
    """The recorded files were written by the inbox before the format moved to crypto/: the
    handler's ``open-casefile`` keeps opening them, file for file."""
    path = tmp_path / "sak.vscase"
    path.write_bytes(base64.b64decode(case["casefile"]))
    opened = sealed_casefile.open_sealed_casefile(
        path,
        _casefile_identity("handler"),
        tmp_path / "ut",
        expect_fingerprint=CASEFILES["identities"]["office"]["fingerprint"],
        remove_metadata=False,
    )
    assert opened.signer_fingerprint == CASEFILES["identities"]["office"]["fingerprint"]
    assert opened.manifest.case == case["case"] and opened.manifest.handler == case["handler"]
    assert [f.name for f in opened.files] == [f["name"] for f in case["files"]]
    assert [
        hashlib.blake2b(f.path.read_bytes(), digest_size=32).hexdigest() for f in opened.files
    ] == case["plaintext_blake2b"]


@pytest.mark.parametrize("case", CASEFILES["cases"], ids=lambda c: c["name"])
def test_casefile_vectors(case: dict[str, Any]) -> None:
    data = base64.b64decode(case["casefile"])
    header, files = read_casefile(data, _casefile_identity("handler"))
    assert header.signer.fingerprint == CASEFILES["identities"]["office"]["fingerprint"]
    assert int.from_bytes(data[72:76], "big") == case["elen"]
    # Write direction: the manifest re-encodes to the very bytes that were sealed.
    assert casefile.encode_manifest(header.manifest).decode() == case["manifest"]
    assert header.manifest.handler == case["handler"]
    assert [hashlib.blake2b(f, digest_size=32).hexdigest() for f in files] == case[
        "plaintext_blake2b"
    ]
    assert [s.offset + s.length for s in header.streams][-1] == len(data)


@pytest.mark.parametrize("case", CASEFILES["refused"], ids=lambda c: c["name"])
def test_refused_casefile_vectors(case: dict[str, Any]) -> None:
    data = edit(base64.b64decode(CASEFILES["cases"][0]["casefile"]), case["edit"])
    with pytest.raises(CryptoError) as refused:
        read_casefile(data, _casefile_identity(case["reader"]))
    assert type(refused.value).__name__ == case["error"]


@pytest.mark.parametrize("case", CASEFILES["manifests"], ids=lambda c: c["name"])
def test_casefile_manifest_vectors(case: dict[str, Any]) -> None:
    data = case["manifest"].encode("utf-8")
    if "error" in case:
        with pytest.raises(MalformedError):
            casefile.decode_manifest(data)
    else:
        assert casefile.encode_manifest(casefile.decode_manifest(data)) == data


def test_casefile_vectors_cover_every_reading_step() -> None:
    errors = {c["error"] for c in CASEFILES["refused"]}
    assert errors == {
        "MalformedError", "TruncatedError", "SignatureError", "NotARecipientError",
        "TamperedError",
    }  # fmt: skip
    names = " ".join(c["name"] for c in CASEFILES["manifests"])
    assert "256 code points" in names and "empty handler" in names and "surrogate" in names
