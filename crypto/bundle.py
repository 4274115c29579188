"""Signed transfer bundles between the portal and the offline inbox.

docs/THREAT-MODEL.md, requirement 5.

    "VSBUNDL1" | signer(32) | u32be mlen | manifest(mlen, JSON) | sig(64) | blob* | EOF

The Ed25519 signature covers every byte before it; each blob's size and BLAKE2b-256 are in
the manifest, so the whole bundle is authenticated before any item is looked at.

Inbound bundles can also be written and read a piece at a time, so neither side holds a
bundle in memory (docs/PROTOCOL.md, "Streaming"): :func:`sign_inbound` needs only each
blob's size and digest (the portal computes a digest once, when it stores the blob), and
the caller sends the blobs after the head it returns; :func:`read_inbound_head` verifies the
signature and the whole manifest from the head and the bundle's length alone, and
:class:`BlobCheck` checks each blob's digest as its bytes go by. These functions take and
return bytes; the caller does the reading and writing. Inbound
bundles (portal -> inbox) are signed by the portal's key, which the inbox pins on first
import; outbound bundles (inbox -> portal) by the office key, with a sequence number the
portal requires to grow (no replays) and an ``audience`` naming the portal's key.
"""

import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import nacl.hash
import nacl.hashlib
from nacl.encoding import RawEncoder

from .encoding import (
    as_int,
    as_list,
    as_str,
    b64decode,
    b64encode,
    check_day,
    check_id,
    fields,
    loads_json,
)
from .errors import MalformedError, SignatureError, TooLargeError
from .keys import SecretIdentity, fingerprint, verify_signature
from .payload import MAX_ATTACHMENTS, THREAD_STATUSES
from .receipt import SALT_BYTES, SEALED_LOGIN_KEY_BYTES
from .rotation import STATEMENT_BYTES, read_rotation

MAGIC = b"VSBUNDL1"
FORMAT = "varsel-bundle/v1"
SIGNER_BYTES = 32
SIGNATURE_BYTES = 64
DIGEST_BYTES = 32
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
class BlobInfo:
    """A blob as the manifest lists it: what signing needs, without the bytes."""

    id: str
    size: int
    blake2b: bytes  # BLAKE2b-256 of the blob (DIGEST_BYTES)


@dataclass(frozen=True)
class BlobSpan:
    """A verified manifest's blob: its place in the bundle and the digest it must have."""

    id: str
    size: int
    blake2b: bytes
    offset: int  # from the bundle's first byte


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
class InboundEntry:
    """An inbound item for :func:`sign_inbound`: its blobs by size and digest only."""

    id: str
    thread: str
    kind: str
    day: str
    envelope: BlobInfo  # id ``<item id>.envelope``
    attachments: tuple[BlobInfo, ...] = ()


@dataclass(frozen=True)
class InboundItemHead:
    """An item of a verified head: its blobs are spans still to be read and checked."""

    id: str
    thread: str
    kind: str
    day: str
    envelope: BlobSpan
    attachments: tuple[BlobSpan, ...]


@dataclass(frozen=True)
class InboundHead:
    """What :func:`read_inbound_head` verified: everything but the blobs' bytes."""

    created_day: str
    last_outbound_sequence: int
    threads: tuple[InboundThread, ...]
    items: tuple[InboundItemHead, ...]
    blobs: tuple[BlobSpan, ...]  # in the bundle's order
    length: int  # the whole bundle's length in bytes
    portal: "PortalParameters | None" = None


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


def blob_info(blob_id: str, data: bytes) -> BlobInfo:
    return BlobInfo(blob_id, len(data), _digest(data))


def envelope_id(item_id: str) -> str:
    """The id an inbound item's envelope blob is written with."""
    return f"{item_id}.envelope"


def write_inbound(bundle: InboundBundle, portal: SecretIdentity) -> bytes:
    """The whole bundle in memory (tests, small bundles); the portal streams instead:
    :func:`sign_inbound` and then the blobs in the order it returns."""
    entries = [
        InboundEntry(
            id=item.id,
            thread=item.thread,
            kind=item.kind,
            day=item.day,
            envelope=blob_info(envelope_id(item.id), item.envelope),
            attachments=tuple(blob_info(a.id, a.data) for a in item.attachments),
        )
        for item in bundle.items
    ]
    head, _ = sign_inbound(
        bundle.created_day,
        bundle.last_outbound_sequence,
        bundle.threads,
        entries,
        portal,
        parameters=bundle.portal,
    )
    blobs = (data for item in bundle.items for data in _item_blobs(item))
    return head + b"".join(blobs)


def _item_blobs(item: InboundItem) -> list[bytes]:
    return [item.envelope, *(a.data for a in item.attachments)]


def sign_inbound(
    created_day: str,
    last_outbound_sequence: int,
    threads: Sequence[InboundThread],
    entries: Sequence[InboundEntry],
    portal: SecretIdentity,
    *,
    parameters: "PortalParameters | None" = None,
) -> tuple[bytes, tuple[BlobInfo, ...]]:
    """The signed head of an inbound bundle (everything up to and including the
    signature) and the blobs, in the order they must follow it: each entry's envelope,
    then its attachments. The bundle is the head followed by exactly those blobs' bytes."""
    blobs: list[BlobInfo] = []
    items = []
    for entry in entries:
        if entry.envelope.id != envelope_id(entry.id):
            raise MalformedError("an envelope blob must be named after its item")
        blobs.append(entry.envelope)
        blobs.extend(entry.attachments)
        items.append(
            {
                "id": entry.id,
                "thread": entry.thread,
                "kind": entry.kind,
                "day": entry.day,
                "envelope": entry.envelope.id,
                "attachments": [a.id for a in entry.attachments],
            }
        )
    manifest = {
        "format": FORMAT,
        "direction": "inbound",
        "created_day": created_day,
        "last_outbound_sequence": last_outbound_sequence,
        "threads": [
            {
                "id": t.id,
                "reporter_public_key": b64encode(t.reporter_public_key),
                "created_day": t.created_day,
                "status": t.status,
            }
            for t in threads
        ],
        "items": items,
    }
    if parameters is not None:
        manifest["portal"] = {
            "encryption_key": b64encode(parameters.encryption_key),
            "receipt_salt": b64encode(parameters.receipt_salt),
        }
    return _sign_head(manifest, blobs, portal), tuple(blobs)


def read_inbound(
    data: bytes, portal_verify_key: bytes, *, today: date | None = None
) -> InboundBundle:
    """Verify and parse an inbound bundle held in memory. With ``today`` (the reader's own
    day), every day in it must lie within ``DAYS_BEFORE`` days before and ``DAYS_AFTER``
    after. The inbox reads bundles from disk a piece at a time instead:
    :func:`read_inbound_head`, then :class:`BlobCheck` for each blob."""
    length = len(data)
    if length > MAX_BUNDLE:
        raise TooLargeError("bundle is larger than 4 GiB")
    head = read_inbound_head(
        data[: head_length(data[:PREFIX])], length, portal_verify_key, today=today
    )
    blobs: dict[str, bytes] = {}
    for span in head.blobs:
        check = BlobCheck(span)
        chunk = data[span.offset : span.offset + span.size]
        check.update(chunk)
        check.finish()
        blobs[span.id] = chunk
    return InboundBundle(
        created_day=head.created_day,
        last_outbound_sequence=head.last_outbound_sequence,
        portal=head.portal,
        threads=head.threads,
        items=tuple(
            InboundItem(
                id=i.id,
                thread=i.thread,
                kind=i.kind,
                day=i.day,
                envelope=blobs[i.envelope.id],
                attachments=tuple(Blob(a.id, blobs[a.id]) for a in i.attachments),
            )
            for i in head.items
        ),
    )


def head_length(prefix: bytes) -> int:
    """How many bytes the head takes (prefix, manifest and signature), from the bundle's
    first ``PREFIX`` bytes. MalformedError for anything that is not a bundle's start."""
    return PREFIX + _check_prefix(prefix) + SIGNATURE_BYTES


def read_inbound_head(
    head: bytes, length: int, portal_verify_key: bytes, *, today: date | None = None
) -> InboundHead:
    """Verify an inbound bundle's signature and its whole manifest, given its first
    :func:`head_length` bytes and its ``length``, before any blob is read.

    Checks everything the manifest says, and that ``length`` is exactly the head plus the
    blobs' sizes (so a cut or extended bundle is refused here). What remains is each blob's
    digest: :class:`BlobCheck`, over the bytes at each span, in any order. Nothing read
    from a blob may be acted on until every check has passed (docs/PROTOCOL.md,
    "Streaming")."""
    manifest, spans = _open_head(head, length, portal_verify_key, "inbound")
    required = {"created_day", "last_outbound_sequence", "threads", "items"}
    fields(manifest, required | {"format", "direction"}, ("portal",), what="bundle manifest")
    days = _DayWindow(today)
    if len(as_list(manifest["items"], "bundle items", MAX_ENTRIES)) > MAX_INBOUND_ITEMS:
        raise MalformedError(f"the bundle carries more than {MAX_INBOUND_ITEMS} items")
    threads = []
    thread_ids: set[str] = set()
    for t in as_list(manifest["threads"], "bundle threads", MAX_ENTRIES):
        fields(t, {"id", "reporter_public_key", "created_day", "status"}, what="bundle entry")
        tid = _unique(check_id(t["id"], "thread id"), thread_ids, "thread")
        threads.append(
            InboundThread(
                id=tid,
                reporter_public_key=b64decode(
                    t["reporter_public_key"], length=32, what="reporter public key"
                ),
                created_day=days.check(t["created_day"], "a thread's day"),
                status=_status(t["status"]),
            )
        )
    items = []
    item_ids: set[str] = set()
    used: set[str] = set()
    for i in as_list(manifest["items"], "bundle items", MAX_ENTRIES):
        fields(i, {"id", "thread", "kind", "day", "envelope", "attachments"}, what="bundle entry")
        if check_id(i["thread"], "thread id") not in thread_ids:
            raise MalformedError("an item refers to a thread the bundle does not describe")
        if i["kind"] not in ITEM_KINDS:
            raise MalformedError("an item has an unknown kind")
        refs = as_list(i["attachments"], "bundle ids", MAX_ENTRIES)
        if len(refs) > MAX_ATTACHMENTS:
            raise MalformedError(f"an item carries more than {MAX_ATTACHMENTS} attachments")
        attachment_ids = [_blob_ref(b, spans, used) for b in refs]
        items.append(
            InboundItemHead(
                id=_unique(check_id(i["id"], "item id"), item_ids, "item"),
                thread=i["thread"],
                kind=i["kind"],
                day=days.check(i["day"], "an item's day"),
                envelope=spans[_blob_ref(i["envelope"], spans, used)],
                attachments=tuple(spans[b] for b in attachment_ids),
            )
        )
    if used != set(spans):
        raise MalformedError("the bundle carries blobs that no item refers to")
    if thread_ids != {item.thread for item in items}:
        raise MalformedError("the bundle describes a thread that none of its items belongs to")
    return InboundHead(
        created_day=days.check(manifest["created_day"], "the bundle's day"),
        last_outbound_sequence=as_int(
            manifest["last_outbound_sequence"], "a bundle number", 0, MAX_SEQUENCE
        ),
        threads=tuple(threads),
        items=tuple(items),
        blobs=tuple(spans.values()),
        length=length,
        portal=_portal(manifest["portal"]) if "portal" in manifest else None,
    )


def _portal(value: object) -> PortalParameters:
    obj = fields(value, {"encryption_key", "receipt_salt"}, what="bundle entry")
    return PortalParameters(
        encryption_key=b64decode(obj["encryption_key"], length=32, what="portal key"),
        receipt_salt=b64decode(obj["receipt_salt"], length=SALT_BYTES, what="receipt salt"),
    )


class BlobCheck:
    """Checks one blob's bytes against its signed digest as they go by: :meth:`update`
    with each piece in order, then :meth:`finish`, which raises
    SignatureError on a mismatch and MalformedError when the size is not the span's."""

    def __init__(self, span: BlobSpan) -> None:
        self.span = span
        self.seen = 0
        self._hash = nacl.hashlib.blake2b(digest_size=DIGEST_BYTES)

    def update(self, piece: bytes) -> None:
        self.seen += len(piece)
        if self.seen > self.span.size:
            raise MalformedError("a blob is longer than its size")
        self._hash.update(piece)

    def finish(self) -> None:
        if self.seen != self.span.size:
            raise MalformedError("bundle is truncated: a blob is shorter than its size")
        if not hmac.compare_digest(self._hash.digest(), self.span.blake2b):
            raise SignatureError("a blob in the bundle was changed")


def blob_hasher() -> "nacl.hashlib.blake2b":
    """An incremental BLAKE2b-256, the digest a manifest gives for a blob: writers that
    store a blob a piece at a time feed it the same pieces (``update``, then ``digest``)."""
    return nacl.hashlib.blake2b(digest_size=DIGEST_BYTES)


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
    fields(manifest, required | {"format", "direction"}, OUTBOUND_OPTIONAL, what="bundle manifest")
    key_rotation = None
    if "key_rotation" in manifest:
        key_rotation = b64decode(
            manifest["key_rotation"], length=STATEMENT_BYTES, what="key rotation"
        )
        read_rotation(key_rotation, office_verify_key)  # refuse the bundle whole if it fails
    ack_ids: set[str] = set()
    acks = tuple(
        _unique(check_id(a, "acknowledged item id"), ack_ids, "ack")
        for a in as_list(manifest["acks"], "bundle acks", MAX_ENTRIES)
    )
    used: set[str] = set()
    reply_ids: set[str] = set()
    replies = []
    for r in as_list(manifest["replies"], "bundle replies", MAX_ENTRIES):
        fields(r, {"id", "thread", "day", "envelope"}, what="bundle entry")
        replies.append(
            OutboundReply(
                id=_unique(check_id(r["id"], "reply id"), reply_ids, "reply"),
                thread=check_id(r["thread"], "thread id"),
                day=check_day(r["day"]),
                envelope=blobs[_blob_ref(r["envelope"], blobs, used)],
            )
        )
    statuses = []
    for s in as_list(manifest["statuses"], "bundle statuses", MAX_ENTRIES):
        fields(s, {"thread", "status"}, what="bundle entry")
        statuses.append(
            StatusChange(thread=check_id(s["thread"], "thread id"), status=_status(s["status"]))
        )
    open_threads = (
        _open_threads(manifest["open_threads"], blobs, used) if "open_threads" in manifest else ()
    )
    if used != set(blobs):
        raise MalformedError("the bundle carries blobs that nothing refers to")
    return OutboundBundle(
        sequence=as_int(manifest["sequence"], "a bundle number", 1, MAX_SEQUENCE),
        audience=as_str(manifest["audience"], "audience"),
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
    entries = as_list(value, "bundle open_threads", MAX_ENTRIES)
    if not entries:
        raise MalformedError("open_threads must not be an empty list")
    ids: set[str] = set()
    found = []
    for t in entries:
        fields(
            t,
            {"id", "status", "reporter_public_key", "sealed_login_key", "own_copy"},
            what="bundle entry",
        )
        found.append(
            OpenThread(
                id=_unique(check_id(t["id"], "thread id"), ids, "thread to open"),
                status=_status(t["status"]),
                reporter_public_key=b64decode(
                    t["reporter_public_key"], length=32, what="reporter public key"
                ),
                sealed_login_key=b64decode(
                    t["sealed_login_key"],
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
    days = tuple(
        check_day(d, "a time limit to reply")
        for d in as_list(value, "bundle reply_by", MAX_ENTRIES)
    )
    if not days or list(days) != sorted(days):
        raise MalformedError("reply_by must be a non-empty list of days in ascending order")
    return days


def _seal(manifest: dict[str, Any], blobs: Sequence[Blob], signer: SecretIdentity) -> bytes:
    head = _sign_head(manifest, [blob_info(b.id, b.data) for b in blobs], signer)
    return head + b"".join(b.data for b in blobs)


def _sign_head(
    manifest: dict[str, Any], blobs: Sequence[BlobInfo], signer: SecretIdentity
) -> bytes:
    seen: set[str] = set()
    for blob in blobs:
        if not _BLOB_ID.fullmatch(blob.id):
            raise MalformedError("blob id is not valid")
        _unique(blob.id, seen, "blob")
    manifest["blobs"] = [{"id": b.id, "size": b.size, "blake2b": b.blake2b.hex()} for b in blobs]
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MANIFEST:
        raise TooLargeError("bundle manifest is too large")
    head = MAGIC + signer.public.verify_key + len(body).to_bytes(4, "big") + body
    if len(head) + SIGNATURE_BYTES + sum(b.size for b in blobs) > MAX_BUNDLE:
        raise TooLargeError("bundle would be larger than 4 GiB: export fewer items")
    return head + signer.sign(head)


def _open(
    data: bytes, verify_key: bytes, direction: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The verified manifest (without ``blobs``) and the blobs of a bundle in memory."""
    if len(data) > MAX_BUNDLE:
        raise TooLargeError("bundle is larger than 4 GiB")
    manifest, spans = _open_head(
        data[: head_length(data[:PREFIX])], len(data), verify_key, direction
    )
    blobs: dict[str, bytes] = {}
    for span in spans.values():
        chunk = data[span.offset : span.offset + span.size]
        check = BlobCheck(span)
        check.update(chunk)
        check.finish()
        blobs[span.id] = chunk
    return manifest, blobs


def _open_head(
    head: bytes, length: int, verify_key: bytes, direction: str
) -> tuple[dict[str, Any], dict[str, BlobSpan]]:
    """Steps 1-10 of docs/PROTOCOL.md, "Reading", from the head and the bundle's length:
    the verified manifest (without ``blobs``) and where each blob lies."""
    if length > MAX_BUNDLE:
        raise TooLargeError("bundle is larger than 4 GiB")
    mlen = _check_prefix(head)
    signer = head[len(MAGIC) : len(MAGIC) + SIGNER_BYTES]
    head_end = PREFIX + mlen
    if length < head_end + SIGNATURE_BYTES or len(head) != head_end + SIGNATURE_BYTES:
        raise MalformedError("bundle is truncated")
    if signer != verify_key:
        raise SignatureError(
            "bundle is signed by an unexpected key "
            f"({fingerprint(signer)}, expected {fingerprint(verify_key)})"
        )
    if not verify_signature(verify_key, head[:head_end], head[head_end:]):
        raise SignatureError("bundle signature is invalid: it was changed or damaged")
    manifest = loads_json(head[PREFIX:head_end], "bundle manifest")
    if not isinstance(manifest, dict):
        raise MalformedError("bundle manifest must be a JSON object")
    if manifest.get("format") != FORMAT:
        raise MalformedError("unsupported bundle format")
    if manifest.get("direction") != direction:
        raise MalformedError(f"this is not an {direction} bundle")
    spans: dict[str, BlobSpan] = {}
    offset = head_end + SIGNATURE_BYTES
    for entry in as_list(manifest.get("blobs"), "bundle blobs", MAX_ENTRIES):
        fields(entry, {"id", "size", "blake2b"}, what="bundle entry")
        blob_id = as_str(entry["id"], "blob id")
        size = as_int(entry["size"], "a bundle number", 0, MAX_BUNDLE)
        digest = entry["blake2b"]
        if not isinstance(digest, str) or not _HEX_DIGEST.fullmatch(digest):
            raise MalformedError("a blob digest is not 64 lower-case hex digits")
        if blob_id in spans:
            raise MalformedError("bundle names a blob twice")
        if length - offset < size:
            raise MalformedError("bundle is truncated: a blob is shorter than its size")
        spans[blob_id] = BlobSpan(blob_id, size, bytes.fromhex(digest), offset)
        offset += size
    if offset != length:
        raise MalformedError("bundle has data after its last blob")
    del manifest["blobs"]
    return manifest, spans


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
    return nacl.hash.blake2b(data, digest_size=DIGEST_BYTES, encoder=RawEncoder)


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


def _blob_ref(value: object, blobs: Mapping[str, object], used: set[str]) -> str:
    if not isinstance(value, str) or value not in blobs:
        raise MalformedError("an entry refers to a blob the bundle does not carry")
    if value in used:
        raise MalformedError("two entries refer to the same blob")
    used.add(value)
    return value
