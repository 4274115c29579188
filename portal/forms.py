"""The reporter's forms (Flask-WTF: every form carries a CSRF token).

The report form is built from the question catalogue (``report_form.catalogue``): one
field per question, with its words in the current language; the page around it speaks
through Flask-Babel (msgids in English, translated to nb/nn).
"""

from functools import cache
from typing import Any

from flask_babel import LazyString, get_locale
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

from crypto.payload import MAX_TEXT, Answers
from report_form import catalogue
from report_form.catalogue import Question, Text

from .receipt_handoff import new_form_id


def language() -> str:
    """The language of the current request (nb, nn or en)."""
    locale = get_locale()
    return locale.language if locale is not None else catalogue.DEFAULT_LANGUAGE


def words(text: Text) -> LazyString:
    """A catalogue wording, chosen in the language of the request that shows it."""
    return LazyString(lambda: text.of(language()))


def _choices(question: Question) -> list[Any]:
    if _Choice is None:
        return [(c.value, words(c.label)) for c in question.choices]
    return [_Choice(c.value, words(c.label)) for c in question.choices]


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class HoneypotMixin:
    # Hidden by CSS and labelled "leave empty": naive bots fill every field.
    website = StringField(_l("Leave this field empty"))

    def is_bot(self) -> bool:
        field: Field = self.website
        return bool(field.data)


def _field(question: Question) -> Field:
    """The form field that asks ``question``."""
    label = words(question.label)
    if question.kind is catalogue.SEVERAL:
        return MultiCheckboxField(label, choices=_choices(question))
    if question.kind is catalogue.ONE:
        return RadioField(label, choices=_choices(question), validators=[Optional()])
    first: Any = Optional()
    if question.required is not None:
        # DataRequired: whitespace alone is no answer (refused before any argon2 work or
        # counting, which happen only after the form validates).
        first = DataRequired(message=words(question.required))
    limit = Length(max=question.max_length or MAX_TEXT)
    kind = StringField if question.kind is catalogue.LINE else TextAreaField
    return kind(label, validators=[first, limit])


class ReportForm(HoneypotMixin, FlaskForm):  # type: ignore[misc]
    """The report form; its question fields come from :func:`report_form_class`."""

    questions: tuple[Question, ...] = ()

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, and then the whole: the reporter's own copy (:func:`summary`, the
        answers with their questions) must fit in one payload text, or the reporter could
        not read back what was sent."""
        if not super().validate(extra_validators):
            return False
        if len(summary(self.answers())) > MAX_TEXT:
            first: Field = self[self.questions[0].key]
            first.errors.append(
                _l(
                    "The report is too long: all answers together may be at most %(n)d "
                    "characters. Please shorten it.",
                    n=MAX_TEXT,
                )
            )
            return False
        return True

    def answers(self) -> Answers:
        """The filled-in answers, keyed as in the catalogue (empty ones left out)."""
        result: Answers = {}
        for question in self.questions:
            value = self[question.key].data
            if isinstance(value, list):
                if value:
                    result[question.key] = [str(v) for v in value]
            elif isinstance(value, str) and value.strip():
                result[question.key] = value
        return result

    def required_messages(self) -> list[str]:
        """The required questions' messages in the current language (the page's script
        checks them before it seals, in the order of ``data-required``)."""
        lang = language()
        return [q.required.of(lang) for q in self.questions if q.required is not None]

    def groups(self) -> list[tuple[str, list[tuple[Question, Field, str | None]]]]:
        """The form's fieldsets in the current language: (legend, [(question, field,
        help text)]), in the catalogue's order."""
        lang = language()
        return [
            (
                group.legend.of(lang),
                [
                    (q, self[q.key], q.hint.of(lang) if q.hint else None)
                    for q in self.questions
                    if q.group == group.key
                ],
            )
            for group in catalogue.GROUPS
        ]


@cache
def report_form_class(questions: tuple[Question, ...]) -> type[ReportForm]:
    """A report form asking ``questions``, fields in this order: the form id, the
    questions, the files, the recipients and the notice (the honeypot is the mixin's)."""
    fields: dict[str, Any] = {
        "questions": questions,
        # A random id per form shown: the same form sent twice files one report
        # (portal/receipt_handoff.py).
        "form_id": HiddenField(default=new_form_id),
    }
    fields.update((q.key, _field(q)) for q in questions)
    fields["attachments"] = MultipleFileField(_l("Files (optional)"))
    fields["send_to_committee"] = BooleanField(_l("Also send my report to varslingsutvalget"))
    fields["understood"] = BooleanField(
        _l(
            "I understand that the person I report has a right to see statements and "
            "evidence, and that details in my report may show who I am."
        ),
        validators=[InputRequired(message=_l("Please read the notice and tick the box."))],
    )
    return type("ReportForm", (ReportForm,), fields)


def report_form() -> ReportForm:
    """The report form for the current catalogue (``report_form.catalogue.QUESTIONS``)."""
    return report_form_class(catalogue.QUESTIONS)()


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
    return catalogue.summary(answers, language())


__all__ = [
    "LoginForm",
    "MessageForm",
    "ReportForm",
    "report_form",
    "summary",
]
