"""Proof of work before a submission or a receipt login (docs/PROTOCOL.md, "Proof of
work"; docs/THREAT-MODEL.md, "Floods").

Every form that ends in argon2 work (the report, a follow-up message, the receipt login)
carries a hidden ``pow`` input holding a challenge. With JavaScript on, static/js/pow.js
solves it in a Web Worker as soon as the page has loaded and puts ``challenge.nonce`` in
the input; the request then counts in the proof-of-work lane, whose limits are
``VARSEL_POW_LANE_FACTOR`` times higher and whose waiters go first for argon2
(portal/ratelimit.py). Without JavaScript the input is sent as it is, and the request
counts in the plain lane: the form still works, it just meets a flood's shedding first.

A challenge is ``1.<bits>.<expires>.<random>.<mac>``; a solution appends ``.<nonce>`` and
is valid when SHA-256 of the whole text starts with ``bits`` zero bits, the keyed BLAKE2b
``mac`` matches, ``expires`` (Unix seconds) has not passed and the challenge was not spent
before. ``bits`` rises with the load of the proof-of-work lane, from ``VARSEL_POW_BITS`` to
``VARSEL_POW_MAX_BITS``. Spent challenges are remembered in the database (every worker and
instance sees them) by a hash of their random part, until their 15-minute epoch has passed.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, request
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from .db import one_writer
from .models import PowSpent
from .ratelimit import Lane, pow_lane_fill
from .services import services

VERSION = "1"
FIELD = "pow"
VALID_SECONDS = 20 * 60  # pow.js fetches a fresh challenge every 10 minutes
EPOCH = 15 * 60  # spent challenges are kept until the end of the epoch after expiry
MAX_LENGTH = 160
_SOLUTION = re.compile(
    r"1\.(?P<bits>[0-9]{1,2})\.(?P<expires>[0-9]{1,12})\.(?P<random>[A-Za-z0-9_-]{22})"
    r"\.(?P<mac>[A-Za-z0-9_-]{22})\.(?P<nonce>[0-9]{1,16})"
)
KEY = "varsel.pow_key"

bp = Blueprint("pow", __name__)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(key: bytes, body: str) -> str:
    return _b64(hashlib.blake2b(body.encode("ascii"), key=key, digest_size=16).digest())


def pow_key(secret_key: bytes) -> bytes:
    """The challenge-signing key, derived from the instance's secret key (shared by every
    worker and instance that shares the data directory's ``instance/``)."""
    return hashlib.blake2b(b"varsel/v1/pow", key=secret_key, digest_size=32).digest()


def make_challenge(key: bytes, bits: int, now: float) -> str:
    body = f"{VERSION}.{bits}.{int(now) + VALID_SECONDS}.{_b64(secrets.token_bytes(16))}"
    return f"{body}.{_mac(key, body)}"


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solve(challenge: str) -> str:
    """What pow.js does, in Python (for tests and tools): the first nonce that works."""
    bits = int(challenge.split(".")[1])
    nonce = 0
    while True:
        candidate = f"{challenge}.{nonce}"
        if leading_zero_bits(hashlib.sha256(candidate.encode("ascii")).digest()) >= bits:
            return candidate
        nonce += 1


@dataclass(frozen=True)
class Solved:
    random: str
    expires: int
    bits: int


def verify(key: bytes, value: str, now: float, min_bits: int) -> Solved | None:
    """A well-formed, authentic, unexpired solution of at least ``min_bits``; None for
    anything else (empty, malformed, forged, expired, too easy, wrong nonce)."""
    if not value or len(value) > MAX_LENGTH:
        return None
    found = _SOLUTION.fullmatch(value)
    if found is None:
        return None
    bits, expires = int(found["bits"]), int(found["expires"])
    body = f"{VERSION}.{bits}.{expires}.{found['random']}"
    if not hmac.compare_digest(_mac(key, body), found["mac"]):
        return None
    if bits < min_bits or not now < expires <= now + VALID_SECONDS:
        return None
    if leading_zero_bits(hashlib.sha256(value.encode("ascii")).digest()) < bits:
        return None
    return Solved(found["random"], expires, bits)


def spend(
    engine: Engine, solved: Solved, now: float,
    writer: AbstractContextManager[object] | None = None,
) -> bool:
    """Remember the challenge as spent; False when it was spent before."""
    forget_after = (solved.expires // EPOCH + 1) * EPOCH
    ident = hashlib.blake2b(solved.random.encode("ascii"), digest_size=16).digest()
    try:
        with writer or nullcontext(), engine.begin() as connection:
            connection.execute(delete(PowSpent).where(PowSpent.forget_after <= int(now)))
            connection.execute(insert(PowSpent).values(id=ident, forget_after=forget_after))
    except IntegrityError:
        return False
    return True


def lane() -> Lane:
    """The one check every submit and login endpoint makes: the lane of this request, from
    its ``pow`` form field (a valid solution is spent here, once)."""
    settings = services().settings
    now = time.time()
    solved = verify(services().pow_key, request.form.get(FIELD, ""), now,
                    settings.pow_bits)
    if solved is None or not spend(services().counter_engine, solved, now, one_writer()):
        return Lane.PLAIN
    return Lane.POW


def current_bits() -> int:
    """The difficulty of a challenge issued now: the base, plus up to the maximum as the
    proof-of-work lane fills in the current window."""
    settings = services().settings
    base: int = settings.pow_bits
    top: int = max(base, settings.pow_max_bits)
    return min(top, base + round(min(1.0, pow_lane_fill()) * (top - base)))


def challenge() -> str:
    return make_challenge(services().pow_key, current_bits(), time.time())


@bp.get("/pow")
def fresh_challenge() -> Response:
    """A new challenge for pow.js, which refreshes long-open forms."""
    return Response(challenge(), mimetype="text/plain")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _pow() -> dict[str, Any]:
        return {"pow_challenge": challenge}
