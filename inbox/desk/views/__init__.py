"""The desk's pages, one blueprint each: the overview with the bundles in and out, a
report with its conversation, and the handling of its case. Each view reads its form,
calls one function in ``inbox`` (the same one the command calls) and shows the result."""

from pathlib import Path

from flask import flash
from flask_babel import gettext as _


def chosen_path(text: str) -> Path:
    """A path the office typed: ``~`` means their home folder."""
    return Path(text.strip()).expanduser()


def incomplete() -> None:
    flash(_("Something is missing in the form. Nothing was changed."), "error")
