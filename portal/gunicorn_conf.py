"""gunicorn settings for the portal.

    gunicorn -c python:portal.gunicorn_conf 'portal:create_app()'

- No access log (gunicorn's would name client addresses and times: docs/THREAT-MODEL.md).
- No ``Server: gunicorn`` banner: gunicorn has no setting for it, so the header is dropped
  from the default headers its responses start with.
- One preparation before the workers start (:func:`on_starting`, in the master): the data
  directories, the instance secrets and the database migrations. Workers that each
  migrated a new database at the same moment would collide.
- One rate-limit key for every worker: the workers are forked from the master and inherit
  ``VARSEL_CLIENT_KEY`` from its environment, so a client's keyed hash is the same in
  every worker and the counters in the database add up (portal/ratelimit.py). The key is
  made here, in memory, at start; it is never written to disk. Several portal instances
  on one database set the same ``VARSEL_CLIENT_KEY`` (64 hex digits) from a secret store.

Every value here can be overridden on gunicorn's command line.
"""

import os
import secrets
from typing import Any

from gunicorn.http import wsgi

bind = os.environ.get("VARSEL_BIND", "0.0.0.0:8000")  # a container's port
workers = int(os.environ.get("VARSEL_WORKERS", "2"))
threads = 4
timeout = 300  # slow uploads over Tor
accesslog = None
errorlog = "-"

_default_headers = wsgi.Response.default_headers


def _headers_without_server(self: wsgi.Response) -> list[str]:
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _headers_without_server


os.environ.setdefault("VARSEL_CLIENT_KEY", secrets.token_hex(32))


def on_starting(_server: Any) -> None:
    from portal.config import Settings
    from portal.db import make_engine, upgrade
    from portal.instance import InstanceSecrets

    settings = Settings.from_env()
    for directory in (settings.data_dir, settings.keys_dir, settings.blobs_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    InstanceSecrets.load_or_create(settings.instance_dir)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
