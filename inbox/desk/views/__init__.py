"""The desk's pages, one blueprint each: the overview with the bundles in and out, a
report with its conversation, and the handling of its case. Each view reads its form,
calls one function in ``inbox`` (the same one the command calls) and shows the result."""

from pathlib import Path
from typing import Any, TypeVar

from flask import abort, flash, redirect

from ..forms import DeskForm

FormT = TypeVar("FormT", bound=DeskForm)


def chosen_path(text: str) -> Path:
    """A path the office typed: ``~`` means their home folder."""
    return Path(text.strip()).expanduser()


def filled(form_class: type[FormT], back: str) -> FormT:
    """The posted form, complete and valid. Otherwise nothing is done: the office is sent
    back to the address ``back`` and told what the form misses."""
    form = form_class()
    if not form.validate_on_submit():
        flash(str(form.missing), "error")
        abort(redirect(back))
    return form


def answers(form: DeskForm) -> dict[str, Any]:
    """What a form holds, by field name, without its CSRF token: a form that serves one
    function in ``inbox`` names its fields as that function's arguments."""
    return {name: value for name, value in form.data.items() if name != "csrf_token"}
