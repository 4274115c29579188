"""The reporter's pages: landing, report form, receipt, follow-up login, thread.

Everything works without JavaScript (Tor Browser on "Safest"): plain forms, server-side
encryption in memory (portal/submission.py) and streamed, encrypted uploads
(portal/upload.py). No reporter event is logged.
"""

import secrets
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response
from wtforms import Field

from crypto.errors import ReceiptFormatError
from crypto.payload import MAX_ATTACHMENTS, THREAD_STATUSES, OwnCopy, Reply, normalise_name
from crypto.receipt import derive_receipt_keys, generate_receipt, login_hash, normalise_receipt
from inbox.statuses import status_label

from . import pow, receipt_handoff, reporter_session
from .clock import today, utcnow
from .config import Settings
from .db import get_db, release_deleted
from .forms import LoginForm, MessageForm, report_form, summary
from .i18n import select_locale
from .models import Thread
from .ratelimit import Lane, argon2_slot, limit_lane
from .recipients import load_committee, load_office
from .services import services
from .submission import (
    File,
    NotAccepting,
    add_message,
    committee_was_chosen,
    create_report,
    open_for_reporter,
    recipient_keys,
)
from .upload import claim_uploads, refuse_stray_files, uploaded_files

bp = Blueprint("reporter", __name__)



def _settings() -> Settings:
    return services().settings


@bp.app_context_processor
def _statuses() -> dict[str, object]:
    """A thread's status in words, the same table as the inbox's (inbox/statuses.py)."""
    return {"thread_statuses": THREAD_STATUSES, "status_label": status_label}


@bp.app_context_processor
def _limits() -> dict[str, int]:
    settings = _settings()
    return {
        "limit_mb": settings.max_upload_bytes // (1024 * 1024),
        "idle_minutes": settings.session_idle_minutes,
    }


@bp.before_request
def _before() -> None:
    """On every reporter request: delete abandoned sessions (one indexed DELETE; rows whose
    ``purge_day`` has passed, see reporter_session.py), and refuse file parts outside the
    ``attachments`` field with a clear 400 (their blobs are discarded at teardown)."""
    db = get_db()
    purged = reporter_session.purge_abandoned_sessions(db, today())
    purged += receipt_handoff.purge(db, today())
    db.commit()
    if purged:
        release_deleted(db)
    if request.method == "POST":
        refuse_stray_files(allowed=("attachments",))


@bp.errorhandler(NotAccepting)
def _not_accepting(_error: NotAccepting) -> tuple[str, int]:
    """The office key went away: nothing can be sealed, so nothing is taken (HTTP 503)."""
    return render_template("reporter/closed.html"), 503


@bp.get("/")
def index() -> str:
    keys_dir = _settings().keys_dir
    return render_template(
        "reporter/index.html", office=load_office(keys_dir), committee=load_committee(keys_dir)
    )


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice, written for a person (who, why, how long, rights)."""
    return render_template("reporter/privacy.html", expiry_days=_settings().thread_expiry_days)


@bp.route("/report", methods=["GET", "POST"])
def report() -> str | tuple[str, int] | Response:
    settings = _settings()
    if load_office(settings.keys_dir) is None:
        return render_template("reporter/closed.html"), 503
    committee = load_committee(settings.keys_dir)
    form = report_form()
    files_lost = False
    if request.method == "POST":
        if form.is_bot():
            raise BadRequest()
        files = _files()
        files_lost = bool(files)
        # A post without this portal's form id (not our page) gets a fresh one: it is
        # filed once, but a second copy of it cannot be recognised.
        form_id = receipt_handoff.parse_form_id(form.form_id.data) or secrets.token_bytes(32)
        if receipt_handoff.find(get_db(), form_id) is not None:
            return _sent_again(form_id)
        elif form.validate() and _check_file_count(form.attachments, files):
            # Counted only now: a form sent back for correction costs nothing (CSRFProtect
            # has checked the token before the view ran).
            lane = pow.lane()
            limit_lane("submit", lane)
            answers = form.answers()
            receipt = generate_receipt()
            with argon2_slot(settings.argon2_wait_seconds, lane):
                keys = derive_receipt_keys(receipt, services().secrets.receipt_salt)
            db = get_db()
            create_report(
                db,
                keys=keys,
                pepper=services().secrets.login_pepper,
                answers=answers,
                files=files,
                own_copy_text=summary(answers),
                recipients=recipient_keys(
                    settings.keys_dir, bool(committee) and form.send_to_committee.data
                ),
            )
            receipt_handoff.record(db, form_id, receipt, today())
            try:
                db.commit()
            except IntegrityError:  # the same form, sent twice at once: the other one won
                db.rollback()
                return _sent_again(form_id)
            claim_uploads(f.upload for f in files)
            # Post/redirect/get: the receipt is shown once, by GET /report/receipt.
            return _to_receipt(form_id)
    return render_template(
        "reporter/report.html", form=form, committee=committee, files_lost=files_lost
    )


@bp.get("/report/receipt")
def receipt() -> str | tuple[str, int] | Response:
    """The receipt, shown once: the wrapped copy is emptied as it is shown, and the
    browser is told to forget the cookie that opened it."""
    form_id = receipt_handoff.parse_form_id(request.cookies.get(receipt_handoff.COOKIE_NAME))
    db = get_db()
    shown = receipt_handoff.take_receipt(db, form_id) if form_id is not None else None
    db.commit()
    if shown is None:
        page = render_template("reporter/receipt_shown.html", sent_again=False)
        response = current_app.make_response((page, 410))
    else:
        release_deleted(db)  # the wrapped receipt must not linger in SQLite's -wal
        response = current_app.make_response(
            render_template("reporter/receipt.html", words=shown.split(" "))
        )
    response.delete_cookie(
        receipt_handoff.COOKIE_NAME, path=receipt_handoff.COOKIE_PATH, httponly=True,
        samesite="Strict", secure=_settings().secure_cookies,
    )
    return response


@bp.post("/report/written-down")
def receipt_written() -> Response:
    """The receipt page's "I have written it down" (CSRFProtect checks the form's token)."""
    flash(_("Your report has been sent. Log in with your receipt to follow it up."))
    return redirect(url_for("reporter.login"), code=303)


@bp.route("/follow-up", methods=["GET", "POST"])
def login() -> str | Response:
    settings = _settings()
    form = LoginForm()
    failed = False
    if request.method == "POST":
        lane = pow.lane()
        limit_lane("login", lane)
        if form.validate():
            response = _log_in(form.receipt.data or "", settings, lane)
            if response is not None:
                return response
            failed = True
        # Never serve the typed receipt back (it is usually nearly right): an empty field.
        form.receipt.data = None
        form.receipt.raw_data = []
    return render_template(
        "reporter/login.html", form=form, failed=failed,
        committee=load_committee(settings.keys_dir),
    )


@bp.get("/thread")
def thread() -> str | Response:
    opened = _open_session()
    if isinstance(opened, Response):
        return opened
    form = MessageForm(send_to_committee=committee_was_chosen(opened.thread))
    return _render_thread(opened, form)


@bp.post("/thread")
def send_message() -> str | tuple[str, int] | Response:
    opened = _open_session()
    if isinstance(opened, Response):
        return opened
    settings = _settings()
    form = MessageForm()
    if form.is_bot():
        raise BadRequest()
    files = _files()
    if opened.thread.status == "closed":
        # The office has closed the case and imports nothing more for it (OFFICE-GUIDE).
        # The uploads, encrypted as they streamed in, are discarded at teardown.
        return _render_thread(opened, MessageForm(formdata=None), refused=True), 409
    if form.validate() and _check_file_count(form.attachments, files):
        limit_lane("submit", pow.lane())
        db = get_db()
        add_message(
            db,
            opened.thread,
            text=form.text.data or "",
            files=files,
            recipients=recipient_keys(
                settings.keys_dir,
                bool(load_committee(settings.keys_dir)) and form.send_to_committee.data,
            ),
        )
        db.commit()
        claim_uploads(f.upload for f in files)
        flash(_("Your message has been sent."))
        return redirect(url_for("reporter.thread"), code=303)
    return _render_thread(opened, form, files_lost=bool(files))


@bp.post("/logout")
def logout() -> Response:
    db = get_db()
    reporter_session.destroy(db, request.cookies.get(reporter_session.COOKIE_NAME))
    db.commit()
    release_deleted(db)  # the deleted row must not linger in SQLite's write-ahead log
    flash(_("You are logged out."))
    response = redirect(url_for("reporter.index"), code=303)
    _forget_cookie(response)
    return response


# -- helpers ---------------------------------------------------------------------------


def _to_receipt(form_id: bytes) -> Response:
    response = redirect(url_for("reporter.receipt"), code=303)
    response.set_cookie(
        receipt_handoff.COOKIE_NAME,
        receipt_handoff.cookie_value(form_id),
        max_age=receipt_handoff.COOKIE_SECONDS,
        path=receipt_handoff.COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=_settings().secure_cookies,
    )
    return response


def _sent_again(form_id: bytes) -> Response | tuple[str, int]:
    """The same form a second time: nothing is filed. While its receipt has not been
    shown, show it (the first answer may never have reached the screen); afterwards say
    so."""
    row = receipt_handoff.find(get_db(), form_id)
    if row is not None and row.wrapped_receipt is not None:
        flash(_("This report had already been sent. It was not sent again."))
        return _to_receipt(form_id)
    return render_template("reporter/receipt_shown.html", sent_again=True), 409


def _render_thread(
    opened: reporter_session.OpenSession,
    form: MessageForm,
    files_lost: bool = False,
    refused: bool = False,
) -> str:
    settings = _settings()
    t = opened.thread
    return render_template(
        "reporter/thread.html",
        thread=t,
        status=status_label(t.status, select_locale()),
        items=_conversation(t, opened.secret_key),
        expires=t.last_activity_day + timedelta(days=settings.thread_expiry_days),
        form=form,
        committee=load_committee(settings.keys_dir),
        files_lost=files_lost,
        closed=t.status == "closed",
        refused=refused,
    )


def _files() -> list[File]:
    return [File(_clean_name(fs.filename), up) for fs, up in uploaded_files("attachments")]


def _clean_name(name: str | None) -> str:
    """The file's own name, without any folder a browser may send, cut to the limit
    (keeping its extension)."""
    return normalise_name((name or "").replace("\\", "/").rsplit("/", 1)[-1])


def _check_file_count(field: Field, files: list[File]) -> bool:
    if len(files) > MAX_ATTACHMENTS:
        field.errors.append(_("You can send at most %(n)d files at a time.", n=MAX_ATTACHMENTS))
        return False
    return True


def _log_in(typed: str, settings: Settings, lane: Lane) -> Response | None:
    """Derive the keys from a typed receipt and open a session; None when it matches nothing."""
    secrets = services().secrets
    try:
        receipt = normalise_receipt(typed)
    except ReceiptFormatError:
        return None
    with argon2_slot(settings.argon2_wait_seconds, lane):
        keys = derive_receipt_keys(receipt, secrets.receipt_salt)
    db = get_db()
    thread = db.scalars(
        select(Thread).where(Thread.login_hash == login_hash(keys.login_key, secrets.login_pepper))
    ).one_or_none()
    if thread is None:
        return None
    cookie = reporter_session.create(
        db, thread, keys.reporter_secret_key, utcnow(),
        settings.session_idle_minutes,
    )
    db.commit()
    response = redirect(url_for("reporter.thread"), code=303)
    response.set_cookie(
        reporter_session.COOKIE_NAME,
        cookie,
        httponly=True,
        samesite="Strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _open_session() -> reporter_session.OpenSession | Response:
    """The reporter's session, or a redirect to the login page (the session has ended)."""
    settings = _settings()
    cookie = request.cookies.get(reporter_session.COOKIE_NAME)
    db = get_db()
    opened = reporter_session.load(
        db, cookie, utcnow(), settings.session_idle_minutes
    )
    db.commit()
    if opened is not None:
        return opened
    if cookie:
        release_deleted(db)  # an idle session's row may just have been deleted
        flash(_("Your session has ended. Log in again with your receipt."))
    response = redirect(url_for("reporter.login"), code=303)
    _forget_cookie(response)
    return response


def _forget_cookie(response: Response) -> None:
    response.delete_cookie(
        reporter_session.COOKIE_NAME,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=_settings().secure_cookies,
    )


def _conversation(thread: Thread, secret_key: bytes) -> list[dict[str, object]]:
    """The reporter's own copies and the office's replies, in thread order, decrypted."""
    public_key = thread.reporter_public_key
    items: list[tuple[int, dict[str, object]]] = []
    for s in thread.submissions:
        copy = open_for_reporter(s.own_copy, public_key, secret_key)
        if isinstance(copy, OwnCopy):
            items.append(
                (
                    s.position,
                    {"who": "me", "kind": s.kind, "day": s.day, "text": copy.text,
                     "files": copy.file_names},
                )
            )
    for r in thread.replies:
        reply = open_for_reporter(r.envelope, public_key, secret_key)
        if isinstance(reply, Reply):
            items.append(
                (r.position, {"who": "office", "kind": "reply", "day": r.day,
                              "text": reply.text, "files": ()})
            )
    ordered = [item for _pos, item in sorted(items, key=lambda pair: pair[0])]
    # Replies after the reporter's last own word are new to them (nothing about visits is
    # stored, so "new" means "since you last wrote").
    last_mine = max((i for i, item in enumerate(ordered) if item["who"] == "me"), default=-1)
    for i, item in enumerate(ordered):
        item["new"] = item["who"] == "office" and i > last_mine
    return ordered

