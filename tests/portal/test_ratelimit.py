"""The in-process rate limiter (portal/ratelimit.py): own windows and time-driven pruning
(review F5), rotating pseudonym keys and no long-lived client traces (F6), and only global
limits for loopback clients (F4). A fake clock drives every test; nothing sleeps."""

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from reporter_pages import csrf_token

from portal.ratelimit import (
    LIMITER_KEY,
    RateLimited,
    RateLimiter,
    is_shared_address,
    limit_client,
    limit_global,
)

HOUR = 3600.0


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def _refused(call: Callable[[], None]) -> RateLimited:
    with pytest.raises(RateLimited) as caught:
        call()
    return caught.value


# -- F5: each bucket keeps its own window; pruning is driven by time ---------------------


def test_an_hour_lockout_survives_any_number_of_short_window_calls() -> None:
    """The review's reproduction: 10 receipt attempts, locked for 60 min; at +61 s, over a
    thousand calls (accepted and refused) on the 60-second global bucket must not prune it."""
    clock = Clock()
    rl = RateLimiter(clock=clock)
    for _ in range(10):
        rl.hit_client("login", "192.0.2.1", 10, HOUR)
    _refused(lambda: rl.hit_client("login", "192.0.2.1", 10, HOUR))
    clock.now += 61
    for i in range(1500):
        clock.now += 0.5  # well past several sweep intervals in all
        try:
            rl.hit("login", b"", 100, 60)
        except RateLimited:
            pass
        if i % 100 == 0:
            rl.hit_client("office-login", f"198.51.100.{i % 250}", 30, HOUR)
    assert clock.now - 1000 > 800
    refused = _refused(lambda: rl.hit_client("login", "192.0.2.1", 10, HOUR))
    assert 1 <= refused.retry_after_minutes <= 47
    clock.now = 1000 + HOUR - 1
    _refused(lambda: rl.hit_client("login", "192.0.2.1", 10, HOUR))
    clock.now = 1000 + HOUR + 0.1
    rl.hit_client("login", "192.0.2.1", 10, HOUR)


def test_pruning_is_by_time_not_by_call_count() -> None:
    clock = Clock()
    rl = RateLimiter(clock=clock, sweep_interval=60)
    rl.hit("short", b"", 5000, 10)
    clock.now += 11
    for _ in range(2000):  # many calls within one sweep interval: no sweep
        rl.hit("other", b"", 5000, 10)
    assert rl.bucket_count() == 2
    clock.now += 50  # 61 s since the last sweep: the next call sweeps
    rl.client("192.0.2.9")
    assert rl.bucket_count() == 0


def test_buckets_vanish_after_their_own_window_on_a_quiet_limiter() -> None:
    clock = Clock()
    rl = RateLimiter(clock=clock)
    rl.hit("login", b"", 10, 60)
    rl.hit_client("login", "192.0.2.1", 10, HOUR)
    rl.hit_client("submit", "192.0.2.2", 20, HOUR)
    assert rl.bucket_count() == 3
    clock.now += 61
    rl.sweep()
    assert rl.bucket_count() == 2  # only the 60-second bucket has expired
    clock.now += HOUR - 62
    rl.sweep()
    assert rl.bucket_count() == 2  # the hour buckets live out their own window
    clock.now += 2
    rl.sweep()
    assert rl.bucket_count() == 0


def test_a_submission_is_not_remembered_for_ninety_days() -> None:
    """The review's F6 reproduction: one hit, 90 days of quiet, then another client."""
    clock = Clock()
    rl = RateLimiter(clock=clock)
    rl.hit_client("submit", "192.0.2.1", 20, HOUR)
    clock.now += 90 * 86400
    rl.hit_client("submit", "192.0.2.2", 20, HOUR)
    assert rl.bucket_count() == 1
    assert rl.key_generations() == [rl.key_generations()[-1]]  # every old key is gone


def test_the_app_limiter_sweeps_from_a_background_thread_once_per_process(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    rl: RateLimiter = app.extensions[LIMITER_KEY]
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.1"}):
        limit_client("x", 10, 60)
        limit_client("x", 10, 60)
    sweepers = [
        t
        for t in threading.enumerate()
        if t.name == "varsel-ratelimit-sweeper" and t.daemon and t.is_alive()
    ]
    assert sweepers  # other apps in this test run may have their own
    assert rl.bucket_count() == 1


# -- F6: the pseudonym key rotates and old keys are dropped ------------------------------


def test_the_key_rotates_and_a_clients_count_follows_it() -> None:
    clock = Clock()
    rl = RateLimiter(clock=clock, key_period=900)
    before = rl.client("192.0.2.1")
    assert rl.key_generations() == [1]
    for _ in range(3):
        rl.hit_client("login", "192.0.2.1", 3, HOUR)
    clock.now += 900
    after = rl.client("192.0.2.1")
    assert after != before and b"192" not in after
    assert rl.key_generations() == [1, 2]  # the old key is still needed by the bucket
    # The same client is still locked after the rotation; its bucket moves to key 2.
    _refused(lambda: rl.hit_client("login", "192.0.2.1", 3, HOUR))
    clock.now += 60
    rl.sweep()
    assert rl.key_generations() == [2]  # nothing hashed under key 1 is left
    _refused(lambda: rl.hit_client("login", "192.0.2.1", 3, HOUR))
    clock.now = 1000 + HOUR + 1
    rl.hit_client("login", "192.0.2.1", 3, HOUR)


def test_an_old_key_is_zeroed_and_dropped_when_its_last_bucket_expires() -> None:
    clock = Clock()
    rl = RateLimiter(clock=clock, key_period=900)
    rl.hit_client("submit", "192.0.2.1", 20, HOUR)
    first_key = rl._keys[0].secret  # white-box: the key's own buffer
    assert any(first_key)
    for _ in range(3):  # rotations at +900, +1800, +2700: key 1 still hashes a live bucket
        clock.now += 900
        rl.sweep()
        assert 1 in rl.key_generations()
    clock.now = 1000 + HOUR
    rl.sweep()
    assert 1 not in rl.key_generations()
    assert not any(first_key)  # zeroed, not only dereferenced
    assert rl.bucket_count() == 0
    # Retired keys that hashed no live bucket are dropped at once.
    assert len(rl.key_generations()) == 1


def test_a_retired_key_never_outlives_the_longest_window() -> None:
    clock = Clock()
    rl = RateLimiter(clock=clock, key_period=900, longest_window=HOUR)
    clock.now += 899
    rl.hit_client("submit", "192.0.2.1", 20, HOUR)  # hashed just before the rotation
    clock.now += 1
    rl.sweep()
    assert rl.key_generations() == [1, 2]
    while clock.now < 1000 + 900 + HOUR:
        assert 1 in rl.key_generations()
        clock.now += 60
        rl.sweep()
    assert 1 not in rl.key_generations() and rl.bucket_count() == 0


# -- F4: loopback clients are limited only globally --------------------------------------


@pytest.mark.parametrize(
    "address",
    [None, "", "127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1", "unix:/run/varsel"],
)
def test_loopback_and_unknown_addresses_are_shared(address: str | None) -> None:
    assert is_shared_address(address)


@pytest.mark.parametrize(
    "address", ["192.0.2.1", "10.1.2.3", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1%eth0"]
)
def test_other_addresses_are_clients(address: str) -> None:
    assert not is_shared_address(address)


def test_loopback_gets_no_per_client_bucket() -> None:
    rl = RateLimiter(clock=Clock())
    for _ in range(100):
        rl.hit_client("login", "127.0.0.1", 1, HOUR)
        rl.hit_client("login", "::1", 1, HOUR)
    assert rl.bucket_count() == 0


def _limited(app: Flask, address: str, per_client: int, globally: int, tries: int) -> int:
    """How many of ``tries`` calls pass the reporter's two login limits."""
    passed = 0
    for _ in range(tries):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            try:
                limit_client("login", per_client, HOUR)
                limit_global("login", globally, 60)
            except RateLimited:
                continue
            passed += 1
    return passed


def test_loopback_is_limited_only_globally(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    assert _limited(app, "127.0.0.1", per_client=2, globally=5, tries=8) == 5


def test_other_clients_are_limited_per_client_and_globally(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    assert _limited(app, "192.0.2.1", per_client=2, globally=5, tries=8) == 2
    assert _limited(app, "192.0.2.2", per_client=2, globally=5, tries=8) == 2
    assert _limited(app, "192.0.2.3", per_client=2, globally=5, tries=8) == 1  # global: 5


def _login(client) -> int:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/follow-up").text)
    return client.post(
        "/follow-up?lang=en", data={"csrf_token": token, "receipt": "feil kvittering"}
    ).status_code


def test_one_tor_client_cannot_lock_every_reporter_out(make_app: Callable[..., Flask]) -> None:
    """Behind an onion service every reporter is 127.0.0.1: the per-client receipt limit
    must not become a global lockout."""
    app = make_app(receipt_login_attempts_per_hour=3, global_login_attempts_per_minute=1000)
    attacker = app.test_client()  # REMOTE_ADDR 127.0.0.1
    assert [_login(attacker) for _ in range(10)] == [200] * 10
    assert _login(app.test_client()) == 200
    outside = app.test_client()
    outside.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    assert [_login(outside) for _ in range(4)] == [200, 200, 200, 429]


# -- the lock -------------------------------------------------------------------------


def test_concurrent_hits_never_exceed_the_limit() -> None:
    rl = RateLimiter(clock=Clock())
    accepted: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(50):
            try:
                rl.hit_client("submit", "192.0.2.1", 20, HOUR)
                accepted.append(1)
            except RateLimited:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 20
