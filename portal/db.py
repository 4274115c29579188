"""Database engine and per-request sessions (SQLAlchemy 2.x), migrations through Alembic.

SQLite is the default (WAL journal, foreign keys on); PostgreSQL works through the same
code with ``VARSEL_DATABASE_URL=postgresql+psycopg://...``.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from flask import Flask, g
from sqlalchemy import ColumnElement, Engine, create_engine, delete, event
from sqlalchemy.orm import Session, sessionmaker

from .services import services

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, durable: bool = True) -> Engine:
    """``hide_parameters``: SQL errors never carry bound values (thread ids, session hashes,
    days) into exception messages or logs (docs/THREAT-MODEL.md, requirement 2).

    ``durable=False`` is for rows whose loss in a power cut harms nobody (rate-limit
    counters, spent proofs of work): their commits are not flushed to the disk one by one
    (SQLite ``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit=off``); the
    next durable commit, or SQLite's next checkpoint, flushes them. Everything a reporter
    or the office sends is committed with the default, flushed before the answer
    (docs/OPERATOR-GUIDE.md, "What survives a crash")."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed
            cursor.execute("PRAGMA synchronous=" + ("FULL" if durable else "NORMAL"))
            cursor.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if not durable:

        @event.listens_for(engine, "connect")
        def _no_flush_wait(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SET synchronous_commit TO OFF")
            cursor.close()
            dbapi_connection.commit()

    return engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration, one process at a time: gunicorn's workers
    all start at once, and on a new database two of them would otherwise both create the
    tables and all but one fail to boot (tests/ops/test_slow_clients.py starts two). On
    SQLite with foreign keys off (Alembic's advice for its batch mode): a migration that
    rebuilds a table must not cascade the rebuild's implicit delete into the rows that
    refer to it."""
    config = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    sqlite = engine.dialect.name == "sqlite"
    with _migration_lock(engine), engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    # Held until this transaction ends; the key is an arbitrary constant.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7526415)")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """For a SQLite file: an exclusive lock on ``<database>.migrate-lock`` beside it."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def make_sessions(engine: Engine) -> "sessionmaker[Session]":
    return sessionmaker(engine, expire_on_commit=False)


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)


def one_writer() -> AbstractContextManager[object]:
    """Around a short write transaction on SQLite: one such transaction at a time in this
    process. SQLite takes one writer at a time anyway; the others poll with a growing sleep
    (1, 2, 5, ... 100 ms), which under load wasted most of the time a request waited.
    Threads of one process now queue on a lock that wakes the next one at once. Nothing
    on PostgreSQL, whose writers do not block each other like that."""
    lock = services().sqlite_writes
    return nullcontext() if lock is None else lock


def get_db() -> Session:
    """The request's database session (created on first use, closed at teardown)."""
    if "db" not in g:
        g.db = services().sessions()
    session: Session = g.db
    return session


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session for CLI commands and jobs outside a request: commit or roll back."""
    session: Session = services(app).sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def delete_where(session: Session, model: type, condition: ColumnElement[bool]) -> int:
    """Delete the rows of ``model`` that match ``condition`` in one statement; returns how
    many. The caller commits."""
    result = session.execute(
        delete(model).where(condition).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def release_deleted(session: Session) -> None:
    """After ciphertext was deleted and committed: on SQLite, checkpoint the write-ahead log
    into the database file (where ``secure_delete`` has zeroed the freed bytes) and truncate
    it, so deleted bytes do not linger in ``-wal``. PostgreSQL: autovacuum reclaims the rows;
    see docs/OPERATOR-GUIDE.md."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
