"""The desk's forms (Flask-WTF: every one carries the CSRF token). Labels are written in
the templates, in the chosen language; the choices come from the inbox's own tables. A form
that serves one function in ``inbox`` names its fields as that function's arguments, so
that its view passes them whole (``views.answers``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from .. import case as cases
from .. import decision
from ..case import NOTE_KINDS


class DeskForm(FlaskForm):  # type: ignore[misc]
    """Every desk form: Flask-WTF's, with its CSRF token, and what the office is told when
    it is sent back with the form incomplete (nothing is changed then)."""

    missing = _l("Something is missing in the form. Nothing was changed.")


class ImportForm(DeskForm):
    bundle = FileField()
    path = StringField(validators=[Optional()])
    fingerprint = StringField(validators=[Optional()])


class ExportForm(DeskForm):
    path = StringField(validators=[DataRequired()])


class SaveAttachmentsForm(DeskForm):
    folder = StringField(validators=[DataRequired()])
    keep_metadata = BooleanField()


class ReplyForm(DeskForm):
    text = TextAreaField(validators=[DataRequired()])
    preview = SubmitField()
    send = SubmitField()


class AcknowledgeForm(DeskForm):
    pass


class OpenCaseForm(DeskForm):
    level = SelectField(choices=list(cases.LEVELS))
    central_office = BooleanField()
    employer = BooleanField()
    possible_crime = BooleanField()
    handler = StringField(validators=[Optional()])


class NoteForm(DeskForm):
    kind = SelectField(choices=list(NOTE_KINDS), default="referat")
    text = TextAreaField(validators=[DataRequired()])


class StateForm(DeskForm):
    state = RadioField(choices=list(cases.STATES), validators=[InputRequired()])
    tell = TextAreaField(validators=[Optional()])
    review_date = DateField(validators=[Optional()])


class ForwardForm(DeskForm):
    key = FileField(validators=[FileRequired()])
    name = StringField(validators=[DataRequired()])
    declaration = RadioField(
        choices=list(cases.DECLARATIONS), default="habil", validators=[InputRequired()]
    )
    reason = TextAreaField(validators=[Optional()])


class ForwardConfirmForm(DeskForm):
    key_text = HiddenField(validators=[DataRequired()])
    name = HiddenField(validators=[Optional()])
    out = StringField(validators=[DataRequired()])
    confirmed = BooleanField(validators=[DataRequired()])
    missing = _l("Nothing was written: confirm that the fingerprint is right first.")


class CaseFileForm(DeskForm):
    out = StringField(validators=[DataRequired()])
    understood = BooleanField(validators=[DataRequired()])
    missing = _l("Nothing was written: tick that you understand the file is not encrypted.")


class CloseOutForm(DeskForm):
    confirmed = BooleanField(validators=[DataRequired()])
    missing = _l("Nothing was deleted: tick the box to confirm first.")


class DayForm(DeskForm):
    day = DateField(validators=[InputRequired()])


class AccessForm(DeskForm):
    day = DateField(validators=[InputRequired()])
    reply_by = DateField(validators=[InputRequired()])


class MarkForm(DeskForm):
    names = TextAreaField(validators=[Optional()])
    places = TextAreaField(validators=[Optional()])
    dates = TextAreaField(validators=[Optional()])
    # Checked in innsyn.mark, as for the command's --attachment and --field.
    attachments = SelectMultipleField(validate_choice=False)
    fields = SelectMultipleField(validate_choice=False)


class ExtractForm(DeskForm):
    to = StringField(validators=[DataRequired()])
    out = StringField(validators=[DataRequired()])


class DecideForm(DeskForm):
    facts = TextAreaField(validators=[DataRequired()])
    reasons = TextAreaField(validators=[DataRequired()])
    outcome = SelectField(choices=list(decision.OUTCOMES))
    decided_by = StringField(validators=[DataRequired()])
    county_consulted = BooleanField()
    committee_consulted = BooleanField()
    tell = TextAreaField(validators=[Optional()])


class ReactionForm(DeskForm):
    kind = SelectField(choices=list(decision.REACTION_TYPES))
    what = TextAreaField(validators=[DataRequired()])
    from_day = DateField(validators=[InputRequired()])
    until_day = DateField(validators=[Optional()])
    review_day = DateField(validators=[InputRequired()])
    decided_by = StringField(validators=[DataRequired()])
    told = StringField(validators=[DataRequired()])
