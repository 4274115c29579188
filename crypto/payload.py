"""What an envelope carries: a UTF-8 JSON object (docs/PROTOCOL.md, "Payloads").

Four payload types:

- ``report``   -- the form answers, attachment references, the reporter's public key
- ``message``  -- a follow-up from the reporter: text, attachment references, public key
- ``reply``    -- an answer from the office, sealed to the reporter's public key
- ``own_copy`` -- the reporter's own re-readable copy of what they sent (text, file names)

A report's answers are checked against the question catalogue (``report_form.catalogue``:
keys, kinds, choices, required questions), which the form and the inbox use too.

One validator, :func:`check_payload`, decides what a payload may hold. The reader
(:func:`decode_payload`) and the writer (:func:`encode_payload`) both run it, so nothing
is ever sealed that a reader refuses. A writer that takes text from a person first passes
names and media types through :func:`normalise_name` and :func:`normalise_media_type`,
and a long own copy through :func:`fit_text`, which make them fit.
"""

import json
import re
from dataclasses import dataclass, field
from typing import Any

from report_form import catalogue

from .encoding import (
    as_int,
    as_list,
    as_object,
    as_str,
    b64decode,
    b64encode,
    check_id,
    fields,
    loads_json,
)
from .errors import MalformedError

VERSION = 1

# Statuses the reporter can see on the thread page (wire values; labels live in the UI).
THREAD_STATUSES = ("received", "acknowledged", "in_progress", "closed")

MAX_TEXT = 100_000
MAX_NAME = 255
MAX_ATTACHMENTS = 64
# An attachment's true size: a stream must fit in a bundle (crypto.bundle.MAX_BUNDLE).
MAX_FILE_SIZE = 4 * 1024 * 1024 * 1024
DEFAULT_MEDIA_TYPE = "application/octet-stream"
DEFAULT_NAME = "file"
ELLIPSIS = "\u2026"
# What a writer keeps of a media type: printable ASCII, no leading or trailing space.
_MEDIA_TYPE = re.compile(r"[!-~](?:[ -~]*[!-~])?")

Answers = dict[str, str | list[str]]


@dataclass(frozen=True)
class AttachmentRef:
    """Points at an attachment stream: its blob id, its per-file key and its true size."""

    name: str
    size: int
    media_type: str
    key: bytes
    blob: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "media_type": self.media_type,
            "key": b64encode(self.key),
            "blob": self.blob,
        }

    @classmethod
    def from_json(cls, obj: object) -> "AttachmentRef":
        o = fields(obj, {"name", "size", "media_type", "key", "blob"}, what="attachment")
        return cls(
            name=as_str(o["name"], "attachment name", MAX_NAME),
            size=as_int(o["size"], "attachment size", 0, MAX_FILE_SIZE),
            media_type=as_str(o["media_type"], "attachment media type", MAX_NAME),
            key=b64decode(as_str(o["key"], "attachment key", 64), length=32, what="key"),
            blob=check_id(o["blob"], "attachment blob"),
        )


@dataclass(frozen=True)
class Report:
    answers: Answers
    reporter_public_key: bytes
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True)
class Message:
    text: str
    reporter_public_key: bytes
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True)
class Reply:
    text: str


@dataclass(frozen=True)
class OwnCopy:
    text: str
    file_names: tuple[str, ...] = field(default=())


Payload = Report | Message | Reply | OwnCopy


def check_answers(answers: object) -> Answers:
    """Validate form answers against the question catalogue (``report_form.catalogue``,
    read when called); returns them unchanged."""
    a = as_object(answers, "answers")
    questions = catalogue.by_key(catalogue.QUESTIONS)
    for key, value in a.items():
        question = questions.get(key)
        if question is None:
            raise MalformedError(f"unknown question {key!r}")
        choices = question.values
        if question.kind is catalogue.SEVERAL:
            if (
                not isinstance(value, list)
                or not all(isinstance(v, str) and v in choices for v in value)
                or len(set(value)) != len(value)
            ):
                raise MalformedError(f"answer to {key!r} is not a list of distinct choices")
        elif question.kind in catalogue.FREE_TEXT:
            as_str(value, f"answer to {key!r}", MAX_TEXT)
        elif value not in choices:
            raise MalformedError(f"answer to {key!r} is not an allowed choice")
    for question in catalogue.QUESTIONS:
        if question.required is not None and not a.get(question.key):
            raise MalformedError(f"answer to {question.key!r} is required")
    return a


def encode_payload(payload: Payload) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8), after :func:`check_payload`.

    MalformedError if the payload breaks a rule of docs/PROTOCOL.md: a writer never
    seals what a reader would refuse.
    """
    obj: dict[str, Any]
    if isinstance(payload, Report):
        obj = {"type": "report", "answers": payload.answers, **_from_reporter(payload)}
    elif isinstance(payload, Message):
        obj = {"type": "message", "text": payload.text, **_from_reporter(payload)}
    elif isinstance(payload, Reply):
        obj = {"type": "reply", "text": payload.text}
    else:
        obj = {"type": "own_copy", "text": payload.text, "file_names": list(payload.file_names)}
    obj["v"] = VERSION
    check_payload(obj)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _from_reporter(payload: Report | Message) -> dict[str, Any]:
    """The fields a report and a message share: the reporter's key and the attachments."""
    return {
        "reporter_public_key": b64encode(payload.reporter_public_key),
        "attachments": [a.to_json() for a in payload.attachments],
    }


def decode_payload(data: bytes) -> Payload:
    """Parse and validate a payload; MalformedError on anything unexpected."""
    return check_payload(loads_json(data, "payload"))


def check_payload(obj: object) -> Payload:
    """The one validator of the payload format, for readers and writers alike.

    Takes the parsed JSON value; returns the payload it describes or raises
    MalformedError naming the first rule broken.
    """
    o = as_object(obj, "payload")
    version = o.get("v")
    if type(version) is not int or version != VERSION:
        raise MalformedError("unsupported payload version")
    kind = o.get("type")
    if kind == "report":
        fields(o, {"v", "type", "answers", "reporter_public_key", "attachments"}, what="report")
        return Report(
            answers=check_answers(o["answers"]),
            reporter_public_key=_public_key(o["reporter_public_key"]),
            attachments=_attachments(o["attachments"]),
        )
    if kind == "message":
        fields(o, {"v", "type", "text", "reporter_public_key", "attachments"}, what="message")
        return Message(
            text=as_str(o["text"], "message text", MAX_TEXT),
            reporter_public_key=_public_key(o["reporter_public_key"]),
            attachments=_attachments(o["attachments"]),
        )
    if kind == "reply":
        fields(o, {"v", "type", "text"}, what="reply")
        return Reply(text=as_str(o["text"], "reply text", MAX_TEXT))
    if kind == "own_copy":
        fields(o, {"v", "type", "text", "file_names"}, what="own copy")
        names = as_list(o["file_names"], "file_names", MAX_ATTACHMENTS)
        return OwnCopy(
            text=as_str(o["text"], "own copy text", MAX_TEXT),
            file_names=tuple(as_str(n, "file name", MAX_NAME) for n in names),
        )
    raise MalformedError("unknown payload type")


def normalise_media_type(value: str | None) -> str:
    """A sender's media type as a writer may seal it: printable ASCII of at most
    ``MAX_NAME`` characters, else ``application/octet-stream`` (nothing is lost: the
    file's bytes are what they are)."""
    if value is None or len(value) > MAX_NAME or not _MEDIA_TYPE.fullmatch(value):
        return DEFAULT_MEDIA_TYPE
    return value


def normalise_name(value: str | None) -> str:
    """A sender's file name as a writer may seal it: valid Unicode, stripped, at most
    ``MAX_NAME`` code points; a longer one is cut in the middle of its stem, keeping a
    short extension (``"very long…name.pdf"``)."""
    text = _scalars(value or "").strip() or DEFAULT_NAME
    if len(text) <= MAX_NAME:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = text, ""
    tail = f".{ext}" if ext else ""
    return stem[: MAX_NAME - len(tail) - 1] + ELLIPSIS + tail


def fit_text(value: str, limit: int = MAX_TEXT) -> str:
    """Text cut to ``limit`` code points, ending in "…" when it was cut (own copies)."""
    text = _scalars(value)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _scalars(value: str) -> str:
    """Lone surrogates (which UTF-8 cannot carry) replaced with U+FFFD."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    return value


def _public_key(value: object) -> bytes:
    return b64decode(as_str(value, "reporter public key", 64), length=32, what="public key")


def _attachments(value: object) -> tuple[AttachmentRef, ...]:
    return tuple(
        AttachmentRef.from_json(a) for a in as_list(value, "attachments", MAX_ATTACHMENTS)
    )
