"""Small encoding helpers shared by the text and JSON formats."""

import base64
import binascii
import json
import re
from datetime import date
from typing import Any

from .errors import MalformedError

_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def b64encode(data: bytes) -> str:
    """Standard base64 (RFC 4648 section 4) with padding."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Strict standard base64; optionally the decoded length must equal ``length``.

    Only the canonical spelling is accepted: unused bits before the ``=`` padding must be
    zero (``AB==`` is refused, ``AA==`` accepted), so one value has one text form.
    """
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as exc:
        raise MalformedError(f"{what} is not valid base64") from exc
    if b64encode(data) != text:
        raise MalformedError(f"{what} is not canonical base64")
    if length is not None and len(data) != length:
        raise MalformedError(f"{what} must be {length} bytes, got {len(data)}")
    return data


def check_id(value: object, what: str = "identifier") -> str:
    """Identifiers are 8-64 characters of the base64url alphabet."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise MalformedError(f"{what} is not a valid identifier")
    return value


def check_day(value: object, what: str = "day") -> str:
    """Days are ISO 8601 calendar dates (YYYY-MM-DD, ASCII digits, a day that exists in the
    proleptic Gregorian calendar, year 0001-9999); no times are ever carried."""
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise MalformedError(f"{what} is not a YYYY-MM-DD date")
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise MalformedError(f"{what} is not a YYYY-MM-DD date") from exc
    return value


def loads_json(data: bytes, what: str) -> Any:
    """Strict UTF-8 JSON: no duplicate object keys and no NaN/Infinity (RFC 8259 I-JSON).

    Duplicate keys would let two readers of the same signed or encrypted bytes disagree.
    """

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            raise MalformedError(f"{what} repeats a key")
        return obj

    def constant(name: str) -> Any:
        raise MalformedError(f"{what} contains {name}, which is not JSON")

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=pairs, parse_constant=constant)
    except MalformedError:
        raise
    except (ValueError, RecursionError) as exc:  # also: integers over Python's digit limit
        raise MalformedError(f"{what} is not UTF-8 JSON") from exc
