"""Write the test vectors in ``tests/vectors/*.json`` (docs/PROTOCOL.md, "Test vectors").

Every input is derived from a fixed label, so the deterministic formats (padding, public key
files, fingerprints, receipt keys, login hashes, payload bytes, signed bundles) come out
byte-for-byte the same on every run. The formats that need fresh randomness inside libsodium
(secret key files, envelopes, streams, wraps) are recorded once: a re-run keeps a recorded
ciphertext as long as its inputs are unchanged, and ``--refresh`` records new ones. Every
recorded ciphertext is opened again with ``crypto/`` before it is written.

Run from the repository root: ``.venv/bin/python scripts/make_vectors.py [--refresh]``.
"""

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The crypto tests' kit applies a refused vector's edit; the vectors are made with the same.
sys.path.insert(0, str(ROOT / "tests" / "crypto"))

import nacl.bindings as sodium  # noqa: E402
import nacl.encoding  # noqa: E402
import nacl.hash  # noqa: E402
import nacl.pwhash  # noqa: E402
import nacl.signing  # noqa: E402
from crypto_testkit import edit as apply_edit  # noqa: E402

from crypto import (  # noqa: E402
    bundle,
    casefile,
    envelope,
    keys,
    payload,
    receipt,
    rotation,
    stream,
    wrap,
)
from crypto.encoding import b64encode  # noqa: E402
from crypto.padding import padded_size  # noqa: E402
from crypto.wordlist import WORDS  # noqa: E402

OUT = ROOT / "tests" / "vectors"
PASSPHRASE = "korrekt hest batteri stift"
VECTOR_OPSLIMIT = keys.MIN_OPSLIMIT  # 2: the minimum a reader accepts, keeps tests fast
VECTOR_MEMLIMIT = keys.MIN_MEMLIMIT  # 64 MiB


def fixed(label: str, size: int = 32) -> bytes:
    """Deterministic test bytes: BLAKE2b(``varsel test vector: <label>``)."""
    return hashlib.blake2b(f"varsel test vector: {label}".encode(), digest_size=size).digest()


def pattern(size: int) -> bytes:
    """The stream vectors' plaintext: byte i is ``i mod 251``."""
    return bytes(i % 251 for i in range(size))


def identity(label: str) -> keys.SecretIdentity:
    return keys.SecretIdentity(
        encryption_secret=fixed(f"{label} x25519"), signing_seed=fixed(f"{label} ed25519")
    )


class Recorder:
    """Keeps recorded random outputs whose inputs did not change."""

    def __init__(self, refresh: bool) -> None:
        self.refresh = refresh

    def cases(
        self, file: str, key: str, inputs: list[dict[str, Any]], make: Callable[..., Any]
    ) -> list[dict[str, Any]]:
        old: list[dict[str, Any]] = []
        path = OUT / file
        if path.exists() and not self.refresh:
            old = json.loads(path.read_text()).get(key, [])
        out = []
        for case in inputs:
            previous = next((o for o in old if {k: o.get(k) for k in case} == case), None)
            out.append(previous if previous is not None else {**case, **make(case)})
        return out


def padding_vectors() -> dict[str, Any]:
    lengths = [
        0,
        1,
        1023,
        1024,
        1025,
        2047,
        2048,
        2049,
        65535,
        65536,
        65537,
        1 << 19,
        (1 << 20) - 1,
        1 << 20,
        (1 << 20) + 1,
        1_500_000,
        10_000_000,
        50_000_000,
        123_456_789,
        1 << 30,
        (1 << 30) + 1,
    ]
    return {
        "description": "padded_size(length) for plaintext lengths (docs/PROTOCOL.md, Padding)",
        "cases": [{"length": n, "padded": padded_size(n)} for n in lengths],
    }


def key_vectors(rec: Recorder) -> dict[str, Any]:
    identities = []
    for label in ("office", "committee", "portal"):
        ident = identity(label)
        pub = ident.public
        identities.append(
            {
                "label": label,
                "encryption_secret": ident.encryption_secret.hex(),
                "signing_seed": ident.signing_seed.hex(),
                "encryption_key": pub.encryption_key.hex(),
                "verify_key": pub.verify_key.hex(),
                "public_text": pub.to_text(),
                "fingerprint": pub.fingerprint,
                "verify_key_fingerprint": bundle.signer_fingerprint(pub.verify_key),
            }
        )

    def lock(case: dict[str, Any]) -> dict[str, Any]:
        ident = identity(case["label"])
        text = keys.lock_identity(
            ident, case["passphrase"], opslimit=VECTOR_OPSLIMIT, memlimit=VECTOR_MEMLIMIT
        )
        assert keys.unlock_identity(text, case["passphrase"]) == ident
        return {"secret_text": text}

    locked_inputs = [
        {
            "label": "office",
            "passphrase": PASSPHRASE,
            "encryption_secret": identity("office").encryption_secret.hex(),
            "signing_seed": identity("office").signing_seed.hex(),
        }
    ]
    return {
        "description": "identities, public key files, fingerprints, locked secret key files",
        "identities": identities,
        "locked": rec.cases("keys.json", "locked", locked_inputs, lock),
        "wrong_passphrase": PASSPHRASE + " ",
    }


def envelope_vectors(rec: Recorder) -> dict[str, Any]:
    office, committee, outsider = identity("office"), identity("committee"), identity("portal")
    report = payload.Reply(text="Hei! Dette er et svar fra partikontoret. Blåbær.")
    inputs = [
        {
            "name": "one recipient",
            "recipient_secret_keys": [office.encryption_secret.hex()],
            "payload": payload.encode_payload(report).hex(),
        },
        {
            "name": "two recipients",
            "recipient_secret_keys": [
                office.encryption_secret.hex(),
                committee.encryption_secret.hex(),
            ],
            "payload": ("x" * 2000).encode().hex(),
        },
        {
            "name": "empty payload",
            "recipient_secret_keys": [office.encryption_secret.hex()],
            "payload": "",
        },
    ]

    def seal(case: dict[str, Any]) -> dict[str, Any]:
        sks = [bytes.fromhex(k) for k in case["recipient_secret_keys"]]
        pks = [keys.SecretIdentity(sk, bytes(32)).public.encryption_key for sk in sks]
        data = envelope.seal(bytes.fromhex(case["payload"]), pks)
        for pk, sk in zip(pks, sks, strict=True):
            assert envelope.open_envelope(data, pk, sk).hex() == case["payload"]
        return {
            "recipient_public_keys": [pk.hex() for pk in pks],
            "envelope": b64encode(data),
            "length": len(data),
        }

    return {
        "description": "envelopes; any listed recipient key pair opens each, to the payload",
        "outsider_secret_key": outsider.encryption_secret.hex(),
        "cases": rec.cases("envelope.json", "cases", inputs, seal),
    }


def stream_vectors(rec: Recorder) -> dict[str, Any]:
    inputs = [
        {"name": "empty file", "key": fixed("stream empty").hex(), "size": 0},
        {"name": "small file", "key": fixed("stream small").hex(), "size": 100},
        {"name": "two chunks", "key": fixed("stream two").hex(), "size": 70_000},
    ]

    def encrypt(case: dict[str, Any]) -> dict[str, Any]:
        key, plain = bytes.fromhex(case["key"]), pattern(case["size"])
        data = b"".join(stream.encrypt_stream(key, [plain]))
        assert b"".join(stream.decrypt_stream(key, case["size"], [data])) == plain
        return {
            "plaintext_blake2b": hashlib.blake2b(plain, digest_size=32).hexdigest(),
            "chunks": -(-padded_size(case["size"]) // stream.CHUNK),
            "ciphertext": b64encode(data),
        }

    refused_inputs = [
        {"name": "1 byte", "key": fixed("stream refused").hex(), "size": 0, "fault": "cut 1"},
        {"name": "3 bytes, a prefix of the magic", "key": fixed("stream refused").hex(),
         "size": 0, "fault": "cut 3"},
        {"name": "27 bytes: the header is cut", "key": fixed("stream refused").hex(),
         "size": 0, "fault": "cut 27"},
        {"name": "magic and header only", "key": fixed("stream refused").hex(), "size": 0,
         "fault": "cut 28"},
        {"name": "wrong magic", "key": fixed("stream refused").hex(), "size": 0,
         "fault": "magic"},
        {"name": "last chunk tagged MESSAGE", "key": fixed("stream refused").hex(),
         "size": 100, "fault": "last MESSAGE"},
        {"name": "a chunk tagged PUSH", "key": fixed("stream refused").hex(), "size": 100,
         "fault": "tag PUSH"},
        {"name": "a second FINAL chunk after the first", "key": fixed("stream refused").hex(),
         "size": 100, "fault": "after FINAL"},
    ]

    def refuse(case: dict[str, Any]) -> dict[str, Any]:
        key, size, fault = bytes.fromhex(case["key"]), case["size"], case["fault"]
        plain = pattern(size) + bytes(padded_size(size) - size)
        chunks = [plain[i : i + stream.CHUNK] for i in range(0, len(plain), stream.CHUNK)]
        tags = [stream.TAG_MESSAGE] * (len(chunks) - 1) + [stream.TAG_FINAL]
        if fault == "last MESSAGE":
            tags[-1] = stream.TAG_MESSAGE
        if fault == "tag PUSH":
            tags[-1] = sodium.crypto_secretstream_xchacha20poly1305_TAG_PUSH
        if fault == "after FINAL":
            chunks.append(bytes(1))
            tags.append(stream.TAG_FINAL)
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
        data = b"VSS1" + header + b"".join(
            sodium.crypto_secretstream_xchacha20poly1305_push(state, c, None, t)
            for c, t in zip(chunks, tags, strict=True)
        )
        if fault.startswith("cut"):
            data = data[: int(fault.split()[1])]
        if fault == "magic":
            data = b"VSS2" + data[4:]
        error = {
            "cut": "TruncatedError", "magic": "MalformedError",
            "last MESSAGE": "TruncatedError", "tag PUSH": "TamperedError",
            "after FINAL": "TamperedError",
        }[fault.split()[0] if fault.startswith("cut") else fault]  # fmt: skip
        try:
            b"".join(stream.decrypt_stream(key, size, [data]))
        except Exception as exc:  # noqa: BLE001 (checked by name just below)
            assert type(exc).__name__ == error, (case["name"], exc)
        else:
            raise AssertionError(f"{case['name']} was not refused")
        return {"ciphertext": b64encode(data), "error": error}

    return {
        "description": "attachment streams; plaintext byte i is i mod 251",
        "cases": rec.cases("stream.json", "cases", inputs, encrypt),
        "refused": rec.cases("stream.json", "refused", refused_inputs, refuse),
    }


def _message_with_ref(
    reporter_pk: bytes, *, media_type: str = "text/plain", name: str = "x", size: int = 1
) -> str:
    ref = {"blob": "blob-0001", "key": b64encode(bytes(32)), "media_type": media_type,
           "name": name, "size": size}
    return (
        '{"attachments":[' + json.dumps(ref, sort_keys=True, separators=(",", ":"))
        + '],"reporter_public_key":"' + b64encode(reporter_pk)
        + '","text":"x","type":"message","v":1}'
    )


def receipt_vectors() -> dict[str, Any]:
    cases = []
    for label in ("first", "second"):
        seed = fixed(f"receipt {label}", 16)
        # Eight words picked by 11-bit slices of fixed bytes.
        number = int.from_bytes(seed, "big")
        text = " ".join(WORDS[(number >> (11 * i)) & 2047] for i in range(receipt.WORD_COUNT))
        salt, pepper = fixed(f"receipt salt {label}", 16), fixed(f"receipt pepper {label}")
        master = nacl.pwhash.argon2id.kdf(
            32, text.encode(), salt, opslimit=receipt.OPSLIMIT, memlimit=receipt.MEMLIMIT
        )
        derived = receipt.derive_receipt_keys(text, salt)
        cases.append(
            {
                "receipt": text,
                "salt": salt.hex(),
                "master_key": master.hex(),
                "login_key": derived.login_key.hex(),
                "reporter_seed": nacl.hash.blake2b(
                    receipt.REPORTER_KEY_DOMAIN, key=master, encoder=nacl.encoding.RawEncoder
                ).hex(),
                "reporter_public_key": derived.reporter_public_key.hex(),
                "reporter_secret_key": derived.reporter_secret_key.hex(),
                "pepper": pepper.hex(),
                "login_hash": receipt.login_hash(derived.login_key, pepper).hex(),
            }
        )
    canonical = cases[0]["receipt"]
    w = canonical.split(" ")
    typed = [
        canonical.upper(),
        "  " + "-".join(w) + "  ",
        "\t".join(w[:4]) + "\n" + " . ".join(w[4:]),
        ", ".join(x.capitalize() for x in w),
        "_".join(w[:2]) + "/" + "·".join(w[2:5]) + " – " + "—".join(w[5:]) + ";:",
        "\u3000".join(w),  # ideographic space: NFKC and \s
        " ".join("\uff41" + x[1:] if x[0] == "a" else x for x in w),  # fullwidth a -> a (NFKC)
        # Full-width upper-case letters throughout (NFKC, then A-Z to a-z).
        " ".join("".join(chr(ord(c) - 0x61 + 0xFF21) for c in x) for x in w),
        # Every separator in one receipt, runs of them, and separators at both ends.
        "\u00a0" + "\u2009".join(w[:2]) + "\u202f" + "\u2028".join(w[2:4]) + "\u0085"
        + "\u001c".join(w[4:6]) + "\u1680\u000b" + "\u3000\u205f".join(w[6:]) + "\u2029",
        # Kelvin sign and long s become K and s under NFKC; the "fi" ligature becomes "fi".
        " ".join(x.replace("k", "\u212a").replace("s", "\u017f").replace("fi", "\ufb01")
                 for x in w),
    ]
    # The sharp s folds to "ss": words of the list that contain "ss", typed with ß and ẞ.
    ss_words = [x for x in WORDS if "ss" in x][:8]
    typed += [
        " ".join(x.replace("ss", "ß") for x in ss_words),
        " ".join(x.upper().replace("SS", "ẞ") for x in ss_words),
    ]
    a_word = next(x for x in WORDS if "a" in x)
    o_word = next(x for x in WORDS if "o" in x)
    i_word = next(x for x in WORDS if "i" in x)
    rejected = [
        " ".join(w[:7]),
        " ".join([*w, w[0]]),
        " ".join([*w[:7], "qqqq"]),
        "".join(w),
        " ".join(w[:7]) + " " + w[7] + "x",
        "",
        "1 2 3 4 5 6 7 8",
        " ".join(w[:7]) + "'" + w[7],
        # Not on the list: æ, ø and å are letters of their own, not a, o and aa.
        " ".join(w[:7]) + " " + a_word.replace("a", "å", 1),
        " ".join(w[:7]) + " " + a_word.replace("a", "a\u030a", 1),  # a + ring above: NFKC å
        " ".join(w[:7]) + " " + o_word.replace("o", "ø", 1),
        " ".join(w[:7]) + " " + a_word.replace("a", "æ", 1),
        " ".join(w[:7]) + " " + i_word.upper().replace("I", "\u0130"),  # dotted capital I
        # Nothing but these separators splits: a zero-width space and a tab-like mark do not.
        " ".join(w[:7]) + " " + w[7][:2] + "\u200b" + w[7][2:],
        "+".join(w),
    ]
    return {
        "description": "receipt key derivation (argon2id13 ops=3 mem=64 MiB) and normalisation",
        "cases": cases,
        "normalise": [{"typed": t, "canonical": receipt.normalise_receipt(t)} for t in typed],
        "rejected": rejected,
    }


def wrap_vectors(rec: Recorder) -> dict[str, Any]:
    inputs = [
        {"key": fixed("wrap key").hex(), "plaintext": fixed("wrapped secret", 32).hex()},
        {"key": fixed("wrap key 2").hex(), "plaintext": ""},
    ]

    def do_wrap(case: dict[str, Any]) -> dict[str, Any]:
        key = bytes.fromhex(case["key"])
        data = wrap.wrap(key, bytes.fromhex(case["plaintext"]))
        assert wrap.unwrap(key, data).hex() == case["plaintext"]
        return {"wrapped": data.hex()}

    return {
        "description": "nonce(24) | crypto_secretbox(plaintext)",
        "cases": rec.cases("wrap.json", "cases", inputs, do_wrap),
    }


def attachment(label: str, name: str, size: int) -> payload.AttachmentRef:
    return payload.AttachmentRef(
        name=name,
        size=size,
        media_type="application/pdf",
        key=fixed(f"attachment {label}"),
        blob=f"blob-{label}-0001",
    )


def payload_vectors() -> dict[str, Any]:
    reporter_pk = identity("reporter").public.encryption_key
    items: list[tuple[str, payload.Payload]] = [
        (
            "report",
            payload.Report(
                answers={
                    "what_happened": "Han kom med kommentarer om utseendet mitt på\nmøtet. «Æøå»",
                    "when": "mars 2025",
                    "where": "overnight_event",
                    "kind": "sexual_harassment",
                    "involved_roles": ["folkevalgt", "auf_medlem"],
                    "reporter_relation": "witness",
                    "party_employee_involved": "unknown",
                    "ongoing": "no",
                    "central_office": "yes",
                    "contact_wanted": "yes",
                    "contact_how": "Via denne portalen",
                },
                reporter_public_key=reporter_pk,
                attachments=(attachment("a", "bilde 1.jpg", 123456),),
            ),
        ),
        ("minimal report", payload.Report({"what_happened": "x"}, reporter_pk)),
        (
            "report with empty optional answers",
            payload.Report({"what_happened": "x", "when": "", "involved_roles": []}, reporter_pk),
        ),
        (
            "message",
            payload.Message(
                text='Jeg har flere bevis.\t"sitat" \\ \u0001 \u2028 😀',
                reporter_public_key=reporter_pk,
                attachments=(attachment("b", "a.pdf", 0), attachment("c", "b.pdf", 1)),
            ),
        ),
        ("reply", payload.Reply(text="Takk. Vi tar kontakt innen 7 dager.")),
        ("own copy", payload.OwnCopy(text="Min kopi", file_names=("bilde 1.jpg", "notat.txt"))),
    ]
    cases = [
        {"name": name, "bytes": payload.encode_payload(p).decode("utf-8")} for name, p in items
    ]
    rejected = [
        '{"type":"reply","text":"x"}',
        '{"type":"reply","text":"x","v":2}',
        '{"type":"reply","text":"x","v":true}',
        '{"type":"reply","text":"x","v":1.0}',
        '{"type":"reply","text":"x","v":1,"extra":1}',
        '{"type":"reply","text":"x","text":"y","v":1}',
        '{"type":"reply","text":NaN,"v":1}',
        '{"type":"letter","text":"x","v":1}',
        '{"type":"own_copy","text":"x","v":1}',
        "[1]",
        '{"answers":{"what_happened":""},"attachments":[],"reporter_public_key":"'
        + b64encode(reporter_pk)
        + '","type":"report","v":1}',
        '{"answers":{"what_happened":"x","where":"pub"},"attachments":[],'
        '"reporter_public_key":"' + b64encode(reporter_pk) + '","type":"report","v":1}',
        '{"answers":{"what_happened":"x","colour":"red"},"attachments":[],'
        '"reporter_public_key":"' + b64encode(reporter_pk) + '","type":"report","v":1}',
        '{"answers":{"what_happened":"x"},"attachments":[],"reporter_public_key":"AAAA",'
        '"type":"report","v":1}',
        # Limits a writer must check too: media type and name over 255, size over 4 GiB,
        # and a lone surrogate (docs/PROTOCOL.md, "Payloads").
        _message_with_ref(reporter_pk, media_type="a/" + "b" * 254),
        _message_with_ref(reporter_pk, name="n" * 256),
        _message_with_ref(reporter_pk, size=4294967297),
        '{"text":"\\ud800","type":"reply","v":1}',
        # Base64 whose unused trailing bits are not zero (canonical: ...AAAAAAAAAAAAAAAAAA=).
        '{"answers":{"what_happened":"x"},"attachments":[],"reporter_public_key":"'
        + "A" * 42 + 'B=","type":"report","v":1}',
        '{"answers":{"involved_roles":["ansatt","ansatt"],"what_happened":"x"},"attachments":[],'
        '"reporter_public_key":"' + b64encode(reporter_pk) + '","type":"report","v":1}',
        '{"answers":{"what_happened":"x","where":""},"attachments":[],'
        '"reporter_public_key":"' + b64encode(reporter_pk) + '","type":"report","v":1}',
    ]
    return {
        "description": "payload JSON: canonical UTF-8 bytes; decode(bytes) and encode(decoded)",
        "cases": cases,
        "rejected": rejected,
    }


def sealed_login_key_vectors(rec: Recorder) -> list[dict[str, Any]]:
    """A receipt's login key sealed to the portal's X25519 key (open_threads)."""
    portal_id = identity("portal")
    inputs = [
        {
            "login_key": bytes(range(32)).hex(),
            "portal_encryption_key": portal_id.public.encryption_key.hex(),
            "portal_encryption_secret": portal_id.encryption_secret.hex(),
        }
    ]

    def make(case: dict[str, Any]) -> dict[str, Any]:
        sealed = receipt.seal_login_key(
            bytes.fromhex(case["login_key"]), bytes.fromhex(case["portal_encryption_key"])
        )
        return {"sealed_login_key": b64encode(sealed)}

    return rec.cases("bundle.json", "sealed_login_key", inputs, make)


def bundle_vectors(rec: Recorder) -> dict[str, Any]:
    portal_id, office_id = identity("portal"), identity("office")
    reporter_pk = identity("reporter").public.encryption_key
    inbound = bundle.InboundBundle(
        created_day="2025-03-14",
        last_outbound_sequence=7,
        threads=(
            bundle.InboundThread("thread-aaaa0001", reporter_pk, "2025-03-01", "acknowledged"),
            bundle.InboundThread("thread-bbbb0002", reporter_pk, "2025-03-14", "received"),
        ),
        items=(
            bundle.InboundItem(
                "item-aaaa0001",
                "thread-aaaa0001",
                "message",
                "2025-03-13",
                b"VSE1 opaque envelope bytes 1",
                (bundle.Blob("blob-0001", b"VSS1 opaque stream"), bundle.Blob("blob-0002", b"")),
            ),
            bundle.InboundItem(
                "item-bbbb0002",
                "thread-bbbb0002",
                "report",
                "2025-03-14",
                b"VSE1 opaque envelope bytes 2",
            ),
        ),
        portal=bundle.PortalParameters(portal_id.public.encryption_key, bytes(range(16))),
    )
    outbound = bundle.OutboundBundle(
        sequence=8,
        audience=bundle.signer_fingerprint(portal_id.public.verify_key),
        created_day="2025-03-15",
        acks=("item-aaaa0001", "item-bbbb0002"),
        replies=(
            bundle.OutboundReply(
                "reply-aaaa0001", "thread-aaaa0001", "2025-03-15", b"VSE1 opaque reply envelope"
            ),
        ),
        statuses=(bundle.StatusChange("thread-bbbb0002", "in_progress"),),
        reply_by=("2025-03-20", "2025-03-20", "2025-04-01"),
        open_threads=(
            bundle.OpenThread(
                "mcase-cccc0003",
                "acknowledged",
                reporter_pk,
                b"sealed login key: 80 opaque bytes here".ljust(80, b"."),
                b"VSE1 opaque own copy envelope",
            ),
        ),
    )
    in_bytes = bundle.write_inbound(inbound, portal_id)
    out_bytes = bundle.write_outbound(outbound, office_id)
    assert bundle.read_inbound(in_bytes, portal_id.public.verify_key) == inbound
    assert bundle.read_outbound(out_bytes, office_id.public.verify_key) == outbound

    def resign(data: bytes, edit: Callable[[dict[str, Any]], list[bytes]]) -> bytes:
        """The inbound bundle with its manifest (and blobs) changed, signed again."""
        mlen = int.from_bytes(data[40:44], "big")
        manifest = json.loads(data[44 : 44 + mlen])
        blobs = edit(manifest)
        text = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        head = data[:40] + len(text).to_bytes(4, "big") + text
        signature = nacl.signing.SigningKey(portal_id.signing_seed).sign(head).signature
        return head + signature + b"".join(blobs)

    by_id = {b.id: b.data for i in inbound.items for b in i.attachments}
    by_id.update({f"{i.id}.envelope": i.envelope for i in inbound.items})

    def reversed_blobs(manifest: dict[str, Any]) -> list[bytes]:
        manifest["blobs"].reverse()
        return [by_id[e["id"]] for e in manifest["blobs"]]

    def upper_digest(manifest: dict[str, Any]) -> list[bytes]:
        manifest["blobs"][0]["blake2b"] = manifest["blobs"][0]["blake2b"].upper()
        return [by_id[e["id"]] for e in manifest["blobs"]]

    def short_digest(manifest: dict[str, Any]) -> list[bytes]:
        manifest["blobs"][0]["blake2b"] = manifest["blobs"][0]["blake2b"][:62]
        return [by_id[e["id"]] for e in manifest["blobs"]]

    def impossible_day(manifest: dict[str, Any]) -> list[bytes]:
        manifest["created_day"] = "2025-02-29"
        return [by_id[e["id"]] for e in manifest["blobs"]]

    reordered = resign(in_bytes, reversed_blobs)
    assert bundle.read_inbound(reordered, portal_id.public.verify_key) == inbound
    variants = {
        "reordered": b64encode(reordered),
        "refused": [
            {"name": name, "bundle": b64encode(resign(in_bytes, edit)), "error": "MalformedError"}
            for name, edit in (
                ("a digest in upper-case hex", upper_digest),
                ("a digest of 62 hex digits", short_digest),
                ("an impossible day", impossible_day),
            )
        ],
    }

    def head(data: bytes) -> dict[str, Any]:
        mlen = int.from_bytes(data[40:44], "big")
        return {
            "manifest": data[44 : 44 + mlen].decode("utf-8"),
            "signature": data[44 + mlen : 108 + mlen].hex(),
        }

    return {
        "description": "signed bundles; blobs are opaque bytes here (UTF-8 text for reading)",
        "sealed_login_key": sealed_login_key_vectors(rec),
        "inbound_reordered": {
            "description": "the inbound bundle with its blobs in reverse order: same contents",
            "bundle": variants["reordered"],
        },
        "inbound_refused": variants["refused"],
        "days": {
            "valid": ["2024-02-29", "0001-01-01", "9999-12-31", "2025-12-31"],
            "refused": [
                "2025-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
                "0000-01-01", "2024-1-01", "24-01-01", "2024-W01-1", "2024-001",
                "2024/01/01", "2024-01-01T00:00", " 2024-01-01", "\uff12024-01-01",
                "\u0662\u0660\u0662\u0664-01-01",
            ],
        },
        "inbound": {
            "signer_seed": portal_id.signing_seed.hex(),
            "verify_key": portal_id.public.verify_key.hex(),
            "bundle": b64encode(in_bytes),
            **head(in_bytes),
            "parsed": {
                "created_day": inbound.created_day,
                "last_outbound_sequence": inbound.last_outbound_sequence,
                "portal": {
                    "encryption_key": portal_id.public.encryption_key.hex(),
                    "receipt_salt": bytes(range(16)).hex(),
                },
                "threads": [
                    {
                        "id": t.id,
                        "reporter_public_key": t.reporter_public_key.hex(),
                        "created_day": t.created_day,
                        "status": t.status,
                    }
                    for t in inbound.threads
                ],
                "items": [
                    {
                        "id": i.id,
                        "thread": i.thread,
                        "kind": i.kind,
                        "day": i.day,
                        "envelope": i.envelope.decode(),
                        "attachments": [
                            {"id": b.id, "data": b.data.decode()} for b in i.attachments
                        ],
                    }
                    for i in inbound.items
                ],
            },
        },
        "outbound": {
            "signer_seed": office_id.signing_seed.hex(),
            "verify_key": office_id.public.verify_key.hex(),
            "bundle": b64encode(out_bytes),
            **head(out_bytes),
            "parsed": {
                "sequence": outbound.sequence,
                "audience": outbound.audience,
                "created_day": outbound.created_day,
                "acks": list(outbound.acks),
                "replies": [
                    {"id": r.id, "thread": r.thread, "day": r.day, "envelope": r.envelope.decode()}
                    for r in outbound.replies
                ],
                "statuses": [{"thread": s.thread, "status": s.status} for s in outbound.statuses],
                "reply_by": list(outbound.reply_by),
                "open_threads": [
                    {
                        "id": t.id,
                        "status": t.status,
                        "reporter_public_key": t.reporter_public_key.hex(),
                        "sealed_login_key": t.sealed_login_key.decode(),
                        "own_copy": t.own_copy.decode(),
                    }
                    for t in outbound.open_threads
                ],
            },
        },
    }


def rotation_vectors() -> dict[str, Any]:
    """Key-rotation statements: deterministic (Ed25519 signatures are)."""
    old, new, other = identity("rotation old"), identity("rotation new"), identity("rotation other")
    statement = rotation.sign_rotation(old, new.public)
    flipped = bytearray(statement)
    flipped[-1] ^= 1
    b64 = b64encode
    return {
        "valid": [
            {
                "old_encryption_secret": b64(old.encryption_secret),
                "old_signing_seed": b64(old.signing_seed),
                "old_verify_key": b64(old.public.verify_key),
                "new_encryption_key": b64(new.public.encryption_key),
                "new_verify_key": b64(new.public.verify_key),
                "statement": b64(statement),
            }
        ],
        "invalid": [
            {
                "why": "signed by another key",
                "current_verify_key": b64(old.public.verify_key),
                "statement": b64(rotation.sign_rotation(other, new.public)),
                "error": "SignatureError",
            },
            {
                "why": "signature changed",
                "current_verify_key": b64(old.public.verify_key),
                "statement": b64(bytes(flipped)),
                "error": "SignatureError",
            },
            {
                "why": "truncated",
                "current_verify_key": b64(old.public.verify_key),
                "statement": b64(statement[:-1]),
                "error": "MalformedError",
            },
            {
                "why": "wrong magic",
                "current_verify_key": b64(old.public.verify_key),
                "statement": b64(b"VSROTAT2" + statement[8:]),
                "error": "MalformedError",
            },
        ],
    }


CASEFILE_INPUTS: list[dict[str, Any]] = [
    {
        "name": "a PDF and two attachments, one of two chunks and one empty",
        "office": "office",
        "handler_label": "handler",
        "case": "thread-aaaa0001",
        "created_day": "2025-03-14",
        "handler": "Kari Nordmann – saksbehandler",
        "files": [
            {"name": "saksmappe-thread-a.pdf", "media_type": "application/pdf", "size": 100},
            {"name": "bevis «æøå».bin", "media_type": "application/octet-stream",
             "size": 70_000},
            {"name": "tom.txt", "media_type": "text/plain", "size": 0},
        ],
    },
    {
        "name": "the PDF only, no handler name",
        "office": "office",
        "handler_label": "handler",
        "case": "thread-bbbb0002",
        "created_day": "2024-02-29",
        "handler": None,
        "files": [
            {"name": "saksmappe-thread-b.pdf", "media_type": "application/pdf", "size": 1500}
        ],
    },
]  # fmt: skip


def _file_plain(index: int, size: int) -> bytes:
    """File ``index`` of a case file vector: the stream pattern shifted by ``index``."""
    return bytes((i + index) % 251 for i in range(size))



def read_casefile(data: bytes, handler: keys.SecretIdentity) -> list[bytes]:
    """Steps 1-8 of "Sealed case file", "Reading", with crypto/: every file's plaintext."""
    head = casefile.read_header(data[: casefile.header_length(data[:76])], len(data), handler)
    return [
        b"".join(stream.decrypt_stream(s.file.key, s.file.size, [data[s.offset :][: s.length]]))
        for s in head.streams
    ]


def _manifest_text(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def casefile_manifests() -> list[dict[str, Any]]:
    """Manifests as plain JSON text (step 6), accepted or refused with their error."""
    key = b64encode(fixed("casefile manifest key"))
    pdf = {"key": key, "media_type": "application/pdf", "name": "saksmappe-thread-a.pdf",
           "size": 1500}  # fmt: skip
    good = {"case": "thread-aaaa0001", "created_day": "2025-03-14", "files": [pdf],
            "format": "varsel-casefile/v1", "handler": "Kari Nordmann"}  # fmt: skip

    def variant(change: dict[str, Any], entry: dict[str, Any] | None = None) -> str:
        obj = {**good, **change}
        if entry is not None:
            obj["files"] = [{**pdf, **entry}]
        return _manifest_text({k: v for k, v in obj.items() if v is not _DROP})

    accepted = {
        "a handler's name": variant({}),
        "no handler name (null)": variant({"handler": None}),
        "a handler's name of 255 code points": variant({"handler": "æ" * 255}),
        "a file name and media type of 255 code points": variant(
            {}, {"name": "ø" * 255, "media_type": "x" * 255}
        ),
        "an empty file and one of 2^53-1 bytes": _manifest_text(
            {**good, "files": [{**pdf, "size": 0}, {**pdf, "size": 2**53 - 1}]}
        ),
    }
    refused = {
        "an empty handler name": variant({"handler": ""}),
        "a handler's name of 256 code points": variant({"handler": "x" * 256}),
        "a handler's name that is a number": variant({"handler": 7}),
        "a handler's name with a lone surrogate": variant({"handler": "Kari"}).replace(
            '"handler":"Kari"', '"handler":"Kari\\ud800"'
        ),
        "no handler field": variant({"handler": _DROP}),
        "an extra field": variant({"extra": 1}),
        "another format": variant({"format": "varsel-casefile/v2"}),
        "no files": variant({"files": []}),
        "files is not a list": variant({"files": pdf}),
        "a file entry with an extra field": variant({}, {"blob": "x"}),
        "a negative size": variant({}, {"size": -1}),
        "a size that is not an integer (1.0)": variant({}, {"size": 1.5}).replace(
            '"size":1.5', '"size":1.0'
        ),
        "a size that is true": variant({}, {"size": True}),
        "a size of 2^53": variant({}, {"size": 2**53}),
        "an empty file name": variant({}, {"name": ""}),
        "a file name of 256 code points": variant({}, {"name": "x" * 256}),
        "an empty media type": variant({}, {"media_type": ""}),
        "a stream key of 31 bytes": variant({}, {"key": b64encode(bytes(31))}),
        # The last character before "=" carries two unused bits, zero in canonical text.
        "a stream key in non-canonical base64": variant(
            {}, {"key": key[:42] + chr(ord(key[42]) + 1) + "="}
        ),
        "a case id that is too short": variant({"case": "thread"}),
        "an impossible day": variant({"created_day": "2025-02-29"}),
        "a repeated key": variant({}).replace('{"case":', '{"case":"x","case":', 1),
        "not an object": "[]",
    }  # fmt: skip
    cases = [{"name": n, "manifest": m} for n, m in accepted.items()]
    cases += [{"name": n, "manifest": m, "error": "MalformedError"} for n, m in refused.items()]
    for case in cases:
        try:
            decoded = casefile.decode_manifest(case["manifest"].encode("utf-8"))
        except Exception as exc:  # noqa: BLE001 (checked by name just below)
            assert type(exc).__name__ == case.get("error"), (case["name"], exc)
        else:
            assert "error" not in case, case["name"]
            assert casefile.encode_manifest(decoded).decode() == case["manifest"], case["name"]
    return cases


_DROP = object()


def casefile_vectors(rec: Recorder) -> dict[str, Any]:
    """Sealed case files (docs/PROTOCOL.md, "Sealed case file"). The first recording was made
    by the writer in inbox/sealed_casefile.py before the format moved to crypto/casefile.py;
    a re-run keeps it, and a reader must keep opening it."""

    def write(case: dict[str, Any]) -> dict[str, Any]:
        office, handler = identity(case["office"]), identity(case["handler_label"])
        manifest = casefile.Manifest(
            case=case["case"],
            created_day=case["created_day"],
            handler=case["handler"],
            files=tuple(
                casefile.ManifestFile(f["name"], f["size"], f["media_type"], stream.new_key())
                for f in case["files"]
            ),
        )
        data = casefile.write_header(manifest, office, handler.public.encryption_key)
        for i, f in enumerate(manifest.files):
            data += b"".join(stream.encrypt_stream(f.key, [_file_plain(i, f.size)]))
        assert read_casefile(data, handler) == [
            _file_plain(i, f["size"]) for i, f in enumerate(case["files"])
        ]
        elen = int.from_bytes(data[72:76], "big")
        manifest_bytes = envelope.open_envelope(
            data[76 : 76 + elen], handler.public.encryption_key, handler.encryption_secret
        )
        return {
            "elen": elen,
            "manifest": manifest_bytes.decode("utf-8"),
            "plaintext_blake2b": [
                hashlib.blake2b(_file_plain(i, f["size"]), digest_size=32).hexdigest()
                for i, f in enumerate(case["files"])
            ],
            "casefile": b64encode(data),
        }

    def public(label: str) -> dict[str, str]:
        ident = identity(label)
        return {
            "encryption_secret": ident.encryption_secret.hex(),
            "signing_seed": ident.signing_seed.hex(),
            "encryption_key": ident.public.encryption_key.hex(),
            "verify_key": ident.public.verify_key.hex(),
            "fingerprint": ident.public.fingerprint,
        }

    cases = rec.cases("casefile.json", "cases", CASEFILE_INPUTS, write)
    first = base64.b64decode(cases[0]["casefile"])
    head_end = 76 + cases[0]["elen"] + 64
    refused = [
        ("empty", ["cut", 0], "MalformedError"),
        ("shorter than the 76-byte prefix", ["cut", 75], "MalformedError"),
        ("wrong magic", ["set", 7, "32"], "MalformedError"),
        ("elen 128", ["set", 72, "00000080"], "MalformedError"),
        ("elen over 1 MiB", ["set", 72, "00100001"], "MalformedError"),
        ("cut in the signature", ["cut", head_end - 1], "TruncatedError"),
        ("the office's X25519 key changed", ["flip", 40], "SignatureError"),
        ("the envelope changed", ["flip", 76 + cases[0]["elen"] // 2], "SignatureError"),
        ("the signature changed", ["flip", head_end - 61], "SignatureError"),
        ("cut after the header", ["cut", head_end], "TruncatedError"),
        ("the last byte cut", ["cut", len(first) - 1], "TruncatedError"),
        ("a byte appended", ["append", "00"], "MalformedError"),
        ("the PDF's stream changed", ["flip", head_end + 100], "TamperedError"),
        ("the last stream's last byte changed", ["flip", len(first) - 1], "TamperedError"),
        ("read with another key", [], "NotARecipientError"),
    ]
    handler = identity("handler")
    refused_out = []
    for name, edit, error in refused:
        reader = handler if edit else identity("committee")
        try:
            read_casefile(apply_edit(first, edit), reader)
        except Exception as exc:  # noqa: BLE001 (checked by name just below)
            assert type(exc).__name__ == error, (name, exc)
        else:
            raise AssertionError(f"{name} was not refused")
        refused_out.append(
            {"name": name, "edit": edit, "reader": "handler" if edit else "committee",
             "error": error}
        )  # fmt: skip
    return {
        "description": "sealed case files; file i's byte j is (i + j) mod 251; refused: edits "
        "of the first case (cut n, flip byte i, set bytes at i, append), read by the handler "
        "or another key; manifests: step 6 alone",
        "identities": {label: public(label) for label in ("office", "handler", "committee")},
        "cases": cases,
        "refused": refused_out,
        "manifests": casefile_manifests(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="record new random ciphertexts")
    rec = Recorder(parser.parse_args().refresh)
    files = {
        "padding.json": padding_vectors(),
        "keys.json": key_vectors(rec),
        "envelope.json": envelope_vectors(rec),
        "stream.json": stream_vectors(rec),
        "receipt.json": receipt_vectors(),
        "wrap.json": wrap_vectors(rec),
        "payload.json": payload_vectors(),
        "bundle.json": bundle_vectors(rec),
        "rotation.json": rotation_vectors(),
        "casefile.json": casefile_vectors(rec),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"{name}: {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
