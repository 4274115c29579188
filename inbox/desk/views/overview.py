"""The overview: what is new, what waits and for how long, and the bundles in and out."""

from pathlib import Path
from typing import BinaryIO

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from crypto.bundle import signer_fingerprint

from ... import outbox, threads
from ...errors import InboxError
from ...files import open_input
from ...importer import import_bundle
from ..context import desk_state, store, today
from ..forms import ExportForm, ImportForm
from . import chosen_path, filled

bp = Blueprint("overview", __name__)


def _default_export(sequence: int) -> str:
    return str(Path.home() / f"varsel-til-portalen-{today().isoformat()}-{sequence}.bundle")


@bp.get("/")
def index() -> str:
    state = desk_state()
    opened = store()
    rows = threads.summaries(opened, today=today())
    pin = state.home.read_pin()
    export_form = ExportForm()
    export_form.path.data = export_form.path.data or _default_export(
        opened.next_outbound_sequence()
    )
    return render_template(
        "overview.html",
        rows=rows,
        new=[r for r in rows if r.unread],
        waiting=threads.open_deadlines(rows),
        pending=outbox.pending(opened),
        last_import=state.last_import,
        portal_fingerprint=signer_fingerprint(pin) if pin else None,
        import_form=ImportForm(),
        export_form=export_form,
    )


@bp.post("/importer")
def import_() -> Response:
    state = desk_state()
    form = filled(ImportForm, url_for(".index"))
    upload = form.bundle.data
    bundle: BinaryIO
    if upload is not None and upload.filename:
        bundle = upload.stream  # Werkzeug's spooled file: seekable, read a piece at a time
    elif form.path.data and form.path.data.strip():
        bundle = open_input(chosen_path(form.path.data))
    else:
        raise InboxError(_("Choose the bundle file from the portal first."))
    with bundle:
        state.last_import = import_bundle(
            state.home,
            store(),
            state.unlocked,
            bundle,
            expect_fingerprint=(form.fingerprint.data or "").strip() or None,
            today=today(),
        )
    return redirect(url_for(".index") + "#siste-import")


@bp.post("/eksporter")
def export() -> Response:
    state = desk_state()
    form = filled(ExportForm, url_for(".index"))
    summary = outbox.export_outbound(
        state.home, store(), state.unlocked, chosen_path(form.path.data or ""), today=today()
    )
    carries = ", ".join(
        (
            ngettext("%(num)d acknowledgement", "%(num)d acknowledgements", summary.acks),
            ngettext("%(num)d reply", "%(num)d replies", summary.replies),
            ngettext("%(num)d status change", "%(num)d status changes", summary.statuses),
        )
    )
    flash(
        _(
            "Bundle no. %(sequence)s was written to %(path)s. It carries %(carries)s. Upload "
            "it on the portal's office page.",
            sequence=summary.sequence,
            path=str(summary.path),
            carries=carries,
        ),
        "success",
    )
    return redirect(url_for(".index") + "#til-portalen")
