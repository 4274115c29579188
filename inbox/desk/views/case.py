"""A case in handling (§8-§14), the same steps as ``varsel-inbox case …``: open, notes and
minutes, state changes, forwarding a sealed case file to a handler (§6a, §6d), the PDF
case file, and close-out (§6b). Each is logged by the function the command calls."""

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ... import case as cases
from ... import casefile, decision, handover, innsyn
from ...untrusted import clean
from ..context import desk_state, store, today
from ..forms import (
    AccessForm,
    CaseFileForm,
    CloseOutForm,
    DayForm,
    DecideForm,
    ExtractForm,
    ForwardConfirmForm,
    ForwardForm,
    MarkForm,
    NoteForm,
    OpenCaseForm,
    ReactionForm,
    StateForm,
)
from . import FormT, answers, chosen_path, filled

bp = Blueprint("case", __name__, url_prefix="/sak")


def _at(thread_id: str, anchor: str) -> str:
    return url_for("thread.show", thread_id=thread_id) + f"#{anchor}"


def _back(thread_id: str, anchor: str = "behandling") -> Response:
    return redirect(_at(thread_id, anchor))


def _step(
    rule: str, form_class: type[FormT], back: str = "behandling", *, deleted_ok: bool = False
) -> Callable[[Callable[[str, FormT], Response | str]], Callable[[str], Response | str]]:
    """A step posted from the report's page to ``/sak/<thread_id>/<rule>``. The view is
    given the thread's whole id and its form, complete and valid; otherwise nothing is done
    and the office is back at ``#back`` on the report's page, told what was missing."""

    def register(
        view: Callable[[str, FormT], Response | str],
    ) -> Callable[[str], Response | str]:
        def step(thread_id: str) -> Response | str:
            thread_id = store().resolve_thread(thread_id, deleted_ok=deleted_ok)
            return view(thread_id, filled(form_class, _at(thread_id, back)))

        bp.add_url_rule(f"/<thread_id>/{rule}", view.__name__, step, methods=["POST"])
        return step

    return register


@_step("behandling", OpenCaseForm)
def open_case(thread_id: str, form: OpenCaseForm) -> Response:
    _case, advice = cases.open_case(store(), thread_id, today=today(), **answers(form))
    flash(_("The report is now a case in handling."), "success")
    for line in advice:
        flash(line, "advice")
    return _back(thread_id)


@_step("notat", NoteForm, "notat")
def note(thread_id: str, form: NoteForm) -> Response:
    cases.add_note(store(), thread_id, form.kind.data or "", form.text.data or "", today=today())
    flash(_("Written in the case log."), "success")
    return _back(thread_id, "logg")


@_step("tilstand", StateForm)
def state(thread_id: str, form: StateForm) -> Response:
    tell = (form.tell.data or "").strip() or None
    cases.change_state(
        store(),
        thread_id,
        form.state.data or "",
        review_day=form.review_date.data,
        tell=tell,
        today=today(),
    )
    flash(_("The case has moved on. The reporter sees the new status after the next "
            "bundle to the portal."), "success")
    if form.state.data == "overlevert":
        flash(_("Make sure printouts and copies held by handlers are returned and deleted "
                "(§6b)."), "warning")
    return _back(thread_id)


@_step("videresend", ForwardForm, "videresend")
def forward(thread_id: str, form: ForwardForm) -> Response | str:
    state_ = desk_state()
    opened = store()
    upload = form.key.data
    source = clean(Path(upload.filename).name)
    recipient = handover.parse_handler_key(upload.read(64 * 1024), source)
    handover.check_recipient(state_.home.public_identity(), recipient, source)
    declared = cases.declare(
        opened,
        thread_id,
        fingerprint=recipient.fingerprint,
        name=form.name.data or "",
        kind=form.declaration.data or "",
        reason=form.reason.data or "",
        today=today(),
    )
    if declared.biased:
        flash(_("This handler has declared bias and cannot be given the case. Choose "
                "another (§6d)."), "warning")
        return _back(thread_id, "videresend")
    confirm = ForwardConfirmForm()
    confirm.key_text.data = recipient.to_text()
    confirm.name.data = declared.name
    confirm.out.data = str(Path.home() / f"sak-{thread_id[:8]}.vscase")
    return render_template(
        "forward_confirm.html",
        thread_id=thread_id,
        fingerprint=recipient.fingerprint,
        declared=declared,
        declarations=cases.DECLARATIONS,
        form=confirm,
    )


@_step("videresend/bekreft", ForwardConfirmForm, "videresend")
def forward_confirmed(thread_id: str, form: ForwardConfirmForm) -> Response:
    state_ = desk_state()
    opened = store()
    recipient = handover.parse_handler_key((form.key_text.data or "").encode(), "nøkkelen")
    handover.check_recipient(state_.home.public_identity(), recipient, "nøkkelen")
    _declared, name = handover.declared_handler(opened, thread_id, recipient, form.name.data)
    result = handover.forward_case(
        opened,
        state_.unlocked.identity,
        thread_id,
        recipient,
        chosen_path(form.out.data or ""),
        handler_name=name,
        today=today(),
    )
    flash(
        _(
            "The sealed case file was written to %(path)s (%(files)s files, %(size)s bytes). "
            "Only %(who)s can open it. The forwarding is in the case log.",
            path=str(result.path), files=result.files, size=result.size, who=result.recipient,
        ),
        "success",
    )
    return _back(thread_id, "logg")


@_step("saksmappe", CaseFileForm, "saksmappe")
def casefile_pdf(thread_id: str, form: CaseFileForm) -> Response:
    path = chosen_path(form.out.data or "")
    casefile.export_plain(store(), thread_id, path, today=today())
    flash(_("The case file was written to %(path)s. It is NOT encrypted: give it only to "
            "whoever handles the case (§6a), and have it returned and deleted when the case "
            "is done (§6b).", path=str(path)), "warning")
    return _back(thread_id, "logg")


@_step("avslutt", CloseOutForm, "avslutt", deleted_ok=True)
def close_out(thread_id: str, _form: CloseOutForm) -> Response:
    stone = handover.close_out(store(), thread_id, today=today())
    flash(_("Case %(case)s is handed over and its content deleted (%(day)s). Only its id, "
            "the day received and the state are left.", case=thread_id[:8],
            day=stone.closed_day), "success")
    return redirect(url_for("overview.index"))


@_step("orientert", DayForm, "kontradiksjon")
def accused_told(thread_id: str, form: DayForm) -> Response:
    innsyn.record_told(store(), thread_id, form.day.data, today=today())
    flash(_("Written in the case log."), "success")
    return _back(thread_id, "logg")


@_step("innsyn", AccessForm, "kontradiksjon")
def access(thread_id: str, form: AccessForm) -> Response:
    innsyn.record_access(store(), thread_id, form.day.data, form.reply_by.data, today=today())
    flash(_("Written in the case log. The time to reply is among the deadlines."), "success")
    return _back(thread_id, "logg")


@_step("merk", MarkForm, "kontradiksjon")
def mark(thread_id: str, form: MarkForm) -> Response:
    marks = {
        kind: [line for line in (getattr(form, kind).data or "").splitlines() if line.strip()]
        for kind in ("names", "places", "dates")
    }
    marks["attachments"] = list(form.attachments.data or [])
    marks["fields"] = list(form.fields.data or [])
    innsyn.mark(store(), thread_id, {k: v for k, v in marks.items() if v}, today=today())
    flash(_("Marked as identifying; kept out of the extract."), "success")
    return _back(thread_id, "logg")


@_step("innsynsutdrag", ExtractForm, "kontradiksjon")
def extract(thread_id: str, form: ExtractForm) -> Response:
    path = chosen_path(form.out.data or "")
    innsyn.write_extract(store(), thread_id, form.to.data or "", path, today=today())
    flash(_("The extract was written to %(path)s. Read it through before it is given: only "
            "what is marked is hidden. The hand-over is in the case log.", path=str(path)),
          "warning")
    return _back(thread_id, "logg")


@_step("avgjor", DecideForm, "kontradiksjon")
def decide(thread_id: str, form: DecideForm) -> Response:
    decided = answers(form) | {"tell": (form.tell.data or "").strip() or None}
    decision.decide(store(), thread_id, today=today(), **decided)
    flash(_("The decision is recorded and the case is decided."), "success")
    return _back(thread_id)


@_step("reaksjon", ReactionForm, "kontradiksjon")
def reaction(thread_id: str, form: ReactionForm) -> Response:
    decision.add_reaction(store(), thread_id, today=today(), **answers(form))
    flash(_("Recorded; the review date is among the deadlines."), "success")
    return _back(thread_id, "logg")
