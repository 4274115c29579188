"""HTTP hardening for every response (docs/THREAT-MODEL.md, requirement 7)."""

from flask import Flask, Response, request

from .config import Settings

CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "connect-src 'self'"
)


def init_app(app: Flask, settings: Settings) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h["Content-Security-Policy"] = CSP
        h["Referrer-Policy"] = "no-referrer"
        h["X-Frame-Options"] = "DENY"
        h["X-Content-Type-Options"] = "nosniff"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Cross-Origin-Resource-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        if not request.path.startswith("/static/"):
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        # Behind a TLS-terminating proxy Flask sees plain HTTP; VARSEL_SECURE_COOKIES=1 is
        # the operator's statement that the portal is served over HTTPS.
        if request.is_secure or settings.secure_cookies:
            h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        h.pop("Server", None)
        return response
