"""A report as the office reads it: the answers under the form's questions, the follow-up
messages, the office's replies and statuses, the attachments; the reply (previewed as the
reporter will see it) and the acknowledgement."""

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ... import attachments as attachment_files
from ... import case as cases
from ... import decision, innsyn, outbox, threads
from ...render import answer_rows, human_size
from ...untrusted import clean
from ..context import store, today
from ..forms import (
    AcknowledgeForm,
    CaseFileForm,
    CloseOutForm,
    ForwardForm,
    NoteForm,
    OpenCaseForm,
    ReplyForm,
    SaveAttachmentsForm,
    StateForm,
)
from ..i18n import select_locale, status_words
from ..security import FILE_CSP
from . import chosen_path, filled

bp = Blueprint("thread", __name__, url_prefix="/sak")


def thread_page(thread_id: str, **extra: Any) -> str:
    """The whole page of one thread (also after a reply preview)."""
    opened = store()
    view = threads.load_thread(opened, thread_id)
    case = cases.load_case(opened, thread_id) if cases.has_case(opened, thread_id) else None
    save_form = SaveAttachmentsForm()
    save_form.folder.data = save_form.folder.data or str(Path.home() / f"vedlegg-{thread_id[:8]}")
    case_form = CaseFileForm()
    case_form.out.data = case_form.out.data or str(Path.home() / f"saksmappe-{thread_id[:8]}.pdf")
    page = render_template(
        "thread.html",
        view=view,
        case=case,
        answer_rows=lambda report: answer_rows(report, select_locale()),
        never_disclosed=innsyn.NEVER_DISCLOSED,
        clean=clean,
        human_size=human_size,
        may_preview=attachment_files.may_preview,
        reply_form=extra.pop("reply_form", None) or ReplyForm(),
        acknowledge_form=AcknowledgeForm(),
        save_form=save_form,
        open_form=OpenCaseForm(),
        note_form=NoteForm(),
        state_form=StateForm(),
        forward_form=ForwardForm(),
        casefile_form=case_form,
        close_form=CloseOutForm(),
        states=cases.STATES,
        transitions=cases.TRANSITIONS,
        levels=cases.LEVELS,
        note_kinds=cases.NOTE_KINDS,
        log_kinds=cases.LOG_KINDS,
        declarations=cases.DECLARATIONS,
        outcomes=decision.OUTCOMES,
        reaction_types=decision.REACTION_TYPES,
        reaction_states=decision.SUSPENSION_STATES | decision.REACTION_STATES,
        today=today().isoformat(),
        days=view.days_on(today()),
        extract_default=str(Path.home() / f"innsyn-{thread_id[:8]}.pdf"),
        closable=case is not None and case.state in ("avsluttet", "overlevert"),
        **extra,
    )
    threads.mark_read(opened, thread_id)
    return page


@bp.get("/<thread_id>")
def show(thread_id: str) -> str:
    return thread_page(store().resolve_thread(thread_id))


@bp.post("/<thread_id>/svar")
def reply(thread_id: str) -> Response | str:
    thread_id = store().resolve_thread(thread_id)
    form = filled(ReplyForm, url_for(".show", thread_id=thread_id) + "#svar")
    text = form.text.data or ""
    if form.send.data:
        outbox.queue_reply(store(), thread_id, text, today=today())
        flash(_("The reply is encrypted to the reporter and queued for the portal."), "success")
        return redirect(url_for(".show", thread_id=thread_id) + "#samtale")
    return thread_page(thread_id, reply_form=form, preview=text)


@bp.post("/<thread_id>/bekreft")
def acknowledge(thread_id: str) -> Response:
    thread_id = store().resolve_thread(thread_id, deleted_ok=True)
    filled(AcknowledgeForm, url_for(".show", thread_id=thread_id))
    outbox.queue_status(store(), thread_id, outbox.STATUS_WITHOUT_CASE, today=today())
    flash(
        _(
            "The status the reporter sees is now “%(status)s” (queued).",
            status=status_words(outbox.STATUS_WITHOUT_CASE),
        ),
        "success",
    )
    return redirect(url_for(".show", thread_id=thread_id))


@bp.post("/<thread_id>/vedlegg")
def save_attachments(thread_id: str) -> Response:
    opened = store()
    thread_id = opened.resolve_thread(thread_id)
    form = filled(SaveAttachmentsForm, url_for(".show", thread_id=thread_id) + "#vedlegg")
    written = attachment_files.write_all(
        opened,
        threads.load_thread(opened, thread_id),
        chosen_path(form.folder.data or ""),
        remove_metadata=not form.keep_metadata.data,
    )
    if not written:
        flash(_("The case has no attachments."), "info")
    for f in written:
        note = _("metadata removed") if f.metadata_removed else _("written as received")
        flash(
            _("Saved: %(path)s (%(size)s, %(note)s)", path=str(f.path),
              size=human_size(f.size), note=note),
            "success",
        )
    if any(not f.metadata_removed for f in written) and not form.keep_metadata.data:
        flash(
            _(
                "Metadata can only be removed from JPEG and PNG. Other files (PDF, Word …) "
                "may hold names and times; think about this before you share them "
                "(§6a, §10.2)."
            ),
            "warning",
        )
    return redirect(url_for(".show", thread_id=thread_id) + "#vedlegg")


@bp.get("/<thread_id>/vedlegg/<blob>.png")
def preview(thread_id: str, blob: str) -> Response:
    opened = store()
    thread_id = opened.resolve_thread(thread_id)
    ref = attachment_files.find_attachment(threads.load_thread(opened, thread_id), blob)
    png = attachment_files.preview_png(opened, ref)
    if png is None:
        abort(404)
    return Response(
        png,
        mimetype="image/png",
        headers={
            "Content-Disposition": 'attachment; filename="forhandsvisning.png"',
            "Content-Security-Policy": FILE_CSP,
        },
    )
