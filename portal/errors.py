"""Error pages in the person's language, without technical detail (and without logging
anything about the visitor)."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .ratelimit import Busy, RateLimited

MESSAGES: dict[int, tuple[object, object]] = {
    400: (_l("Something went wrong"), _l("The server could not understand the request.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("This page cannot be used like that.")),
    500: (
        _l("Something went wrong"),
        _l("An error occurred on the server. Nothing you sent was stored. Please try again."),
    ),
    503: (_l("Not available right now"), _l("Please try again in a little while.")),
}


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        return render_template(
            "errors/error.html",
            title=_l("The form has expired"),
            message=_l(
                "For your safety, forms are only valid for a few hours and need cookies. "
                "Nothing was stored. Go back, reload the page and send again."
            ),
        ), 400

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
        return render_template("errors/too_large.html"), 413

    @app.errorhandler(RateLimited)
    def _rate_limited(error: RateLimited) -> tuple[str, int, dict[str, str]]:
        return (
            render_template("errors/rate_limited.html", minutes=error.retry_after_minutes),
            429,
            {"Retry-After": str(error.retry_after_seconds)},
        )

    @app.errorhandler(Busy)
    def _busy(_error: Busy) -> tuple[str, int, dict[str, str]]:
        return (
            render_template(
                "errors/error.html",
                title=_l("The server is busy"),
                message=_l(
                    "Many people are using the service right now. Nothing was stored. "
                    "Wait a minute, then go back and try again."
                ),
            ),
            503,
            {"Retry-After": "60"},
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        title, message = MESSAGES.get(code, MESSAGES[500 if code >= 500 else 400])
        return render_template("errors/error.html", title=title, message=message), code
