"""Build, encrypt and store what a reporter sends: a report (new thread) or a message.

Everything readable is sealed here, in memory, before anything is written: the envelope to
the recipients (office, plus the committee when the reporter chose it) and the reporter's
own copy sealed to the reporter's key only. The database receives ciphertext and days.

Every payload passes ``crypto.payload.check_payload`` (inside ``encode_payload``), the same
validator the inbox reads with, before anything is added to the session: what the portal
seals, the inbox can read (docs/PROTOCOL.md, "Payloads"). File names and media types are
normalised to the limits first, and an own copy longer than a payload's text is cut with
"…" (the office's envelope always carries the full report).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from crypto.envelope import open_envelope, recipient_count, seal
from crypto.errors import CryptoError
from crypto.payload import (
    Answers,
    AttachmentRef,
    Message,
    OwnCopy,
    Payload,
    Report,
    decode_payload,
    encode_payload,
    fit_text,
    normalise_media_type,
    normalise_name,
)
from crypto.receipt import ReceiptKeys, login_hash

from .clock import today
from .models import Attachment, Submission, Thread
from .recipients import load_committee, load_office
from .upload import EncryptedUpload


class NotAccepting(Exception):
    """No office key is configured: the portal takes no reports."""


@dataclass(frozen=True)
class SealedBlob:
    """An encrypted attachment stream (sealed in the browser, or by the portal as it came
    in): its blob id, ciphertext size and digest (portal.store.BlobWriter.blake2b)."""

    blob_id: str
    stored_size: int
    blake2b: bytes


@dataclass(frozen=True)
class File:
    """One uploaded file: its name (kept only inside envelopes) and its encrypted blob."""

    name: str
    upload: EncryptedUpload

    def ref(self) -> AttachmentRef:
        return AttachmentRef(
            name=normalise_name(self.name),
            size=self.upload.size,
            media_type=normalise_media_type(self.upload.media_type),
            key=self.upload.key,
            blob=self.upload.blob_id,
        )

    def sealed(self) -> SealedBlob:
        return SealedBlob(self.upload.blob_id, self.upload.stored_size, self.upload.blake2b)


def recipient_keys(keys_dir: Path, include_committee: bool) -> list[bytes]:
    """X25519 keys to seal to: the office first, then the committee if chosen (§7.1, §12)."""
    office = load_office(keys_dir)
    if office is None:
        raise NotAccepting()
    keys = [office.identity.encryption_key]
    if include_committee:
        keys += [r.identity.encryption_key for r in load_committee(keys_dir)]
    return keys


def create_report(
    db: Session,
    *,
    keys: ReceiptKeys,
    pepper: bytes,
    answers: Answers,
    files: Sequence[File],
    own_copy_text: str,
    recipients: Sequence[bytes],
) -> Thread:
    """A new thread holding the report. The caller commits."""
    thread = _new_thread(db, login_hash(keys.login_key, pepper), keys.reporter_public_key)
    report = Report(
        answers=answers,
        reporter_public_key=keys.reporter_public_key,
        attachments=tuple(f.ref() for f in files),
    )
    _store(db, thread, "report", report, OwnCopy(own_copy_text, _names(files)), files, recipients)
    return thread


def add_message(
    db: Session,
    thread: Thread,
    *,
    text: str,
    files: Sequence[File],
    recipients: Sequence[bytes],
) -> Submission:
    """A follow-up from the reporter on an existing thread. The caller commits."""
    message = Message(
        text=text,
        reporter_public_key=thread.reporter_public_key,
        attachments=tuple(f.ref() for f in files),
    )
    return _store(db, thread, "message", message, OwnCopy(text, _names(files)), files, recipients)


def committee_was_chosen(thread: Thread) -> bool:
    """Whether the thread's report went to more than the office (while its envelope exists)."""
    for submission in thread.submissions:
        if submission.kind == "report" and submission.office_envelope is not None:
            return recipient_count(submission.office_envelope) > 1
    return False


def open_for_reporter(envelope: bytes, public_key: bytes, secret_key: bytes) -> Payload | None:
    """Open an own copy or a reply with the reporter's key pair; None if it won't open."""
    try:
        return decode_payload(open_envelope(envelope, public_key, secret_key))
    except CryptoError:
        return None


def _names(files: Sequence[File]) -> tuple[str, ...]:
    return tuple(normalise_name(f.name) for f in files)


def _new_thread(db: Session, login_hash: bytes, reporter_public_key: bytes) -> Thread:
    day = today()
    thread = Thread(
        login_hash=login_hash,
        reporter_public_key=reporter_public_key,
        created_day=day,
        last_activity_day=day,
        status="received",
        next_position=0,
    )
    db.add(thread)
    return thread


def _store(
    db: Session,
    thread: Thread,
    kind: str,
    payload: Report | Message,
    own_copy: OwnCopy,
    files: Sequence[File],
    recipients: Sequence[bytes],
) -> Submission:
    # Encoding validates (MalformedError); both before the submission joins the session.
    office_envelope = seal(encode_payload(payload), recipients)
    fitted = OwnCopy(fit_text(own_copy.text), own_copy.file_names)
    own_envelope = seal(encode_payload(fitted), [thread.reporter_public_key])
    blobs = [f.sealed() for f in files]
    return add_sealed(db, thread, kind, office_envelope, own_envelope, blobs)


def create_sealed_report(
    db: Session,
    *,
    login_hash: bytes,
    reporter_public_key: bytes,
    office_envelope: bytes,
    own_copy: bytes,
    blobs: Sequence[SealedBlob],
) -> Thread:
    """A new thread from the browser path: everything arrives sealed. The caller has
    checked the shapes and commits."""
    thread = _new_thread(db, login_hash, reporter_public_key)
    add_sealed(db, thread, "report", office_envelope, own_copy, blobs)
    return thread


def add_sealed(
    db: Session,
    thread: Thread,
    kind: str,
    office_envelope: bytes,
    own_copy: bytes,
    blobs: Sequence[SealedBlob],
) -> Submission:
    """Record a sealed submission (a report or a message) and the thread's activity day."""
    submission = Submission(
        position=thread.take_position(),
        kind=kind,
        day=today(),
        office_envelope=office_envelope,
        own_copy=own_copy,
        acknowledged=False,
    )
    thread.submissions.append(submission)
    for blob in blobs:
        submission.attachments.append(
            Attachment(id=blob.blob_id, stored_size=blob.stored_size, blake2b=blob.blake2b)
        )
    thread.last_activity_day = today()
    return submission
