"""HTTP hardening of the desk: every response carries a strict CSP (no inline script or
style, nothing from elsewhere), is never cached, and is never framed. A request whose
``Host`` is not the loopback address the desk bound to is refused before anything else
(a web page elsewhere that points a name at 127.0.0.1 gets nothing)."""

import functools
from pathlib import Path

from flask import Flask, Response, abort, request

from ..web_headers import integrity, security_headers
from .context import desk_state

STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
# What the reporter sent is never a document here: a preview is pixels drawn anew, sent
# as a download the browser may only show as an image.
FILE_CSP = "default-src 'none'; sandbox"

HEADERS = (
    *security_headers(CSP, "camera=(), microphone=(), geolocation=()"),
    ("Cache-Control", "no-store"),
)


@functools.cache
def sri(filename: str) -> str:
    """The ``integrity=`` value of one of the desk's own static files."""
    return integrity((STATIC / filename).read_bytes())


def _check_host() -> None:
    if request.host != desk_state().host:
        abort(400)


def _headers(response: Response) -> Response:
    for name, value in HEADERS:
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_check_host)
    app.after_request(_headers)
    app.jinja_env.globals["sri"] = sri
