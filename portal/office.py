"""The party office's pages (partikontoret): log in, see deadlines, move bundles.

The office sees counts, never content: the portal holds only ciphertext. Downloading gives
an inbound bundle for the offline inbox; uploading applies an outbound bundle from it
(portal/transfer.py). Users and logins: portal/office_users.py; the session cookie:
portal/office_session.py.
"""

import base64
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import wraps
from typing import Any, TypeVar, cast

import qrcode
import qrcode.image.pil
from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.stream import decrypt_stream
from inbox.deadlines import (
    ACK_DAYS,
    FEEDBACK_MONTHS,
    ack_due,
    feedback_due,
    late_if_received_before,
)

from . import office_session, office_users
from .clock import today, utcnow
from .db import get_db
from .models import Reply, ReplyByDay, Submission, Thread
from .office_users import Attempt, Outcome
from .recipients import RecipientError, load_office
from .services import services
from .store import BlobStore
from .transfer import (
    MAX_OUTBOUND_BYTES,
    N_,
    TransferRefused,
    apply_for,
    export_for,
    inbound_filename,
    last_outbound_sequence,
    next_download_number,
    plan_inbound,
    portal_fingerprint,
)
from .upload import EncryptedUpload, uploaded_files

bp = Blueprint("office", __name__)
log = logging.getLogger("varsel.office")


View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


def login_required(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        had_session = office_session.SESSION_KEY in session
        minutes = services().settings.office_session_minutes
        user = office_session.session_user(get_db(), timedelta(minutes=minutes), utcnow())
        if user is None:
            if had_session:
                flash(_("Your session has ended. Please log in again."), "info")
            return redirect(url_for("office.login"))
        g.office_user = user
        return view(*args, **kwargs)

    return cast(View, wrapped)


def setup_started(view: View) -> View:
    """For the setup steps after the setup code: ``g.setup_user`` is the user whose setup
    this browser started; without one, back to the first step."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        user = office_session.setup_user(get_db(), utcnow())
        if user is None:
            flash(_("Start the setup with your name and setup code."), "info")
            return redirect(url_for("office.setup"))
        g.setup_user = user
        return view(*args, **kwargs)

    return cast(View, wrapped)


# --- login, logout, setup -----------------------------------------------------------------


def _refusal() -> str:
    """The one answer to a failed login or setup code, whether the name is unknown, a
    factor is wrong or the user is locked: the page must not tell which names exist or
    are locked (docs/THREAT-MODEL.md,
    requirement 7)."""
    return str(
        _(
            "The name, password or code is wrong — or the user is locked for a while "
            "after repeated failures."
        )
    )


def _lock_message(attempt: Attempt) -> str:
    """For a user in the middle of setup (who has proved the setup code): how long the
    lock lasts. Never shown before the setup code has been accepted."""
    assert attempt.locked_until is not None
    minutes = max(1, -(-int((attempt.locked_until - utcnow()).total_seconds()) // 60))
    return str(
        _(
            "Too many failed attempts. This user is locked for %(minutes)d more minutes.",
            minutes=minutes,
        )
    )


@bp.route("/logg-inn", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "POST":
        office_users.limit_attempts()
        attempt = office_users.login(
            get_db(),
            request.form.get("name", ""),
            request.form.get("password", ""),
            request.form.get("code", ""),
            utcnow(),
        )
        if attempt.outcome is Outcome.OK and attempt.user is not None:
            office_session.start_session(attempt.user, utcnow())
            return redirect(url_for("office.dashboard"))
        if attempt.outcome is Outcome.CODE_REUSED:
            flash(
                _(
                    "This code has already been used (for example to finish the setup). "
                    "Wait for the next code in the app – it changes every 30 seconds – "
                    "and log in with that one."
                ),
                "error",
            )
            return render_template("office/login.html"), 401
        flash(_refusal(), "error")
        return render_template("office/login.html"), 401
    return render_template("office/login.html")


@bp.post("/logg-ut")
def logout() -> ResponseReturnValue:
    minutes = services().settings.office_session_minutes
    user = office_session.session_user(get_db(), timedelta(minutes=minutes), utcnow())
    office_session.end_session(get_db(), user)
    flash(_("You are logged out."), "info")
    return redirect(url_for("office.login"))


@bp.route("/oppsett", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    if request.method == "POST":
        office_users.limit_attempts()
        db = get_db()
        attempt = office_users.check_setup_code(
            db, request.form.get("name", ""), request.form.get("setup_code", ""), utcnow()
        )
        if attempt.outcome is Outcome.OK and attempt.user is not None:
            office_session.begin_setup(attempt.user, utcnow())
            return redirect(url_for("office.setup_password"))
        flash(_refusal(), "error")
        return render_template("office/setup_code.html"), 401
    return render_template("office/setup_code.html")


@bp.route("/oppsett/passord", methods=["GET", "POST"])
@setup_started
def setup_password() -> ResponseReturnValue:
    db, user = get_db(), g.setup_user
    if request.method == "POST":
        password = request.form.get("password", "")
        error = None
        if len(password) < office_users.MIN_PASSWORD:
            error = _(
                "The password must be at least %(n)d characters long.", n=office_users.MIN_PASSWORD
            )
        elif len(password) > office_users.MAX_PASSWORD:
            error = _("The password is too long.")
        elif password != request.form.get("password_again", ""):
            error = _("The two passwords are not the same.")
        if error is None:
            office_users.choose_password(user, password)
            db.commit()
            return redirect(url_for("office.setup_totp"))
        flash(error, "error")
        return render_template(
            "office/setup_password.html", user=user, min_password=office_users.MIN_PASSWORD
        ), 400
    return render_template(
        "office/setup_password.html", user=user, min_password=office_users.MIN_PASSWORD
    )


@bp.route("/oppsett/totp", methods=["GET", "POST"])
@setup_started
def setup_totp() -> ResponseReturnValue:
    db, user = get_db(), g.setup_user
    if not user.password_hash or not user.totp_secret:
        return redirect(url_for("office.setup_password"))
    status = 200
    if request.method == "POST":
        office_users.limit_attempts()
        attempt = office_users.confirm_totp(db, user, request.form.get("code", ""), utcnow())
        if attempt.outcome is Outcome.OK:
            office_session.end_setup()
            flash(_("Setup is complete. Log in with your password and a code."), "info")
            return redirect(url_for("office.login"))
        if attempt.outcome is Outcome.LOCKED:
            office_session.end_setup()
            flash(_lock_message(attempt), "error")
            return redirect(url_for("office.setup"))
        flash(_("The code is wrong. Check the clock on your phone and try the next code."), "error")
        status = 400
    uri = office_users.totp_uri(user)
    return (
        render_template(
            "office/setup_totp.html",
            user=user,
            qr=qr_data_uri(uri),
            secret=" ".join(user.totp_secret[i : i + 4] for i in range(0, 32, 4)),
        ),
        status,
    )


def qr_data_uri(text: str) -> str:
    """A PNG QR code as a data: URI (the CSP allows data: images, nothing inline else)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(image_factory=qrcode.image.pil.PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# --- dashboard and transfers --------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    waiting_items: int
    oldest_waiting_days: int | None
    ack_overdue_threads: int
    feedback_overdue_threads: int
    total_threads: int
    last_outbound_sequence: int
    parts: int = 1  # bundles the waiting items make (each one bounded in size)
    first_part_items: int = 0  # items the next download ("part 1") carries
    remaining_items: int = 0  # waiting items that do not fit in part 1
    # The accused's time limits to reply (§10.2), as the last outbound bundle gave them.
    reply_by_passed: int = 0  # cases whose time limit is before today
    next_reply_by: date | None = None  # the next time limit, today or later


def dashboard_counts(db: Session, on: date) -> Dashboard:
    waiting = Submission.office_envelope.is_not(None)
    oldest = db.scalar(select(func.min(Submission.day)).where(waiting))
    # The inbox's deadline rules (acknowledge within 7 days, feedback within 3 months).
    ack_cutoff = late_if_received_before(ack_due, on)
    feedback_cutoff = late_if_received_before(feedback_due, on)
    plan = plan_inbound(db)
    return Dashboard(
        reply_by_passed=db.scalar(
            select(func.coalesce(func.sum(ReplyByDay.cases), 0)).where(ReplyByDay.day < on)
        )
        or 0,
        next_reply_by=db.scalar(select(func.min(ReplyByDay.day)).where(ReplyByDay.day >= on)),
        waiting_items=db.scalar(select(func.count()).select_from(Submission).where(waiting)) or 0,
        oldest_waiting_days=(on - oldest).days if oldest is not None else None,
        ack_overdue_threads=db.scalar(
            select(func.count(distinct(Submission.thread_id))).where(
                Submission.acknowledged.is_(False), Submission.day < ack_cutoff
            )
        )
        or 0,
        feedback_overdue_threads=db.scalar(
            select(func.count())
            .select_from(Thread)
            .where(
                Thread.created_day < feedback_cutoff,
                ~exists().where(Reply.thread_id == Thread.id),
            )
        )
        or 0,
        total_threads=db.scalar(select(func.count()).select_from(Thread)) or 0,
        last_outbound_sequence=last_outbound_sequence(db),
        parts=len(plan.parts),
        first_part_items=len(plan.parts[0]),
        remaining_items=plan.remaining_after(1),
    )


def _office_key_fingerprint() -> str | None:
    try:
        office = load_office(services().settings.keys_dir)
    except RecipientError:
        return None
    return office.identity.fingerprint if office is not None else None


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    return render_template(
        "office/dashboard.html",
        counts=dashboard_counts(get_db(), today()),
        portal_fingerprint=portal_fingerprint(services().secrets.portal_identity),
        office_fingerprint=_office_key_fingerprint(),
        ack_days=ACK_DAYS,
        feedback_months=FEEDBACK_MONTHS,
    )


@bp.post("/last-ned")
@login_required
def download() -> ResponseReturnValue:
    """One bounded part of the waiting items (portal.transfer.plan_inbound); part 1, the
    oldest, unless the form asks for a later one."""
    try:
        part = int(request.form.get("part", "1")[:9] or "1")
    except ValueError:
        part = 0
    try:
        export = export_for(services(), get_db(), today(), part)
    except TransferRefused as refused:
        flash(_refusal_text(refused), "error")
        return redirect(url_for("office.dashboard"))
    db = get_db()
    filename = inbound_filename(today(), export.part, export.parts, next_download_number(db))
    db.commit()
    log.info(
        "office user %s downloaded an inbound bundle (part %d of %d)",
        g.office_user.name,
        export.part,
        export.parts,
    )
    # Streamed: the head, then each blob from disk, so a download's memory does not grow
    # with the bundle (portal.transfer). The generator touches no database.
    return Response(
        export.chunks(),
        mimetype="application/octet-stream",
        headers={
            "Content-Length": str(export.size),
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/last-opp")
@login_required
def upload() -> ResponseReturnValue:
    files = uploaded_files("bundle")
    if not files:
        flash(_("Choose an outbound bundle file to upload."), "error")
        return redirect(url_for("office.dashboard"))
    try:
        data = _read_upload(files[0][1])
    except TransferRefused as refused:
        return _upload_refused(refused)
    try:
        summary = apply_for(services(), get_db(), data, today())
    except TransferRefused as refused:
        return _upload_refused(refused)
    log.info("office user %s applied outbound bundle %d", g.office_user.name, summary.sequence)
    waiting = plan_inbound(get_db()).waiting
    return render_template(
        "office/upload_result.html", error=None, summary=summary, waiting=waiting
    )


def _read_upload(upload: EncryptedUpload) -> bytes:
    """The uploaded bundle, into memory. Like every upload (portal/upload.py), it reached
    the disk only encrypted under a key held in memory; the blob is discarded at teardown."""
    if upload.size > MAX_OUTBOUND_BYTES:
        raise TransferRefused(N_("The file is too large to be an outbound bundle."))
    store = BlobStore(services().settings.blobs_dir)
    try:
        return b"".join(decrypt_stream(upload.key, upload.size, store.iter_chunks(upload.blob_id)))
    except (CryptoError, OSError) as exc:
        raise TransferRefused(N_("The uploaded file could not be read back. Try again.")) from exc


def _refusal_text(refused: TransferRefused) -> str:
    """The refusal in the page's language; a ``reason`` is itself a message to translate
    (portal.transfer.refusal_reason; other text passes through gettext unchanged)."""
    params = {
        key: _(value) if key == "reason" and isinstance(value, str) else value
        for key, value in refused.params.items()
    }
    return str(_(refused.msgid, **params))


def _upload_refused(refused: TransferRefused) -> ResponseReturnValue:
    message = _refusal_text(refused)
    return render_template("office/upload_result.html", error=message, summary=None, waiting=0), 400
