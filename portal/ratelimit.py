"""Rate limits shared by every worker and portal instance, and fair queuing for argon2
(docs/THREAT-MODEL.md, requirement 7 and "Floods").

**Counters in the database.** A limit is "at most ``limit`` hits per window" for one bucket
(``login``, ``submit``, ... in one lane) and one client, or for everyone together. Windows
are fixed, ``VARSEL_RATE_WINDOW_SECONDS`` long (default 60) and aligned to the clock, so a
refused request is told to come back in at most one window: load is shed in seconds, and
nobody is locked out for longer than that. Each hit is one ``INSERT ... ON CONFLICT DO
UPDATE SET hits = hits + 1 RETURNING hits`` in the shared database (SQLite and PostgreSQL
alike), so every gunicorn worker and every portal instance on the same database counts
into the same row, and the same statement first deletes the rows of windows that have
ended: the table holds only the current window.

**Clients.** A client is known only by a keyed BLAKE2b hash of its address. The key of a
period (15 minutes) is derived from a secret that exists only in memory: the gunicorn
master makes it at start and its workers inherit it (``VARSEL_CLIENT_KEY``, see
portal/gunicorn_conf.py); a single process makes its own. It is never written to disk, so
the hashes in the table cannot be turned back into addresses from a copy of the disk.
Behind a Tor onion service or a local proxy every client arrives from a loopback address,
and a missing or unparsable address (a Unix socket) is as shared: per-client limits skip
such addresses (one attacker would otherwise lock everyone out) and only the global ones
apply.

**Lanes.** A request that carries a valid proof of work (portal/pow.py) is counted in the
``pow`` lane, with limits ``VARSEL_POW_LANE_FACTOR`` times higher; anything else is counted
in the ``plain`` lane. A flood without proofs of work fills only the plain lane.

**argon2 slots.** At most ``VARSEL_ARGON2_CONCURRENCY`` argon2 computations run at once in
a process (64 MiB each). Waiters are served first come, first served, proof-of-work
requests before plain ones; a plain request finds at most ``PLAIN_QUEUE_PER_SLOT`` waiters
per slot ahead of it, or is told "busy" at once instead of piling up.
"""

import hashlib
import ipaddress
import math
import os
import secrets
import threading
import time
from collections import deque
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from enum import Enum
from typing import Any

from flask import request
from sqlalchemy import Engine, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import HTTPException

from .db import one_writer
from .models import RateCounter
from .services import services

STATE_KEY = "varsel.ratelimit"
KEY_PERIOD = 15 * 60
PLAIN_QUEUE_PER_SLOT = 4
_DIGEST_BYTES = 16
CLIENT_KEY_ENV = "VARSEL_CLIENT_KEY"
_TABLE: Table = RateCounter.__table__  # type: ignore[assignment]


class RateLimited(HTTPException):
    """HTTP 429 with the seconds (and whole minutes, for the page) until the window ends."""

    code = 429
    description = "Too many attempts."

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__()
        self.retry_after_seconds = max(1, math.ceil(retry_after_seconds))
        self.retry_after_minutes = max(1, math.ceil(retry_after_seconds / 60))


class Busy(HTTPException):
    """HTTP 503: every argon2 slot is taken; the person should try again shortly."""

    code = 503
    description = "The server is busy."


class Lane(Enum):
    PLAIN = "plain"
    POW = "pow"  # carried a valid, unspent proof of work


def is_shared_address(address: str | None) -> bool:
    """True when ``address`` cannot tell clients apart: loopback (Tor onion service, local
    reverse proxy), missing or unparsable (a Unix socket)."""
    if not address:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


@dataclass(frozen=True)
class ClientKeys:
    """Keyed hashes of client addresses; the key changes every ``period`` seconds."""

    secret: bytes
    period: int = KEY_PERIOD

    def pseudonym(self, address: str, now: float) -> bytes:
        epoch = int(now // self.period).to_bytes(8, "big")
        period_key = hashlib.blake2b(
            epoch, key=self.secret, digest_size=32, person=b"varsel-client"
        ).digest()
        return hashlib.blake2b(
            address.encode("utf-8"), key=period_key, digest_size=_DIGEST_BYTES
        ).digest()

    @classmethod
    def from_env(cls) -> "ClientKeys":
        """The key the gunicorn master put in the environment, or a new one."""
        text = os.environ.get(CLIENT_KEY_ENV, "")
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            secret = b""
        return cls(secret if len(secret) >= 32 else secrets.token_bytes(32))


def window_end(now: float, window: int) -> int:
    return (int(now) // window + 1) * window


def count(
    engine: Engine, bucket: str, client: bytes, limit: int, window: int, now: float,
    writer: AbstractContextManager[object] | None = None,
) -> int:
    """Count one hit of ``client`` (``b""``: everyone) in ``bucket``'s current window; raise
    :class:`RateLimited` when the hits in this window exceed ``limit``. Returns the hits."""
    ends = window_end(now, window)
    table = _TABLE
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    upsert: Any = dialect.insert(table).values(bucket=bucket, client=client, ends=ends, hits=1)
    upsert = upsert.on_conflict_do_update(
        index_elements=["bucket", "client", "ends"], set_={"hits": table.c.hits + 1}
    ).returning(table.c.hits)
    with writer or nullcontext(), engine.begin() as connection:
        connection.execute(delete(table).where(table.c.ends <= int(now)))
        hits = int(connection.execute(upsert).scalar_one())
    if hits > limit:
        raise RateLimited(ends - now)
    return hits


def fill(engine: Engine, limits: dict[str, int], window: int, now: float) -> float:
    """How full the global buckets in ``limits`` (bucket -> limit) are in this window, as
    the largest fraction (0.0 empty, 1.0 and more full)."""
    table = _TABLE
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c.bucket, table.c.hits).where(
                table.c.bucket.in_(list(limits)),
                table.c.client == b"",
                table.c.ends == window_end(now, window),
            )
        ).all()
    return max((hits / max(1, limits[bucket]) for bucket, hits in rows), default=0.0)


class Argon2Slots:
    """A bounded number of slots with first-come, first-served queues: proof-of-work
    waiters first, then plain ones; no waiter overtakes an earlier one in its queue."""

    def __init__(self, slots: int, plain_queue: int) -> None:
        self._condition = threading.Condition()
        self._free = slots
        self._plain_queue = plain_queue
        self._queues: dict[Lane, deque[object]] = {Lane.POW: deque(), Lane.PLAIN: deque()}

    def acquire(self, lane: Lane, wait: float) -> None:
        ticket = object()
        queue = self._queues[lane]
        deadline = time.monotonic() + wait
        with self._condition:
            if lane is Lane.PLAIN and len(queue) >= self._plain_queue:
                raise Busy()
            queue.append(ticket)
            while not (self._free > 0 and self._first() is ticket):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    queue.remove(ticket)
                    self._condition.notify_all()
                    raise Busy()
                self._condition.wait(remaining)
            queue.popleft()
            self._free -= 1
            self._condition.notify_all()

    def release(self) -> None:
        with self._condition:
            self._free += 1
            self._condition.notify_all()

    def waiting(self) -> dict[Lane, int]:
        with self._condition:
            return {lane: len(queue) for lane, queue in self._queues.items()}

    def _first(self) -> object | None:
        for lane in (Lane.POW, Lane.PLAIN):
            if self._queues[lane]:
                return self._queues[lane][0]
        return None


@dataclass(frozen=True)
class LimiterState:
    keys: ClientKeys
    slots: Argon2Slots


def new_state(argon2_concurrency: int) -> LimiterState:
    return LimiterState(
        ClientKeys.from_env(),
        Argon2Slots(argon2_concurrency, PLAIN_QUEUE_PER_SLOT * argon2_concurrency),
    )


def _state() -> LimiterState:
    return services().limiter


def _engine() -> Engine:
    """The counters' engine: their commits are not flushed one by one (portal/db.py)."""
    return services().counter_engine


def _window() -> int:
    settings = services().settings
    return int(settings.rate_window_seconds)


def limit_client(bucket: str, limit: int) -> None:
    """Count the current request's client in ``bucket`` (HTTP 429 over ``limit``); nothing
    when the address is shared by every client (see the module docstring)."""
    address = request.remote_addr
    if is_shared_address(address):
        return
    assert address is not None
    now = time.time()
    pseudonym = _state().keys.pseudonym(address, now)
    count(_engine(), bucket, pseudonym, limit, _window(), now, one_writer())


def limit_global(bucket: str, limit: int) -> None:
    count(_engine(), bucket, b"", limit, _window(), time.time(), one_writer())


def limit_lane(kind: str, lane: Lane) -> None:
    """The per-client and global limits of ``kind`` ("login" or "submit") in ``lane``."""
    settings = services().settings
    client_limit, global_limit = (
        (settings.client_logins, settings.global_logins)
        if kind == "login"
        else (settings.client_submissions, settings.global_submissions)
    )
    if lane is Lane.POW:
        client_limit *= settings.pow_lane_factor
        global_limit *= settings.pow_lane_factor
    bucket = f"{kind}-{lane.value}"
    limit_client(bucket, client_limit)
    limit_global(bucket, global_limit)


def pow_lane_fill() -> float:
    """How full the proof-of-work lane is in this window (drives the difficulty)."""
    settings = services().settings
    factor = settings.pow_lane_factor
    return fill(
        _engine(),
        {
            "login-pow": settings.global_logins * factor,
            "submit-pow": settings.global_submissions * factor,
        },
        _window(),
        time.time(),
    )


class argon2_slot:
    """Hold one of the bounded argon2 slots, or raise :class:`Busy` after ``wait`` seconds
    (at once for a plain request when its queue is full)."""

    def __init__(self, wait: float, lane: Lane = Lane.PLAIN) -> None:
        self._slots = _state().slots
        self._wait = wait
        self._lane = lane

    def __enter__(self) -> None:
        self._slots.acquire(self._lane, self._wait)

    def __exit__(self, *_exc: object) -> None:
        self._slots.release()
