"""``varsel-inbox desk``: the office's local window onto the inbox (docs/OFFICE-GUIDE.md).

A small Flask application served only to the laptop itself, on 127.0.0.1, over the same
encrypted store and the same functions as the commands: every view calls one function in
``inbox`` and shows its result, so the desk and the commands cannot disagree. The only
code it shares with the portal is the list of security headers (``inbox.web_headers``).

- :mod:`inbox.desk.session`  the one-time secret, the session gate and locking
- :mod:`inbox.desk.server`   the loopback server, the browser and the idle lock
- :mod:`inbox.desk.views`    the pages: overview and bundles, a report, its case
"""

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from crypto.errors import CryptoError

from .. import case as cases
from ..errors import InboxError
from ..home import Home, Unlocked
from ..importer import ImportSummary
from . import i18n, security, session
from .views import case, overview, thread

PACKAGE = Path(__file__).resolve().parent


@dataclass
class DeskState:
    """What one run of the desk holds in memory: the unlocked key, the one-time start
    secret and the session it starts, the time of the last request, and what the last
    import brought. Forgotten when the process ends (locking ends it)."""

    home: Home
    unlocked: Unlocked
    idle_seconds: float
    start_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    token_used: bool = False
    host: str = ""  # "127.0.0.1:PORT" once bound
    last_seen: float = field(default_factory=time.monotonic)
    last_import: ImportSummary | None = None
    locked: threading.Event = field(default_factory=threading.Event)

    def __repr__(self) -> str:
        return f"DeskState({self.home.path}, host={self.host!r})"

    def touch(self) -> None:
        self.last_seen = time.monotonic()

    def idle(self) -> bool:
        return time.monotonic() - self.last_seen > self.idle_seconds

    def lock(self) -> None:
        self.locked.set()


def create_app(state: DeskState) -> Flask:
    app = Flask(
        __name__,
        static_folder=str(PACKAGE / "static"),
        template_folder=str(PACKAGE / "templates"),
    )
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # new every run: an old cookie opens nothing
        SESSION_COOKIE_NAME="varsel_desk",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the session itself ends with the run
        MAX_CONTENT_LENGTH=None,  # a bundle from the portal may be large
    )
    app.extensions["varsel_desk"] = state
    CSRFProtect(app)
    security.init_app(app)  # the Host check first, then the session gate
    session.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(overview.bp)
    app.register_blueprint(thread.bp)
    app.register_blueprint(case.bp)
    app.jinja_env.globals.update(
        STATES=cases.STATES, step_prompts=cases.STEP_PROMPTS
    )
    app.register_error_handler(InboxError, _failed)
    app.register_error_handler(CryptoError, _failed)
    return app


def _failed(error: Exception) -> Response | tuple[str, int]:
    """An expected failure: its one line, and nothing changed. After a form, back to the
    page it came from; a page that cannot be shown says so itself."""
    if request.method != "POST":
        return render_template("error.html", message=str(error)), 400
    flash(str(error), "error")
    thread_id = (request.view_args or {}).get("thread_id")
    if thread_id:
        return redirect(url_for("thread.show", thread_id=thread_id))
    return redirect(url_for("overview.index"))
