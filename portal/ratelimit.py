"""In-process rate limits and the bound on concurrent argon2 work (DESIGN.md requirement 7).

One :class:`RateLimiter` per application lives in ``app.extensions``. A client is known only
by a keyed hash of its address under a random key that exists only in this process's
memory: nothing here is stored, logged or comparable across restarts. Behind Tor every
client shares one address, so the per-client limit then acts as a second global limit.
"""

import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

import nacl.hash
from flask import Flask, current_app, request
from nacl.encoding import RawEncoder
from werkzeug.exceptions import HTTPException

LIMITER_KEY = "varsel.ratelimiter"
ARGON2_KEY = "varsel.argon2"
_PRUNE_EVERY = 1000


class RateLimited(HTTPException):
    """HTTP 429 with the whole minutes until the next attempt is allowed."""

    code = 429
    description = "Too many attempts."

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__()
        self.retry_after_minutes = max(1, math.ceil(retry_after_seconds / 60))


class Busy(HTTPException):
    """HTTP 503: every argon2 slot is taken; the person should try again shortly."""

    code = 503
    description = "The server is busy."


class RateLimiter:
    """Sliding-window counters: at most ``limit`` hits per ``window`` seconds per key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._address_key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, bytes], deque[float]] = {}
        self._since_prune = 0

    def client(self, address: str | None) -> bytes:
        """A per-process pseudonym for a client address (never stored or logged)."""
        return nacl.hash.blake2b(
            (address or "").encode("utf-8"),
            key=self._address_key,
            digest_size=16,
            encoder=RawEncoder,
        )

    def hit(self, bucket: str, key: bytes, limit: int, window: float) -> None:
        """Count one attempt; raise :class:`RateLimited` (counting nothing) when over."""
        now = self._clock()
        with self._lock:
            self._maybe_prune(now, window)
            hits = self._hits.setdefault((bucket, key), deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                raise RateLimited(hits[0] + window - now)
            hits.append(now)

    def _maybe_prune(self, now: float, window: float) -> None:
        self._since_prune += 1
        if self._since_prune < _PRUNE_EVERY:
            return
        self._since_prune = 0
        stale = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - window]
        for k in stale:
            del self._hits[k]


def init_app(app: Flask, argon2_concurrency: int) -> None:
    app.extensions[LIMITER_KEY] = RateLimiter()
    app.extensions[ARGON2_KEY] = threading.BoundedSemaphore(argon2_concurrency)


def limiter() -> RateLimiter:
    found: RateLimiter = current_app.extensions[LIMITER_KEY]
    return found


def limit_client(bucket: str, limit: int, window: float) -> None:
    """Rate-limit the current request's client in ``bucket``."""
    rl = limiter()
    rl.hit(bucket, rl.client(request.remote_addr), limit, window)


def limit_global(bucket: str, limit: int, window: float) -> None:
    limiter().hit(bucket, b"", limit, window)


class argon2_slot:
    """Hold one of the bounded argon2 slots, or raise :class:`Busy` after ``wait`` seconds."""

    def __init__(self, wait: float) -> None:
        self._semaphore: threading.BoundedSemaphore = current_app.extensions[ARGON2_KEY]
        self._wait = wait

    def __enter__(self) -> None:
        if not self._semaphore.acquire(timeout=self._wait):
            raise Busy()

    def __exit__(self, *_exc: object) -> None:
        self._semaphore.release()
