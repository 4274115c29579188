"""The app's services in one typed object, made by ``create_app`` and reached through
:func:`services`: settings, instance secrets, the database engines (one for what must be
flushed, one for rate-limit counters) and the SQLite write lock, the session maker, the
rate limiter's state, the proof-of-work key and the office password authenticator.

Views and helpers call ``services()`` inside a request or app context; commands and tests
that hold the app call ``services(app)``.
"""

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .instance import InstanceSecrets

if TYPE_CHECKING:  # the modules that define these use services() themselves
    from .office_users import Authenticator
    from .ratelimit import LimiterState

EXTENSION = "varsel"


@dataclass(frozen=True)
class Services:
    settings: Settings
    secrets: InstanceSecrets
    engine: Engine
    sessions: "sessionmaker[Session]"
    # Rate-limit counters and spent proofs of work: commits not flushed one by one
    # (portal/db.py, make_engine).
    counter_engine: Engine
    # On SQLite, one short write transaction at a time in this process (db.one_writer).
    sqlite_writes: "threading.Lock | None"
    limiter: "LimiterState"
    pow_key: bytes
    authenticator: "Authenticator"

    def register(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self


def services(app: Flask | None = None) -> Services:
    found = (app if app is not None else current_app).extensions[EXTENSION]
    if not isinstance(found, Services):
        raise TypeError("create_app registers the services")
    return found
