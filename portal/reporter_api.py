"""The browser path's endpoints (docs/PROTOCOL.md, "Browser path").

With JavaScript on, the reporter's browser draws the receipt, derives the keys and seals
everything itself (static/js/). These endpoints hand it the public parameters it needs and
take only ciphertext: the sealed envelopes, the attachment streams, the login key and the
reporter's public key. The portal cannot open any of it, so it checks every shape it can
see, refuses anything else with a clear message, and then stores nothing (uploads not
recorded are discarded at teardown, portal/upload.py). Without JavaScript none of this
runs: portal/reporter.py serves the same forms and seals on the server.
"""

from datetime import timedelta

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from crypto.encoding import b64decode, b64encode
from crypto.envelope import check_sealed_shape
from crypto.errors import CryptoError
from crypto.payload import MAX_ATTACHMENTS
from crypto.receipt import login_hash
from crypto.stream import check_stream_shape
from crypto.wordlist import wordlist_bytes, wordlist_sha256

from . import pow
from .db import get_db, one_writer
from .models import Thread
from .ratelimit import limit_lane
from .recipients import load_committee, load_office
from .sealed_upload import CiphertextUpload, EnvelopePart
from .services import services
from .submission import SealedBlob, add_sealed, committee_was_chosen, create_sealed_report
from .upload import claim_uploads

bp = Blueprint("reporter_api", __name__, url_prefix="/api/v1")

PARTS = frozenset({"envelope", "own_copy", "attachments"})


class Refused(Exception):
    """The upload is not what the protocol allows: answered 400, nothing is stored."""


@bp.errorhandler(Refused)
def _refused(error: Refused) -> tuple[Response, int]:
    return jsonify({"error": str(error)}), 400


def _http_error(error: HTTPException) -> tuple[Response, int]:
    """Every failure answers JSON the page script can show (CSRF, limits, too large).
    Registered per status code, so it is found before the app's page handlers for the
    same codes (portal/errors.py)."""
    code = error.code or 500
    if code == 413:
        message = _("The files are larger than the portal accepts. Nothing was stored.")
    elif code == 429:
        message = _("Too many attempts. Wait a while and try again.")
    else:
        message = _("The portal could not accept this. Reload the page and try again.")
    return jsonify({"error": message}), code


for _code in (400, 403, 404, 405, 413, 429, 500, 503):
    bp.register_error_handler(_code, _http_error)


@bp.get("/parameters")
def parameters() -> Response:
    """What the browser needs to seal a report: the public receipt salt and recipient keys.

    The salt is public (docs/PROTOCOL.md, "Receipt"); the login pepper never leaves the
    server. ``office`` is null when no office key is configured (the portal takes no
    reports)."""
    settings = services().settings
    office = load_office(settings.keys_dir)
    return jsonify(
        {
            "receipt_salt": b64encode(services().secrets.receipt_salt),
            "office": None if office is None else b64encode(office.identity.encryption_key),
            "committee": [
                b64encode(r.identity.encryption_key) for r in load_committee(settings.keys_dir)
            ],
            "max_upload_bytes": settings.max_upload_bytes,
            "wordlist_sha256": wordlist_sha256(),
        }
    )


@bp.get("/wordlist.txt")
def wordlist() -> Response:
    """The receipt word list file, byte for byte as the package ships it."""
    return Response(wordlist_bytes(), content_type="text/plain; charset=utf-8")


@bp.post("/report")
def report() -> Response:
    """A report sealed in the browser: a new thread, or a 400 and nothing stored."""
    settings = services().settings
    _refuse_bots()
    if load_office(settings.keys_dir) is None:
        raise Refused(_("The portal does not take reports at the moment."))
    login_key = _key_field("login_key")
    public_key = _key_field("reporter_public_key")
    envelope, own_copy, blobs = _sealed_parts(_recipient_count())
    _limit_submissions()
    db = get_db()
    hashed = login_hash(login_key, services().secrets.login_pepper)
    if db.scalars(select(Thread.id).where(Thread.login_hash == hashed)).first() is not None:
        raise Refused(_("This receipt is already in use. Reload the page and send again."))
    create_sealed_report(
        db,
        login_hash=hashed,
        reporter_public_key=public_key,
        office_envelope=envelope,
        own_copy=own_copy,
        blobs=[SealedBlob(b.blob_id, b.stored_size, b.blake2b) for b in blobs],
    )
    with one_writer():
        db.commit()
    claim_uploads(blobs)
    return jsonify({"ok": True})


@bp.post("/thread")
def thread() -> Response:
    """The thread's ciphertexts for a login key: the reporter's own copies and the office's
    replies, which only the browser can open. Counted as a login attempt."""
    settings = services().settings
    limit_lane("login", pow.lane())
    t = _thread_for(_key_field("login_key"))
    items: list[tuple[int, dict[str, object]]] = []
    for s in t.submissions:
        items.append((s.position, {"who": "me", "kind": s.kind, "day": s.day.isoformat(),
                                   "envelope": b64encode(s.own_copy)}))
    for r in t.replies:
        items.append((r.position, {"who": "office", "kind": "reply", "day": r.day.isoformat(),
                                   "envelope": b64encode(r.envelope)}))
    expires = t.last_activity_day + timedelta(days=settings.thread_expiry_days)
    return jsonify(
        {
            "status": t.status,
            "expires": expires.isoformat(),
            "committee_chosen": committee_was_chosen(t),
            "items": [item for _pos, item in sorted(items, key=lambda pair: pair[0])],
        }
    )


@bp.post("/message")
def message() -> Response:
    """A follow-up message sealed in the browser, on the thread of the login key."""
    _refuse_bots()
    t = _thread_for(_key_field("login_key"))
    envelope, own_copy, blobs = _sealed_parts(_recipient_count())
    _limit_submissions()
    db = get_db()
    add_sealed(
        db,
        t,
        "message",
        envelope,
        own_copy,
        [SealedBlob(b.blob_id, b.stored_size, b.blake2b) for b in blobs],
    )
    with one_writer():
        db.commit()
    claim_uploads(blobs)
    return jsonify({"ok": True})


# -- checks ------------------------------------------------------------------------------


def _refuse_bots() -> None:
    if request.form.get("website"):
        raise Refused(_("The portal could not accept this. Reload the page and try again."))


def _key_field(name: str) -> bytes:
    try:
        return b64decode(request.form.get(name, ""), length=32, what=name)
    except CryptoError as exc:
        raise Refused(_("The encrypted report was not accepted (%(reason)s). Nothing was stored.",
                        reason=str(exc))) from exc


def _recipient_count() -> int:
    keys_dir = services().settings.keys_dir
    chosen = request.form.get("send_to_committee") == "y"
    return 1 + (len(load_committee(keys_dir)) if chosen else 0)


def _thread_for(login_key: bytes) -> Thread:
    hashed = login_hash(login_key, services().secrets.login_pepper)
    t = get_db().scalars(select(Thread).where(Thread.login_hash == hashed)).one_or_none()
    if t is None:
        raise Refused(_("No report matches this receipt. Check the words and try again."))
    return t


def _sealed_parts(recipients: int) -> tuple[bytes, bytes, list[CiphertextUpload]]:
    """The two envelopes and the attachment streams, each checked for every shape the
    portal can see without a key (docs/PROTOCOL.md, "Browser path")."""
    if set(request.files) - PARTS:
        raise Refused(_("The encrypted report was not accepted (%(reason)s). Nothing was stored.",
                        reason="unexpected part"))
    try:
        envelope = _envelope("envelope")
        own_copy = _envelope("own_copy")
        check_sealed_shape(envelope, recipients)
        check_sealed_shape(own_copy, 1)
        files = request.files.getlist("attachments")
        if len(files) > MAX_ATTACHMENTS:
            raise CryptoError(f"more than {MAX_ATTACHMENTS} attachments")
        blobs = [_stream(f) for f in files]
    except CryptoError as exc:
        raise Refused(_("The encrypted report was not accepted (%(reason)s). Nothing was stored.",
                        reason=str(exc))) from exc
    return envelope, own_copy, blobs


def _envelope(name: str) -> bytes:
    parts = request.files.getlist(name)
    if len(parts) != 1 or not isinstance(parts[0].stream, EnvelopePart):
        raise CryptoError(f"exactly one {name} is required")
    if parts[0].filename != f"{name}.vse" or not parts[0].stream.complete:
        raise CryptoError(f"the {name} part is not complete")
    return bytes(parts[0].stream.data)


def _stream(part: FileStorage) -> CiphertextUpload:
    upload = part.stream
    if not isinstance(upload, CiphertextUpload) or not upload.complete:
        raise CryptoError("an attachment part is not an attachment stream")
    check_stream_shape(upload.prefix, upload.stored_size)
    return upload


def _limit_submissions() -> None:
    """The same limits and the same proof-of-work check as the server path
    (portal/reporter.py, portal/pow.py): a solved ``pow`` field puts the request in the
    proof-of-work lane."""
    limit_lane("submit", pow.lane())
