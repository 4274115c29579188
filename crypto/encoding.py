"""Small encoding helpers shared by the text and JSON formats.

The JSON formats (payloads, bundle manifests, the sealed case file's manifest) check the
shape of what they parse with the same few functions: :func:`fields` for an object's keys,
:func:`as_list`, :func:`as_str` and :func:`as_int` for bounded values. Each raises
MalformedError naming ``what`` was wrong.
"""

import base64
import binascii
import json
import re
from collections.abc import Iterable
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


def as_object(value: object, what: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise MalformedError(f"{what} must be a JSON object")
    return value


def fields(
    value: object, required: Iterable[str], optional: Iterable[str] = (), *, what: str
) -> dict[str, Any]:
    """A JSON object with every key of ``required``, any of ``optional`` and no other."""
    obj = as_object(value, what)
    keys, needed = set(obj), set(required)
    if not needed <= keys or not keys <= needed | set(optional):
        raise MalformedError(f"{what} has missing or unexpected fields")
    return obj


def as_list(value: object, what: str, most: int) -> list[Any]:
    """A JSON array of at most ``most`` elements."""
    if not isinstance(value, list) or len(value) > most:
        raise MalformedError(f"{what} must be a list of at most {most}")
    return value


def as_str(value: object, what: str, most: int | None = None, *, least: int = 0) -> str:
    """A JSON string of ``least`` to ``most`` code points (unbounded when ``most`` is None),
    every one a Unicode scalar value: a lone surrogate, which JSON can write as an escape
    such as ``\\ud800`` but UTF-8 cannot carry, is refused."""
    too_long = isinstance(value, str) and most is not None and len(value) > most
    if not isinstance(value, str) or len(value) < least or too_long:
        if most is None:
            raise MalformedError(f"{what} must be text")
        if least:
            raise MalformedError(f"{what} must be text of {least} to {most} characters")
        raise MalformedError(f"{what} must be text of at most {most} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedError(f"{what} is not valid Unicode text (a lone surrogate)") from exc
    return value


def as_int(value: object, what: str, least: int, most: int) -> int:
    """A JSON integer from ``least`` to ``most`` (``true`` and ``1.0`` are not integers)."""
    if type(value) is not int or not least <= value <= most:
        raise MalformedError(f"{what} is outside {least} … {most}")
    return value
