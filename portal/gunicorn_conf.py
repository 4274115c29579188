"""gunicorn settings for the portal.

    gunicorn -c python:portal.gunicorn_conf 'portal:create_app()'

- No access log (gunicorn's would name client addresses and times: docs/THREAT-MODEL.md).
- No ``Server: gunicorn`` banner: gunicorn has no setting for it, so the header is dropped
  from the default headers its responses start with.

Every value here can be overridden on gunicorn's command line.
"""

import os

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
