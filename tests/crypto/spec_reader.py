"""A second implementation of Varsel's formats, written only from docs/PROTOCOL.md.

It uses raw libsodium calls (``nacl.bindings``), ``hashlib``-free BLAKE2b from libsodium,
``json`` and ``unicodedata``; it imports nothing from ``crypto/``: the receipt word list is
read from the data file the spec names (``crypto/wordlist.txt``). If this module and
``crypto/`` agree on fresh data, the spec is exact.

Errors are ``SpecError(kind)`` with ``kind`` the spec's error name (``"MalformedError"``...).
"""

import base64
import binascii
import datetime
import itertools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import nacl.bindings as na
import nacl.exceptions

WORDLIST_FILE = Path(__file__).resolve().parents[2] / "crypto" / "wordlist.txt"
WORDS = WORDLIST_FILE.read_text(encoding="utf-8").split("\n")[:-1]


class SpecError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _b2b(message: bytes, size: int, key: bytes = b"") -> bytes:
    return na.crypto_generichash_blake2b_salt_personal(message, digest_size=size, key=key)


def _b64(text: str, length: int) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SpecError("MalformedError") from exc
    if len(data) != length or base64.b64encode(data).decode() != text:  # trailing bits zero
        raise SpecError("MalformedError")
    return data


def check_day(text: object) -> str:
    """Conventions, "Days": YYYY-MM-DD in ASCII digits naming a day that exists."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise SpecError("MalformedError")
    year, month, day = (int(part) for part in text.split("-"))
    try:
        datetime.date(year, month, day)
    except ValueError as exc:
        raise SpecError("MalformedError") from exc
    return text


def _json(data: bytes) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in items}) != len(items):
            raise SpecError("MalformedError")
        return dict(items)

    def constant(_: str) -> Any:
        raise SpecError("MalformedError")

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, RecursionError) as exc:
        raise SpecError("MalformedError") from exc


def _is_string(value: object) -> bool:
    """A JSON string of Unicode scalar values: no lone surrogate (Payloads)."""
    return isinstance(value, str) and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def canonical_json(obj: Any, *, ascii_only: bool) -> bytes:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)
    return text.encode("utf-8")


# -- Padding ---------------------------------------------------------------------------------


def padded_size(length: int) -> int:
    if length <= 1024:
        return 1024
    if length <= 1 << 20:
        p = 1
        while p < length:
            p <<= 1
        return p
    e = length.bit_length() - 1  # floor(log2 L)
    s = e.bit_length()  # floor(log2 E) + 1
    step = 1 << (e - s)
    return -(-length // step) * step


# -- Key files -------------------------------------------------------------------------------


def fingerprint(key_bytes: bytes) -> str:
    digest = _b2b(b"varsel-public-key/v1\n" + key_bytes, 20)
    text = base64.b32encode(digest).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, 32, 4))


def _fields(text: str, magic: str, names: set[str]) -> dict[str, str]:
    lines = text.strip().splitlines()
    if not lines or lines[0].strip() != magic:
        raise SpecError("MalformedError")
    out: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or name not in names or name in out:
            raise SpecError("MalformedError")
        out[name] = value.strip()
    if set(out) != names:
        raise SpecError("MalformedError")
    return out


def public_from_secret(enc_sk: bytes, sign_seed: bytes) -> tuple[bytes, bytes]:
    enc_pk = na.crypto_scalarmult_base(enc_sk)
    verify, _ = na.crypto_sign_seed_keypair(sign_seed)
    return enc_pk, verify


def write_public_file(enc_pk: bytes, verify: bytes) -> str:
    e, v = base64.b64encode(enc_pk).decode(), base64.b64encode(verify).decode()
    return f"varsel-public-key/v1\nencrypt: {e}\nverify: {v}\n"


def read_public_file(text: str) -> tuple[bytes, bytes]:
    f = _fields(text, "varsel-public-key/v1", {"encrypt", "verify"})
    return _b64(f["encrypt"], 32), _b64(f["verify"], 32)


def unlock_secret_file(text: str, passphrase: str) -> tuple[bytes, bytes]:
    f = _fields(text, "varsel-secret-key/v1", {"kdf", "salt", "nonce", "box"})
    m = re.fullmatch(r"argon2id13 ops=([0-9]+) mem=([0-9]+)", f["kdf"])
    if not m:
        raise SpecError("MalformedError")
    ops, mem = int(m.group(1)), int(m.group(2))
    if not (2 <= ops <= 64 and 64 * 2**20 <= mem <= 4 * 2**30):
        raise SpecError("MalformedError")
    salt, nonce, box = _b64(f["salt"], 16), _b64(f["nonce"], 24), _b64(f["box"], 80)
    key = na.crypto_pwhash_alg(
        32, passphrase.encode("utf-8"), salt, ops, mem, na.crypto_pwhash_ALG_ARGON2ID13
    )
    try:
        plain = na.crypto_secretbox_open(box, nonce, key)
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("WrongPassphraseError") from exc
    return plain[:32], plain[32:]


# -- Envelope --------------------------------------------------------------------------------


def seal_envelope(payload: bytes, recipients: list[bytes]) -> bytes:
    content_key = na.randombytes(32)
    nonce = na.randombytes(24)
    stanzas = b"".join(na.crypto_box_seal(content_key, pk) for pk in recipients)
    header = b"VSE1" + bytes([len(recipients)]) + stanzas + nonce
    frame = len(payload).to_bytes(4, "big") + payload
    frame += bytes(padded_size(len(frame)) - len(frame))
    return header + na.crypto_aead_xchacha20poly1305_ietf_encrypt(frame, header, nonce, content_key)


def open_envelope(data: bytes, pk: bytes, sk: bytes) -> bytes:
    if len(data) < 5 or data[:4] != b"VSE1":
        raise SpecError("MalformedError")
    n = data[4]
    if not 1 <= n <= 16:
        raise SpecError("MalformedError")
    header_len = 29 + 80 * n
    if len(data) < header_len + 16 + 4:
        raise SpecError("MalformedError")
    header = data[:header_len]
    content_key = None
    for i in range(n):
        try:
            opened = na.crypto_box_seal_open(data[5 + 80 * i : 85 + 80 * i], pk, sk)
        except nacl.exceptions.CryptoError:
            continue
        if len(opened) == 32:
            content_key = opened
            break
    if content_key is None:
        raise SpecError("NotARecipientError")
    try:
        frame = na.crypto_aead_xchacha20poly1305_ietf_decrypt(
            data[header_len:], header, header[-24:], content_key
        )
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("TamperedError") from exc
    length = int.from_bytes(frame[:4], "big")
    if (
        length > len(frame) - 4
        or len(frame) != padded_size(length + 4)
        or frame[4 + length :].strip(b"\0")
    ):
        raise SpecError("MalformedError")
    return frame[4 : 4 + length]


# -- Attachment stream -----------------------------------------------------------------------

_TAG_MESSAGE, _TAG_FINAL = 0, 3


def encrypt_stream(key: bytes, file: bytes) -> bytes:
    state = na.crypto_secretstream_xchacha20poly1305_state()
    header = na.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    plain = file + bytes(padded_size(len(file)) - len(file))
    out = [b"VSS1", header]
    for start in range(0, len(plain), 65536):
        last = start + 65536 >= len(plain)
        tag = _TAG_FINAL if last else _TAG_MESSAGE
        out.append(
            na.crypto_secretstream_xchacha20poly1305_push(
                state, plain[start : start + 65536], None, tag
            )
        )
    return b"".join(out)


def decrypt_stream(key: bytes, size: int, data: bytes) -> bytes:
    if len(data) < 28:
        raise SpecError("TruncatedError")
    if data[:4] != b"VSS1":
        raise SpecError("MalformedError")
    state = na.crypto_secretstream_xchacha20poly1305_state()
    na.crypto_secretstream_xchacha20poly1305_init_pull(state, data[4:28], key)
    rest = data[28:]
    pieces = [rest[i : i + 65553] for i in range(0, len(rest), 65553)]
    if not pieces:
        raise SpecError("TruncatedError")
    plain = []
    for index, piece in enumerate(pieces):
        try:
            chunk, tag = na.crypto_secretstream_xchacha20poly1305_pull(state, piece, None)
        except nacl.exceptions.CryptoError as exc:
            raise SpecError("TamperedError") from exc
        last = index == len(pieces) - 1
        if tag == _TAG_FINAL and not last:
            raise SpecError("TamperedError")
        if tag not in (_TAG_MESSAGE, _TAG_FINAL):
            raise SpecError("TamperedError")
        if last and tag != _TAG_FINAL:
            raise SpecError("TruncatedError")
        plain.append(chunk)
    whole = b"".join(plain)
    if len(whole) != padded_size(size) or whole[size:].strip(b"\0"):
        raise SpecError("TamperedError")
    return whole[:size]


# -- Receipt ---------------------------------------------------------------------------------

_SEPARATORS = {
    *range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    0x2D, 0x5F, 0x2E, 0x2C, 0x3B, 0x3A, 0x2F, 0xB7, 0x2013, 0x2014,
}  # fmt: skip
_WORDS = frozenset(WORDS)


def normalise_receipt(typed: str) -> str:
    text = unicodedata.normalize("NFKC", typed)
    mapped = []
    for ch in text:
        code = ord(ch)
        if 0x41 <= code <= 0x5A:
            mapped.append(chr(code + 0x20))
        elif code in (0xDF, 0x1E9E):
            mapped.append("ss")
        elif code in _SEPARATORS:
            mapped.append(" ")
        else:
            mapped.append(ch)
    pieces = [p for p in "".join(mapped).split(" ") if p]
    if len(pieces) != 8 or any(p not in _WORDS for p in pieces):
        raise SpecError("ReceiptFormatError")
    return " ".join(pieces)


def derive_receipt(typed: str, salt: bytes) -> dict[str, bytes]:
    canonical = normalise_receipt(typed)
    master = na.crypto_pwhash_alg(
        32, canonical.encode("utf-8"), salt, 3, 67108864, na.crypto_pwhash_ALG_ARGON2ID13
    )
    login_key = _b2b(b"varsel/v1/receipt/login", 32, master)
    seed = _b2b(b"varsel/v1/receipt/reporter-x25519", 32, master)
    pk, sk = na.crypto_box_seed_keypair(seed)
    return {"master": master, "login_key": login_key, "seed": seed, "pk": pk, "sk": sk}


def login_hash(login_key: bytes, pepper: bytes) -> bytes:
    return _b2b(b"varsel/v1/receipt/lookup" + login_key, 32, pepper)


# -- Wrap ------------------------------------------------------------------------------------


def unwrap(key: bytes, wrapped: bytes) -> bytes:
    if len(wrapped) < 40:
        raise SpecError("MalformedError")
    try:
        return na.crypto_secretbox_open(wrapped[24:], wrapped[:24], key)
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("TamperedError") from exc


# -- Bundles ---------------------------------------------------------------------------------


def write_bundle(manifest_bytes: bytes, blobs: list[bytes], sign_seed: bytes) -> bytes:
    """Sign arbitrary manifest bytes (tests use it to build hostile but signed bundles)."""
    verify, secret = na.crypto_sign_seed_keypair(sign_seed)
    head = b"VSBUNDL1" + verify + len(manifest_bytes).to_bytes(4, "big") + manifest_bytes
    signature = na.crypto_sign(head, secret)[:64]
    return head + signature + b"".join(blobs)


def blob_entry(blob_id: str, data: bytes) -> dict[str, Any]:
    return {"blake2b": _b2b(data, 32).hex(), "id": blob_id, "size": len(data)}


def read_bundle(
    data: bytes, verify_key: bytes, direction: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Steps 1-10 of "Bundles: Reading": the verified manifest (without blobs) and blobs."""
    if len(data) > 4 * 2**30:
        raise SpecError("TooLargeError")
    if len(data) < 44 or data[:8] != b"VSBUNDL1":
        raise SpecError("MalformedError")
    signer, mlen = data[8:40], int.from_bytes(data[40:44], "big")
    if not 2 <= mlen <= 16 * 2**20:
        raise SpecError("MalformedError")
    if len(data) < 44 + mlen + 64:
        raise SpecError("MalformedError")
    if signer != verify_key:
        raise SpecError("SignatureError")
    try:
        na.crypto_sign_open(data[44 + mlen : 108 + mlen] + data[: 44 + mlen], verify_key)
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("SignatureError") from exc
    manifest = _json(data[44 : 44 + mlen])
    if not isinstance(manifest, dict):
        raise SpecError("MalformedError")
    if manifest.get("format") != "varsel-bundle/v1" or manifest.get("direction") != direction:
        raise SpecError("MalformedError")
    entries = manifest.pop("blobs", None)
    if not isinstance(entries, list) or len(entries) > 100_000:
        raise SpecError("MalformedError")
    blobs: dict[str, bytes] = {}
    offset = 108 + mlen
    for e in entries:
        if not isinstance(e, dict) or set(e) != {"blake2b", "id", "size"}:
            raise SpecError("MalformedError")
        size = e["size"]
        if not _is_string(e["id"]) or type(size) is not int or size < 0:
            raise SpecError("MalformedError")
        if not isinstance(e["blake2b"], str) or not re.fullmatch("[0-9a-f]{64}", e["blake2b"]):
            raise SpecError("MalformedError")
        if e["id"] in blobs or len(data) - offset < size:
            raise SpecError("MalformedError")
        blob = data[offset : offset + size]
        if _b2b(blob, 32).hex() != e["blake2b"]:
            raise SpecError("SignatureError")
        blobs[e["id"]] = blob
        offset += size
    if offset != len(data):
        raise SpecError("MalformedError")
    return manifest, blobs


def read_rotation(statement: bytes, current: bytes) -> tuple[bytes, bytes]:
    """"Key rotation: Reading": the new (encryption key, verify key)."""
    if len(statement) != 168 or statement[:8] != b"VSROTAT1":
        raise SpecError("MalformedError")
    if statement[8:40] != current:
        raise SpecError("SignatureError")
    try:
        na.crypto_sign_open(statement[104:] + statement[:104], current)
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("SignatureError") from exc
    if statement[72:104] == current:
        raise SpecError("MalformedError")
    return statement[40:72], statement[72:104]


def outbound_reply_by(manifest: dict[str, Any]) -> list[str]:
    """Bundles, Outbound, `reply_by`: absent means none; present, a non-empty list of days
    in ascending order (repeats allowed)."""
    if "reply_by" not in manifest:
        return []
    days = manifest["reply_by"]
    if not isinstance(days, list) or not days or len(days) > 100_000:
        raise SpecError("MalformedError")
    for d in days:
        check_day(d)
    if any(a > b for a, b in itertools.pairwise(days)):
        raise SpecError("MalformedError")
    return days


STATUSES = ("received", "acknowledged", "in_progress", "closed")


def outbound_open_threads(
    manifest: dict[str, Any], blobs: dict[str, bytes]
) -> list[dict[str, Any]]:
    """Bundles, Outbound, `open_threads`: each entry with its keys decoded and its own copy
    blob; absent means none."""
    if "open_threads" not in manifest:
        return []
    entries = manifest["open_threads"]
    if not isinstance(entries, list) or not entries or len(entries) > 100_000:
        raise SpecError("MalformedError")
    found, ids, used = [], set(), set()
    fields = {"id", "own_copy", "reporter_public_key", "sealed_login_key", "status"}
    for e in entries:
        if not isinstance(e, dict) or set(e) != fields:
            raise SpecError("MalformedError")
        if not isinstance(e["id"], str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", e["id"]):
            raise SpecError("MalformedError")
        if e["id"] in ids or e["status"] not in STATUSES:
            raise SpecError("MalformedError")
        if not isinstance(e["own_copy"], str) or e["own_copy"] not in blobs:
            raise SpecError("MalformedError")
        if e["own_copy"] in used:
            raise SpecError("MalformedError")
        for name in ("reporter_public_key", "sealed_login_key"):
            if not isinstance(e[name], str):
                raise SpecError("MalformedError")
        ids.add(e["id"])
        used.add(e["own_copy"])
        found.append(
            {
                "id": e["id"],
                "status": e["status"],
                "reporter_public_key": _b64(e["reporter_public_key"], 32),
                "sealed_login_key": _b64(e["sealed_login_key"], 80),
                "own_copy": blobs[e["own_copy"]],
            }
        )
    return found


def open_sealed_login_key(sealed: bytes, public_key: bytes, secret_key: bytes) -> bytes:
    """`crypto_box_seal_open` with the portal's X25519 key pair (Bundles, `open_threads`)."""
    try:
        return na.crypto_box_seal_open(sealed, public_key, secret_key)
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("NotARecipientError") from exc


def inbound_portal(manifest: dict[str, Any]) -> dict[str, bytes] | None:
    """Bundles, Inbound, `portal`: the portal's X25519 key and receipt salt, or None."""
    if "portal" not in manifest:
        return None
    value = manifest["portal"]
    if not isinstance(value, dict) or set(value) != {"encryption_key", "receipt_salt"}:
        raise SpecError("MalformedError")
    if not all(isinstance(v, str) for v in value.values()):
        raise SpecError("MalformedError")
    return {
        "encryption_key": _b64(value["encryption_key"], 32),
        "receipt_salt": _b64(value["receipt_salt"], 16),
    }


# -- Sealed case file ------------------------------------------------------------------------

CASEFILE_FIELDS = {"case", "created_day", "files", "format", "handler"}
CASEFILE_ENTRY = {"key", "media_type", "name", "size"}


def _is_text(value: object, least: int, most: int) -> bool:
    """Text of least-most code points, every one a Unicode scalar value."""
    return _is_string(value) and least <= len(str(value)) <= most


def casefile_manifest(data: bytes) -> dict[str, Any]:
    """"Sealed case file", "Manifest" (step 6): the manifest with each key decoded."""
    m = _json(data)
    if not isinstance(m, dict) or set(m) != CASEFILE_FIELDS:
        raise SpecError("MalformedError")
    if m["format"] != "varsel-casefile/v1":
        raise SpecError("MalformedError")
    if not isinstance(m["case"], str) or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", m["case"]):
        raise SpecError("MalformedError")
    check_day(m["created_day"])
    if m["handler"] is not None and not _is_text(m["handler"], 1, 255):
        raise SpecError("MalformedError")
    files = m["files"]
    if not isinstance(files, list) or not 1 <= len(files) <= 4096:
        raise SpecError("MalformedError")
    decoded = []
    for f in files:
        if not isinstance(f, dict) or set(f) != CASEFILE_ENTRY:
            raise SpecError("MalformedError")
        if not _is_text(f["name"], 1, 255) or not _is_text(f["media_type"], 1, 255):
            raise SpecError("MalformedError")
        if type(f["size"]) is not int or not 0 <= f["size"] <= 2**53 - 1:
            raise SpecError("MalformedError")
        if not isinstance(f["key"], str):
            raise SpecError("MalformedError")
        decoded.append({**f, "key": _b64(f["key"], 32)})
    return {**m, "files": decoded}


def stream_length(size: int) -> int:
    """An Attachment stream's length: 28 + padded_size(size) + 17 per 65 536-byte chunk."""
    padded = padded_size(size)
    return 28 + padded + 17 * -(-padded // 65536)


def write_casefile(
    office_enc_sk: bytes,
    office_sign_seed: bytes,
    handler_pk: bytes,
    manifest_bytes: bytes,
    files: list[tuple[bytes, bytes]],
) -> bytes:
    """Sign arbitrary manifest bytes and append a stream per ``(key, file)`` (tests use it to
    build hostile but signed case files)."""
    sealed = seal_envelope(manifest_bytes, [handler_pk])
    verify, secret = na.crypto_sign_seed_keypair(office_sign_seed)
    head = b"VSCASEF1" + na.crypto_scalarmult_base(office_enc_sk) + verify
    head += len(sealed).to_bytes(4, "big") + sealed
    signature = na.crypto_sign(head, secret)[:64]
    return head + signature + b"".join(encrypt_stream(key, file) for key, file in files)


def read_casefile(
    data: bytes, handler_pk: bytes, handler_sk: bytes
) -> tuple[str, dict[str, Any], list[bytes]]:
    """"Sealed case file", "Reading", steps 1-8: (the office's fingerprint, the manifest,
    every file's bytes)."""
    if len(data) < 76 or data[:8] != b"VSCASEF1":
        raise SpecError("MalformedError")
    elen = int.from_bytes(data[72:76], "big")
    if not 129 <= elen <= 1048576:
        raise SpecError("MalformedError")
    if len(data) < 76 + elen + 64:
        raise SpecError("TruncatedError")
    office_enc, office_verify = data[8:40], data[40:72]
    sealed, signature = data[76 : 76 + elen], data[76 + elen : 140 + elen]
    try:
        na.crypto_sign_open(signature + data[: 76 + elen], office_verify)
    except nacl.exceptions.CryptoError as exc:
        raise SpecError("SignatureError") from exc
    manifest = casefile_manifest(open_envelope(sealed, handler_pk, handler_sk))
    lengths = [stream_length(f["size"]) for f in manifest["files"]]
    if len(data) < 140 + elen + sum(lengths):
        raise SpecError("TruncatedError")
    if len(data) > 140 + elen + sum(lengths):
        raise SpecError("MalformedError")
    files, offset = [], 140 + elen
    for f, length in zip(manifest["files"], lengths, strict=True):
        files.append(decrypt_stream(f["key"], f["size"], data[offset : offset + length]))
        offset += length
    return fingerprint(office_enc + office_verify), manifest, files
