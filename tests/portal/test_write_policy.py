"""What is flushed to disk before the portal answers (docs/OPERATOR-GUIDE.md, "What survives
a crash"; docs/PERFORMANCE.md, "Submit throughput"): reports, messages and sessions are
committed with SQLite ``synchronous=FULL``; only rate-limit counters and spent proofs of
work skip the flush, on their own engine; writers in one process queue on a lock."""

import threading
import time

from flask import Flask
from sqlalchemy import Engine, select

from portal.models import RateCounter
from portal.ratelimit import RateLimited, count
from portal.services import services


def _synchronous(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_reports_are_flushed_and_only_counters_are_not(app: Flask) -> None:
    main: Engine = services(app).engine
    counters: Engine = services(app).counter_engine
    assert _synchronous(main) == 2  # FULL: the WAL is fsynced at every commit
    assert _synchronous(counters) == 1  # NORMAL: fsynced at the next checkpoint
    with main.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    session = services(app).sessions()
    try:
        assert session.get_bind() is main  # every request's data goes through FULL
    finally:
        session.close()


def test_counters_written_unflushed_are_seen_by_every_connection(app: Flask) -> None:
    counters: Engine = services(app).counter_engine
    lock = services(app).sqlite_writes
    now = time.time()
    hits = [count(counters, "test", b"", 100, 60, now, lock) for _ in range(3)]
    assert hits == [1, 2, 3]
    main: Engine = services(app).engine
    with main.connect() as connection:
        stored = connection.execute(
            select(RateCounter.hits).where(RateCounter.bucket == "test")
        ).scalar_one()
    assert stored == 3


def test_writers_in_one_process_take_turns(app: Flask) -> None:
    counters: Engine = services(app).counter_engine
    lock = services(app).sqlite_writes
    assert isinstance(lock, type(threading.Lock()))
    now = time.time()
    refused: list[int] = []

    def hit() -> None:
        for _ in range(20):
            try:
                count(counters, "turns", b"", 150, 60, now, lock)
            except RateLimited:
                refused.append(1)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with counters.connect() as connection:
        stored = connection.execute(
            select(RateCounter.hits).where(RateCounter.bucket == "turns")
        ).scalar_one()
    assert stored == 160 and len(refused) == 10  # every hit counted once, none lost
