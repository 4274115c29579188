"""In-process rate limits and the bound on concurrent argon2 work.

docs/THREAT-MODEL.md, requirement 7.

One :class:`RateLimiter` per application lives in ``app.extensions``; nothing here is module
state, nothing is written to disk or logged, and one lock guards the whole table.

**Buckets.** A bucket is ``(name, key)`` with its own sliding window: at most ``limit`` hits
per ``window`` seconds. Each bucket remembers the longest window it was used with, and it is
removed only when that window has passed since its last hit. The whole table is swept by
*time* (at most ``sweep_interval`` seconds apart, default 60 s): on any call, and from a
daemon thread so that a quiet portal is swept too. No call pattern can make a short window
prune a long one (review F5).

**Client pseudonyms.** A client is known only by a keyed BLAKE2b hash of its address. The key
is random, exists only in this process's memory, and rotates every ``key_period`` seconds
(default 15 min). A retired key is kept only while a bucket it hashed still holds a hit, so
that a client's running count follows it across a rotation (the bucket is re-keyed to the
current key on the client's next hit), and never longer than the longest window in use
(default 1 h) after its retirement; then it is zeroed and dropped with any bucket it hashed.
So a memory image (a seized running server, a core dump, swap) holds no key that hashed an
address more than the longest window plus one key period (plus one sweep interval) ago, and
on a quiet portal no bucket, pseudonym or hit time outlives its window by more than one
sweep interval (review F6). Python cannot promise that freed memory is overwritten; the
keys are ``bytearray`` and are zeroed before they are dropped, which is the best it offers.

**Shared addresses: loopback (review F4).** Behind a Tor onion service or a local reverse
proxy every client arrives from a loopback address (127.0.0.0/8, ``::1``, or the
IPv4-mapped form), and a missing or unparsable address (a Unix socket) is just as shared.
A per-client bucket would then be one global bucket with a per-client-sized limit: a single
attacker sending 10 bad receipts an hour would lock every reporter out of their replies.
For such addresses :func:`limit_client` therefore does nothing, and only the global
buckets (:func:`limit_global`) apply. The trade-off: behind Tor a guesser is held back only
by the global limits, which are sized for the portal's real traffic, and by the bounded
argon2 slots (:class:`argon2_slot`), which cap how fast receipts can be checked at all. The
limit was never what protects a receipt: its 88 bits are. A call site that has only a
per-client limit (and no global one) is unlimited behind a shared address.
"""

import hashlib
import ipaddress
import math
import os
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

LIMITER_KEY = "varsel.ratelimiter"
ARGON2_KEY = "varsel.argon2"

SWEEP_INTERVAL = 60.0
KEY_PERIOD = 15 * 60.0
LONGEST_WINDOW = 3600.0
_KEY_BYTES = 32
_DIGEST_BYTES = 16


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


@dataclass(slots=True)
class _Bucket:
    window: float
    # The key generation that hashed this bucket's client; None for a global bucket.
    generation: int | None
    hits: deque[float] = field(default_factory=deque)

    def expire(self, now: float) -> None:
        while self.hits and self.hits[0] <= now - self.window:
            self.hits.popleft()


@dataclass(slots=True)
class _Key:
    generation: int
    secret: bytearray
    created: float
    retired: float | None = None

    def pseudonym(self, address: str) -> bytes:
        return hashlib.blake2b(
            address.encode("utf-8"), key=self.secret, digest_size=_DIGEST_BYTES
        ).digest()

    def retired_or(self, default: float) -> float:
        return default if self.retired is None else self.retired

    def wipe(self) -> None:
        self.secret[:] = bytes(len(self.secret))


class RateLimiter:
    """Sliding-window counters: at most ``limit`` hits per ``window`` seconds per bucket.

    ``clock`` is injectable for tests (monotonic seconds). ``background=True`` sweeps from a
    daemon thread every ``sweep_interval`` real seconds (started on first use in each
    process, so a fork gets its own); without it the table is swept only when called.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        key_period: float = KEY_PERIOD,
        longest_window: float = LONGEST_WINDOW,
        sweep_interval: float = SWEEP_INTERVAL,
        background: bool = False,
    ) -> None:
        self._clock = clock
        self._key_period = key_period
        self._longest = longest_window
        self._sweep_interval = sweep_interval
        self._background = background
        self._sweeper_pid: int | None = None
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, bytes], _Bucket] = {}
        now = clock()
        self._last_sweep = now
        self._generation = 0
        self._keys: list[_Key] = [self._new_key(now)]  # oldest first; the last is current

    # -- public API -------------------------------------------------------------------

    def client(self, address: str | None) -> bytes:
        """The client's pseudonym under the current key (never stored or logged).

        A pseudonym changes when the key rotates; :meth:`hit_client` carries a client's
        count across rotations, ``hit(bucket, client(address), ...)`` does not."""
        with self._lock:
            self._housekeep(self._clock())
            return self._keys[-1].pseudonym(address or "")

    def hit(self, bucket: str, key: bytes, limit: int, window: float) -> None:
        """Count one attempt; raise :class:`RateLimited` (counting nothing) when over.

        ``key`` is ``b""`` for a global bucket, else a pseudonym from :meth:`client`."""
        now = self._clock()
        with self._lock:
            self._housekeep(now, window)
            generation = self._keys[-1].generation if key else None
            self._count(bucket, key, generation, limit, window, now)

    def hit_client(self, bucket: str, address: str | None, limit: int, window: float) -> None:
        """Count one attempt by the client at ``address`` in its own ``bucket``; nothing
        for a shared (loopback or unknown) address, see the module docstring."""
        if is_shared_address(address):
            return
        assert address is not None
        now = self._clock()
        with self._lock:
            self._housekeep(now, window)
            current = self._keys[-1]
            pseudonym = current.pseudonym(address)
            for old in self._keys[:-1]:
                found = self._buckets.pop((bucket, old.pseudonym(address)), None)
                if found is not None:
                    self._adopt(bucket, pseudonym, current.generation, found)
            self._count(bucket, pseudonym, current.generation, limit, window, now)

    def sweep(self) -> None:
        """Rotate and drop keys and remove expired buckets now."""
        with self._lock:
            self._sweep(self._clock())

    def bucket_count(self) -> int:
        """How many buckets are held (for tests)."""
        with self._lock:
            return len(self._buckets)

    def key_generations(self) -> list[int]:
        """The generations of the keys held, oldest first (for tests)."""
        with self._lock:
            return [key.generation for key in self._keys]

    # -- internals (self._lock held) --------------------------------------------------

    def _count(
        self,
        bucket: str,
        key: bytes,
        generation: int | None,
        limit: int,
        window: float,
        now: float,
    ) -> None:
        found = self._buckets.get((bucket, key))
        if found is None:
            found = self._buckets[(bucket, key)] = _Bucket(window, generation)
        found.window = max(found.window, window)
        # A bucket used with two windows keeps the longer for pruning; this call counts
        # only the hits inside its own window.
        found.expire(now)
        recent = [t for t in found.hits if t > now - window]
        if len(recent) >= limit:
            raise RateLimited(recent[-limit] + window - now)
        found.hits.append(now)

    def _adopt(self, bucket: str, pseudonym: bytes, generation: int, old: _Bucket) -> None:
        """Move a bucket hashed under a retired key to the client's current pseudonym."""
        current = self._buckets.get((bucket, pseudonym))
        if current is None:
            old.generation = generation
            self._buckets[(bucket, pseudonym)] = old
            return
        current.window = max(current.window, old.window)
        current.hits = deque(sorted([*old.hits, *current.hits]))

    def _housekeep(self, now: float, window: float = 0.0) -> None:
        if window > self._longest:
            self._longest = window
        if self._background and self._sweeper_pid != os.getpid():
            self._start_sweeper()
        if now - self._last_sweep >= self._sweep_interval or (
            now - self._keys[-1].created >= self._key_period
        ):
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        current = self._keys[-1]
        if now - current.created >= self._key_period:
            current.retired = now
            self._keys.append(self._new_key(now))
        for found in self._buckets.values():
            found.expire(now)
        live = {found.generation for found in self._buckets.values() if found.hits}
        # A retired key is needed only while a bucket it hashed still holds a hit.
        dropped = {
            key.generation
            for key in self._keys[:-1]
            if key.generation not in live or now - key.retired_or(now) >= self._longest
        }
        for key in self._keys:
            if key.generation in dropped:
                key.wipe()
        self._keys = [key for key in self._keys if key.generation not in dropped]
        stale = [
            name
            for name, found in self._buckets.items()
            if not found.hits or found.generation in dropped
        ]
        for name in stale:
            del self._buckets[name]

    def _new_key(self, now: float) -> _Key:
        self._generation += 1
        return _Key(self._generation, bytearray(secrets.token_bytes(_KEY_BYTES)), now)

    def _start_sweeper(self) -> None:
        self._sweeper_pid = os.getpid()
        thread = threading.Thread(
            target=_sweep_while_alive,
            args=(weakref.ref(self), self._sweep_interval),
            name="varsel-ratelimit-sweeper",
            daemon=True,
        )
        thread.start()


def _sweep_while_alive(ref: "weakref.ref[RateLimiter]", interval: float) -> None:
    """Sweep every ``interval`` seconds until the limiter is garbage-collected."""
    while True:
        time.sleep(interval)
        limiter = ref()
        if limiter is None:
            return
        limiter.sweep()
        del limiter


def init_app(app: Flask, argon2_concurrency: int) -> None:
    app.extensions[LIMITER_KEY] = RateLimiter(background=True)
    app.extensions[ARGON2_KEY] = threading.BoundedSemaphore(argon2_concurrency)


def limiter() -> RateLimiter:
    found: RateLimiter = current_app.extensions[LIMITER_KEY]
    return found


def limit_client(bucket: str, limit: int, window: float) -> None:
    """Rate-limit the current request's client in ``bucket``; nothing when the address is
    shared by every client (loopback behind Tor or a local proxy; see the module docstring)."""
    limiter().hit_client(bucket, request.remote_addr, limit, window)


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
