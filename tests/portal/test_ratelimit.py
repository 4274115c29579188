"""The shared rate limits (portal/ratelimit.py): counters in the database, keyed hashes of
client addresses, loopback shared, fixed windows, and fair argon2 queuing."""

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask
from reporter_pages import csrf_token

from portal.ratelimit import (
    Argon2Slots,
    Busy,
    ClientKeys,
    Lane,
    RateLimited,
    count,
    is_shared_address,
    limit_client,
    limit_global,
)
from portal.services import services

WINDOW = 3600  # long windows, so that no test straddles the end of one


def _not_near_a_window_end(window: int = WINDOW) -> None:
    left = window - time.time() % window
    if left < 20:
        time.sleep(left + 0.5)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    _not_near_a_window_end()
    return make_app(rate_window_seconds=WINDOW)


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


def _limited(app: Flask, address: str, per_client: int, globally: int, tries: int) -> int:
    """How many of ``tries`` calls pass a per-client and a global limit."""
    passed = 0
    for _ in range(tries):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            try:
                limit_client("test", per_client)
                limit_global("test", globally)
            except RateLimited:
                continue
            passed += 1
    return passed


def test_loopback_is_limited_only_globally(app: Flask) -> None:
    assert _limited(app, "127.0.0.1", per_client=2, globally=5, tries=8) == 5


def test_other_clients_are_limited_per_client_and_globally(app: Flask) -> None:
    assert _limited(app, "192.0.2.1", per_client=2, globally=5, tries=8) == 2
    assert _limited(app, "192.0.2.2", per_client=2, globally=5, tries=8) == 2
    assert _limited(app, "192.0.2.3", per_client=2, globally=5, tries=8) == 1  # global: 5


def test_the_database_holds_hashes_never_addresses(app: Flask) -> None:
    _limited(app, "192.0.2.77", per_client=5, globally=50, tries=3)
    path = services(app).settings.data_dir / "varsel.sqlite3"
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT bucket, client, hits FROM rate_counters").fetchall()
    assert sorted((b, len(c), h) for b, c, h in rows) == [("test", 0, 3), ("test", 16, 3)]
    assert all(b"192.0.2.77" not in bytes(c) for _, c, _ in rows)
    for name in ("varsel.sqlite3", "varsel.sqlite3-wal"):
        file = path.with_name(name)
        if file.exists():
            assert b"192.0.2.77" not in file.read_bytes()


def test_a_client_key_changes_with_the_period_and_the_secret() -> None:
    keys = ClientKeys(bytes(32), period=900)
    assert keys.pseudonym("192.0.2.1", 0) == keys.pseudonym("192.0.2.1", 899)
    assert keys.pseudonym("192.0.2.1", 0) != keys.pseudonym("192.0.2.1", 900)
    assert keys.pseudonym("192.0.2.1", 0) != keys.pseudonym("192.0.2.2", 0)
    assert ClientKeys(b"\1" * 32).pseudonym("192.0.2.1", 0) != keys.pseudonym("192.0.2.1", 0)


def test_two_instances_on_one_database_share_the_limit(make_app: Callable[..., Flask]) -> None:
    _not_near_a_window_end()
    first = make_app(rate_window_seconds=WINDOW)
    settings = services(first).settings
    from portal import create_app

    second = create_app(settings)  # another portal instance on the same database
    passed = [_limited(a, "127.0.0.1", per_client=1, globally=3, tries=2) for a in
              (first, second, first)]
    assert sum(passed) == 3


def test_a_refusal_lasts_until_the_window_ends_only(make_app: Callable[..., Flask]) -> None:
    engine = services(make_app()).engine
    now = 1_000_020.0 - 15  # 15 s before a 60-s window ends (1_000_020 is a multiple)
    count(engine, "b", b"", 1, 60, now)
    with pytest.raises(RateLimited) as refused:
        count(engine, "b", b"", 1, 60, now + 1)
    assert refused.value.retry_after_seconds == 14
    count(engine, "b", b"", 1, 60, now + 15)  # the next window
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT ends FROM rate_counters").all()
    assert rows == [(1_000_080,)]  # the ended window's row is gone


def test_concurrent_hits_never_exceed_the_limit(app: Flask) -> None:
    engine = services(app).engine
    accepted: list[int] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(20):
            try:
                count(engine, "submit", b"x" * 16, 25, WINDOW, time.time())
                accepted.append(1)
            except RateLimited:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 25


def _login(client) -> int:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/follow-up").text)
    return client.post(
        "/follow-up?lang=en", data={"csrf_token": token, "receipt": "feil kvittering"}
    ).status_code


def test_one_tor_client_cannot_lock_every_reporter_out(make_app: Callable[..., Flask]) -> None:
    """Behind an onion service every reporter is 127.0.0.1: the per-client receipt limit
    must not become a global lockout."""
    _not_near_a_window_end()
    app = make_app(rate_window_seconds=WINDOW, client_logins=3, global_logins=1000)
    attacker = app.test_client()  # REMOTE_ADDR 127.0.0.1
    assert [_login(attacker) for _ in range(10)] == [200] * 10
    assert _login(app.test_client()) == 200
    outside = app.test_client()
    outside.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    assert [_login(outside) for _ in range(4)] == [200, 200, 200, 429]


# -- fair argon2 queuing -------------------------------------------------------------


def test_argon2_waiters_are_served_in_order_pow_first() -> None:
    slots = Argon2Slots(1, plain_queue=8)
    slots.acquire(Lane.PLAIN, 1)  # busy deriving
    order: list[str] = []

    def wait(name: str, lane: Lane) -> None:
        slots.acquire(lane, 10)
        order.append(name)
        slots.release()

    threads = []
    for name, lane in (("plain-1", Lane.PLAIN), ("plain-2", Lane.PLAIN), ("pow-1", Lane.POW)):
        t = threading.Thread(target=wait, args=(name, lane))
        t.start()
        threads.append(t)
        while slots.waiting()[lane] == 0 or (
            name == "plain-2" and slots.waiting()[Lane.PLAIN] < 2
        ):
            time.sleep(0.01)
    slots.release()
    for t in threads:
        t.join(10)
    assert order == ["pow-1", "plain-1", "plain-2"]


def test_a_full_plain_queue_is_shed_at_once_and_pow_still_waits() -> None:
    slots = Argon2Slots(1, plain_queue=1)
    slots.acquire(Lane.PLAIN, 1)
    waiter = threading.Thread(target=lambda: (slots.acquire(Lane.PLAIN, 5), slots.release()))
    waiter.start()
    while slots.waiting()[Lane.PLAIN] == 0:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(Busy):
        slots.acquire(Lane.PLAIN, 5)
    assert time.monotonic() - started < 1  # shed, not queued
    with pytest.raises(Busy):
        slots.acquire(Lane.POW, 0.2)  # waited its time, then busy
    slots.release()
    waiter.join(10)
    slots.acquire(Lane.POW, 1)  # the slot is free again
    slots.release()


def test_the_app_has_one_slot_table(app: Flask) -> None:
    assert isinstance(services(app).limiter.slots, Argon2Slots)
