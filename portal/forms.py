"""The reporter's forms (Flask-WTF: every form carries a CSRF token).

Question keys and choices come from ``crypto.payload.REPORT_QUESTIONS``; the labels here
are the user interface's words (msgids in English, translated to nb/nn by Flask-Babel).
"""

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms import SelectChoice as _Choice
except ImportError:  # pragma: no cover (older WTForms)
    _Choice = None

from crypto.payload import MAX_TEXT, REPORT_QUESTIONS, ROLES, YES_NO_UNKNOWN, Answers

from .receipt_handoff import new_form_id

SHORT = 500  # one-line answers

YES_NO_LABELS = {"yes": _l("Yes"), "no": _l("No"), "unknown": _l("I don't know")}

CHOICE_LABELS: dict[str, Mapping[str, object]] = {
    "where": {
        "meeting": _l("At a meeting"),
        "overnight_event": _l("At a gathering or event with an overnight stay"),
        "online": _l("Online or digitally (social media, messages, e-mail)"),
        "other": _l("Somewhere else"),
    },
    "kind": {
        "harassment": _l("Harassment"),
        "sexual_harassment": _l("Sexual harassment"),
        "other": _l("Something else"),
        "unsure": _l("I am not sure"),
    },
    "involved_roles": {
        "folkevalgt": _l("Elected representative (folkevalgt)"),
        "tillitsvalgt": _l("Elected officer in the party (tillitsvalgt)"),
        "partimedlem": _l("Party member"),
        "oppnevnt": _l("Appointed to a political position"),
        "ansatt": _l("Employed by the party"),
        "innleid": _l("Hired staff"),
        "auf_medlem": _l("AUF member"),
        "annet": _l("Someone else"),
    },
    "reporter_relation": {
        "affected": _l("It happened to me"),
        "witness": _l("It happened to someone else (I am a witness or was told about it)"),
    },
    "contact_persons_announced": YES_NO_LABELS,
    "contact_persons_contacted": YES_NO_LABELS,
    "party_employee_involved": YES_NO_LABELS,
    "ongoing": YES_NO_LABELS,
    "central_office": YES_NO_LABELS,
    "contact_wanted": {"yes": _l("Yes"), "no": _l("No")},
}

QUESTION_LABELS: dict[str, object] = {
    "what_happened": _l("What happened?"),
    "when": _l("When did it happen?"),
    "where": _l("Where did it happen?"),
    "where_detail": _l("More about the place (optional)"),
    "county_party": _l("Which county party does it concern? (optional)"),
    "local_branch": _l("Which local branch, meeting or gathering? (optional)"),
    "contact_persons_announced": _l(
        "If it was a gathering with an overnight stay: were contact persons announced at the start?"
    ),
    "contact_persons_contacted": _l("Did you or anyone else contact them?"),
    "kind": _l("What kind of situation is it?"),
    "involved_roles": _l("Who is involved?"),
    "involved_detail": _l("Describe who is involved (optional)"),
    "reporter_relation": _l("Did it happen to you, or to someone else?"),
    "party_employee_involved": _l("Is anyone involved employed by the party?"),
    "ongoing": _l("Is it still going on?"),
    "central_office": _l("Does the person you report hold a central position in the party?"),
    "contact_wanted": _l("Do you want the party office to contact you?"),
    "contact_how": _l("How would you like to be contacted? (optional)"),
    "identity": _l("Your name (optional)"),
}


def _choices(key: str) -> list[Any]:
    allowed = REPORT_QUESTIONS[key]
    assert allowed is not None
    if _Choice is None:
        return [(value, CHOICE_LABELS[key][value]) for value in allowed]
    return [_Choice(value, CHOICE_LABELS[key][value]) for value in allowed]


def _radio(key: str) -> RadioField:
    return RadioField(QUESTION_LABELS[key], choices=_choices(key), validators=[Optional()])


def _text(key: str, limit: int = MAX_TEXT) -> TextAreaField:
    return TextAreaField(QUESTION_LABELS[key], validators=[Optional(), Length(max=limit)])


def _line(key: str) -> StringField:
    return StringField(QUESTION_LABELS[key], validators=[Optional(), Length(max=SHORT)])


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HoneypotMixin:
    # Hidden by CSS and labelled "leave empty": naive bots fill every field.
    website = StringField(_l("Leave this field empty"))

    def is_bot(self) -> bool:
        field: Field = self.website
        return bool(field.data)


class ReportForm(HoneypotMixin, FlaskForm):  # type: ignore[misc]
    # A random id per form shown: the same form sent twice files one report
    # (portal/receipt_handoff.py).
    form_id = HiddenField(default=new_form_id)
    what_happened = TextAreaField(
        QUESTION_LABELS["what_happened"],
        # DataRequired: whitespace alone is no answer (refused before any argon2 work or
        # counting, which happen only after the form validates).
        validators=[
            DataRequired(message=_l("Please describe what happened.")),
            Length(max=MAX_TEXT),
        ],
    )
    when = _line("when")
    where = _radio("where")
    where_detail = _line("where_detail")
    county_party = _line("county_party")
    local_branch = _line("local_branch")
    contact_persons_announced = _radio("contact_persons_announced")
    contact_persons_contacted = _radio("contact_persons_contacted")
    kind = _radio("kind")
    involved_roles = MultiCheckboxField(
        QUESTION_LABELS["involved_roles"], choices=_choices("involved_roles")
    )
    involved_detail = _text("involved_detail")
    reporter_relation = _radio("reporter_relation")
    party_employee_involved = _radio("party_employee_involved")
    ongoing = _radio("ongoing")
    central_office = _radio("central_office")
    contact_wanted = _radio("contact_wanted")
    contact_how = _text("contact_how", SHORT * 2)
    identity = _line("identity")
    attachments = MultipleFileField(_l("Files (optional)"))
    send_to_committee = BooleanField(_l("Also send my report to varslingsutvalget"))
    understood = BooleanField(
        _l(
            "I understand that the person I report has a right to see statements and "
            "evidence, and that details in my report may show who I am."
        ),
        validators=[InputRequired(message=_l("Please read the notice and tick the box."))],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, and then the whole: the reporter's own copy (:func:`summary`, the
        answers with their questions) must fit in one payload text, or the reporter could
        not read back what was sent."""
        if not super().validate(extra_validators):
            return False
        if len(summary(self.answers())) > MAX_TEXT:
            self.what_happened.errors.append(
                _l(
                    "The report is too long: all answers together may be at most %(n)d "
                    "characters. Please shorten it.",
                    n=MAX_TEXT,
                )
            )
            return False
        return True

    def answers(self) -> Answers:
        """The filled-in answers, keyed as in ``REPORT_QUESTIONS`` (empty ones left out)."""
        result: Answers = {}
        for key in REPORT_QUESTIONS:
            value = getattr(self, key).data
            if isinstance(value, list):
                if value:
                    result[key] = [str(v) for v in value]
            elif isinstance(value, str) and value.strip():
                result[key] = value
        return result


class MessageForm(HoneypotMixin, FlaskForm):  # type: ignore[misc]
    text = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(message=_l("Please write a message.")), Length(max=MAX_TEXT)],
    )
    attachments = MultipleFileField(_l("Files (optional)"))
    send_to_committee = BooleanField(_l("Also send this message to varslingsutvalget"))


class LoginForm(FlaskForm):  # type: ignore[misc]
    receipt = StringField(
        _l("Your receipt"), validators=[InputRequired(message=_l("Please type your receipt."))]
    )


def summary(answers: Answers) -> str:
    """The reporter's own readable copy of a report, in the current language."""
    lines: list[str] = []
    for key, value in answers.items():
        labels = CHOICE_LABELS.get(key, {})
        if isinstance(value, list):
            shown = ", ".join(str(labels.get(v, v)) for v in value)
        else:
            shown = str(labels.get(value, value))
        lines.append(f"{QUESTION_LABELS[key]}\n{shown}")
    return "\n\n".join(lines)


__all__ = [
    "CHOICE_LABELS",
    "QUESTION_LABELS",
    "ROLES",
    "YES_NO_UNKNOWN",
    "LoginForm",
    "MessageForm",
    "ReportForm",
    "summary",
]
