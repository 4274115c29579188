"""HTTP hardening for every response (docs/THREAT-MODEL.md, requirement 7).

Two layers: :func:`init_app` adds the security headers to every response Flask makes, and
:class:`TrustedHosts` wraps the WSGI application so that a request whose ``Host`` header
names no host of this portal is answered 400 before Flask builds a URL from it (a Host
header is what Flask's redirects and URL adapter are made from; an unknown one would send a
redirect to the attacker's host, and a malformed one broke URL building with a 500).
"""

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request

from inbox.web_headers import integrity, security_headers

from .config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# 'wasm-unsafe-eval' lets same-origin scripts compile WebAssembly (libsodium on the browser
# path) and nothing else: no eval, no inline script. docs/THREAT-MODEL.md explains why.
CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self' 'wasm-unsafe-eval'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "connect-src 'self'; worker-src 'self'"
)

HEADERS = security_headers(
    CSP, "camera=(), microphone=(), geolocation=(), interest-cohort=()"
)
NO_STORE: tuple[tuple[str, str], ...] = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")

_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]{2,45})\]|(?P<name>[a-z0-9.-]{1,253}))(?::[0-9]{1,5})?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")

BAD_HOST_PAGE = (
    "<!doctype html>\n<html lang=\"nb\"><head><meta charset=\"utf-8\">"
    "<title>Ukjent adresse – Unknown address</title></head><body>"
    "<h1>Ukjent adresse</h1><p>Denne adressen hører ikke til varslingsportalen.</p>"
    "<p lang=\"en\">This address does not belong to the portal.</p></body></html>\n"
).encode()


def host_name(header: str) -> str | None:
    """The host name in a ``Host`` header (lower case, port dropped), or None when it is not
    a well-formed DNS name (labels of 1-63 letters, digits and '-') or bracketed IPv6."""
    found = _HOST.fullmatch(header.strip().lower())
    if found is None:
        return None
    if found.group("v6") is not None:
        return found.group("v6")
    name: str = found.group("name")
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        return None
    return name


def host_is_trusted(header: str, trusted: Iterable[str]) -> bool:
    """``header`` names one of ``trusted`` (a name starting with '.' also covers its
    subdomains)."""
    name = host_name(header)
    if name is None:
        return False
    for allowed in trusted:
        if name == allowed or (allowed.startswith(".") and (
            name == allowed[1:] or name.endswith(allowed)
        )):
            return True
    return False


class TrustedHosts:
    """WSGI middleware: 400 with the security headers for a Host that is not trusted.

    A request without a Host header (HTTP/1.0) is passed on: the server then builds URLs
    from its own ``SERVER_NAME``, which the client does not choose."""

    def __init__(self, app: "WSGIApplication", settings: Settings) -> None:
        self.app = app
        self.trusted = settings.trusted_hosts
        self.secure = settings.secure_cookies

    def __call__(
        self, environ: "WSGIEnvironment", start_response: "StartResponse"
    ) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host is None or host_is_trusted(host, self.trusted):
            return self.app(environ, start_response)
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(BAD_HOST_PAGE))),
            *HEADERS,
            *NO_STORE,
        ]
        if self.secure:
            headers.append(HSTS)
        start_response("400 Bad Request", headers)
        return [BAD_HOST_PAGE]


def init_app(app: Flask, settings: Settings) -> None:
    # The landing page shows the onion address (templates/reporter/index.html).
    app.jinja_env.globals["onion_address"] = settings.onion_address
    app.jinja_env.globals["onion_url"] = (
        f"http://{settings.onion_address}/" if settings.onion_address else None
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        for name, value in HEADERS:
            h[name] = value
        if not request.path.startswith("/static/"):
            for name, value in NO_STORE:
                h[name] = value
        # Behind a TLS-terminating proxy Flask sees plain HTTP; VARSEL_SECURE_COOKIES=1 is
        # the operator's statement that the portal is served over HTTPS.
        if request.is_secure or settings.secure_cookies:
            h[HSTS[0]] = HSTS[1]
        h.pop("Server", None)
        # Tor Browser offers the onion service to visitors on the ordinary address.
        if settings.onion_address and request.host != settings.onion_address:
            h["Onion-Location"] = f"http://{settings.onion_address}{request.full_path}".rstrip("?")
        return response

    app.jinja_env.globals["static_sri"] = _sri_of(Path(app.static_folder or "static"))
    wrapped: Any = app.wsgi_app
    app.wsgi_app = TrustedHosts(wrapped, settings)  # type: ignore[method-assign]


def _sri_of(static: Path) -> Any:
    """``static_sri(name)``: the Subresource Integrity value (sha384) of a static file, read
    once per process: every ``<script>`` carries ``integrity=`` (requirement 7)."""
    cache: dict[str, str] = {}

    def static_sri(name: str) -> str:
        if name not in cache:
            cache[name] = integrity((static / name).read_bytes())
        return cache[name]

    return static_sri
