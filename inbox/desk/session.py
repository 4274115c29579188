"""The desk's session: one secret in the address the browser is opened at, used once.

``/start/<secret>`` compares the secret in constant time, marks it used and puts the run's
session id into the signed session cookie (SameSite=Strict, HttpOnly, a key new every
run), then redirects to an address without the secret. Every other request without that
cookie is refused with 403; a second use of the secret is refused too. ``Lås`` (lock)
ends the run: every page is refused from then on, the server stops a moment later (once
the locked page has its stylesheet) and the process, with the unlocked key, ends.
"""

import secrets

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from .context import close_store, desk_state

bp = Blueprint("session", __name__)
OPEN = ("session.start",)


@bp.get("/start/<token>")
def start(token: str) -> Response:
    state = desk_state()
    if state.token_used or not secrets.compare_digest(token, state.start_token):
        return refused()
    state.token_used = True
    session.clear()
    session["desk"] = state.session_id
    return redirect(url_for("overview.index"))


@bp.post("/las")
def lock() -> str:
    desk_state().lock()
    return render_template("closed.html", locked=True)


def refused() -> Response:
    page = render_template("closed.html", locked=False)
    return Response(page, status=403, mimetype="text/html")


def _gate() -> Response | None:
    state = desk_state()
    if request.endpoint in OPEN:
        return None
    given = session.get("desk")
    if not isinstance(given, str) or not secrets.compare_digest(given, state.session_id):
        return refused()
    if state.locked.is_set() and request.endpoint != "static":
        return refused()  # the locked page may still fetch its stylesheet until the end
    state.touch()
    return None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_gate)
    app.teardown_request(close_store)
