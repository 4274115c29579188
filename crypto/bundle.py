"""Signed transfer bundles between the portal and the offline inbox.

docs/THREAT-MODEL.md, requirement 5.

    "VSBUNDL1" | signer(32) | u32be mlen | manifest(mlen, JSON) | sig(64) | blob* | EOF

The Ed25519 signature covers every byte before it; each blob's size and BLAKE2b-256 are in
the manifest, so the whole bundle is authenticated before any item is looked at. Inbound
bundles (portal -> inbox) are signed by the portal's key, which the inbox pins on first
import; outbound bundles (inbox -> portal) by the office key, with a sequence number the
portal requires to grow (no replays) and an ``audience`` naming the portal's key.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import nacl.hash
from nacl.encoding import RawEncoder

from .encoding import b64decode, b64encode, check_day, check_id, loads_json
from .errors import MalformedError, SignatureError, TooLargeError
from .keys import SecretIdentity, fingerprint, verify_signature
from .payload import MAX_ATTACHMENTS, THREAD_STATUSES
from .receipt import SALT_BYTES, SEALED_LOGIN_KEY_BYTES
from .rotation import STATEMENT_BYTES, read_rotation

MAGIC = b"VSBUNDL1"
FORMAT = "varsel-bundle/v1"
SIGNER_BYTES = 32
SIGNATURE_BYTES = 64
MAX_MANIFEST = 16 * 1024 * 1024
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
MAX_BUNDLE = 4 * 1024 * 1024 * 1024
MAX_ENTRIES = 100_000
PREFIX = len(MAGIC) + SIGNER_BYTES + 4
ITEM_KINDS = ("report", "message")
# Outbound top-level fields a writer leaves out when they are empty.
OUTBOUND_OPTIONAL = ("reply_by", "open_threads", "key_rotation")
# Bounds on what a reader accepts, so that a validly signed bundle from a compromised
# signer cannot carry numbers, days or counts that break the reader later
# (docs/PROTOCOL.md, "Bounds").
MAX_SEQUENCE = 2**53 - 1  # exact in every JSON implementation (IEEE 754 doubles)
MAX_INBOUND_ITEMS = 10_000  # the portal sends at most 5 000 per part
DAYS_BEFORE = 3653  # a day more than ten years before the reader's today is refused ...
DAYS_AFTER = 2  # ... and one more than two days after it (clocks, time zones)
_BLOB_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,79}")


@dataclass(frozen=True)
class Blob:
    id: str
    data: bytes


@dataclass(frozen=True)
class InboundThread:
    id: str
    reporter_public_key: bytes
    created_day: str
    status: str


@dataclass(frozen=True)
class InboundItem:
    id: str
    thread: str
    kind: str  # "report" | "message"
    day: str
    envelope: bytes
    attachments: tuple[Blob, ...] = ()


@dataclass(frozen=True)
class PortalParameters:
    """What the inbox needs to issue a receipt for a thread on the portal: the portal's
    X25519 key (login keys are sealed to it) and the instance's public receipt salt."""

    encryption_key: bytes
    receipt_salt: bytes


@dataclass(frozen=True)
class InboundBundle:
    created_day: str
    last_outbound_sequence: int
    threads: tuple[InboundThread, ...]
    items: tuple[InboundItem, ...]
    portal: PortalParameters | None = None


@dataclass(frozen=True)
class OutboundReply:
    id: str
    thread: str
    day: str
    envelope: bytes


@dataclass(frozen=True)
class StatusChange:
    thread: str
    status: str


@dataclass(frozen=True)
class OpenThread:
    """A thread the office asks the portal to open for a report received outside it: the
    reporter got a receipt on paper (inbox/receipts.py)."""

    id: str
    status: str
    reporter_public_key: bytes
    sealed_login_key: bytes  # crypto.receipt.seal_login_key, to the portal's X25519 key
    own_copy: bytes  # envelope of an own_copy payload, sealed to the reporter's key


@dataclass(frozen=True)
class OutboundBundle:
    sequence: int
    audience: str  # fingerprint of the portal's signing key
    created_day: str
    acks: tuple[str, ...] = ()
    replies: tuple[OutboundReply, ...] = ()
    statuses: tuple[StatusChange, ...] = ()
    # A key-rotation statement (crypto/rotation.py) signed by the key that signs the bundle.
    key_rotation: bytes | None = None
    # The accused's open time limits to reply (§10.2), one day per case, in ascending
    # order and tied to no thread: the portal's office dashboard counts them.
    reply_by: tuple[str, ...] = ()
    open_threads: tuple[OpenThread, ...] = ()


def bundle_signer(data: bytes) -> bytes:
    """The Ed25519 key a bundle claims to be signed by (not yet verified: pin or compare)."""
    _check_prefix(data)
    return data[len(MAGIC) : len(MAGIC) + SIGNER_BYTES]


def signer_fingerprint(verify_key: bytes) -> str:
    return fingerprint(verify_key)


def write_inbound(bundle: InboundBundle, portal: SecretIdentity) -> bytes:
    blobs: list[Blob] = []
    items = []
    for item in bundle.items:
        env_id = f"{item.id}.envelope"
        blobs.append(Blob(env_id, item.envelope))
        blobs.extend(item.attachments)
        items.append(
            {
                "id": item.id,
                "thread": item.thread,
                "kind": item.kind,
                "day": item.day,
                "envelope": env_id,
                "attachments": [a.id for a in item.attachments],
            }
        )
    manifest = {
        "format": FORMAT,
        "direction": "inbound",
        "created_day": bundle.created_day,
        "last_outbound_sequence": bundle.last_outbound_sequence,
        "threads": [
            {
                "id": t.id,
                "reporter_public_key": b64encode(t.reporter_public_key),
                "created_day": t.created_day,
                "status": t.status,
            }
            for t in bundle.threads
        ],
        "items": items,
    }
    if bundle.portal is not None:
        manifest["portal"] = {
            "encryption_key": b64encode(bundle.portal.encryption_key),
            "receipt_salt": b64encode(bundle.portal.receipt_salt),
        }
    return _seal(manifest, blobs, portal)


def read_inbound(
    data: bytes, portal_verify_key: bytes, *, today: date | None = None
) -> InboundBundle:
    """Verify and parse an inbound bundle. With ``today`` (the reader's own day), every
    day in it must lie within ``DAYS_BEFORE`` days before and ``DAYS_AFTER`` after."""
    manifest, blobs = _open(data, portal_verify_key, "inbound")
    required = {"created_day", "last_outbound_sequence", "threads", "items"}
    _fields(manifest, required | ({"portal"} & set(manifest)))
    days = _DayWindow(today)
    if len(_list(manifest["items"], "items")) > MAX_INBOUND_ITEMS:
        raise MalformedError(f"the bundle carries more than {MAX_INBOUND_ITEMS} items")
    threads = []
    thread_ids: set[str] = set()
    for t in _list(manifest["threads"], "threads"):
        _fields(t, {"id", "reporter_public_key", "created_day", "status"}, exact=True)
        tid = _unique(check_id(t["id"], "thread id"), thread_ids, "thread")
        threads.append(
            InboundThread(
                id=tid,
                reporter_public_key=b64decode(
                    _str(t["reporter_public_key"]), length=32, what="reporter public key"
                ),
                created_day=days.check(t["created_day"], "a thread's day"),
                status=_status(t["status"]),
            )
        )
    items = []
    item_ids: set[str] = set()
    used: set[str] = set()
    for i in _list(manifest["items"], "items"):
        _fields(i, {"id", "thread", "kind", "day", "envelope", "attachments"}, exact=True)
        if check_id(i["thread"], "thread id") not in thread_ids:
            raise MalformedError("an item refers to a thread the bundle does not describe")
        if i["kind"] not in ITEM_KINDS:
            raise MalformedError("an item has an unknown kind")
        refs = _list(i["attachments"], "ids")
        if len(refs) > MAX_ATTACHMENTS:
            raise MalformedError(f"an item carries more than {MAX_ATTACHMENTS} attachments")
        attachment_ids = [_blob_ref(b, blobs, used) for b in refs]
        items.append(
            InboundItem(
                id=_unique(check_id(i["id"], "item id"), item_ids, "item"),
                thread=i["thread"],
                kind=i["kind"],
                day=days.check(i["day"], "an item's day"),
                envelope=blobs[_blob_ref(i["envelope"], blobs, used)],
                attachments=tuple(Blob(b, blobs[b]) for b in attachment_ids),
            )
        )
    if used != set(blobs):
        raise MalformedError("the bundle carries blobs that no item refers to")
    if thread_ids != {item.thread for item in items}:
        raise MalformedError("the bundle describes a thread that none of its items belongs to")
    return InboundBundle(
        created_day=days.check(manifest["created_day"], "the bundle's day"),
        last_outbound_sequence=_count(manifest["last_outbound_sequence"], 0),
        threads=tuple(threads),
        items=tuple(items),
        portal=_portal(manifest["portal"]) if "portal" in manifest else None,
    )


def _portal(value: object) -> PortalParameters:
    _fields(value, {"encryption_key", "receipt_salt"}, exact=True)
    assert isinstance(value, dict)
    return PortalParameters(
        encryption_key=b64decode(_str(value["encryption_key"]), length=32, what="portal key"),
        receipt_salt=b64decode(
            _str(value["receipt_salt"]), length=SALT_BYTES, what="receipt salt"
        ),
    )


def write_outbound(bundle: OutboundBundle, office: SecretIdentity) -> bytes:
    blobs = [Blob(f"{r.id}.envelope", r.envelope) for r in bundle.replies]
    blobs += [Blob(f"{t.id}.own-copy", t.own_copy) for t in bundle.open_threads]
    manifest = {
        "format": FORMAT,
        "direction": "outbound",
        "created_day": bundle.created_day,
        "sequence": bundle.sequence,
        "audience": bundle.audience,
        "acks": list(bundle.acks),
        "replies": [
            {"id": r.id, "thread": r.thread, "day": r.day, "envelope": f"{r.id}.envelope"}
            for r in bundle.replies
        ],
        "statuses": [{"thread": s.thread, "status": s.status} for s in bundle.statuses],
    }
    if bundle.key_rotation is not None:
        read_rotation(bundle.key_rotation, office.public.verify_key)  # signed by the signer
        manifest["key_rotation"] = b64encode(bundle.key_rotation)
    if bundle.reply_by:  # omitted when empty: one spelling for "none"
        manifest["reply_by"] = list(_reply_by(list(bundle.reply_by)))
    if bundle.open_threads:
        manifest["open_threads"] = [
            {
                "id": t.id,
                "status": t.status,
                "reporter_public_key": b64encode(t.reporter_public_key),
                "sealed_login_key": b64encode(t.sealed_login_key),
                "own_copy": f"{t.id}.own-copy",
            }
            for t in bundle.open_threads
        ]
        _open_threads(manifest["open_threads"], {b.id: b.data for b in blobs}, set())
    return _seal(manifest, blobs, office)


def read_outbound(data: bytes, office_verify_key: bytes) -> OutboundBundle:
    manifest, blobs = _open(data, office_verify_key, "outbound")
    required = {"created_day", "sequence", "audience", "acks", "replies", "statuses"}
    _fields(manifest, required | (set(OUTBOUND_OPTIONAL) & set(manifest)))
    key_rotation = None
    if "key_rotation" in manifest:
        key_rotation = b64decode(
            _str(manifest["key_rotation"]), length=STATEMENT_BYTES, what="key rotation"
        )
        read_rotation(key_rotation, office_verify_key)  # refuse the bundle whole if it fails
    ack_ids: set[str] = set()
    acks = tuple(
        _unique(check_id(a, "acknowledged item id"), ack_ids, "ack")
        for a in _list(manifest["acks"], "acks")
    )
    used: set[str] = set()
    reply_ids: set[str] = set()
    replies = []
    for r in _list(manifest["replies"], "replies"):
        _fields(r, {"id", "thread", "day", "envelope"}, exact=True)
        replies.append(
            OutboundReply(
                id=_unique(check_id(r["id"], "reply id"), reply_ids, "reply"),
                thread=check_id(r["thread"], "thread id"),
                day=check_day(r["day"]),
                envelope=blobs[_blob_ref(r["envelope"], blobs, used)],
            )
        )
    statuses = []
    for s in _list(manifest["statuses"], "statuses"):
        _fields(s, {"thread", "status"}, exact=True)
        statuses.append(
            StatusChange(thread=check_id(s["thread"], "thread id"), status=_status(s["status"]))
        )
    open_threads = (
        _open_threads(manifest["open_threads"], blobs, used) if "open_threads" in manifest else ()
    )
    if used != set(blobs):
        raise MalformedError("the bundle carries blobs that nothing refers to")
    return OutboundBundle(
        sequence=_count(manifest["sequence"], 1),
        audience=_str(manifest["audience"]),
        created_day=check_day(manifest["created_day"]),
        acks=acks,
        replies=tuple(replies),
        statuses=tuple(statuses),
        key_rotation=key_rotation,
        reply_by=_reply_by(manifest["reply_by"]) if "reply_by" in manifest else (),
        open_threads=open_threads,
    )


def _open_threads(
    value: object, blobs: dict[str, bytes], used: set[str]
) -> tuple[OpenThread, ...]:
    """A present ``open_threads``: a non-empty list; ids unique; keys of their sizes."""
    entries = _list(value, "open_threads")
    if not entries:
        raise MalformedError("open_threads must not be an empty list")
    ids: set[str] = set()
    found = []
    for t in entries:
        _fields(
            t,
            {"id", "status", "reporter_public_key", "sealed_login_key", "own_copy"},
            exact=True,
        )
        found.append(
            OpenThread(
                id=_unique(check_id(t["id"], "thread id"), ids, "thread to open"),
                status=_status(t["status"]),
                reporter_public_key=b64decode(
                    _str(t["reporter_public_key"]), length=32, what="reporter public key"
                ),
                sealed_login_key=b64decode(
                    _str(t["sealed_login_key"]),
                    length=SEALED_LOGIN_KEY_BYTES,
                    what="sealed login key",
                ),
                own_copy=blobs[_blob_ref(t["own_copy"], blobs, used)],
            )
        )
    return tuple(found)


def _reply_by(value: object) -> tuple[str, ...]:
    """A present ``reply_by``: a non-empty list of days in ascending order (repeats allowed:
    two cases may share a time limit)."""
    days = tuple(check_day(d, "a time limit to reply") for d in _list(value, "reply_by"))
    if not days or list(days) != sorted(days):
        raise MalformedError("reply_by must be a non-empty list of days in ascending order")
    return days


def _seal(manifest: dict[str, Any], blobs: Sequence[Blob], signer: SecretIdentity) -> bytes:
    seen: set[str] = set()
    for blob in blobs:
        if not _BLOB_ID.fullmatch(blob.id):
            raise MalformedError("blob id is not valid")
        _unique(blob.id, seen, "blob")
    manifest["blobs"] = [
        {"id": b.id, "size": len(b.data), "blake2b": _digest(b.data).hex()} for b in blobs
    ]
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MANIFEST:
        raise TooLargeError("bundle manifest is too large")
    head = MAGIC + signer.public.verify_key + len(body).to_bytes(4, "big") + body
    if len(head) + SIGNATURE_BYTES + sum(len(b.data) for b in blobs) > MAX_BUNDLE:
        raise TooLargeError("bundle would be larger than 4 GiB: export fewer items")
    return head + signer.sign(head) + b"".join(b.data for b in blobs)


def _open(
    data: bytes, verify_key: bytes, direction: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    mlen = _check_prefix(data)
    signer = data[len(MAGIC) : len(MAGIC) + SIGNER_BYTES]
    head_end = PREFIX + mlen
    if len(data) < head_end + SIGNATURE_BYTES:
        raise MalformedError("bundle is truncated")
    if signer != verify_key:
        raise SignatureError(
            "bundle is signed by an unexpected key "
            f"({fingerprint(signer)}, expected {fingerprint(verify_key)})"
        )
    if not verify_signature(verify_key, data[:head_end], data[head_end : head_end + 64]):
        raise SignatureError("bundle signature is invalid: it was changed or damaged")
    manifest = loads_json(data[PREFIX:head_end], "bundle manifest")
    if not isinstance(manifest, dict):
        raise MalformedError("bundle manifest must be a JSON object")
    if manifest.get("format") != FORMAT:
        raise MalformedError("unsupported bundle format")
    if manifest.get("direction") != direction:
        raise MalformedError(f"this is not an {direction} bundle")
    blobs: dict[str, bytes] = {}
    offset = head_end + SIGNATURE_BYTES
    for entry in _list(manifest.get("blobs"), "blobs"):
        _fields(entry, {"id", "size", "blake2b"}, exact=True)
        blob_id, size = _str(entry["id"]), _count(entry["size"], 0, MAX_BUNDLE)
        digest = entry["blake2b"]
        if not isinstance(digest, str) or not _HEX_DIGEST.fullmatch(digest):
            raise MalformedError("a blob digest is not 64 lower-case hex digits")
        if blob_id in blobs:
            raise MalformedError("bundle names a blob twice")
        chunk = data[offset : offset + size]
        if len(chunk) != size:
            raise MalformedError("bundle is truncated: a blob is shorter than its size")
        if _digest(chunk).hex() != digest:
            raise SignatureError("a blob in the bundle was changed")
        blobs[blob_id] = chunk
        offset += size
    if offset != len(data):
        raise MalformedError("bundle has data after its last blob")
    del manifest["blobs"]
    return manifest, blobs


def _check_prefix(data: bytes) -> int:
    if len(data) > MAX_BUNDLE:
        raise TooLargeError("bundle is larger than 4 GiB")
    if len(data) < PREFIX or data[: len(MAGIC)] != MAGIC:
        raise MalformedError("not a Varsel bundle")
    mlen = int.from_bytes(data[len(MAGIC) + SIGNER_BYTES : PREFIX], "big")
    if not 2 <= mlen <= MAX_MANIFEST:
        raise MalformedError("bundle manifest length is out of range")
    return mlen


def _digest(data: bytes) -> bytes:
    return nacl.hash.blake2b(data, digest_size=32, encoder=RawEncoder)


def _fields(obj: object, names: set[str], *, exact: bool = False) -> None:
    if not isinstance(obj, dict):
        raise MalformedError("bundle entry must be a JSON object")
    keys = set(obj) - {"format", "direction"} if not exact else set(obj)
    if keys != names:
        raise MalformedError("bundle entry has missing or unexpected fields")


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise MalformedError(f"bundle {what} must be a list")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise MalformedError("bundle field must be text")
    return value


def _count(value: object, minimum: int, maximum: int = MAX_SEQUENCE) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise MalformedError(f"a bundle number is outside {minimum} … {maximum}")
    return value


class _DayWindow:
    """Days as specified; with the reader's ``today``, also within the accepted window."""

    def __init__(self, today: date | None) -> None:
        self.window = (
            None
            if today is None
            else (today - timedelta(days=DAYS_BEFORE), today + timedelta(days=DAYS_AFTER))
        )

    def check(self, value: object, what: str) -> str:
        day = check_day(value, what)
        if self.window is not None:
            first, last = self.window
            if not first <= date.fromisoformat(day) <= last:
                raise MalformedError(
                    f"{what} {day} is outside the days this reader accepts "
                    f"({first.isoformat()} … {last.isoformat()})"
                )
        return day


def _status(value: object) -> str:
    if value not in THREAD_STATUSES:
        raise MalformedError("unknown thread status")
    return str(value)


def _unique(value: str, seen: set[str], what: str) -> str:
    if value in seen:
        raise MalformedError(f"bundle names the same {what} twice")
    seen.add(value)
    return value


def _blob_ref(value: object, blobs: dict[str, bytes], used: set[str]) -> str:
    if not isinstance(value, str) or value not in blobs:
        raise MalformedError("an entry refers to a blob the bundle does not carry")
    if value in used:
        raise MalformedError("two entries refer to the same blob")
    used.add(value)
    return value
